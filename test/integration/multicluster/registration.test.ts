// OCM registration on real processes (support.ts: a real meta control plane, business clusters whose kube-apiserver,
// controller-manager and scheduler run through the pod runner, the real OCM v1.0.0 hub and one real hosted agent per
// cluster (`registration-operator agent`), all run by the pod runner from the binaries built from hack/bins/ocm):
// - three BusinessClusters become ManagedClusters, Joined and Available as the hub reports them, with kokpit's
//   labels, and the BusinessCluster's ManagedCluster condition says so;
// - a ManifestWork to one cluster is Applied and its ConfigMap exists in that business cluster;
// - deleting one BusinessCluster leaves no ManagedCluster, agent, credentials, hub namespace or finalizer;
// - `register: false` detaches another the same way and the BusinessCluster stays, without the condition or finalizer.
import * as assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import { readObject } from '../../../src/kube';
import { AGENT_NAMESPACE, agentNames, managedClusterName } from '../../../src/operators/multicluster/names';
import { kokpitUserAgent } from '../../../src/kube';
import { AuditWrites, describeWrites } from '../../support/audit-writes';
import { readCluster } from '../cluster/support';
import { applyHelloWork, cond, mcRef, startMulticlusterEnv, type MC, type MulticlusterEnv } from './support';

const NS = 'fleet';
const API = 'kokpit.dev/v1alpha1';
const CLUSTERS = ['a', 'b', 'c'];

