// The manager's lease as `kokpit status`, the Fleet view and the editor's notifications describe it (pure parts of
// src/fleet/manager-lease.ts), and the meta-cluster node's summary in the Fleet model.
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import {
  describeManagerLease,
  leaseHeld,
  leaseState,
  leaseTransition,
  managerSummary,
  type ManagerLease,
  type ManagerWhere,
} from '../../../src/fleet/manager-lease';
import { FleetModel } from '../../../src/fleet/model';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const lease = (holder: string | undefined, renewedAgoSec: number, durationSec = 15): V1Lease => ({
  metadata: { name: 'kokpit-manager', namespace: 'kokpit-system' },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: durationSec,
    renewTime: new Date(NOW - renewedAgoSec * 1000).toISOString() as unknown as Date,
  },
});
const POD = { kind: 'pod', phase: 'Running', node: 'meta-control-plane' } as const;

describe('manager lease: state and description', () => {
  it('a fresh lease held by a pod is "in the cluster", with its phase and node', () => {
    const l = leaseState(lease('kokpit-manager-7d9f-abcde', 3), NOW, POD);
    assert.equal(l.state, 'held');
    assert.ok(leaseHeld(l));
    assert.equal(
      describeManagerLease(l),
      'in the cluster: pod kokpit-system/kokpit-manager-7d9f-abcde (Running on meta-control-plane) holds the lease ' +
        'kokpit-system/kokpit-manager, renewed 3s ago',
    );
    assert.deepEqual(managerSummary(l), { text: 'manager: pod kokpit-system/kokpit-manager-7d9f-abcde', status: 'ok' });
  });

  it('a host holder, and a lease not renewed within its duration is expired, not held', () => {
    const host = leaseState(lease('laptop-4242', 2), NOW, { kind: 'host' });
    assert.equal(describeManagerLease(host), 'on a host: laptop-4242 holds the lease kokpit-system/kokpit-manager, renewed 2s ago');
    const old = leaseState(lease('laptop-4242', 16), NOW, { kind: 'host' });
    assert.equal(old.state, 'expired');
    assert.equal(leaseHeld(old), false);
    assert.match(describeManagerLease(old), /held \(expired\) the lease kokpit-system\/kokpit-manager, renewed 16s ago$/);
    assert.deepEqual(managerSummary(old), { text: 'manager: lease expired 16s ago', status: 'warning' });
  });

  it('no holder, no lease, or an unreadable one say so', () => {
    assert.equal(
      describeManagerLease(leaseState(lease(undefined, 0), NOW, { kind: 'unknown' })),
      'no manager holds the lease (none running)',
    );
    assert.equal(describeManagerLease({ state: 'absent' }), 'no manager has run here (no lease)');
    assert.equal(describeManagerLease({ state: 'unknown', error: 'HTTP 403 Forbidden' }), 'unknown (HTTP 403 Forbidden)');
    assert.equal(managerSummary({ state: 'absent' }).text, 'no manager running');
  });
});

describe('manager lease: notifications on transitions', () => {
  const held = (holder: string, where: ManagerWhere = POD) => leaseState(lease(holder, 1), NOW, where);
  const expired = (holder: string) => leaseState(lease(holder, 30), NOW, POD);

  it('the first reading and an unchanged holder say nothing', () => {
    assert.equal(leaseTransition(undefined, held('a')), undefined);
    assert.equal(leaseTransition(held('a'), held('a')), undefined);
  });

  it('a lapse warns that nothing reconciles, naming the last holder', () => {
    const t = leaseTransition(held('a'), expired('a'));
    assert.equal(t?.severity, 'warning');
    assert.match(
      t!.message,
      /no manager has renewed the lease kokpit-system\/kokpit-manager for 30s \(last holder a\): nothing reconciles the fleet/,
    );
    // Still expired on the next poll: not said again.
    assert.equal(leaseTransition(expired('a'), expired('a')), undefined);
  });

  it('a failover names the new holder and where it runs; a lease taken again after a lapse says so', () => {
    assert.equal(leaseTransition(held('a'), held('b'))?.message, 'the manager lease moved from a to pod kokpit-system/b');
    assert.equal(leaseTransition(expired('a'), held('a', { kind: 'host' }))?.message, 'the manager lease is held again, by a on a host');
  });

  it('a network blip (unknown) or a clean release is not an alarm', () => {
    const blip: ManagerLease = { state: 'unknown', error: 'ECONNRESET' };
    assert.equal(leaseTransition(held('a'), blip), undefined);
    assert.equal(leaseTransition(blip, held('b')), undefined);
    assert.equal(leaseTransition(held('a'), { state: 'released' }), undefined);
  });
});

describe('manager lease: the Fleet view meta-cluster node', () => {
  it('shows where the manager runs, and refreshes the node only when that changes', () => {
    const model = new FleetModel('kind-kokpit');
    assert.deepEqual(model.setManager({ text: 'manager: pod m-1', status: 'ok', tooltip: 't' }), [model.rootId]);
    assert.equal(model.get(model.rootId)?.description, 'meta cluster · manager: pod m-1');
    assert.deepEqual(model.setManager({ text: 'manager: pod m-1', status: 'ok', tooltip: 't' }), []);
    model.setManager({ text: 'manager: lease expired 20s ago', status: 'warning' });
    assert.equal(model.get(model.rootId)?.status, 'warning');
  });
});
