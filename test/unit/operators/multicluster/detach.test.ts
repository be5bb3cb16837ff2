// The detach's order (decideDetach): the ManagedCluster first, waiting for the agent to clear the works, the agent
// only once the ManagedCluster is gone, and the works orphaned (as kokpit deregister --force) only after the timeout.
import * as assert from 'node:assert/strict';
import { decideDetach, type DetachView } from '../../../../src/operators/multicluster/detach';

const T0 = Date.parse('2026-12-06T02:00:00Z');
const view = (o: Partial<DetachView>): DetachView => ({
  mc: 'fleet-a',
  managedCluster: 'present',
  works: [],
  nowMs: T0,
  timeoutMs: 300_000,
  clusterDeleting: true,
  ...o,
});

describe('multicluster detach: order', () => {
  it('a live ManagedCluster is deleted first, and the agent stays (it clears the works)', () => {
    const a = decideDetach(view({ works: ['hello'] }));
    assert.equal(a.kind, 'delete-managed-cluster');
    assert.equal(a.kind === 'delete-managed-cluster' && a.condition.reason, 'Detaching');
  });

  it('the agent goes only once the ManagedCluster is gone (or OCM is not installed)', () => {
    assert.deepEqual(decideDetach(view({ managedCluster: 'absent' })), { kind: 'remove-agent' });
    for (const managedCluster of ['present', 'deleting'] as const)
      assert.notEqual(decideDetach(view({ managedCluster, deletingSinceMs: T0 - 1e9, works: [] })).kind, 'remove-agent');
  });

  it('while works are left and the timeout has not passed: wait, the condition naming the works and the time', () => {
    const a = decideDetach(view({ managedCluster: 'deleting', deletingSinceMs: T0 - 42_000, works: ['removed', 'orphaned'] }));
    assert.equal(a.kind, 'wait');
    assert.equal(a.kind === 'wait' && a.condition.reason, 'WaitingForWorks');
    assert.match(
      a.kind === 'wait' ? a.condition.message! : '',
      /ManagedCluster fleet-a waits for its agent to clear ManifestWork\(s\) removed, orphaned \(42 s of 300 s;/,
    );
  });

  it('no works left but the ManagedCluster still there: wait for the hub, never orphan', () => {
    const a = decideDetach(view({ managedCluster: 'deleting', deletingSinceMs: T0 - 1e9, works: [] }));
    assert.equal(a.kind, 'wait');
    assert.equal(a.kind === 'wait' && a.condition.reason, 'Detaching');
  });

  it('after the timeout, the works left are orphaned with a condition saying so and where their objects are', () => {
    const works = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'];
    const a = decideDetach(view({ managedCluster: 'deleting', deletingSinceMs: T0 - 300_000, works }));
    assert.equal(a.kind, 'orphan-works');
    if (a.kind !== 'orphan-works') return;
    assert.deepEqual(a.works, works);
    assert.equal(a.condition.reason, 'WorksOrphaned');
    assert.match(a.condition.message!, /after 300 s .* ManifestWork\(s\) w1, w2, w3, w4, w5 and 2 more: .* kokpit deregister --force/);
    assert.match(a.condition.message!, /\(they go with the cluster\)$/);
    const kept = decideDetach(view({ managedCluster: 'deleting', deletingSinceMs: T0 - 400_000, works: ['w'], clusterDeleting: false }));
    assert.match(kept.kind === 'orphan-works' ? kept.condition.message! : '', /\(they stay in the cluster\)$/);
  });
});