describe('multicluster: business clusters registered with a real OCM hub, agents hosted in the meta cluster', function () {
  let env: MulticlusterEnv;
  let cp: ControlPlane;
  let kc: KubeConfig;
  const log = (l: string) => env.log(l);
  const objects = () => env.objects();

  /** What is left of a cluster's registration (and the BusinessCluster itself, when `bc` is given). */
  async function leftovers(mc: string, bc?: string): Promise<string[]> {
    const n = agentNames(mc);
    const exists = async (ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, what: string) =>
      (await readObject(objects(), ref)) ? [what] : [];
    return [
      ...(bc ? await exists({ apiVersion: API, kind: 'BusinessCluster', metadata: { name: bc, namespace: NS } }, 'BusinessCluster') : []),
      ...(await exists(mcRef(mc), 'ManagedCluster')),
      ...(await exists(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: n.deployment, namespace: AGENT_NAMESPACE } },
        'agent',
      )),
      ...(await exists({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: mc } }, `namespace ${mc}`)),
      ...(await exists(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: n.managedKubeconfigSecret, namespace: AGENT_NAMESPACE } },
        'kubeconfig',
      )),
      ...(await exists(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: n.hubKubeconfigSecret, namespace: AGENT_NAMESPACE } },
        'hub kubeconfig',
      )),
      ...(
        await kc
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `open-cluster-management.io/cluster-name=${mc}` })
      ).items.map((p) => `pod ${p.metadata?.name}`),
    ];
  }

  before(async function () {
    this.timeout(900_000);
    env = await startMulticlusterEnv({
      namespace: NS,
      clusters: CLUSTERS.map((n) => ({
        name: n,
        labels: { env: n === 'c' ? 'prod' : 'dev' },
        multicluster: { leaseDurationSeconds: 20, ...(n === 'c' ? { clusterSet: 'prod' } : {}) },
      })),
    });
    ({ cp, kc } = env);
  });

  after(async function () {
    this.timeout(120_000);
    await env?.stop();
  });

  it('three BusinessClusters become ManagedClusters, Joined and Available on the hub, labelled by kokpit', async function () {
    this.timeout(900_000);
    const all = await waitFor(
      'three ManagedClusters Joined and Available',
      async (st) => {
        const mcs = await Promise.all(CLUSTERS.map((n) => readObject<MC>(objects(), mcRef(managedClusterName(NS, n)))));
        const bcs = await Promise.all(CLUSTERS.map((n) => readCluster(kc, NS, n)));
        st.lastReason = CLUSTERS.map((n, i) => {
          const c = bcs[i].status?.conditions?.find((x) => x.type === 'ManagedCluster');
          const available = cond(mcs[i], 'ManagedClusterConditionAvailable');
          return `${n}: Joined=${cond(mcs[i], 'ManagedClusterJoined')} Available=${available} (${c?.reason}: ${c?.message})`;
        }).join('; ');
        const ok = mcs.every((m) => cond(m, 'ManagedClusterJoined') === 'True' && cond(m, 'ManagedClusterConditionAvailable') === 'True');
        return ok ? mcs : undefined;
      },
      { timeoutMs: 840_000, intervalMs: 2000 },
    );
    log('three ManagedClusters Joined and Available');
    for (const [i, n] of CLUSTERS.entries()) {
      const mc = all[i]!;
      assert.equal(mc.metadata?.name, `fleet-${n}`);
      assert.equal(mc.spec?.hubAcceptsClient, true);
      assert.equal(mc.spec?.leaseDurationSeconds, 20);
      assert.equal(mc.metadata?.labels?.['kokpit.dev/namespace'], NS);
      assert.equal(mc.metadata?.labels?.['kokpit.dev/cluster'], n);
      assert.equal(mc.metadata?.labels?.['kokpit.dev/kubernetes-version'], 'v1.33.13');
      assert.equal(mc.metadata?.labels?.env, n === 'c' ? 'prod' : 'dev');
    }
    assert.equal(all[2]!.metadata?.labels?.['cluster.open-cluster-management.io/clusterset'], 'prod');
    assert.ok(
      await readObject(objects(), {
        apiVersion: 'cluster.open-cluster-management.io/v1beta2',
        kind: 'ManagedClusterSet',
        metadata: { name: 'prod' },
      }),
    );
    // Both field managers' conditions on one list: the multicluster operator's ManagedCluster beside the cluster
    // operator's Ready (which may come later: the agent needs only the business apiserver).
    await waitFor(
      'ManagedCluster and Ready True on every BusinessCluster',
      async (st) => {
        const bcs = await Promise.all(CLUSTERS.map((n) => readCluster(kc, NS, n)));
        const status = (c: (typeof bcs)[number], type: string) => c.status?.conditions?.find((x) => x.type === type)?.status;
        st.lastReason = bcs
          .map((c) => `${c.metadata?.name}: ManagedCluster=${status(c, 'ManagedCluster')} Ready=${status(c, 'Ready')}`)
          .join('; ');
        return bcs.every((c) => status(c, 'ManagedCluster') === 'True' && status(c, 'Ready') === 'True') || undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
  });

  it('a steady pass writes nothing: no write of the multicluster operator while the clusters stay Available', async function () {
    this.timeout(120_000);
    // Longer than the test's steady pace (10 s): every cluster gets at least one full pass in the window.
    const { writes } = await new AuditWrites(cp).during(
      { userAgent: kokpitUserAgent('multicluster-operator') },
      () => new Promise((r) => setTimeout(r, 12_000)),
    );
    assert.equal(writes.length, 0, describeWrites(writes));
  });

  it('a ManifestWork to one cluster is Applied and its ConfigMap exists in that business cluster', async function () {
    this.timeout(300_000);
    const mc = managedClusterName(NS, 'a');
    await applyHelloWork(objects(), mc);
    const business = await env.businessKubeConfig('a');
    const cm = await business.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'hello', namespace: 'default' });
    assert.deepEqual(cm.data, { from: 'hub' });
  });

  it('deleting a BusinessCluster leaves no ManagedCluster, agent, credentials, hub namespace or finalizer', async function () {
    this.timeout(600_000);
    const mc = managedClusterName(NS, 'b');
    await objects().delete({ apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'b', namespace: NS } } as KubernetesObject);
    await waitFor(
      'BusinessCluster b, ManagedCluster, agent and its pod, Secrets and hub namespace gone',
      async (st) => {
        const left = await leftovers(mc, 'b');
        st.lastReason = `left: ${left.join(', ')}`;
        return left.length === 0 || undefined;
      },
      { timeoutMs: 540_000, intervalMs: 2000 },
    );
    // The others are untouched.
    for (const other of ['a', 'c']) {
      const live = await readObject<MC>(objects(), mcRef(managedClusterName(NS, other)));
      assert.equal(cond(live, 'ManagedClusterConditionAvailable'), 'True', `${other} still Available`);
    }
  });
  it('register: false detaches a cluster the same way; the BusinessCluster stays, without the condition or finalizer', async function () {
    this.timeout(300_000);
    const mc = managedClusterName(NS, 'c');
    await objects().patch(
      {
        apiVersion: API,
        kind: 'BusinessCluster',
        metadata: { name: 'c', namespace: NS },
        spec: { multicluster: { register: false } },
      } as KubernetesObject,
      undefined,
      undefined,
      'kokpit-test',
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(
      'c deregistered',
      async (st) => {
        const left = await leftovers(mc);
        const c = await readCluster(kc, NS, 'c');
        if (c.metadata?.finalizers?.includes('kokpit.dev/multicluster')) left.push('finalizer');
        if (c.status?.conditions?.some((x) => x.type === 'ManagedCluster')) left.push('condition');
        st.lastReason = `left: ${left.join(', ')}`;
        return left.length === 0 || undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2000 },
    );
    const c = await readCluster(kc, NS, 'c');
    assert.equal(c.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True', 'the cluster itself is untouched');
  });
});
