// FleetRollout spec.includeMachines on a real API server (issue 17: "MachineSets follow the control plane before the
// cluster counts as done"). What is real: the kube-apiserver and etcd, the CRDs (the MachineSet's components list
// merged by key), the rollout operator, its MachineSet watch and its server-side applies. Played by the test: the
// cluster operator's status (Ready at a version, as windows.test.ts does) and the machine operator's MachineSet
// status (updated machines for the generation it saw); the machine operator's own rollout of a template change is
// tested in test/integration/machine/.
// - m (v1.32.0) with MachineSets `workers` (kubelet v1.32.0, 2 machines) and `plain` (no kubelet component); a
//   MachineSet of another cluster beside them.
// - The rollout asks m for v1.33.13; only once the control plane reports Ready at it is the kubelet of `workers` set
//   (containerd kept); m soaks only after `workers` reports both machines updated; `plain` and the other cluster's
//   set are never touched.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { MachineSet } from '../../../src/api';
import { kubernetesVersion } from '../../../src/catalog/versions';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { applyObject, readObject } from '../../../src/kube';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { API, FROM, TO, rolloutAccessors, startRolloutControlPlane, type Rollout } from './support';

const NS = 'machines';
const SOAK_S = 2;

type Set = MachineSet & KubernetesObject;

describe('FleetRollout includeMachines: MachineSets follow the control plane on a real API server', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  const { objects, apply, readBC, clusterStatus, rolloutWhere: where, readyClusterAtFrom } = rolloutAccessors(() => kc, NS);
  const readSet = async (name: string) =>
    (await readObject<Set>(objects(), { apiVersion: API, kind: 'MachineSet', metadata: { name, namespace: NS } }))!;
  const kubeletOf = (s: Set) => s.spec.template.spec.components?.find((c) => c.name === 'kubelet')?.version;

  /** The machine operator's report, played by the test: `updated` of 2 machines on the set's current template. */
  const setStatus = async (name: string, updated: number) => {
    const s = await readSet(name);
    await applyStatus(kc, { apiVersion: API, kind: 'MachineSet', metadata: { name, namespace: NS } }, 'machinesets', {
      replicas: 2,
      readyReplicas: 2,
      updatedReplicas: updated,
      observedGeneration: s.metadata.generation,
    });
  };

  const machineSet = (name: string, cluster: string, components: unknown[]) =>
    apply({
      apiVersion: API,
      kind: 'MachineSet',
      metadata: { name, namespace: NS },
      spec: { clusterRef: { name: cluster }, replicas: 2, template: { spec: { provider: 'kwok', role: 'worker', components } } },
    });

  const rolloutWhere = (what: string, ok: (r: Rollout) => boolean) => where('with-machines', what, ok);
  const rowOf = (r: Rollout) => r.status?.clusters?.find((x) => x.name === 'm');

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    await applyObject(objects(), kubernetesVersion(FROM) as unknown as KubernetesObject);
    for (const [name, env] of [
      ['m', 'prod'],
      ['other', 'dev'],
    ]) {
      await readyClusterAtFrom(name, { env });
    }
    await machineSet('workers', 'm', [
      { name: 'containerd', version: '1.7.9' },
      { name: 'kubelet', version: FROM },
    ]);
    await machineSet('plain', 'm', [{ name: 'containerd' }]);
    await machineSet('others', 'other', [{ name: 'kubelet', version: FROM }]);
    for (const s of ['workers', 'plain', 'others']) await setStatus(s, 2);
    op = await startRolloutOperator({ kc });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('the kubelet follows only a control plane Ready at the target; the cluster soaks once every machine is updated', async function () {
    this.timeout(300_000);
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: 'with-machines' },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'prod' } } },
        waves: [{ name: 'all', clusters: '100%', soak: `${SOAK_S}s` }],
        includeMachines: true,
        progressDeadline: '5m',
      },
    });
    await waitFor('m asked for the target', async () => ((await readBC('m')).spec.version === TO ? true : undefined), {
      timeoutMs: 60_000,
    });
    const started = await rolloutWhere('m upgrading', (r) => rowOf(r)?.state === 'Upgrading');
    // The start's message, or the next pass's once it has seen the new spec (the rollout does not wake on its own write).
    assert.match(
      rowOf(started)!.message!,
      /^(upgrading: running v1\.32\.0|spec\.version v1\.32\.0 → v1\.33\.13, then the MachineSets' kubelet$)/,
    );
    // The control plane has not reported the target: a kubelet newer than its API server is never asked for.
    assert.equal(kubeletOf(await readSet('workers')), FROM);

    await clusterStatus('m', TO, 2);
    await waitFor('workers asked for the target kubelet', async () => (kubeletOf(await readSet('workers')) === TO ? true : undefined), {
      timeoutMs: 60_000,
    });
    const workers = await readSet('workers');
    assert.deepEqual(workers.spec.template.spec.components, [
      { name: 'containerd', version: '1.7.9' },
      { name: 'kubelet', version: TO },
    ]);
    assert.equal(workers.metadata.generation, 2);
    const lagging = await rolloutWhere('waits for the machines', (r) => /MachineSets at/.test(rowOf(r)?.message ?? ''));
    assert.equal(rowOf(lagging)!.state, 'Upgrading');
    assert.equal(rowOf(lagging)!.message, `control plane Ready at ${TO}; MachineSets at ${TO}: 0/1; workers 0/2 machines updated`);

    await setStatus('workers', 1);
    await rolloutWhere('one machine updated', (r) => /workers 1\/2 machines updated/.test(rowOf(r)?.message ?? ''));
    const allUpdated = Date.now();
    await setStatus('workers', 2);
    const done = await rolloutWhere('Succeeded', (r) => r.status?.phase === 'Succeeded');
    const row = rowOf(done)!;
    assert.deepEqual([row.state, row.from, row.to], ['Succeeded', FROM, TO]);
    // Second-resolution timestamps on status: the soak began no earlier than the second the machines got there.
    assert.ok(
      Date.parse(row.readySince!) >= Math.floor(allUpdated / 1000) * 1000,
      `soak began after all machines were updated (${row.readySince})`,
    );
    assert.ok(Date.parse(row.finishedAt!) - Date.parse(row.readySince!) >= SOAK_S * 1000);
    assert.equal((await readSet('plain')).metadata.generation, 1, 'a set without a kubelet component is left alone');
    assert.equal(kubeletOf(await readSet('others')), FROM, "another cluster's set is not touched");
    assert.equal((await readSet('workers')).metadata.generation, 2, 'workers changed once');
  });
});
