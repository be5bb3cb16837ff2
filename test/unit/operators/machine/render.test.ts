// Renderers: the kwok Node of a Machine and the Machines of a MachineSet (stable, no timestamps).
import * as assert from 'node:assert/strict';
import type { Machine, MachineSet } from '../../../../src/api';
import { nodeMatches } from '../../../../src/operators/machine/machine-reconciler';
import { machineIndexOf } from '../../../../src/operators/machine/names';
import { renderKwokNode, renderSetMachine, templateHashOf } from '../../../../src/operators/machine/render';

const machine: Machine = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'Machine',
  metadata: { name: 'w1', namespace: 'team-a', generation: 1 },
  spec: {
    clusterRef: { name: 'prod' },
    provider: 'kwok',
    role: 'worker',
    labels: { zone: 'z1', 'kubernetes.io/hostname': 'spoofed' },
    taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }],
  },
};

const set: MachineSet = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'MachineSet',
  metadata: { name: 'pool', namespace: 'team-a', uid: 'uid-1' },
  spec: {
    clusterRef: { name: 'prod' },
    replicas: 4,
    template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'agent', version: '1.0.0' }] } },
  },
};

describe('machine operator: renderers', () => {
  it('renders a kwok Node with role, labels, taints and the machine labels', () => {
    const node = renderKwokNode(machine, [{ name: 'kubelet', version: 'v1.33.13', dependsOn: [] }]);
    assert.equal(node.metadata!.name, 'w1');
    assert.equal(node.metadata!.annotations!['kwok.x-k8s.io/node'], 'fake');
    assert.equal(node.metadata!.labels!['node-role.kubernetes.io/worker'], '');
    assert.equal(node.metadata!.labels!.zone, 'z1');
    assert.equal(node.metadata!.labels!['kubernetes.io/hostname'], 'w1', 'identity labels win over spec.labels');
    assert.equal(node.metadata!.labels!['kokpit.dev/machine'], 'w1');
    assert.equal(node.metadata!.labels!['kokpit.dev/machine-namespace'], 'team-a');
    assert.deepEqual(node.spec!.taints, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]);
    assert.equal(node.status!.nodeInfo!.kubeletVersion, 'v1.33.13');
    assert.deepEqual(renderKwokNode(machine, []), renderKwokNode(machine, []), 'deterministic');
  });

  it('renders set machines with owner reference, hash and numbered names', () => {
    const hash = templateHashOf(set);
    const m = renderSetMachine(set, 2, hash);
    assert.equal(m.metadata.name, 'pool-2');
    assert.equal(machineIndexOf('pool', m.metadata.name), 2);
    assert.equal(machineIndexOf('pool', 'pool-x'), undefined);
    assert.equal(machineIndexOf('pool', 'pool-02'), undefined);
    assert.deepEqual(m.metadata.ownerReferences, [
      { apiVersion: 'kokpit.dev/v1alpha1', kind: 'MachineSet', name: 'pool', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(m.metadata.labels!['kokpit.dev/template-hash'], hash);
    assert.deepEqual(m.spec.components, [{ name: 'agent', version: '1.0.0' }]);
  });

  it('template hash changes with a component version and not with replicas', () => {
    const h = templateHashOf(set);
    assert.equal(templateHashOf({ ...set, spec: { ...set.spec, replicas: 9 } }), h);
    const bumped = {
      ...set,
      spec: { ...set.spec, template: { spec: { ...set.spec.template.spec, components: [{ name: 'agent', version: '1.1.0' }] } } },
    };
    assert.notEqual(templateHashOf(bumped), h);
  });
});

describe('machine operator: Node drift check', () => {
  it('ignores taints others added, notices a missing label or taint', () => {
    const desired = renderKwokNode(machine, []);
    const live = JSON.parse(JSON.stringify(desired));
    live.metadata.resourceVersion = '7';
    live.spec.taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
    assert.equal(nodeMatches(live, desired), true);
    const noLabel = JSON.parse(JSON.stringify(live));
    delete noLabel.metadata.labels.zone;
    assert.equal(nodeMatches(noLabel, desired), false);
    const noTaint = JSON.parse(JSON.stringify(live));
    noTaint.spec.taints = [];
    assert.equal(nodeMatches(noTaint, desired), false);
  });
});
