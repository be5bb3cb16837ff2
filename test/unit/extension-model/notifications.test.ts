// The transition detector behind the editor's notifications (src/fleet/notifications.ts): successive states of
// fleet objects in, one notification per transition out — none while a problem persists across watch events.
import assert from 'node:assert/strict';
import { TransitionDetector, problemsOf, type WatchedObject } from '../../../src/fleet/notifications';

const bc = (status: Record<string, unknown>, spec: Record<string, unknown> = { version: 'v1.33.13' }, generation = 2): WatchedObject => ({
  kind: 'BusinessCluster',
  metadata: { name: 'prod', namespace: 'fleet', generation },
  spec,
  status,
});
const ready = (status: 'True' | 'False', reason: string, message?: string) => ({ type: 'Ready', status, reason, message });
const running = bc({ phase: 'Running', version: 'v1.33.13', conditions: [ready('True', 'ClusterReady')] });
const degraded = (n = 1) =>
  bc({
    phase: 'Degraded',
    version: 'v1.33.13',
    conditions: [ready('False', 'APIServerNotReady', `0/1 kube-apiserver ready (event ${n})`)],
  });

const etcd = (conditions: { type: string; status: string; reason?: string; message?: string }[], phase = 'Running'): WatchedObject => ({
  kind: 'EtcdCluster',
  metadata: { name: 'etcd-a', namespace: 'fleet' },
  status: { phase, conditions },
});

describe('fleet notifications: one per transition', () => {
  it('a business cluster turning Degraded: once, with the Ready reason; not again while it stays Degraded', () => {
    const d = new TransitionDetector();
    assert.deepEqual(d.observe(running, 'add'), []);
    const [n, ...more] = d.observe(degraded(1));
    assert.equal(more.length, 0);
    assert.deepEqual(n.ref, { kind: 'BusinessCluster', namespace: 'fleet', name: 'prod' });
    assert.equal(n.problem, 'cluster-degraded');
    assert.equal(n.message, 'BusinessCluster fleet/prod is Degraded: APIServerNotReady — 0/1 kube-apiserver ready (event 1)');
    // Every later watch event of the same outage (the message changes, the problem does not): silent.
    for (let i = 2; i < 6; i++) assert.deepEqual(d.observe(degraded(i)), []);
    // Recovered, then degraded again: a new transition.
    assert.deepEqual(d.observe(running), []);
    assert.equal(d.observe(degraded(7)).length, 1);
  });

  it('what an object already had when first listed is no transition (unless asked), and a deleted object is forgotten', () => {
    const d = new TransitionDetector();
    assert.deepEqual(d.observe(degraded(), 'add'), []);
    assert.deepEqual(d.observe(degraded()), []);
    d.observe(degraded(), 'delete');
    assert.deepEqual(d.observe(degraded(), 'add'), []);
    assert.equal(new TransitionDetector({ notifyExisting: true }).observe(degraded(), 'add').length, 1);
  });

  it('etcd: Degraded is a warning, losing quorum an error (and replaces the Degraded one)', () => {
    const d = new TransitionDetector();
    d.observe(etcd([{ type: 'Degraded', status: 'False', reason: 'AsExpected' }]), 'add');
    const [warn] = d.observe(etcd([{ type: 'Degraded', status: 'True', reason: 'MembersUnhealthy', message: 'unhealthy: etcd-a-1' }]));
    assert.equal(warn.severity, 'warning');
    assert.equal(warn.message, 'EtcdCluster fleet/etcd-a is Degraded: MembersUnhealthy — unhealthy: etcd-a-1');
    const [lost] = d.observe(etcd([{ type: 'QuorumLost', status: 'True', reason: 'QuorumLost', message: '1 of 3 healthy' }], 'QuorumLost'));
    assert.equal(lost.problem, 'etcd-quorum-lost');
    assert.equal(lost.severity, 'error');
    assert.deepEqual(d.observe(etcd([{ type: 'QuorumLost', status: 'True', reason: 'QuorumLost' }], 'QuorumLost')), []);
  });

  it('an upgrade that failed for good (a terminal reason at the current generation) — once per target version', () => {
    const d = new TransitionDetector();
    const upgrading = bc({ phase: 'Upgrading', version: 'v1.32.13', conditions: [] }, { version: 'v1.33.13' });
    const refused = (to: string, generation: number) =>
      bc(
        {
          phase: 'Running',
          version: 'v1.32.13',
          conditions: [
            {
              type: 'CatalogValid',
              status: 'False',
              reason: 'VersionNotUsable',
              message: `${to} is Deprecated`,
              observedGeneration: generation,
            },
          ],
        },
        { version: to },
        generation,
      );
    d.observe(upgrading, 'add');
    const [n] = d.observe(refused('v1.33.13', 2));
    assert.equal(n.problem, 'upgrade-failed');
    assert.equal(
      n.message,
      'upgrade of BusinessCluster fleet/prod from v1.32.13 to v1.33.13 failed: VersionNotUsable — v1.33.13 is Deprecated',
    );
    assert.deepEqual(d.observe(refused('v1.33.13', 2)), []);
    // A condition from an older generation is not about this spec: no notification for the new target yet.
    assert.deepEqual(problemsOf({ ...refused('v1.34.1', 2), metadata: { name: 'prod', namespace: 'fleet', generation: 3 } }), []);
    assert.equal(d.observe(refused('v1.34.1', 3))[0].message.includes('to v1.34.1'), true);
  });

  it('a FleetRollout failing names the last failed cluster', () => {
    const d = new TransitionDetector();
    const rollout = (phase: string) => ({
      kind: 'FleetRollout',
      metadata: { name: 'to-1-33' },
      status: { phase, lastFailure: { cluster: 'fleet/prod', reason: 'ProgressDeadlineExceeded', message: 'not Ready after 30m' } },
    });
    d.observe(rollout('Progressing'), 'add');
    const [n] = d.observe(rollout('Failed'));
    assert.equal(n.message, 'FleetRollout to-1-33 failed: fleet/prod: ProgressDeadlineExceeded — not Ready after 30m');
    assert.deepEqual(d.observe(rollout('Failed')), []);
  });

  it('objects of other kinds, and healthy ones, have no problems', () => {
    assert.deepEqual(problemsOf({ kind: 'Machine', metadata: { name: 'm' }, status: { phase: 'Failed' } }), []);
    assert.deepEqual(problemsOf(running), []);
    assert.deepEqual(problemsOf(etcd([{ type: 'Degraded', status: 'False' }])), []);
  });
});
