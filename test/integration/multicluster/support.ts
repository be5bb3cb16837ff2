// Shared setup of the multicluster tests on real processes: a real meta control plane, business clusters whose
// kube-apiserver, controller-manager and scheduler run through the pod runner (registration.test.ts's stand-ins: a
// plain etcd behind an EtcdCluster the test marks Available, a loopback proxy per cluster as the load balancer), the
// real OCM v1.0.0 hub and one hosted agent per cluster, all run by the pod runner from the binaries of hack/bins/ocm.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, KubeConfig, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { Operators } from '../../../src/controller/operator';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { clusterOperator } from '../../../src/operators/cluster/operator';
import { installHub, readOcmManifests } from '../../../src/operators/multicluster/hub';
import { managedClusterName } from '../../../src/operators/multicluster/names';
import { multiclusterOperator } from '../../../src/operators/multicluster/operator';
import { kindAgentServer } from '../../../src/local/kind-ocm';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  readCluster,
  startLoopbackLB,
  startPlainEtcd,
  type PlainEtcd,
} from '../cluster/support';

export const ROOT = path.resolve(__dirname, '../../..');

export interface MC extends KubernetesObject {
  spec?: { hubAcceptsClient?: boolean; leaseDurationSeconds?: number };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export const mcRef = (name: string) => ({
  apiVersion: 'cluster.open-cluster-management.io/v1',
  kind: 'ManagedCluster',
  metadata: { name },
});
export const cond = (o: MC | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type)?.status;

/** The ManifestWork `hello` (ConfigMap default/hello with `from: hub`) into a ManagedCluster's hub namespace; resolves once Applied. */
export async function applyHelloWork(objects: KubernetesObjectApi, namespace: string): Promise<void> {
  const work = {
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name: 'hello', namespace },
    spec: {
      workload: {
        manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello', namespace: 'default' }, data: { from: 'hub' } }],
      },
    },
  };
  await applyObject(objects, work as KubernetesObject, { fieldManager: 'kokpit-test' });
  await waitFor(
    'ManifestWork hello Applied',
    async (st) => {
      const w = await readObject<MC>(objects, work);
      st.lastReason = JSON.stringify(w?.status?.conditions ?? []);
      return cond(w, 'Applied') === 'True' || undefined;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
}

export interface ClusterSpec {
  name: string;
  labels?: Record<string, string>;
  /** spec.multicluster of the BusinessCluster. */
  multicluster?: Record<string, unknown>;
  /** spec.apiServer.extraArgs (e.g. an audit log of the business apiserver). */
  apiServerExtraArgs?: Record<string, string>;
}

export interface MulticlusterEnvOptions {
  namespace: string;
  clusters: ClusterSpec[];
  /** The multicluster operator's steady pace (default 10 s). */
  steadyMs?: number;
  /** Every request in the meta API server's audit log, reads too (default: writes only). */
  auditAll?: boolean;
  /**
   * The multicluster operator's credentials (default: the admin's, with the cluster operator): e.g. the manager's
   * ServiceAccount, made once the hub is installed. It then runs apart from the cluster operator, which stays admin.
   */
  multiclusterAs?: (admin: KubeConfig, cp: ControlPlane) => Promise<KubeConfig>;
  /** How long a detach waits for the agent to clear works (default: the operator's 5 min). */
  detachTimeoutMs?: number;
  /** The netns pod network with OCM's admission webhooks (default: loopback, no webhooks). */
  webhooks?: boolean;
}

export interface MulticlusterEnv {
  cp: ControlPlane;
  kc: KubeConfig;
  runner: PodRunner;
  /** Lines prefixed with the time since the env started, on stderr. */
  log: (line: string) => void;
  /** Seconds since the env started, for timings in the test output. */
  elapsed: () => number;
  objects: () => ReturnType<typeof makeObjectApi>;
  /** The admin kubeconfig of a business cluster (its kubeconfigSecretName in the meta cluster). */
  businessKubeConfig: (cluster: string) => Promise<KubeConfig>;
  /** Waits until every named cluster's ManagedCluster is Joined and Available; returns them in order. */
  waitAvailable: (clusters: string[], timeoutMs?: number) => Promise<MC[]>;
  stop: () => Promise<void>;
}

/** Starts everything and applies the BusinessClusters (it does not wait for them: see waitAvailable). */
export async function startMulticlusterEnv(o: MulticlusterEnvOptions): Promise<MulticlusterEnv> {
  const NS = o.namespace;
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  const log = (l: string) => process.stderr.write(`  [+${elapsed().toFixed(1)}s] ${l}\n`);
  const [cp, etcd]: [ControlPlane, PlainEtcd] = await Promise.all([
    startControlPlane({ controllers: true, audit: o.auditAll ? 'all' : true, log: (l) => log(`[controlplane] ${l}`) }),
    startPlainEtcd(),
  ]);
  const kc = cp.kubeConfig();
  const objects = () => makeObjectApi(kc);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-multicluster-'));
  const lbs = new Map<string, Awaited<ReturnType<typeof startLoopbackLB>>>();
  let runner: PodRunner | undefined;
  let manager: Operators | undefined;
  let multicluster: Operators | undefined;
  const stop = async () => {
    await multicluster?.stop();
    await manager?.stop();
    for (const lb of lbs.values()) await lb.stop();
    await runner?.stop();
    await Promise.all([cp.stop(), etcd.stop()]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      // The business apiservers' etcd is a plain one on the host's loopback: relayed into the pods' namespaces.
      ...(o.webhooks
        ? { podNetwork: 'netns' as const, relay: [{ host: new URL(etcd.url).hostname, port: Number(new URL(etcd.url).port) }] }
        : {}),
    });
    await installHub(kc, { manifests: readOcmManifests(ROOT), log, webhooks: !!o.webhooks });
    log('OCM hub ready');
    for (const c of o.clusters)
      lbs.set(c.name, await startLoopbackLB(kc, NS, `kokpit.dev/cluster=${c.name},kokpit.dev/component=apiserver`, 6443));
    const olog = (lvl: string) => (m: string) => log(`[manager] ${lvl} ${m}`);
    const mlog = { info: olog('info'), warn: olog('warn'), error: olog('error'), debug: () => {} };
    const cluster = clusterOperator({ hostEndpoint: (c) => lbs.get(c.metadata.name)?.url, waitRequeueMs: 2000 });
    const mc = multiclusterOperator({
      manifestsRoot: ROOT,
      pollMs: { waiting: 1000, steady: o.steadyMs ?? 10_000 },
      ...(o.detachTimeoutMs ? { detachTimeoutMs: o.detachTimeoutMs } : {}),
      // Pods in namespaces of their own reach no loopback LB: the agents use the apiserver Service's in-cluster name.
      ...(o.webhooks ? { agentServer: kindAgentServer } : {}),
    });
    manager = new Operators(kc, o.multiclusterAs ? [cluster] : [cluster, mc], mlog);
    await manager.start();
    if (o.multiclusterAs) {
      multicluster = new Operators(await o.multiclusterAs(kc, cp), [mc], mlog);
      await multicluster.start();
    }
    for (const c of o.clusters)
      await applyObject(
        objects(),
        {
          ...businessCluster(c.name, NS, {
            version: 'v1.33.13',
            etcd: { clusterRef: { name: 'shared' } },
            apiServer: { service: { type: 'ClusterIP' }, ...(c.apiServerExtraArgs ? { extraArgs: c.apiServerExtraArgs } : {}) },
            ...(c.multicluster ? { multicluster: c.multicluster } : {}),
          }),
          metadata: { name: c.name, namespace: NS, labels: c.labels },
        } as KubernetesObject,
        { fieldManager: 'kokpit-test' },
      );
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }

  const businessKubeConfig = async (cluster: string) => {
    const bc = await readCluster(kc, NS, cluster);
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: String(bc.status!.kubeconfigSecretName), namespace: NS });
    const business = new KubeConfig();
    business.loadFromString(Buffer.from(secret.data!.value, 'base64').toString('utf8'));
    return business;
  };

  const waitAvailable = (clusters: string[], timeoutMs = 840_000) =>
    waitFor(
      `${clusters.join(', ')}: ManagedClusters Joined and Available`,
      async (st) => {
        const mcs = await Promise.all(clusters.map((n) => readObject<MC>(objects(), mcRef(managedClusterName(NS, n)))));
        st.lastReason = clusters
          .map(
            (n, i) => `${n}: Joined=${cond(mcs[i], 'ManagedClusterJoined')} Available=${cond(mcs[i], 'ManagedClusterConditionAvailable')}`,
          )
          .join('; ');
        const ok = mcs.every((m) => cond(m, 'ManagedClusterJoined') === 'True' && cond(m, 'ManagedClusterConditionAvailable') === 'True');
        return ok ? (mcs as MC[]) : undefined;
      },
      { timeoutMs, intervalMs: 2000 },
    );

  return { cp, kc, runner: runner!, log, elapsed, objects, businessKubeConfig, waitAvailable, stop };
}

/**
 * What the deploy tests place on business clusters (`kokpit deploy`, "Deploy to Clusters…"): a Namespace, a ConfigMap
 * and a 2-replica Deployment in it, whose status OCM feeds back (`Replicas=2`).
 */
export function webAppManifests(namespace: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${namespace}}
data: {greeting: hello from the hub}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.k8s.io/pause:3.10}]
`;
}
