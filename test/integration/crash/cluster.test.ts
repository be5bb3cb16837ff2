// The cluster operator killed for real: `kokpit operator` runs as a child process and is SIGKILLed right
// after a named write of each step of its pass (seen in the meta API server's audit log, or for the steps
// inside the business cluster in its etcd), then started again; one business cluster is created once and
// passes every point in order, one restart each. The business control plane is real (its etcd run by the
// etcd operator of the same manager, kube-apiserver, controller-manager and scheduler run by the process
// pod runner in this test's process). After the last restart the cluster must be what a run without a
// crash makes: the rendered objects and no other, one ReplicaSet per Deployment (no needless rollout),
// no certificate issued twice, every condition True for the current generation, and a pass that writes
// nothing. KOKPIT_CRASH_POINTS=a,b (or random:N, by the printed seed; KOKPIT_TEST_SEED replays) chooses.
import * as assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, PatchStrategy, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import type { Etcd3, Watcher } from 'etcd3';
import { waitFor } from '../../../src/controlplane';
import { applyObject, listObjects, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { renderBusinessCluster } from '../../../src/local/render';
import { decodeInventory, INVENTORY_NAME, INVENTORY_NAMESPACE } from '../../../src/operators/cluster/addon-inventory';
import { CONDITION_TYPES } from '../../../src/operators/cluster/conditions';
import { names } from '../../../src/operators/cluster/names';
import { LABEL_CLUSTER } from '../../../src/operators/etcd/names';
import type { BusinessCluster } from '../../../src/api';
import { AGENTS, AuditWrites, assertWriteCount } from '../../support/audit-writes';
import {
  CREATES,
  choosePoints,
  describeOutcome,
  point,
  testSeed,
  watchEtcdWrites,
  type CrashOutcome,
  type CrashPoint,
} from '../../support/crash-harness';
import { ensureNamespace, etcdClient, log, metricValue, startCrashEnv, type CrashEnv } from './support';

const NS = 'crash';
const NAME = 'kc';
const SPEC = {
  version: 'v1.33.13',
  etcd: { managed: { replicas: 1 } },
  apiServer: { service: { type: 'NodePort' } },
  addons: [{ name: 'coredns', parameters: { replicas: 1 } }, { name: 'kube-proxy' }],
};
const CLUSTER = { apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', metadata: { name: NAME, namespace: NS }, spec: SPEC };

const meta = (name: string, what: string, resource: string, objectName: string) =>
  point(name, what, { resource, namespace: NS, name: objectName, verbs: CREATES, userAgent: AGENTS.cluster });
const business = (name: string, what: string, resource: string, namespace: string | undefined, objectName: string) =>
  point(name, what, { source: 'business', resource, namespace, name: objectName, verbs: ['create'] });

/**
 * Every step that writes, in pass order. catalog, network and control-plane-ready write nothing of their own
 * (their verdicts reach the API server in the status write at the end of the pass: `cluster/status`).
 */
const POINTS: CrashPoint[] = [
  meta('cluster/etcd', 'the managed EtcdCluster created', 'etcdclusters', names.etcd(NAME)),
  point('cluster/status', 'the first status write (the pass stopped waiting for etcd)', {
    resource: 'businessclusters/status',
    namespace: NS,
    name: NAME,
    userAgent: AGENTS.cluster,
  }),
  meta('cluster/apiserver-service', 'the apiserver Service created', 'services', names.apiServer(NAME)),
  meta('cluster/pki:first', 'the cluster CA written, before every other certificate', 'secrets', names.cert(NAME, 'ca')),
  meta('cluster/pki:last', 'the last kubeconfig written, after every certificate', 'secrets', names.kubeconfig(NAME, 'scheduler')),
  meta('cluster/apiserver', 'the kube-apiserver Deployment created', 'deployments', names.apiServer(NAME)),
  meta(
    'cluster/controllers:first',
    'the controller-manager Deployment, before the scheduler',
    'deployments',
    names.controllerManager(NAME),
  ),
  meta('cluster/controllers:last', 'the scheduler Deployment, after the controller-manager', 'deployments', names.scheduler(NAME)),
  business('cluster/cluster-bootstrap:first', 'cluster-info, the first join object', 'configmaps', 'kube-public', 'cluster-info'),
  business(
    'cluster/cluster-bootstrap:last',
    'the last join object (a ClusterRoleBinding)',
    'clusterrolebindings',
    undefined,
    'kubeadm:node-autoapprove-certificate-rotation',
  ),
  business(
    'cluster/addons:first',
    'the addon inventory, recorded before any addon object',
    'configmaps',
    INVENTORY_NAMESPACE,
    INVENTORY_NAME,
  ),
  business('cluster/addons:last', 'the kube-proxy DaemonSet, the last addon object', 'daemonsets', 'kube-system', 'kube-proxy'),
];

type Cluster = BusinessCluster & KubernetesObject;
const KINDS: Record<string, string> = { secrets: 'Secret', services: 'Service', deployments: 'Deployment', etcdclusters: 'EtcdCluster' };

describe('crash: the cluster operator SIGKILLed at named points of its pass (real processes)', function () {
  let env: CrashEnv;
  let watcher: Watcher | undefined;
  let etcd: Etcd3 | undefined;
  const outcomes: CrashOutcome[] = [];
  const timings: string[] = [];

  before(async function () {
    const t = Date.now();
    env = await startCrashEnv('cluster');
    await ensureNamespace(env.kc, NS);
    timings.push(`environment ${Date.now() - t} ms`);
  });
  after(async () => {
    for (const t of timings) log(`timing: ${t}`);
    await watcher?.cancel().catch(() => {});
    etcd?.close();
    await env?.stop();
  });

  const objects = () => makeObjectApi(env.kc);
  const readCluster = async () =>
    (await readObject<Cluster>(objects(), {
      apiVersion: CLUSTER.apiVersion,
      kind: 'BusinessCluster',
      metadata: { name: NAME, namespace: NS },
    }))!;
  const pkiSecrets = async () =>
    listObjects<V1Secret & KubernetesObject>(objects(), 'v1', 'Secret', {
      namespace: NS,
      labelSelector: `kokpit.dev/cluster=${NAME},kokpit.dev/pki`,
    });
  /** The business cluster's etcd, watched from its first revision (writes before the watch are replayed). */
  const openBusinessWatch = async () => {
    if (watcher) return;
    etcd = await etcdClient(env.kc, NS, names.etcd(NAME));
    watcher = await watchEtcdWrites(etcd, 'business', env.harness.feed);
  };

  it('converges after a SIGKILL at each chosen point: same objects, no certificate re-issued, 0 steady writes', async function () {
    const seed = testSeed(log);
    const points = choosePoints(POINTS, seed, log);
    const issued = new Map<string, string>();
    const reissued: string[] = [];
    // Certificates and keys, once written, never change: a restart reads them back instead of issuing again.
    const checkSecrets = async (when: string) => {
      for (const s of await pkiSecrets()) {
        const data = JSON.stringify(Object.entries(s.data ?? {}).sort());
        const before = issued.get(s.metadata!.name!);
        if (before !== undefined && before !== data) reissued.push(`${s.metadata!.name} (${when})`);
        issued.set(s.metadata!.name!, data);
      }
    };

    const tStart = Date.now();
    await applyObject(objects(), CLUSTER as KubernetesObject, { fieldManager: 'kokpit-test' });
    for (const p of points) {
      if (p.source === 'business') await openBusinessWatch();
      const t = Date.now();
      const o = await env.harness.crashAt(p, 300_000);
      outcomes.push(o);
      log(describeOutcome(o));
      timings.push(`${p.name}: ${o.result} after ${Date.now() - t} ms`);
      await checkSecrets(`after ${p.name}`);
    }
    const killed = outcomes.filter((o) => o.result === 'killed');
    log(`${killed.length} kills, ${outcomes.length - killed.length} points passed before they were armed`);
    assert.ok(killed.length > 0, 'at least one point killed the manager');

    const tFinal = Date.now();
    env.harness.startManager();
    const converged = await waitFor(
      'every condition True for the current generation',
      async (st) => {
        const c = await readCluster();
        const conds = c.status?.conditions ?? [];
        const bad = CONDITION_TYPES.filter((t) => conds.find((x) => x.type === t)?.status !== 'True');
        const why = (t: string) => `${t} (${conds.find((x) => x.type === t)?.message ?? '-'})`;
        st.lastReason = `phase ${c.status?.phase}, not True: ${bad.map(why).join(', ')}`;
        return !bad.length && c.status?.observedGeneration === c.metadata.generation ? c : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
    timings.push(`converged ${Date.now() - tFinal} ms after the last restart, ${Date.now() - tStart} ms after creation`);
    assert.equal(converged.status?.phase, 'Running');
    for (const c of converged.status?.conditions ?? [])
      if (c.observedGeneration !== undefined) assert.equal(c.observedGeneration, converged.metadata.generation, c.type);
    await checkSecrets('converged');
    assert.deepEqual(reissued, [], `certificates issued again after a restart: ${reissued.join(', ')}`);

    await assertSameObjectsAsWithoutACrash();
    await assertBusinessObjects();
    await assertSteadyPassWritesNothing();
    log(outcomes.map(describeOutcome).join('\n  '));
  });

  /** The meta objects are exactly those `kokpit render` gives for the spec (render-parity.test.ts: = a run without a crash). */
  async function assertSameObjectsAsWithoutACrash(): Promise<void> {
    const expected = renderBusinessCluster(CLUSTER as unknown as BusinessCluster)
      .objects.filter((o) => Object.values(KINDS).includes(o.kind) && o.metadata?.namespace === NS)
      .map((o) => `${o.kind}/${o.metadata!.name}`)
      .sort();
    const owned: string[] = [];
    for (const kind of Object.entries(KINDS))
      for (const o of await listObjects(
        objects(),
        kind[1] === 'Deployment' ? 'apps/v1' : kind[1] === 'EtcdCluster' ? CLUSTER.apiVersion : 'v1',
        kind[1],
        {
          namespace: NS,
          labelSelector: `kokpit.dev/cluster=${NAME}`,
        },
      ))
        owned.push(`${kind[1]}/${o.metadata!.name}`);
    assert.deepEqual(owned.sort(), expected, 'the cluster owns exactly the rendered objects (no duplicate, none missing)');
    // Nothing the cluster operator ever wrote lies outside that list (an unlabelled or randomly named object would).
    const written = new Set(
      env.harness.events
        .filter((e) => e.source === 'meta' && e.userAgent === AGENTS.cluster && KINDS[e.resource])
        .map((e) => `${KINDS[e.resource]}/${e.name}`),
    );
    assert.deepEqual(
      [...written].filter((w) => !expected.includes(w)),
      [],
      'objects written by the cluster operator outside the rendered set',
    );
    // One ReplicaSet per Deployment: no restart changed a pod template (a re-issued certificate would roll it).
    const apps = env.kc.makeApiClient(AppsV1Api);
    for (const d of [names.apiServer(NAME), names.controllerManager(NAME), names.scheduler(NAME)]) {
      const rs = (await apps.listNamespacedReplicaSet({ namespace: NS })).items.filter((r) =>
        r.metadata?.ownerReferences?.some((o) => o.name === d),
      );
      assert.equal(rs.length, 1, `${d}: ${rs.map((r) => r.metadata?.name).join(', ')}`);
    }
    // The dedicated etcd: members == pods == claims.
    const core = env.kc.makeApiClient(CoreV1Api);
    const sel = `${LABEL_CLUSTER}=${names.etcd(NAME)}`;
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: sel })).items.map((p) => p.metadata!.name!);
    const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace: NS, labelSelector: sel })).items.map(
      (c) => c.metadata!.name!,
    );
    const members = (await etcd!.cluster.memberList({})).members.map((m) => m.name);
    assert.equal(pods.length, 1, `etcd pods: ${pods.join(', ')}`);
    assert.equal(claims.length, 1, `etcd claims: ${claims.join(', ')}`);
    assert.deepEqual(members, pods, 'etcd members are the pods');
  }

  /** Inside the business cluster: every object the inventory records exists, and no addon workload besides them. */
  async function assertBusinessObjects(): Promise<void> {
    const secret = await readObject<V1Secret & KubernetesObject>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: names.kubeconfig(NAME, 'admin'), namespace: NS },
    });
    const bkc = loadKubeConfig({ kubeconfigYaml: Buffer.from(secret!.data!.value, 'base64').toString('utf8') });
    const bcore = bkc.makeApiClient(CoreV1Api);
    const inv = decodeInventory((await bcore.readNamespacedConfigMap({ name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE })).data);
    assert.deepEqual(Object.keys(inv), ['coredns', 'kube-proxy']);
    const bobjects = makeObjectApi(bkc);
    for (const e of Object.values(inv).flat())
      assert.ok(
        await readObject(bobjects, { apiVersion: e.apiVersion, kind: e.kind, metadata: { name: e.name, namespace: e.namespace } }),
        `${e.kind} ${e.name}`,
      );
    const bapps = bkc.makeApiClient(AppsV1Api);
    const workloads = [
      ...(await bapps.listDeploymentForAllNamespaces()).items.map((d) => `Deployment/${d.metadata?.name}`),
      ...(await bapps.listDaemonSetForAllNamespaces()).items.map((d) => `DaemonSet/${d.metadata?.name}`),
    ].sort();
    const recorded = Object.values(inv)
      .flat()
      .filter((e) => e.kind === 'Deployment' || e.kind === 'DaemonSet')
      .map((e) => `${e.kind}/${e.name}`)
      .sort();
    assert.deepEqual(workloads, recorded, 'business workloads are the recorded addon objects');
  }

  /** A pass the test asks for (an annotation wakes the cluster) writes nothing: counted by the meta API server. */
  async function assertSteadyPassWritesNothing(): Promise<void> {
    const m = env.harness.manager!;
    const url = await waitFor('the manager metrics URL', async () => m.metricsURL, { timeoutMs: 30_000 });
    const audit = new AuditWrites(env.cp, 'meta');
    const passes = () => metricValue(url, 'controller_runtime_reconcile_total', { controller: 'businesscluster' });
    const before = await passes();
    const from = await audit.mark();
    await makeObjectApi(env.kc).patch(
      {
        apiVersion: CLUSTER.apiVersion,
        kind: 'BusinessCluster',
        metadata: { name: NAME, namespace: NS, annotations: { 'kokpit.dev/crash-test': String(Date.now()) } },
      },
      undefined,
      undefined,
      'kokpit-test',
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(
      'a businesscluster pass after the annotation, and an empty queue',
      async () =>
        (await passes()) > before && (await metricValue(url, 'workqueue_depth', { name: 'businesscluster' })) === 0 ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const writes = await audit.since(from, { userAgent: /^kokpit-/ });
    assertWriteCount(
      writes.filter((w) => w.userAgent === AGENTS.cluster),
      0,
      'a steady pass of the cluster operator after the restarts',
    );
    // Nor does any other kokpit operator (the etcd operator's status follows sizes in 10 % steps only).
    const others = writes.filter((w) => w.userAgent !== AGENTS.cluster);
    assertWriteCount(others, 0, 'other kokpit writes in the steady window');
  }
});
