// FleetRollout spec.includeMachines: a cluster's MachineSets follow its control plane (their kubelet component set to
// the target once the control plane is Ready at it) and the cluster counts as done, and soaks, only when every
// MachineSet with a kubelet reports all its machines updated for its current spec.
import * as assert from 'node:assert/strict';
import type { FleetRolloutSpec, MachineSet, RolloutClusterStatus } from '../../../../src/api';
import { advance, type ClusterFacts } from '../../../../src/operators/rollout/render/plan';
import { machineSetFacts, machineSetsToMove, machinesWaiting } from '../../../../src/operators/rollout/render/target';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const FROM = 'v1.32.0';
const TO = 'v1.33.13';

const spec = (over: Partial<FleetRolloutSpec> = {}): FleetRolloutSpec => ({
  target: { kubernetesVersion: TO },
  clusters: { selector: { matchLabels: { env: 'prod' } } },
  waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '30s' }],
  maxFailures: 0,
  progressDeadline: '10m',
  paused: false,
  includeMachines: true,
  ...over,
});

/** A MachineSet as the machine operator leaves it: `kubelet` in its template, `updated` of `replicas` machines on it. */
function set(
  name: string,
  o: { kubelet?: string | null; replicas?: number; updated?: number; gen?: number; observed?: number } = {},
): MachineSet {
  const components =
    o.kubelet === null
      ? [{ name: 'containerd' }]
      : [{ name: 'containerd' }, { name: 'kubelet', ...(o.kubelet ? { version: o.kubelet } : {}) }];
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'MachineSet',
    metadata: { name, namespace: 'ns', generation: o.gen ?? 1 },
    spec: { clusterRef: { name: 'a' }, replicas: o.replicas ?? 2, template: { spec: { provider: 'kwok', role: 'worker', components } } },
    status: { replicas: o.replicas ?? 2, updatedReplicas: o.updated ?? o.replicas ?? 2, observedGeneration: o.observed ?? o.gen ?? 1 },
  } as MachineSet;
}

const cluster = (version: string, sets: MachineSet[]): ClusterFacts => ({
  namespace: 'ns',
  name: 'a',
  labels: { env: 'prod' },
  specVersion: version,
  statusVersion: version,
  ready: true,
  paused: false,
  machineSets: sets.map(machineSetFacts),
});

const row = (over: Partial<RolloutClusterStatus> = {}): RolloutClusterStatus => ({
  namespace: 'ns',
  name: 'a',
  wave: 'all',
  state: 'Upgrading',
  from: FROM,
  to: TO,
  startedAt: at(0).toISOString(),
  ...over,
});

function pass(s: FleetRolloutSpec, rows: RolloutClusterStatus[], f: ClusterFacts, t: number) {
  return advance({ spec: s, target: TO, rows, facts: new Map([['ns/a', f]]), now: at(t), paused: false });
}

