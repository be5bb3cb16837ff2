// FleetRollout planning: wave sizes and assignment, rows across passes, and how a pass moves rows on
// (soak before the next wave, deadlines, the failure budget, skips, pause, retry), all from status alone.
import * as assert from 'node:assert/strict';
import type { FleetRolloutSpec, FleetRolloutStatus, RolloutClusterStatus } from '../../../../src/api';
import {
  advance,
  assignWaves,
  onlyProgress,
  planRows,
  retryRows,
  selectorMatches,
  waveCapacities,
  type ClusterFacts,
} from '../../../../src/operators/rollout/render/plan';
import { validateText } from '../../../../src/validation';
import { rolloutSpecProblems } from '../../../../src/validation/rules/rollout';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const FROM = 'v1.32.0';
const TO = 'v1.33.13';

function spec(over: Partial<FleetRolloutSpec> = {}): FleetRolloutSpec {
  return {
    target: { kubernetesVersion: TO },
    clusters: { selector: { matchLabels: { env: 'prod' } } },
    waves: [
      { name: 'one', clusters: 1, maxConcurrency: 1, soak: '60s' },
      { name: 'two', clusters: 3, maxConcurrency: 2, soak: '60s' },
      { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '60s' },
    ],
    maxFailures: 0,
    progressDeadline: '10m',
    paused: false,
    ...over,
  };
}

const cluster = (name: string, over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  namespace: 'ns',
  name,
  labels: { env: 'prod' },
  specVersion: FROM,
  statusVersion: FROM,
  ready: true,
  paused: false,
  ...over,
});
const five = () => ['a', 'b', 'c', 'd', 'e'].map((n) => cluster(n));
const factsOf = (list: ClusterFacts[]) => new Map(list.map((c) => [`${c.namespace}/${c.name}`, c]));
const states = (rows: RolloutClusterStatus[]) => rows.map((r) => `${r.name}:${r.state}`).join(' ');

/** The cluster operator's side, as the rollout sees it: a started cluster asks for TO; later it runs TO and is Ready. */
function upgraded(list: ClusterFacts[], names: string[]): ClusterFacts[] {
  return list.map((c) => (names.includes(c.name) ? { ...c, specVersion: TO, statusVersion: TO, ready: true } : c));
}

