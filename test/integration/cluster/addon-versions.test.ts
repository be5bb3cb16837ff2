// Addon versions side by side, on real API servers: two versions of one addon imported as two Addons
// (`kokpit addons import` of the second leaves the first untouched); cluster A pinned to 1.0.0 and
// cluster B to 2.0.0 each get their own objects; moving B's pin moves only B (what 1.0.0 rendered and
// 2.0.0 does not is pruned from B, A keeps it); a pinned version removed from the catalog reports
// AddonVersionNotFound and deletes nothing; and AddonsReady stays False (AddonNotAvailable, naming the
// workload) until the addon's Deployment and DaemonSet rolled out.
//
// What is real and what stands in, said plainly: two kube-apiservers (each on its own etcd) play the
// business clusters A and B; A's also holds the meta side (the CRDs and the Addons), since the catalog is
// only listed. The pass is the addons step's own code (runAddonsPass + addonsCondition, addons-pass.ts);
// the full path through the reconciler is in podrunner.test.ts. There is no kube-controller-manager and
// no kubelet (the Node the test creates is an object only), so nothing ever rolls a workload out by
// itself: the test writes the Deployment's and the DaemonSet's status through their /status
// subresource, as the controllers and kubelets would.
import * as assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject, type V1DaemonSet, type V1Deployment } from '@kubernetes/client-node';
import { API_VERSION, type Addon } from '../../../src/api';
import { importAddon } from '../../../src/cli/commands/addons';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { Applier } from '../../../src/kit';
import { listObjects, makeObjectApi, readObject, withUserAgent } from '../../../src/kube';
import { addonsCondition, runAddonsPass } from '../../../src/operators/cluster/addons-pass';
import type { AddonFacts } from '../../../src/operators/cluster/render/addons';
import { AGENTS } from '../../support/audit-writes';

const labels = '{ kokpit.dev/addon: demo, app.kubernetes.io/managed-by: kokpit }';
const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: demo, namespace: kube-system, labels: ${labels} }
spec:
  replicas: 2
  selector: { matchLabels: { app: demo } }
  template:
    metadata: { labels: { app: demo } }
    spec: { containers: [{ name: demo, image: ${image} }] }
`;
const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: kube-system, labels: ${labels} }
data: { cluster: "{{ .cluster.name }}" }
`;
const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: demo-agent, namespace: kube-system, labels: ${labels} }
spec:
  selector: { matchLabels: { app: demo-agent } }
  template:
    metadata: { labels: { app: demo-agent } }
    spec: { containers: [{ name: agent, image: example.com/demo-agent:2.0.0 }] }