describe('rollout operator: includeMachines', () => {
  it("a MachineSet's facts: its template kubelet, and updated machines only for a status of the current generation", () => {
    assert.deepEqual(machineSetFacts(set('w', { kubelet: FROM })), {
      name: 'w',
      kubelet: FROM,
      hasKubelet: true,
      replicas: 2,
      updated: 2,
      observed: true,
    });
    assert.equal(machineSetFacts(set('w', { gen: 2, observed: 1 })).updated, 0, 'an older status says nothing about the new template');
    assert.equal(machineSetFacts(set('n', { kubelet: null })).hasKubelet, false);
  });

  it('which sets move and what they wait for: sets without a kubelet component are left alone', () => {
    const f = cluster(TO, [set('w', { kubelet: FROM }), set('d'), set('n', { kubelet: null }), set('done', { kubelet: TO })]);
    assert.deepEqual(machineSetsToMove(f, TO), ['w', 'd'], 'a kubelet on its default version is pinned to the target too');
    assert.equal(machinesWaiting(f, TO), 'MachineSets at v1.33.13: 1/3; w asks for kubelet v1.32.0, d asks for kubelet default');
    const rolling = cluster(TO, [set('w', { kubelet: TO, gen: 2, updated: 1 })]);
    assert.equal(machinesWaiting(rolling, TO), 'MachineSets at v1.33.13: 0/1; w 1/2 machines updated');
    assert.equal(machinesWaiting(cluster(TO, [set('w', { kubelet: TO, gen: 2 })]), TO), undefined);
  });

  it('the control plane Ready at the target is not done while machines lag; all machines updated: soak, then done', () => {
    const s = spec();
    // The control plane still upgrading: machines are not asked yet (the reconciler patches only past this point).
    let adv = pass(s, [row()], cluster(FROM, [set('w', { kubelet: FROM })]), 10);
    assert.equal(adv.rows[0].state, 'Upgrading');
    assert.match(adv.rows[0].message!, /^upgrading: running v1\.32\.0/);
    // Control plane there, machines not: still Upgrading, the message says what the MachineSets wait for.
    adv = pass(s, adv.rows, cluster(TO, [set('w', { kubelet: FROM })]), 20);
    assert.equal(adv.rows[0].state, 'Upgrading');
    assert.equal(adv.rows[0].message, 'control plane Ready at v1.33.13; MachineSets at v1.33.13: 0/1; w asks for kubelet v1.32.0');
    assert.deepEqual(
      adv.inFlight.map((r) => r.name),
      ['a'],
    );
    adv = pass(s, adv.rows, cluster(TO, [set('w', { kubelet: TO, gen: 2, updated: 1 })]), 30);
    assert.equal(adv.rows[0].state, 'Upgrading');
    adv = pass(s, adv.rows, cluster(TO, [set('w', { kubelet: TO, gen: 2 })]), 40);
    assert.equal(adv.rows[0].state, 'Soaking');
    assert.equal(adv.rows[0].readySince, '2026-01-01T00:00:40Z', 'the soak counts from when the machines got there');
    adv = pass(s, adv.rows, cluster(TO, [set('w', { kubelet: TO, gen: 2 })]), 71);
    assert.equal(adv.rows[0].state, 'Succeeded');
  });

  it('without includeMachines the same cluster soaks as soon as its control plane is Ready (the control)', () => {
    const adv = pass(spec({ includeMachines: false }), [row()], cluster(TO, [set('w', { kubelet: FROM })]), 20);
    assert.equal(adv.rows[0].state, 'Soaking');
  });

  it('machines that never get there miss the deadline; one that falls behind during the soak degrades the cluster', () => {
    const s = spec();
    const late = pass(s, [row()], cluster(TO, [set('w', { kubelet: TO, gen: 2, updated: 0 })]), 601);
    assert.equal(late.rows[0].state, 'Failed');
    assert.equal(
      late.rows[0].message,
      'ProgressDeadlineExceeded: not Ready at v1.33.13 within 600s ' +
        '(control plane Ready at v1.33.13; MachineSets at v1.33.13: 0/1; w 0/2 machines updated)',
    );
    const soaking = row({ state: 'Soaking', readySince: at(40).toISOString() });
    const degraded = pass(s, [soaking], cluster(TO, [set('w', { kubelet: TO, gen: 2, updated: 1 })]), 50);
    assert.equal(degraded.rows[0].state, 'Failed');
    assert.match(degraded.rows[0].message!, /^DegradedDuringSoak: MachineSets at v1\.33\.13: 0\/1; w 1\/2 machines updated/);
  });

  it('a control plane already at the target with machines behind starts (machines only), not Succeeded', () => {
    const f = cluster(TO, [set('w', { kubelet: FROM })]);
    const pending: RolloutClusterStatus = { namespace: 'ns', name: 'a', wave: 'all', state: 'Pending' };
    const adv = pass(spec(), [pending], f, 0);
    assert.deepEqual([adv.rows[0].state, adv.rows[0].from, adv.rows[0].to], ['Upgrading', TO, TO]);
    assert.equal(adv.rows[0].message, "spec.version v1.33.13 → v1.33.13, then the MachineSets' kubelet");
    const already = pass(spec(), [pending], cluster(TO, [set('w', { kubelet: TO })]), 0);
    assert.equal(already.rows[0].state, 'Succeeded');
  });
});
