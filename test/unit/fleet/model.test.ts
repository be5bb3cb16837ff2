import assert from 'node:assert/strict';
import { FleetModel } from '../../../src/fleet/model';
import { businessCluster, etcdCluster, machine } from '../../support/objects';

describe('FleetModel', () => {
  it('builds meta cluster → groups → objects with stable ids and parents', () => {
    const m = new FleetModel('kind-kokpit');
    m.upsert(etcdCluster('shared'));
    m.upsert(businessCluster('alpha'));
    m.upsert(machine('alpha-w1', 'alpha'));
    const groups = m.children(m.rootId).map((n) => n.label);
    assert.deepEqual(groups, ['etcd clusters', 'Business clusters', 'Rollouts', 'Versions', 'Addons']);
    const etcd = m.children(`${m.rootId}/etcd`);
    assert.equal(etcd[0].id, 'meta:kind-kokpit/EtcdCluster/default/shared');
    assert.equal(etcd[0].contextValue, 'kokpit.etcdCluster.ready');
    const members = m.children(etcd[0].id);
    assert.deepEqual(
      members.map((x) => x.description?.split(' · ')[0]),
      ['leader', 'follower', 'follower'],
    );
    assert.equal(m.parent(members[0].id)?.id, etcd[0].id);
    const alpha = m.children(`${m.rootId}/clusters`)[0];
    const kinds = m.children(alpha.id).map((n) => n.kind);
    assert.deepEqual(kinds, ['controlPlaneComponent', 'controlPlaneComponent', 'controlPlaneComponent', 'machine']);
  });

  it('reports only the nodes whose rendering changed', () => {
    const m = new FleetModel('meta');
    assert.ok(m.upsert(businessCluster('alpha')).includes('meta:meta/clusters'), 'a new cluster refreshes its group');
    assert.deepEqual(m.upsert(businessCluster('alpha')), [], 'the same object again changes nothing');
    const changed = m.upsert(businessCluster('alpha', 'default', 'Upgrading'));
    assert.ok(changed.includes('meta:meta/BusinessCluster/default/alpha'));
    assert.ok(!changed.includes('meta:meta/clusters'), 'the group is untouched by a status change');
    const cond = m.children('meta:meta/BusinessCluster/default/alpha').find((n) => n.kind === 'condition');
    assert.equal(cond?.description, 'control plane is Upgrading', 'failing conditions show their message');
    assert.equal(m.get('meta:meta/BusinessCluster/default/alpha')?.status, 'progress');
  });

  it('marks an unhealthy etcd member and removes subtrees on delete', () => {
    const m = new FleetModel('meta');
    m.upsert(etcdCluster('e', 'default', 3, false));
    const members = m.children('meta:meta/EtcdCluster/default/e');
    assert.equal(members[0].status, 'error');
    const before = m.size;
    assert.deepEqual(m.remove({ kind: 'EtcdCluster', namespace: 'default', name: 'e' }), ['meta:meta/etcd']);
    assert.equal(m.size, before - 4);
    assert.equal(m.get(members[0].id), undefined);
  });

  it('attaches machines that arrive before or after their cluster', () => {
    const m = new FleetModel('meta');
    m.upsert(machine('w1', 'alpha'));
    m.upsert(businessCluster('alpha'));
    m.upsert(machine('w2', 'alpha', 'default', 'Provisioning'));
    const machines = m.children('meta:meta/BusinessCluster/default/alpha').filter((n) => n.kind === 'machine');
    assert.deepEqual(
      machines.map((n) => [n.label, n.status]),
      [
        ['w1', 'ok'],
        ['w2', 'progress'],
      ],
    );
    m.remove({ kind: 'Machine', namespace: 'default', name: 'w1' });
    assert.equal(m.children('meta:meta/BusinessCluster/default/alpha').filter((n) => n.kind === 'machine').length, 1);
  });

  it("lists a cluster's MachineSets (ready count, status, context value) before its machines, and drops them on delete", () => {
    const m = new FleetModel('meta');
    const set = (ready: number, replicas = 3) =>
      ({
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'MachineSet',
        metadata: { name: 'workers', namespace: 'default' },
        spec: { clusterRef: { name: 'alpha' }, replicas, template: { spec: { provider: 'kwok', role: 'worker' } } },
        status: { replicas, readyReplicas: ready },
      }) as never;
    m.upsert(set(1));
    m.upsert(businessCluster('alpha'));
    m.upsert(machine('w1', 'alpha'));
    const kids = () => m.children('meta:meta/BusinessCluster/default/alpha').filter((n) => n.kind === 'machineSet' || n.kind === 'machine');
    assert.deepEqual(
      kids().map((n) => [n.kind, n.label, n.description, n.status, n.contextValue]),
      [
        ['machineSet', 'workers', '1/3 ready · kwok', 'progress', 'kokpit.machineSet.progress'],
        ['machine', 'w1', 'Running · kwok · w1', 'ok', 'kokpit.machine.ready'],
      ],
    );
    assert.deepEqual(kids()[0].ref, { kind: 'MachineSet', namespace: 'default', name: 'workers' });
    assert.ok(m.upsert(set(3)).includes('meta:meta/BusinessCluster/default/alpha/machineSet/workers'));
    assert.equal(kids()[0].contextValue, 'kokpit.machineSet.ready');
    m.remove({ kind: 'MachineSet', namespace: 'default', name: 'workers' });
    assert.deepEqual(
      kids().map((n) => n.kind),
      ['machine'],
    );
  });
});
