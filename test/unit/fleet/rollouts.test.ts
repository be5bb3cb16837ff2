// The Rollouts node of the Fleet model, from plain objects: a FleetRollout with its phase and done/total, its
// waves with their progress and each cluster row under its wave, the context values the Pause/Resume/Retry
// menus match, and the BusinessClusters showing the version a running rollout moves them to.
import assert from 'node:assert/strict';
import type { FleetRollout, RolloutClusterStatus } from '../../../src/api';
import { FleetModel } from '../../../src/fleet/model';
import { businessCluster } from '../../support/objects';

const ROOT = 'meta:meta';
const RID = `${ROOT}/FleetRollout/to-1-33`;

function rollout(rows: RolloutClusterStatus[], extra: Partial<FleetRollout['status']> = {}, paused = false): FleetRollout {
  const n = (s: string) => rows.filter((r) => r.state === s).length;
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'FleetRollout',
    metadata: { name: 'to-1-33', generation: 1 },
    spec: {
      target: { kubernetesVersion: 'v1.33.13' },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      waves: [
        { name: 'canary', clusters: 1, maxConcurrency: 1, soak: '10m' },
        { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '0s' },
      ],
      maxFailures: 0,
      progressDeadline: '30m',
      paused,
    },
    status: {
      phase: 'Progressing',
      currentWave: 'rest',
      counts: {
        total: rows.length,
        pending: n('Pending'),
        upgrading: n('Upgrading'),
        soaking: n('Soaking'),
        succeeded: n('Succeeded'),
        failed: n('Failed'),
        skipped: n('Skipped'),
      },
      clusters: rows,
      ...extra,
    },
  };
}

const row = (name: string, wave: string, state: RolloutClusterStatus['state'], more: Partial<RolloutClusterStatus> = {}) =>
  ({ namespace: 'default', name, wave, state, ...more }) as RolloutClusterStatus;

const ROWS = [
  row('a', 'canary', 'Succeeded', { from: 'v1.32.0', to: 'v1.33.13', message: 'Ready at v1.33.13, soaked 600s' }),
  row('b', 'rest', 'Upgrading', { from: 'v1.32.0', to: 'v1.33.13' }),
  row('c', 'rest', 'Soaking', { from: 'v1.32.0', to: 'v1.33.13' }),
  row('d', 'rest', 'Pending'),
];

const describeNodes = (m: FleetModel, id: string) => m.children(id).map((n) => [n.label, n.description, n.status]);