describe('rollout operator: planning', () => {
  it('wave sizes are cumulative; the last wave takes the rest', () => {
    assert.deepEqual(waveCapacities(spec().waves, 5), [1, 2, 2]);
    assert.deepEqual(waveCapacities([{ clusters: 1 }, { clusters: '25%' }, { clusters: '100%' }], 10), [1, 2, 7]);
    assert.deepEqual(waveCapacities([{ clusters: 1 }, { clusters: '10%' }, { clusters: '100%' }], 5), [1, 0, 4]);
    assert.deepEqual(waveCapacities([{ clusters: 5 }, { clusters: '100%' }], 2), [2, 0]);
  });

  it('assignment is stable (name order, whatever the input order) and honours kokpit.dev/wave pins', () => {
    const a = assignWaves(spec(), five());
    const b = assignWaves(spec(), five().reverse());
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((r) => `${r.name}@${r.wave}`),
      ['a@one', 'b@two', 'c@two', 'd@rest', 'e@rest'],
    );
    const pinned = five().map((c) => (c.name === 'e' ? { ...c, labels: { ...c.labels, 'kokpit.dev/wave': 'one' } } : c));
    assert.deepEqual(
      assignWaves(spec(), pinned).map((r) => `${r.name}@${r.wave}`),
      ['e@one', 'a@two', 'b@two', 'c@rest', 'd@rest'],
    );
  });

  it('label selectors: matchLabels and every operator', () => {
    const labels = { env: 'prod', tier: 'web' };
    assert.ok(
      selectorMatches({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] }, labels),
    );
    assert.ok(!selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels));
    assert.ok(
      selectorMatches(
        {
          matchExpressions: [
            { key: 'zone', operator: 'DoesNotExist' },
            { key: 'env', operator: 'Exists' },
          ],
        },
        labels,
      ),
    );
    assert.ok(!selectorMatches({ matchLabels: { env: 'dev' } }, labels));
  });

  it('once started, rows keep their wave; newcomers join the last wave; a Pending row that stops matching leaves', () => {
    const rows: RolloutClusterStatus[] = assignWaves(spec(), five()).map((r) => ({
      ...r,
      state: r.name === 'a' ? 'Upgrading' : 'Pending',
    }));
    const now = [...five().filter((c) => c.name !== 'd'), cluster('aa')];
    const next = planRows(spec(), now, rows, false);
    assert.deepEqual(
      next.map((r) => `${r.name}@${r.wave}:${r.state}`),
      ['a@one:Upgrading', 'b@two:Pending', 'c@two:Pending', 'e@rest:Pending', 'aa@rest:Pending'],
    );
    // Before anything starts the plan follows the selection ('aa' sorts second).
    assert.deepEqual(
      planRows(spec(), now, undefined, false).map((r) => `${r.name}@${r.wave}`),
      ['a@one', 'aa@two', 'b@two', 'c@rest', 'e@rest'],
    );
  });

  it('a wave starts only after every cluster of the one before has soaked', () => {
    const s = spec();
    let clusters = five();
    let rows: RolloutClusterStatus[] = planRows(s, clusters, undefined, false);
    const pass = (t: number, paused = false) => {
      const r = advance({ spec: s, target: TO, rows, facts: factsOf(clusters), now: at(t), paused });
      rows = r.rows;
      return r;
    };
    let r = pass(0);
    assert.equal(states(rows), 'a:Upgrading b:Pending c:Pending d:Pending e:Pending');
    assert.deepEqual(
      r.inFlight.map((x) => x.name),
      ['a'],
    );
    assert.equal(rows[0].from, FROM);
    assert.equal(rows[0].to, TO);
    pass(30); // still upgrading: nothing else starts
    assert.equal(states(rows), 'a:Upgrading b:Pending c:Pending d:Pending e:Pending');
    clusters = upgraded(clusters, ['a']);
    pass(40);
    assert.equal(states(rows), 'a:Soaking b:Pending c:Pending d:Pending e:Pending');
    assert.equal(rows[0].readySince, '2026-01-01T00:00:40Z');
    r = pass(99); // 59 s of soak
    assert.equal(states(rows), 'a:Soaking b:Pending c:Pending d:Pending e:Pending');
    assert.ok(r.requeueAfterMs! <= 1100, `wakes up when the soak ends (${r.requeueAfterMs} ms)`);
    r = pass(100);
    assert.equal(
      states(rows),
      'a:Succeeded b:Upgrading c:Upgrading d:Pending e:Pending',
      'wave two (maxConcurrency 2) starts in the pass the soak ends',
    );
    assert.equal(r.currentWave, 'two');
    assert.equal(rows[0].finishedAt, '2026-01-01T00:01:40Z');
  });

  it('a write that only records clusters finishing is told apart from one that starts, soaks, fails or hands over', () => {
    const s = spec({
      waves: [
        { name: 'one', clusters: 1, maxConcurrency: 1, soak: '0s' },
        { name: 'rest', clusters: '100%', maxConcurrency: 4, soak: '0s' },
      ],
    });
    let clusters = five();
    const facts = () => factsOf(clusters);
    const progressing = (message: string) => [
      { type: 'Progressing', status: 'True' as const, reason: 'WaveInProgress', message, lastTransitionTime: 'T', observedGeneration: 1 },
    ];
    const statusOf = (rows: RolloutClusterStatus[], message: string, currentWave = 'rest'): FleetRolloutStatus => ({
      phase: 'Progressing',
      currentWave,
      clusters: rows,
      conditions: progressing(message),
      observedGeneration: 1,
    });
    const planned = planRows(s, clusters, undefined, false);
    let rows = advance({ spec: s, target: TO, rows: planned, facts: facts(), now: at(0), paused: false }).rows;
    clusters = upgraded(clusters, ['a']);
    const handover = advance({ spec: s, target: TO, rows, facts: facts(), now: at(1), paused: false });
    assert.equal(states(handover.rows), 'a:Succeeded b:Upgrading c:Upgrading d:Upgrading e:Upgrading');
    assert.equal(onlyProgress(statusOf(rows, 'wave one', 'one'), statusOf(handover.rows, 'wave rest')), false, 'a handover is never held');
    rows = handover.rows;
    clusters = upgraded(clusters, ['b', 'c']);
    const two = advance({ spec: s, target: TO, rows, facts: facts(), now: at(2), paused: false });
    assert.equal(states(two.rows), 'a:Succeeded b:Succeeded c:Succeeded d:Upgrading e:Upgrading');
    assert.equal(onlyProgress(statusOf(rows, '1/5 done'), statusOf(two.rows, '3/5 done')), true, 'clusters finishing, counts moving');
    const worded = two.rows.map((r) => (r.name === 'd' ? { ...r, message: 'upgrading: apiserver 0/1' } : r));
    assert.equal(onlyProgress(statusOf(two.rows, '3/5 done'), statusOf(worded, '3/5 done')), true, "an upgrading row's words");
    const failed = two.rows.map((r) => (r.name === 'd' ? { ...r, state: 'Failed' as const } : r));
    assert.equal(onlyProgress(statusOf(two.rows, '3/5 done'), statusOf(failed, '3/5 done')), false, 'a failure is written at once');
    const soaking = two.rows.map((r) => (r.name === 'd' ? { ...r, state: 'Soaking' as const, readySince: 'T' } : r));
    assert.equal(onlyProgress(statusOf(two.rows, '3/5 done'), statusOf(soaking, '3/5 done')), false, 'a soak start is written at once');
    const done = { ...statusOf(two.rows, 'Completed'), phase: 'Succeeded' as const };
    assert.equal(onlyProgress(statusOf(two.rows, '3/5 done'), done), false, 'the last write is never held');
    const otherReason = statusOf(two.rows, '3/5 done');
    otherReason.conditions = [{ ...otherReason.conditions![0], reason: 'Paused', status: 'False' }];
    assert.equal(onlyProgress(statusOf(two.rows, '3/5 done'), otherReason), false, 'a condition that changes its reason');
  });

  it('the same status and clusters give the same decision (a restarted manager repeats, never re-starts)', () => {
    const s = spec();
    const clusters = upgraded(five(), []);
    const rows = planRows(s, clusters, undefined, false);
    const first = advance({ spec: s, target: TO, rows, facts: factsOf(clusters), now: at(0), paused: false });
    const again = advance({ spec: s, target: TO, rows, facts: factsOf(clusters), now: at(0), paused: false });
    assert.deepEqual(again, first);
    // Restarted after the cluster already took the new spec: the row is in flight, nothing new starts.
    const later = advance({
      spec: s,
      target: TO,
      rows: first.rows,
      facts: factsOf(clusters.map((c) => (c.name === 'a' ? { ...c, specVersion: TO, ready: false } : c))),
      now: at(5),
      paused: false,
    });
    assert.equal(states(later.rows), 'a:Upgrading b:Pending c:Pending d:Pending e:Pending');
    assert.equal(later.rows[0].startedAt, first.rows[0].startedAt);
  });

  it('past the deadline a cluster fails; past maxFailures nothing new starts and in-flight ones still finish', () => {
    const s = spec({ waves: [{ name: 'all', clusters: '100%', maxConcurrency: 2, soak: '0s' }], maxFailures: 0, progressDeadline: '5m' });
    let rows = planRows(s, five(), undefined, false);
    rows = advance({ spec: s, target: TO, rows, facts: factsOf(five()), now: at(0), paused: false }).rows;
    assert.equal(states(rows), 'a:Upgrading b:Upgrading c:Pending d:Pending e:Pending');
    const r = advance({
      spec: s,
      target: TO,
      rows,
      facts: factsOf(
        five().map((c) => (c.name === 'a' ? { ...c, specVersion: TO, ready: false, notReady: 'Upgrading: kube-apiserver crashing' } : c)),
      ),
      now: at(300),
      paused: false,
    });
    assert.equal(states(r.rows), 'a:Failed b:Failed c:Pending d:Pending e:Pending');
    assert.match(r.rows[0].message!, /^ProgressDeadlineExceeded: .*kube-apiserver crashing/);
    assert.equal(r.failed, 1 + 1);
    assert.equal(r.allowedFailures, 0);
    assert.deepEqual(r.inFlight, []);

    // With one tolerated: a fails, b (in flight) goes on, c starts in a's place.
    const tolerant = { ...s, maxFailures: 1 };
    const t = advance({
      spec: tolerant,
      target: TO,
      rows,
      facts: factsOf(five().map((c) => (c.name === 'a' ? { ...c, terminal: 'DowngradeRefused: no' } : c))),
      now: at(10),
      paused: false,
    });
    assert.equal(states(t.rows), 'a:Failed b:Upgrading c:Upgrading d:Pending e:Pending');
    assert.equal(t.rows[0].message, 'UpgradeRefused: DowngradeRefused: no');
  });

  it('a cluster that degrades during its soak fails', () => {
    const s = spec();
    const rows: RolloutClusterStatus[] = [
      {
        namespace: 'ns',
        name: 'a',
        wave: 'one',
        state: 'Soaking',
        from: FROM,
        to: TO,
        startedAt: '2026-01-01T00:00:00Z',
        readySince: '2026-01-01T00:00:10Z',
      },
    ];
    const r = advance({
      spec: s,
      target: TO,
      rows,
      facts: factsOf([cluster('a', { specVersion: TO, statusVersion: TO, ready: false, notReady: 'ComponentsNotReady: 0/1' })]),
      now: at(20),
      paused: false,
    });
    assert.equal(r.rows[0].state, 'Failed');
    assert.match(r.rows[0].message!, /^DegradedDuringSoak: ComponentsNotReady/);
  });

  it('unready (notReadyGrace 0s), paused or newer clusters are skipped with a reason and the wave goes on; retry puts them back', () => {
    const s = spec({
      waves: [
        { name: 'one', clusters: 1, maxConcurrency: 1, soak: '0s' },
        { name: 'rest', clusters: '100%', maxConcurrency: 5, soak: '0s' },
      ],
      notReadyGrace: '0s',
    });
    const clusters = [
      cluster('a', { ready: false, notReady: 'APIServerUnreachable: dial tcp: connection refused' }),
      cluster('b', { paused: true }),
      cluster('c', { specVersion: 'v1.34.0' }),
      cluster('d', { specVersion: TO, statusVersion: TO }),
      cluster('e'),
    ];
    const r = advance({
      spec: s,
      target: TO,
      rows: planRows(s, clusters, undefined, false),
      facts: factsOf(clusters),
      now: at(0),
      paused: false,
    });
    assert.equal(
      states(r.rows),
      'a:Skipped b:Skipped c:Skipped d:Succeeded e:Upgrading',
      'wave one was all skipped, so wave rest started in the same pass',
    );
    assert.equal(
      r.rows[0].message,
      'NotReady: APIServerUnreachable: dial tcp: connection refused; run `kokpit rollout retry` once it is Ready',
    );
    assert.equal(r.rows[0].waitingSince, undefined);
    assert.match(r.rows[1].message!, /^ClusterPaused/);
    assert.match(r.rows[2].message!, /^DowngradeRefused/);
    assert.equal(states(retryRows(r.rows)), 'a:Pending b:Pending c:Pending d:Succeeded e:Upgrading');
  });

  describe('a cluster not Ready at its turn (spec.notReadyGrace)', () => {
    const COREDNS = 'AddonsNotReady: coredns: 0/1 replicas available';
    const s = spec({ waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '0s' }], notReadyGrace: '2m' });
    const abc = (aReady: boolean) => [cluster('a', aReady ? {} : { ready: false, notReady: COREDNS }), cluster('b'), cluster('c')];
    const pass = (rows: RolloutClusterStatus[], clusters: ClusterFacts[], t: number, over: Partial<FleetRolloutSpec> = {}) =>
      advance({ spec: { ...s, ...over }, target: TO, rows, facts: factsOf(clusters), now: at(t), paused: false });
    const waitMessage = `WaitingForReady: ${COREDNS} (skipped at 2026-01-01T00:02:10Z unless Ready)`;

    it('waits within the grace, visibly, holding no slot: another cluster of the wave starts; the wave does not hand over', () => {
      const two = spec({
        waves: [
          { name: 'one', clusters: 2, maxConcurrency: 1, soak: '0s' },
          { name: 'rest', clusters: '100%', maxConcurrency: 1, soak: '0s' },
        ],
        notReadyGrace: '2m',
      });
      const r = advance({
        spec: two,
        target: TO,
        rows: planRows(two, abc(false), undefined, false),
        facts: factsOf(abc(false)),
        now: at(10),
        paused: false,
      });
      assert.equal(states(r.rows), 'a:Pending b:Upgrading c:Pending', 'b takes the only slot; c (wave rest) waits for the wave');
      assert.equal(r.rows[0].waitingSince, '2026-01-01T00:00:10Z');
      assert.equal(r.rows[0].message, waitMessage);
      assert.equal(r.waitingForReady, 1);
      assert.equal(r.currentWave, 'one');
      // b done, a still waiting: wave one is not over, so rest does not start.
      const later = advance({
        spec: two,
        target: TO,
        rows: r.rows,
        facts: factsOf(upgraded(abc(false), ['b'])),
        now: at(60),
        paused: false,
      });
      assert.equal(states(later.rows), 'a:Pending b:Succeeded c:Pending');
      assert.equal(later.currentWave, 'one');
      assert.ok(later.requeueAfterMs! <= 30_000, `wakes up to look again (${later.requeueAfterMs} ms)`);
    });

    it('the timer covers the end of the grace', () => {
      const r = pass(planRows(s, abc(false), undefined, false), abc(false), 10, { notReadyGrace: '5s' });
      assert.equal(r.rows[0].state, 'Pending');
      assert.ok(r.requeueAfterMs! <= 5_100, `wakes up when the grace ends (${r.requeueAfterMs} ms)`);
      assert.ok(r.requeueAfterMs! >= 1_000);
    });

    it('the wait is kept across passes, unchanged (no status write per pass); Ready within the grace, it starts', () => {
      let r = pass(planRows(s, abc(false), undefined, false), abc(false), 10);
      assert.equal(states(r.rows), 'a:Pending b:Upgrading c:Pending');
      const first = r.rows[0];
      r = pass(planRows(s, abc(false), r.rows, false), abc(false), 70);
      assert.deepEqual(r.rows[0], first, 'same waitingSince, same message');
      r = pass(r.rows, upgraded(abc(true), ['b']), 100);
      assert.equal(states(r.rows), 'a:Upgrading b:Succeeded c:Pending');
      assert.equal(r.rows[0].waitingSince, undefined);
      assert.equal(r.rows[0].startedAt, '2026-01-01T00:01:40Z');
      assert.match(r.rows[0].message!, /^spec\.version v1\.32\.0 → v1\.33\.13/);
    });

    it('before anything started (a lone cluster, or a first wave of one), the wave plan made afresh each pass keeps the wait', () => {
      const canary = spec({
        waves: [
          { name: 'canary', clusters: 1, maxConcurrency: 1, soak: '0s' },
          { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '0s' },
        ],
        notReadyGrace: '2m',
      });
      const step = (rows: RolloutClusterStatus[] | undefined, t: number) =>
        advance({
          spec: canary,
          target: TO,
          rows: planRows(canary, abc(false), rows, false),
          facts: factsOf(abc(false)),
          now: at(t),
          paused: false,
        });
      const first = step(undefined, 10);
      assert.equal(states(first.rows), 'a:Pending b:Pending c:Pending');
      assert.equal(first.rows[0].message, waitMessage);
      const second = step(first.rows, 70);
      assert.deepEqual(second.rows, first.rows, 'the same status: nothing to write');
      assert.equal(states(step(second.rows, 130).rows), 'a:Skipped b:Upgrading c:Upgrading', 'past the grace, rest starts');
    });

    it('past the grace it is skipped with the reason and how long it was waited for', () => {
      let r = pass(planRows(s, abc(false), undefined, false), abc(false), 10);
      r = pass(r.rows, upgraded(abc(false), ['b']), 129);
      assert.equal(states(r.rows), 'a:Pending b:Succeeded c:Upgrading', 'one second before the end it still waits');
      r = pass(r.rows, upgraded(abc(false), ['b']), 130);
      assert.equal(r.rows[0].state, 'Skipped');
      assert.equal(r.rows[0].message, `NotReady: ${COREDNS} for 2m; run \`kokpit rollout retry\` once it is Ready`);
      assert.equal(r.rows[0].finishedAt, '2026-01-01T00:02:10Z');
      assert.equal(r.rows[0].waitingSince, undefined);
      assert.equal(r.waitingForReady, 0);
    });

    it('a waiting cluster that becomes Ready while the slots are taken queues like any other Pending row', () => {
      let r = pass(planRows(s, abc(false), undefined, false), abc(false), 10);
      r = pass(r.rows, abc(true), 20);
      assert.equal(states(r.rows), 'a:Pending b:Upgrading c:Pending');
      assert.deepEqual(r.rows[0], { namespace: 'ns', name: 'a', wave: 'all', state: 'Pending' });
    });

    it('retry clears the wait (a fresh grace); so does a pause', () => {
      const r = pass(planRows(s, abc(false), undefined, false), abc(false), 10);
      assert.equal(r.rows[0].waitingSince, '2026-01-01T00:00:10Z');
      const retried = retryRows(r.rows);
      assert.deepEqual(retried[0], { namespace: 'ns', name: 'a', wave: 'all', state: 'Pending', message: 'retry requested' });
      const again = pass(retried, upgraded(abc(false), ['b']), 300);
      assert.equal(states(again.rows), 'a:Pending b:Succeeded c:Upgrading');
      assert.equal(again.rows[0].waitingSince, '2026-01-01T00:05:00Z', 'the grace counts from its next turn');
      const paused = advance({ spec: s, target: TO, rows: r.rows, facts: factsOf(abc(false)), now: at(20), paused: true });
      assert.equal(paused.rows[0].waitingSince, undefined);
      assert.equal(paused.rows[0].state, 'Pending');
    });
  });

  it('paused: in-flight clusters are followed, none starts', () => {
    const s = spec();
    const rows = planRows(s, five(), undefined, false);
    const r = advance({ spec: s, target: TO, rows, facts: factsOf(five()), now: at(0), paused: true });
    assert.equal(states(r.rows), 'a:Pending b:Pending c:Pending d:Pending e:Pending');
    assert.equal(r.currentWave, 'one');
  });

  it('bad input is refused at the exact field, for the editor and the operator alike', () => {
    const bad = {
      target: { kubernetesVersion: TO, addon: { name: 'coredns', version: '1.12.1' } },
      clusters: { selector: {} },
      waves: [
        { name: 'a', clusters: 3 },
        { name: 'a', clusters: 2 },
        { name: 'c', clusters: '50%' },
      ],
      maxFailures: '150%',
      progressDeadline: '0s',
    };
    assert.deepEqual(
      rolloutSpecProblems(bad).map((p) => `${p.path.join('.')} ${p.code}`),
      [
        'spec.target rollout-target',
        'spec.clusters.selector rollout-empty-selector',
        'spec.waves.1.name rollout-wave-name',
        'spec.waves.1.clusters rollout-waves-order',
        'spec.waves.2.clusters rollout-waves-total',
        'spec.maxFailures rollout-count',
        'spec.progressDeadline rollout-deadline',
      ],
    );
    assert.deepEqual(rolloutSpecProblems(spec()), []);
  });

  it('a notReadyGrace that is no duration is refused at the field by the schema (editor, `kokpit validate`, the CRD pattern)', () => {
    const doc = (grace: string) =>
      'apiVersion: kokpit.dev/v1alpha1\nkind: FleetRollout\nmetadata:\n  name: r\n' +
      'spec:\n  target:\n    kubernetesVersion: v1.33.13\n  clusters:\n    selector:\n      matchLabels: {env: prod}\n' +
      `  waves:\n    - name: all\n      clusters: 100%\n  notReadyGrace: ${grace}\n`;
    assert.deepEqual(validateText(doc('0s')), []);
    assert.deepEqual(validateText(doc('90s')), []);
    const [bad, ...more] = validateText(doc('2 minutes'));
    assert.deepEqual([bad?.code, bad?.path, bad?.line, more.length], ['pattern', 'spec.notReadyGrace', 14, 0]);
    assert.match(bad.message, /must be a duration like 30s/);
  });
});
