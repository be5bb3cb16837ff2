// Run what was rendered: the cluster operator (informers + work queue) reconciles a BusinessCluster on a
// real meta control plane (etcd, kube-apiserver, kube-controller-manager); the process pod runner runs the
// rendered control-plane pods as real processes of the built binaries, against a real etcd, with the
// rendered Secrets as files. The admin kubeconfig from the Secret must reach the business apiserver, and
// an upgrade v1.32.13 → v1.33.13 must roll it.
//
// Two stand-ins, said plainly: the EtcdCluster is marked Available by the test and points at a plain etcd
// process (the etcd operator is not part of this test); and a loopback TCP proxy plays the load balancer
// in front of the apiserver pods (the pod runner has no kube-proxy), handed to the operator as the host
// endpoint. kube-controller-manager and kube-scheduler v1.32.13 cannot be built here, so before the
// upgrade their pods sit in ErrImagePull and ControlPlaneReady is False; after it they run (v1.33.13).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api, VersionApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { defaultAddons } from '../../../src/catalog';
import { PatchStrategy } from '@kubernetes/client-node';
import { applyObject, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { upgradeCluster } from '../../../src/cli/commands/upgrade';
import { decodeInventory, INVENTORY_NAME, INVENTORY_NAMESPACE } from '../../../src/operators/cluster/addon-inventory';
import { mintBootstrapToken } from '../../../src/pki/bootstrap-tokens';
import { startClusterOperator, type ClusterOperator } from '../../../src/operators/cluster/operator';
import { buildKubeconfig } from '../../../src/pki';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { KWOK_VERSION } from '../../../src/binaries/catalog';
import { installCRDs, resolveBinaries, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { AGENTS, AuditWrites, assertWriteCount } from '../../support/audit-writes';
import { createKwokNodes, kwokArgs, writeKwokConfig } from '../../../src/controlplane/kwok';
import { startProcess, tailFile, type ManagedProcess } from '../../../src/binaries/processes';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  etcdCount,
  installDefaultVersions,
  ownedObjects,
  readCluster,
  startLoopbackLB,
  startPlainEtcd,
  type PlainEtcd,
} from './support';

const NS = 'bc-run';
const NAME = 'biz';

describe('BusinessCluster control plane running as pods (process pod runner)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let runner: PodRunner;
  let lb: Awaited<ReturnType<typeof startLoopbackLB>>;
  let operator: ClusterOperator;
  let stateDir: string;
  let kwok: ManagedProcess | undefined;
  const log = (l: string) => process.stderr.write(`  ${l}\n`);

  before(async function () {
    [cp, etcd] = await Promise.all([
      startControlPlane({ controllers: true, audit: true, log: (l) => log(`[controlplane] ${l}`) }),
      startPlainEtcd(),
    ]);
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    for (const a of defaultAddons()) await applyObject(makeObjectApi(kc), a as unknown as KubernetesObject);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bc-runner-'));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
    });
    lb = await startLoopbackLB(kc, NS, `kokpit.dev/cluster=${NAME},kokpit.dev/component=apiserver`, 6443);
    const t0 = Date.now();
    const olog = (lvl: string) => (m: string) => log(`[operator +${((Date.now() - t0) / 1000).toFixed(1)}s] ${lvl} ${m}`);
    operator = await startClusterOperator({
      kc,
      hostEndpoint: () => lb.url,
      waitRequeueMs: 2000,
      log: { info: olog('info'), warn: olog('warn'), error: olog('error'), debug: () => {} },
    });
  });
  after(async () => {
    await kwok?.stop();
    await operator?.stop();
    await lb?.stop();
    await runner?.stop();
    await Promise.all([cp?.stop(), etcd?.stop()]);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const adminKubeConfig = async (purpose: 'admin' | 'superadmin' = 'admin'): Promise<KubeConfig> => {
    const s = await readObject<KubernetesObject & { data?: Record<string, string> }>(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${NAME}-${purpose}-kubeconfig`, namespace: NS },
    });
    if (!s?.data?.value) throw new Error('no admin kubeconfig Secret yet');
    return loadKubeConfig({ kubeconfigYaml: Buffer.from(s.data.value, 'base64').toString('utf8') });
  };
  /** Creates namespace `ns` through `bkc`: true, or undefined while RBAC refuses it (any other error fails). */
  const canWrite = async (bkc: KubeConfig, ns: string): Promise<true | undefined> => {
    try {
      await applyObject(makeObjectApi(bkc), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      return true;
    } catch (e) {
      if ((e as { statusCode?: number; code?: number }).statusCode === 403 || (e as { code?: number }).code === 403) return undefined;
      throw e;
    }
  };
  /** The business cluster's kube-system DaemonSets, Deployments and pods, in a line each (for a failure's message). */
  const describeKubeSystem = async (): Promise<string> => {
    try {
      const bkc = await adminKubeConfig();
      const apps = bkc.makeApiClient(AppsV1Api);
      const core = bkc.makeApiClient(CoreV1Api);
      const namespace = 'kube-system';
      const lines = [
        ...(await apps.listNamespacedDaemonSet({ namespace })).items.map(
          (d) => `DaemonSet ${d.metadata?.name} gen=${d.metadata?.generation} status=${JSON.stringify(d.status)}`,
        ),
        ...(await apps.listNamespacedDeployment({ namespace })).items.map(
          (d) => `Deployment ${d.metadata?.name} gen=${d.metadata?.generation} status=${JSON.stringify(d.status)}`,
        ),
        ...(await core.listNamespacedPod({ namespace })).items.map(
          (p) =>
            `Pod ${p.metadata?.name} node=${p.spec?.nodeName ?? '-'} phase=${p.status?.phase} ` +
            `conditions=${JSON.stringify(p.status?.conditions?.map((c) => `${c.type}=${c.status}`))}`,
        ),
        ...(await core.listNode()).items.map(
          (n) =>
            `Node ${n.metadata?.name} taints=${JSON.stringify(n.spec?.taints ?? [])} ` +
            `conditions=${JSON.stringify(n.status?.conditions?.map((c) => `${c.type}=${c.status}`))}`,
        ),
      ];
      // The control plane's own pods on the meta side: a scheduler or controller-manager that restarted (a lost lease
      // under load) leaves business pods Pending or workloads unobserved for its back-off.
      for (const p of (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS })).items)
        for (const c of p.status?.containerStatuses ?? [])
          lines.push(`meta Pod ${p.metadata?.name}/${c.name} restarts=${c.restartCount} state=${JSON.stringify(c.state)}`);
      return lines.join('\n');
    } catch (e) {
      return `(could not list kube-system: ${(e as Error).message})`;
    }
  };
  const businessVersion = async () => (await (await adminKubeConfig()).makeApiClient(VersionApi).getCode()).gitVersion;
  const condition = async (type: string) => (await readCluster(kc, NS, NAME)).status?.conditions?.find((c) => c.type === type);

  it('runs the rendered kube-apiserver v1.32.13; the admin kubeconfig from the Secret reaches it', async function () {
    await applyObject(
      makeObjectApi(kc),
      businessCluster(NAME, NS, {
        version: 'v1.32.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
        addons: [{ name: 'coredns', parameters: { replicas: 1 } }, { name: 'kube-proxy' }],
      }),
      { fieldManager: 'kokpit-test' },
    );
    const t0 = Date.now();
    const version = await waitFor('business /version via the admin kubeconfig', async () => businessVersion(), {
      timeoutMs: 240_000,
      intervalMs: 1000,
    });
    log(`business apiserver answered after ${Date.now() - t0} ms`);
    assert.equal(version, 'v1.32.13');
    assert.equal((await readCluster(kc, NS, NAME)).status?.endpoint, lb.url);

    // It is a working apiserver on the real etcd: create a Namespace and a Deployment through it — once the operator
    // has bound the admin kubeconfig's group (kubeadm:cluster-admins; it is not system:masters).
    const bkc = await adminKubeConfig();
    await waitFor('the admin kubeconfig may write (its RBAC binding exists)', () => canWrite(bkc, 'smoke'), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    await applyObject(makeObjectApi(bkc), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'smoke' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] } },
      },
    } as KubernetesObject);

    // The operator goes on inside the business cluster: join objects and addons get applied.
    await waitFor('AddonsReady', async () => ((await condition('AddonsReady'))?.status === 'True' ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    // No Node yet (kwok joins below) and no controller-manager running: applied, not available, and said so.
    const addonsReady = await condition('AddonsReady');
    assert.equal(addonsReady?.reason, 'AddonsAppliedNoNodes', addonsReady?.message);
    assert.match(
      addonsReady?.message ?? '',
      /the cluster has no nodes yet: addon coredns: Deployment kube-system\/coredns waits for a node(;|$)/,
    );
    const addonStatus = (await readCluster(kc, NS, NAME)).status?.addons as Array<{ name: string; ready?: boolean }> | undefined;
    // Neither is rolled out: this cluster's controller-manager cannot run before the upgrade (see the header).
    assert.deepEqual(
      addonStatus?.map((a) => `${a.name}:${a.ready}`),
      ['coredns:false', 'kube-proxy:false'],
    );
    const bapps = bkc.makeApiClient(AppsV1Api);
    const coredns = await bapps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    assert.equal(coredns.spec?.replicas, 1, 'coredns parameter applied');
    await bapps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' });
    const bcore = bkc.makeApiClient(CoreV1Api);
    assert.equal((await bcore.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' })).spec?.clusterIP, '10.96.0.10');
    assert.ok((await bcore.readNamespacedConfigMap({ name: 'cluster-info', namespace: 'kube-public' })).data?.kubeconfig?.includes(lb.url));
    // What was applied for each addon is recorded in the business cluster, for pruning.
    const inv = decodeInventory((await bcore.readNamespacedConfigMap({ name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE })).data);
    assert.deepEqual(Object.keys(inv), ['coredns', 'kube-proxy']);
    assert.ok(inv['kube-proxy'].some((e) => e.kind === 'DaemonSet' && e.name === 'kube-proxy'));
    assert.ok(inv.coredns.some((e) => e.kind === 'Deployment' && e.name === 'coredns'));
    // Revocation: without the binding every copy of the admin kubeconfig is powerless; the next pass restores it.
    const rbac = makeObjectApi(await adminKubeConfig('superadmin'));
    await rbac.delete({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubeadm:cluster-admins' },
    });
    await waitFor('the admin kubeconfig is refused', async () => ((await canWrite(bkc, 'smoke-2')) ? undefined : true), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await makeObjectApi(kc).patch(
      { apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', metadata: { name: NAME, namespace: NS, annotations: { poke: '1' } } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor('the binding restored by the operator', () => canWrite(bkc, 'smoke-3'), { timeoutMs: 60_000, intervalMs: 1000 });
    // kcm/scheduler v1.32.13 have no binary here: the control plane is honestly not Ready, and the condition
    // says why in the pods' own words (reason ErrImagePull, the pod runner's message), not just a count.
    const cpr = await waitFor(
      'ControlPlaneReady carries the pod problem',
      async () => {
        const c = await condition('ControlPlaneReady');
        return c?.status === 'False' && c.reason === 'ErrImagePull' ? c : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    assert.match(
      cpr.message ?? '',
      /ready; pod \S+ container kube-(controller-manager|scheduler): image registry\.k8s\.io\/kube-(controller-manager|scheduler):v1\.32\.13: no local build of kube-(controller-manager|scheduler) v1\.32\.13/,
    );
  });

  it(
    'upgrades v1.32.13 → v1.33.13 through `kokpit upgrade`: the apiserver rolls first, then ' + 'controller-manager and scheduler',
    async function () {
      const phases = new Set<string>();
      const t0 = Date.now();
      const progress: string[] = [];
      // A downgrade is refused before anything changes.
      const refused = await upgradeCluster({ kc, name: NAME, namespace: NS, to: 'v1.31.0', wait: false });
      assert.equal(refused.ok, false);
      assert.equal(refused.patched, false);
      const upgrade = upgradeCluster({
        kc,
        name: NAME,
        namespace: NS,
        to: 'v1.33.13',
        timeoutMs: 300_000,
        pollMs: 500,
        progress: (l) => {
          progress.push(l);
          log(`[upgrade] ${l}`);
        },
      });
      let upgradeDone = false;
      const watchApi = waitFor(
        'business /version v1.33.13',
        async () => {
          phases.add(String((await readCluster(kc, NS, NAME)).status?.phase));
          if (upgradeDone) return -1;
          return (await businessVersion().catch(() => undefined)) === 'v1.33.13' ? Date.now() - t0 : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 500 },
      );
      const result = await upgrade;
      upgradeDone = true;
      const apiRolled = await watchApi;
      assert.ok(result.ok, result.message);
      assert.ok(result.patched);
      const done = result.elapsedMs;
      log(`apiserver answered v1.33.13 ${apiRolled} ms after the upgrade started`);
      assert.ok(
        phases.has('Upgrading') || progress.some((l) => l.includes('Upgrading')),
        `phase Upgrading seen (saw ${[...phases].join(', ')})`,
      );
      assert.ok(
        progress.some((l) => /kube-apiserver to v1\.33\.13/.test(l)),
        `progress names the apiserver step:\n${progress.join('\n')}`,
      );
      assert.match(progress.at(-1)!, /^\[\d+s\] Running .*Ready=True$/);
      log(
        `upgrade v1.32.13 → v1.33.13 complete (all components rolled out, Ready) in ${done} ms (kokpit ` +
          `upgrade, ${progress.length} progress lines)`,
      );
      const st = (await readCluster(kc, NS, NAME)).status!;
      assert.equal(st.phase, 'Running');
      assert.equal(st.observedGeneration, (await readCluster(kc, NS, NAME)).metadata?.generation);
      for (const c of st.components as Array<{ name: string; version: string; readyReplicas: number }>) {
        assert.equal(c.version, 'v1.33.13', c.name);
        assert.equal(c.readyReplicas, 1, c.name);
      }

      // The v1.33 controller-manager now runs inside the business cluster: it creates the ReplicaSet.
      const bapps = (await adminKubeConfig()).makeApiClient(AppsV1Api);
      await waitFor(
        'ReplicaSet of smoke/web',
        async () => ((await bapps.listNamespacedReplicaSet({ namespace: 'smoke' })).items.length > 0 ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 1000 },
      );
    },
  );

  it('the business scheduler binds the pods its controller-manager created to a (kwok) node', async function () {
    // kwok plays the business cluster's nodes, talking to the business apiserver with the admin kubeconfig.
    const bins = await resolveBinaries([{ component: 'kwok', version: KWOK_VERSION }]);
    const kubeconfigFile = path.join(stateDir, 'business-admin.kubeconfig');
    fs.writeFileSync(kubeconfigFile, (await adminKubeConfig()).exportConfig(), { mode: 0o600 });
    // kwok lists Nodes for ~31 s at start and exits if that fails (its waitForReady): start it once the same list
    // answers here (CI saw kwok exit after a cold first start, where the business apiserver took 41 s to answer).
    const nodesListed = async () => {
      const core = (await adminKubeConfig()).makeApiClient(CoreV1Api);
      return (await core.listNode({ limit: 1 }).catch(() => undefined)) ? true : undefined;
    };
    await waitFor('the business apiserver lists Nodes', nodesListed, { timeoutMs: 120_000, intervalMs: 1000 });
    kwok = startProcess('kwok', bins.get('kwok')!, kwokArgs(kubeconfigFile, writeKwokConfig(stateDir)), {
      logFile: path.join(stateDir, 'kwok.log'),
      cwd: stateDir,
    });
    const bkc = await adminKubeConfig();
    const [node] = await createKwokNodes(bkc, 1);
    const bcore = bkc.makeApiClient(CoreV1Api);
    const bound = await waitFor(
      'smoke/web pod bound to the kwok node',
      async (st) => {
        const pods = (await bcore.listNamespacedPod({ namespace: 'smoke', labelSelector: 'app=web' })).items;
        st.lastReason =
          pods.map((p) => `${p.metadata?.name}: node=${p.spec?.nodeName ?? '-'} phase=${p.status?.phase}`).join('; ') || 'no pods';
        return pods.find((p) => p.spec?.nodeName === node);
      },
      {
        timeoutMs: 120_000,
        intervalMs: 1000,
        abortIf: () => (kwok!.isRunning() ? undefined : `kwok exited; its log:\n${tailFile(kwok!.logFile, 20)}`),
      },
    );
    assert.equal(bound.spec?.nodeName, node);
  });

  // Counted by the meta API server's audit log; the business API server runs from the operator's own Deployment,
  // without an audit policy (the business side of a steady pass is counted in addon-inventory.test.ts).
  it('a steady cluster costs no writes', async function () {
    const r = operator.reconciler;
    // Addon readiness follows the kwok node's pods (the test before this one): a status counted while they still
    // roll out would be a real change, not churn. Wait until every addon is rolled out on the node.
    await waitFor(
      'every addon rolled out on the kwok node',
      async (st) => {
        await r.reconcile(`${NS}/${NAME}`);
        const addons = ((await readCluster(kc, NS, NAME)).status?.addons ?? []) as Array<{
          name: string;
          ready?: boolean;
          message?: string;
        }>;
        st.lastReason = addons.map((a) => `${a.name}:${a.ready}${a.message ? ` (${a.message})` : ''}`).join(', ');
        return addons.length && addons.every((a) => a.ready) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    ).catch(async (e: Error) => {
      // CI once timed out here on kube-proxy: say what the business cluster's kube-system holds and the kwok log's tail.
      throw new Error(`${e.message}\n${await describeKubeSystem()}\nkwok log:\n${kwok ? tailFile(kwok.logFile, 20) : '-'}`);
    });
    const before = (await readCluster(kc, NS, NAME)).status as Record<string, unknown>;
    const { writes } = await new AuditWrites(cp).during({ userAgent: AGENTS.cluster }, () => r.reconcile(`${NS}/${NAME}`));
    if (writes.length) {
      // Say what moved (CI once saw one status write here that a re-run did not repeat): churn, or the world changing.
      const after = (await readCluster(kc, NS, NAME)).status as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
      for (const k of keys.filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k])))
        log(`  status.${k}: ${JSON.stringify(before?.[k])} -> ${JSON.stringify(after?.[k])}`);
    }
    assertWriteCount(writes, 0, 'a steady pass');
  });

  it('removing an addon from spec.addons deletes what it applied; the next pass writes nothing', async function () {
    const bkc = await adminKubeConfig();
    const bcore = bkc.makeApiClient(CoreV1Api);
    const before = decodeInventory((await bcore.readNamespacedConfigMap({ name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE })).data);
    const proxyObjects = before['kube-proxy'];
    assert.ok(proxyObjects.length >= 3, `kube-proxy recorded ${proxyObjects.length} objects`);
    const objects = makeObjectApi(bkc);
    const exists = async (e: (typeof proxyObjects)[number]) =>
      !!(await readObject(objects, { apiVersion: e.apiVersion, kind: e.kind, metadata: { name: e.name, namespace: e.namespace } }));
    for (const e of proxyObjects) assert.ok(await exists(e), `${e.kind} ${e.name} exists before`);
    const t0 = Date.now();
    await applyObject(
      makeObjectApi(kc),
      businessCluster(NAME, NS, {
        version: 'v1.33.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
        addons: [{ name: 'coredns', parameters: { replicas: 1 } }],
      }),
      { fieldManager: 'kokpit-test' },
    );
    await waitFor(
      'kube-proxy objects deleted and the inventory updated',
      async (st) => {
        const left: string[] = [];
        for (const e of proxyObjects) if (await exists(e)) left.push(`${e.kind}/${e.name}`);
        const inv = decodeInventory((await bcore.readNamespacedConfigMap({ name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE })).data);
        st.lastReason = `left: ${left.join(', ') || 'none'}; inventory: ${Object.keys(inv).join(', ')}`;
        return left.length === 0 && !inv['kube-proxy'] ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    log(`kube-proxy pruned ${Date.now() - t0} ms after it left spec.addons`);
    // coredns is untouched, and status lists only what is in spec.
    await bkc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    await waitFor(
      'status.addons without kube-proxy',
      async () => {
        const addons = (await readCluster(kc, NS, NAME)).status?.addons as Array<{ name: string }> | undefined;
        return addons?.map((a) => a.name).join(',') === 'coredns' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const r = operator.reconciler;
    const { writes } = await new AuditWrites(cp).during({ userAgent: AGENTS.cluster }, () => r.reconcile(`${NS}/${NAME}`));
    assertWriteCount(writes, 0, 'the pass after pruning');
  });

  it('mints a bootstrap token that the business apiserver accepts as a joining node', async function () {
    const admin = await adminKubeConfig();
    const t = await mintBootstrapToken(admin, { ttlMs: 600_000 });
    assert.match(t.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const asToken = loadKubeConfig({
      kubeconfigYaml: buildKubeconfig({
        clusterName: NAME,
        server: lb.url,
        caPem: Buffer.from(admin.getCurrentCluster()!.caData!, 'base64').toString('utf8'),
        user: 'joiner',
        token: t.token,
      }),
    });
    const review = await asToken
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status?.userInfo?.username, `system:bootstrap:${t.id}`);
    assert.ok(review.status?.userInfo?.groups?.includes('system:bootstrappers:kubeadm:default-node-token'));
    // What kubeadm join does next: read the cluster's join config (RBAC rendered by the bootstrap step).
    const cm = await asToken.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'kubeadm-config', namespace: 'kube-system' });
    assert.match(cm.data?.ClusterConfiguration ?? '', /kubernetesVersion: v1\.33\.13/);
  });

  it(
    'deletion: control-plane pods stop, garbage collection takes every owned object, the finalizer ' + 'removes the etcd keys',
    async function () {
      const prefix = `/kokpit/${NS}/${NAME}`;
      const keysBefore = await etcdCount(etcd, prefix);
      assert.ok(keysBefore > 50, `the business apiserver stored its objects under ${prefix} (${keysBefore} keys)`);
      const t0 = Date.now();
      await makeObjectApi(kc).delete({
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'BusinessCluster',
        metadata: { name: NAME, namespace: NS },
      });
      await waitFor(
        'BusinessCluster gone',
        async () =>
          (await readObject(makeObjectApi(kc), {
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'BusinessCluster',
            metadata: { name: NAME, namespace: NS },
          }))
            ? undefined
            : true,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      assert.equal(await etcdCount(etcd, prefix), 0, 'no keys left under the prefix (Kamaji leaves them behind)');
      await waitFor(
        'owned objects and pods garbage-collected',
        async (st) => {
          const left = [
            ...(await ownedObjects(kc, NS, NAME)).map((o) => `${o.kind}/${o.name}`),
            ...(
              await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: `kokpit.dev/cluster=${NAME}` })
            ).items.map((p) => `Pod/${p.metadata?.name}`),
          ];
          st.lastReason = left.join(', ');
          return left.length === 0 ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1000 },
      );
      log(`deleted in ${Date.now() - t0} ms (${keysBefore} etcd keys removed)`);
    },
  );
});