describe('FleetModel: Rollouts', () => {
  it('shows a rollout with its phase, done/total and target; its waves with progress; each cluster under its wave', () => {
    const m = new FleetModel('meta');
    const changed = m.upsert(rollout(ROWS));
    assert.ok(changed.includes(`${ROOT}/rollouts`), 'a new rollout refreshes its group');
    const [r] = m.children(`${ROOT}/rollouts`);
    assert.equal(r.id, RID);
    assert.deepEqual(
      [r.kind, r.label, r.description, r.status],
      ['rollout', 'to-1-33', 'Progressing · 1/4 · → v1.33.13 · wave rest', 'progress'],
    );
    assert.deepEqual(r.ref, { kind: 'FleetRollout', name: 'to-1-33' });
    assert.equal(r.contextValue, 'kokpit.rollout.running');
    assert.deepEqual(describeNodes(m, RID), [
      ['canary', '1/1 · soak 10m', 'ok'],
      ['rest', '0/3 · current', 'progress'],
    ]);
    assert.deepEqual(describeNodes(m, `${RID}/wave/rest`), [
      ['default/b', 'Upgrading · v1.32.0 → v1.33.13', 'progress'],
      ['default/c', 'Soaking · v1.32.0 → v1.33.13', 'progress'],
      ['default/d', 'Pending', 'unknown'],
    ]);
    const a = m.children(`${RID}/wave/canary`)[0];
    assert.equal(a.tooltip, 'Ready at v1.33.13, soaked 600s');
    assert.equal(m.parent(a.id)?.id, `${RID}/wave/canary`);
  });

  it('moves rows between waves and drops the ones that left, reporting only what changed', () => {
    const m = new FleetModel('meta');
    m.upsert(rollout(ROWS));
    assert.deepEqual(m.upsert(rollout(ROWS)), [], 'the same rollout again changes nothing');
    const next = [ROWS[0], { ...ROWS[1], state: 'Succeeded' as const }, ROWS[2]];
    const changed = m.upsert(rollout(next));
    assert.ok(changed.includes(RID), 'done/total changed');
    assert.ok(changed.includes(`${RID}/wave/rest/cluster/default/b`));
    assert.ok(changed.includes(`${RID}/wave/rest`), 'the wave lost d');
    assert.ok(!changed.includes(`${RID}/wave/canary`), 'the canary wave is untouched');
    assert.equal(m.get(`${RID}/wave/rest/cluster/default/d`), undefined, 'the row that left is gone');
    assert.equal(m.get(RID)?.description, 'Progressing · 2/3 · → v1.33.13 · wave rest');
    const before = m.size;
    assert.deepEqual(m.remove({ kind: 'FleetRollout', name: 'to-1-33' }), [`${ROOT}/rollouts`]);
    assert.equal(m.size, before - 6, 'the rollout, its two waves and three rows');
  });

  it('gives the context values Pause, Resume and Retry match, and the status of a failed or paused rollout', () => {
    const m = new FleetModel('meta');
    const failed = [ROWS[0], row('b', 'rest', 'Failed', { message: 'ProgressDeadlineExceeded: not Ready' }), row('d', 'rest', 'Pending')];
    m.upsert(rollout(failed, { phase: 'Failed', currentWave: 'rest' }));
    assert.deepEqual([m.get(RID)?.contextValue, m.get(RID)?.status], ['kokpit.rollout.finished.retryable', 'error']);
    assert.equal(m.get(`${RID}/wave/rest`)?.status, 'error');
    assert.equal(m.get(`${RID}/wave/rest/cluster/default/b`)?.contextValue, 'kokpit.rolloutCluster.failed');
    m.upsert(rollout(ROWS, { phase: 'Paused' }, true));
    assert.deepEqual([m.get(RID)?.contextValue, m.get(RID)?.status], ['kokpit.rollout.paused', 'warning']);
    const skipped = [ROWS[0], row('b', 'rest', 'Skipped', { message: 'NotReady: no Ready condition yet' })];
    m.upsert(rollout(skipped, { phase: 'Progressing', currentWave: undefined }));
    assert.deepEqual([m.get(RID)?.contextValue, m.get(RID)?.status], ['kokpit.rollout.running.retryable', 'warning']);
    m.upsert(rollout([ROWS[0]], { phase: 'Succeeded', currentWave: undefined }));
    assert.deepEqual([m.get(RID)?.contextValue, m.get(RID)?.status], ['kokpit.rollout.finished', 'ok']);
  });

  it('BusinessClusters show the version a running rollout moves them to, in either order of arrival', () => {
    const m = new FleetModel('meta');
    const cid = (n: string) => `${ROOT}/BusinessCluster/default/${n}`;
    const old = businessCluster('b');
    m.upsert({ ...old, status: { ...old.status, version: 'v1.32.0' } });
    const changed = m.upsert(rollout(ROWS));
    assert.ok(changed.includes(cid('b')), 'the rollout refreshes the cluster it moves');
    for (const n of ['a', 'c', 'd']) m.upsert(businessCluster(n));
    const desc = (n: string) => m.get(cid(n))?.description;
    assert.equal(desc('a'), 'Running · v1.33.13 · https://127.0.0.1:36443', 'a finished row says nothing');
    assert.equal(desc('b'), 'Running · v1.32.0 → v1.33.13 · https://127.0.0.1:36443');
    assert.match(desc('c') ?? '', /→ v1\.33\.13 \(soaking\)/);
    assert.match(desc('d') ?? '', /→ v1\.33\.13 \(rest, pending\)/);
    assert.match(m.get(cid('b'))?.tooltip ?? '', /FleetRollout to-1-33: wave rest, Upgrading$/);
    // Finished or deleted, the rollout no longer speaks for the clusters.
    m.upsert(rollout(ROWS, { phase: 'Failed' }));
    assert.doesNotMatch(desc('d') ?? '', /→/);
    m.upsert(rollout(ROWS));
    assert.match(desc('d') ?? '', /→/);
    const removed = m.remove({ kind: 'FleetRollout', name: 'to-1-33' });
    assert.ok(removed.includes(cid('d')));
    assert.doesNotMatch(desc('d') ?? '', /→/);
  });
});

// A row waiting for its cluster to be Ready (spec.notReadyGrace): the row says it waits and its tooltip gives the
// message (why, and when it is skipped unless Ready); the cluster's node says so too.
describe('FleetModel: a rollout row waiting for Ready', () => {
  const WAITING = 'WaitingForReady: AddonsNotReady: coredns: 0/1 replicas available (skipped at 2026-01-01T00:02:10Z unless Ready)';

  it('the row says it waits for Ready and its tooltip is the message; a plain Pending row stays plain', () => {
    const m = new FleetModel('meta');
    m.upsert(
      rollout([
        row('a', 'rest', 'Pending', { waitingSince: '2026-01-01T00:00:10Z', message: WAITING }),
        row('b', 'rest', 'Upgrading', { from: 'v1.32.0', to: 'v1.33.13' }),
        row('c', 'rest', 'Pending'),
      ]),
    );
    assert.deepEqual(
      m.children(`${RID}/wave/rest`).map((n) => [n.label, n.description, n.status]),
      [
        ['default/a', 'Pending · waiting for Ready', 'unknown'],
        ['default/b', 'Upgrading · v1.32.0 → v1.33.13', 'progress'],
        ['default/c', 'Pending', 'unknown'],
      ],
    );
    assert.equal(m.get(`${RID}/wave/rest/cluster/default/a`)?.tooltip, WAITING);
    for (const n of ['a', 'c']) m.upsert(businessCluster(n));
    assert.match(m.get(`${ROOT}/BusinessCluster/default/a`)?.description ?? '', /→ v1\.33\.13 \(rest, waiting for Ready\)/);
    assert.match(m.get(`${ROOT}/BusinessCluster/default/c`)?.description ?? '', /→ v1\.33\.13 \(rest, pending\)/);
  });
});