`;
const addonVersion = (name: string, version: string, manifests: string[], extra: Partial<Addon['spec']> = {}): Addon =>
  ({
    apiVersion: API_VERSION,
    kind: 'Addon',
    metadata: { name },
    spec: { version, ...extra, manifests: manifests.join('---\n') },
  }) as Addon;
// 1.0.0 is the Addon written before versions existed (named after the addon, no spec.name); 2.0.0 is a new object.
const v1 = addonVersion('demo', '1.0.0', [configMap('demo-v1'), deployment('example.com/demo:1.0.0')]);
const v2 = addonVersion('demo-2.0.0', '2.0.0', [configMap('demo-v2'), deployment('example.com/demo:2.0.0'), daemonSet], { name: 'demo' });

const facts = (name: string): AddonFacts => ({
  cluster: {
    name,
    namespace: 'fleet',
    version: 'v1.33.13',
    endpoint: 'https://10.0.0.1:6443',
    serviceCIDR: '10.96.0.0/12',
    podCIDR: '10.244.0.0/16',
    dnsDomain: 'cluster.local',
    dnsServiceIP: '10.96.0.10',
    kubernetesServiceIP: '10.96.0.1',
  },
  images: { kubeAPIServer: '', kubeControllerManager: '', kubeScheduler: '', kubeProxy: '', coreDNS: '', pause: '' },
});

describe('addon versions side by side on real API servers', function () {
  let a: ControlPlane;
  let b: ControlPlane;
  let meta: KubeConfig;
  const log = (l: string) => process.stderr.write(`  ${l}\n`);

  before(async () => {
    [a, b] = await Promise.all([
      startControlPlane({ log: (l) => log(`[business A] ${l}`) }),
      startControlPlane({ log: (l) => log(`[business B] ${l}`) }),
    ]);
    meta = a.kubeConfig();
    await installCRDs(meta);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const clusters = () => ({ A: a.kubeConfig(), B: b.kubeConfig() });
  /** One addons pass for a cluster, as the addons step runs it (the catalog listed from the meta API server). */
  const pass = async (cluster: 'A' | 'B', version: string | undefined) => {
    const business = new Applier(makeObjectApi(withUserAgent(clusters()[cluster], AGENTS.cluster)));
    const catalog = await listObjects<Addon & KubernetesObject>(makeObjectApi(meta), API_VERSION, 'Addon');
    const hasNodes = async () => (await clusters()[cluster].makeApiClient(CoreV1Api).listNode({ limit: 1 })).items.length > 0;
    const r = await runAddonsPass(business, [{ name: 'demo', ...(version ? { version } : {}) }], catalog, facts(cluster), hasNodes);
    return { ...r, condition: addonsCondition(r.problems, r.results.length, r.nodeless) };
  };
  const configMaps = async (cluster: 'A' | 'B') =>
    (
      await listObjects(makeObjectApi(clusters()[cluster]), 'v1', 'ConfigMap', {
        namespace: 'kube-system',
        labelSelector: 'kokpit.dev/addon=demo',
      })
    )
      .map((o) => o.metadata!.name)
      .sort();
  const image = async (cluster: 'A' | 'B') =>
    (await clusters()[cluster].makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'demo', namespace: 'kube-system' })).spec!.template
      .spec!.containers[0].image;
  /** What the deployment controller and kubelets would write once every replica of the current generation runs. */
  const rollOutDeployment = async (cluster: 'A' | 'B', available: number) => {
    const apps = clusters()[cluster].makeApiClient(AppsV1Api);
    const d: V1Deployment = await apps.readNamespacedDeployment({ name: 'demo', namespace: 'kube-system' });
    const n = d.spec!.replicas!;
    d.status = {
      observedGeneration: d.metadata!.generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: available,
      availableReplicas: available,
    };
    await apps.replaceNamespacedDeploymentStatus({ name: 'demo', namespace: 'kube-system', body: d });
  };
  const rollOutDaemonSet = async (cluster: 'A' | 'B', available: number, desired: number) => {
    const apps = clusters()[cluster].makeApiClient(AppsV1Api);
    const ds: V1DaemonSet = await apps.readNamespacedDaemonSet({ name: 'demo-agent', namespace: 'kube-system' });
    ds.status = {
      observedGeneration: ds.metadata!.generation,
      currentNumberScheduled: desired,
      desiredNumberScheduled: desired,
      updatedNumberScheduled: desired,
      numberMisscheduled: 0,
      numberReady: available,
      numberAvailable: available,
      ...(desired > available ? { numberUnavailable: desired - available } : {}),
    };
    await apps.replaceNamespacedDaemonSetStatus({ name: 'demo-agent', namespace: 'kube-system', body: ds });
  };

  it('two versions coexist: importing 2.0.0 leaves the 1.0.0 Addon untouched', async () => {
    const objects = makeObjectApi(meta);
    assert.equal(await importAddon(objects, v1, false), 'created');
    const before = await readObject(objects, { apiVersion: API_VERSION, kind: 'Addon', metadata: { name: 'demo' } });
    assert.equal(await importAddon(objects, v2, false), 'created');
    assert.equal(await importAddon(objects, v2, false), 'unchanged');
    const after = await readObject(objects, { apiVersion: API_VERSION, kind: 'Addon', metadata: { name: 'demo' } });
    assert.equal(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion, 'the 1.0.0 Addon was not written');
    const all = await listObjects<Addon & KubernetesObject>(objects, API_VERSION, 'Addon');
    assert.deepEqual(all.map((x) => `${x.metadata.name}=${x.spec.name ?? x.metadata.name}@${x.spec.version}`).sort(), [
      'demo-2.0.0=demo@2.0.0',
      'demo=demo@1.0.0',
    ]);
  });

  it('A pinned to 1.0.0 and B to 2.0.0 each get their own objects; not Ready until the workloads roll out', async () => {
    // No Node yet (machines join after the control plane): applied, said so, and the addon itself not ready.
    const nodeless = await pass('A', '1.0.0');
    assert.deepEqual(
      [nodeless.condition.status, nodeless.condition.reason, nodeless.results[0].ready],
      ['True', 'AddonsAppliedNoNodes', false],
    );
    assert.match(
      nodeless.condition.message,
      /^1 applied; the cluster has no nodes yet: addon demo: Deployment kube-system\/demo waits for a node$/,
    );
    // A Node object is all the rule looks at (no kubelet here; see the header).
    for (const kc of [clusters().A, clusters().B]) await kc.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: 'node-1' } } });
    const pa = await pass('A', '1.0.0');
    const pb = await pass('B', '2.0.0');
    assert.deepEqual(await configMaps('A'), ['demo-v1']);
    assert.deepEqual(await configMaps('B'), ['demo-v2']);
    assert.equal(await image('A'), 'example.com/demo:1.0.0');
    assert.equal(await image('B'), 'example.com/demo:2.0.0');
    assert.equal(pa.results[0].version, '1.0.0');
    assert.equal(pb.results[0].version, '2.0.0');
    // Applied, but nothing rolled out yet: False with the workload and what it waits for.
    assert.equal(pa.condition.status, 'False');
    assert.equal(pa.condition.reason, 'AddonNotAvailable');
    assert.equal(
      pa.condition.message,
      'addon demo: Deployment kube-system/demo waits for its controller to observe the current generation',
    );
    assert.equal(pa.results[0].ready, false);
    assert.ok(pa.condition.waiting, 'waiting requeues after the wait, not the failure back-off');
  });

  it('AddonsReady stays False while a workload is not available, and turns True once each rolled out', async () => {
    await rollOutDeployment('A', 1);
    let pa = await pass('A', '1.0.0');
    assert.equal(pa.condition.message, 'addon demo: Deployment kube-system/demo waits for 1 of 2 replicas available');
    await rollOutDeployment('A', 2);
    pa = await pass('A', '1.0.0');
    assert.deepEqual([pa.condition.status, pa.condition.reason, pa.results[0].ready], ['True', 'AddonsAvailable', true]);

    // B's 2.0.0 has a DaemonSet too: the Deployment alone is not enough.
    await rollOutDeployment('B', 2);
    await rollOutDaemonSet('B', 2, 3);
    let pb = await pass('B', '2.0.0');
    assert.equal(pb.condition.reason, 'AddonNotAvailable');
    assert.equal(pb.condition.message, 'addon demo: DaemonSet kube-system/demo-agent waits for 2 of 3 pods available');
    await rollOutDaemonSet('B', 3, 3);
    pb = await pass('B', '2.0.0');
    assert.deepEqual([pb.condition.status, pb.results[0].ready], ['True', true]);
  });

  it("changing B's pin to 1.0.0 moves only B: 2.0.0's objects are pruned from B, A is untouched", async () => {
    const aDeploy = await clusters().A.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'demo', namespace: 'kube-system' });
    const pb = await pass('B', '1.0.0');
    assert.deepEqual(await configMaps('B'), ['demo-v1']);
    assert.equal(await image('B'), 'example.com/demo:1.0.0');
    const gone = await readObject(makeObjectApi(clusters().B), {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'demo-agent', namespace: 'kube-system' },
    });
    assert.ok(!gone || gone.metadata?.deletionTimestamp, 'the DaemonSet only 2.0.0 renders is deleted');
    // The template changed: a new generation the (absent) controller has not observed, so not Ready.
    assert.equal(pb.condition.reason, 'AddonNotAvailable');
    const aAfter = await clusters().A.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'demo', namespace: 'kube-system' });
    assert.equal(aAfter.metadata?.resourceVersion, aDeploy.metadata?.resourceVersion, "A's Deployment was not written");
    assert.deepEqual(await configMaps('A'), ['demo-v1']);
  });

  it('unpinned follows the default marker; a pinned version removed from the catalog deletes nothing and says so', async () => {
    // Marking 2.0.0 default moves the clusters that pin nothing (here A, once unpinned).
    await importAddon(makeObjectApi(meta), { ...v2, spec: { ...v2.spec, default: true } }, false);
    await pass('A', undefined);
    assert.equal(await image('A'), 'example.com/demo:2.0.0');
    assert.deepEqual(await configMaps('A'), ['demo-v2']);
    // 1.0.0 leaves the catalog while B still pins it.
    await makeObjectApi(meta).delete({ apiVersion: API_VERSION, kind: 'Addon', metadata: { name: 'demo' } });
    const pb = await pass('B', '1.0.0');
    assert.equal(pb.condition.status, 'False');
    assert.equal(pb.condition.reason, 'AddonVersionNotFound');
    assert.match(pb.condition.message, /^addon demo: pinned version 1\.0\.0 is not in the catalog \(there: 2\.0\.0\)/);
    assert.deepEqual(await configMaps('B'), ['demo-v1'], 'what 1.0.0 applied stays in B');
    assert.equal(await image('B'), 'example.com/demo:1.0.0');
  });
});
