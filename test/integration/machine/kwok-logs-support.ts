// A business cluster whose pod has a real log, for the pod-logs tests (integration and UI): the cluster operator runs
// a BusinessCluster whose kube-apiserver, controller-manager and scheduler (v1.33.13) are real processes through the
// pod runner; the machine operator joins one kwok Machine, whose kwok process serves the Node's kubelet API; a pod
// bound to that Node turns Running (kwok), and a kwok `Logs` object in the business cluster names the host file its
// container log is read from. The test appends CRI lines to that file.
//
// Stand-ins, as in the cluster tests: the EtcdCluster is a plain etcd process marked Available by the test, and a
// loopback TCP proxy plays the load balancer in front of the apiserver pod.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { defaultBinaryProvider } from '../../../src/binaries/provider';
import { applyObject, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { startClusterOperator, type ClusterOperator } from '../../../src/operators/cluster/operator';
import { startMachineOperator, type MachineOperator } from '../../../src/operators/machine/operator';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { installCRDs, isNodeReady, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
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
import { API, componentObject } from './support';

export interface KwokLogsEnv {
  cp: ControlPlane;
  kc: KubeConfig;
  /** The business cluster through the admin kubeconfig Secret the cluster operator wrote. */
  bkc: KubeConfig;
  /** The kwok Machine's Node in the business cluster. */
  node: string;
  stop(): Promise<void>;
}

export interface LoggingPod {
  pod: V1Pod;
  /** The host file its container's log is read from (kwok Logs): append CRI lines with criLine(). */
  file: string;
}

/** A log line in the CRI format the kubelet keeps (and kwok reads): `<RFC3339Nano> stdout F <text>`. */
export function criLine(text: string, at = new Date()): string {
  return `${at.toISOString().replace('Z', '000000Z')} stdout F ${text}\n`;
}

export async function startKwokLogsEnv(opts: {
  ns: string;
  cluster: string;
  machine: string;
  dir: string;
  log: (line: string) => void;
  /** How long the business cluster may take to become Ready (a busy machine: minutes). */
  timeoutMs: number;
}): Promise<KwokLogsEnv> {
  const { ns, cluster, log } = opts;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`stop: ${String(e)}`));
  };
  try {
    const [cp, etcd] = await Promise.all([startControlPlane({ controllers: true, log }), startPlainEtcd()]);
    stops.push(() => Promise.all([cp.stop(), (etcd as PlainEtcd).stop()]));
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, ns);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, ns, 'shared', etcd);
    const runnerLog = path.join(opts.dir, 'pod-runner.log');
    const runner: PodRunner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir: path.join(opts.dir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
      kubelet: cp.kubelet,
      log: (l) => fs.appendFileSync(runnerLog, `${new Date().toISOString()} ${l}\n`),
    });
    stops.push(() => runner.stop());
    const lb = await startLoopbackLB(kc, ns, `kokpit.dev/cluster=${cluster},kokpit.dev/component=apiserver`, 6443);
    stops.push(() => lb.stop());
    const quiet = (who: string) => ({
      info: () => undefined,
      debug: () => undefined,
      warn: (m: string) => log(`${who}: ${m}`),
      error: (m: string) => log(`${who}: ${m}`),
    });
    const clusterOperator: ClusterOperator = await startClusterOperator({
      kc,
      hostEndpoint: () => lb.url,
      waitRequeueMs: 2000,
      log: quiet('cluster-operator'),
    });
    stops.push(() => clusterOperator.stop());
    const machineOperator: MachineOperator = await startMachineOperator({
      kc,
      binaries: defaultBinaryProvider(),
      log: quiet('machine-operator'),
      controller: { backoff: { baseMs: 200, maxMs: 5_000 } },
      kwokPodLogs: {},
    });
    // Machines stop first: their kwok talks to the business apiserver.
    stops.push(() => machineOperator.stop());
    const objects = makeObjectApi(kc);
    await applyObject(objects, componentObject('kubelet', 'v1.33.13'));
    await applyObject(
      objects,
      businessCluster(cluster, ns, {
        version: 'v1.33.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
      }),
      { fieldManager: 'kokpit-test' },
    );
    await waitFor(
      `BusinessCluster ${cluster} Ready`,
      async (s) => {
        const bc = await readCluster(kc, ns, cluster);
        s.lastReason = JSON.stringify(bc.status?.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}`));
        return bc.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' || undefined;
      },
      { timeoutMs: opts.timeoutMs, intervalMs: 1000 },
    );
    const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${cluster}-admin-kubeconfig`, namespace: ns },
    });
    const bkc = loadKubeConfig({ kubeconfigYaml: Buffer.from(secret!.data!.value, 'base64').toString('utf8') });
    await applyObject(
      objects,
      {
        apiVersion: API,
        kind: 'Machine',
        metadata: { name: opts.machine, namespace: ns },
        spec: { clusterRef: { name: cluster }, provider: 'kwok', role: 'worker', components: [{ name: 'kubelet' }] },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
    await waitFor(
      `Node ${opts.machine} Ready in the business cluster`,
      async () => {
        const n = await bkc
          .makeApiClient(CoreV1Api)
          .readNode({ name: opts.machine })
          .catch(() => undefined);
        return n && isNodeReady(n) && n.status?.daemonEndpoints?.kubeletEndpoint?.Port ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    return { cp, kc, bkc, node: opts.machine, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A pod bound to the kwok Node, Running, and a kwok Logs object (in the business cluster, beside the pod) naming
 * `file` as its container's log. The file starts with `firstLine`.
 */
export async function startLoggingPod(
  env: KwokLogsEnv,
  o: { namespace: string; name: string; container: string; file: string; firstLine: string },
): Promise<LoggingPod> {
  fs.writeFileSync(o.file, criLine(o.firstLine));
  const core = env.bkc.makeApiClient(CoreV1Api);
  const objects = makeObjectApi(env.bkc);
  await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } });
  await applyObject(objects, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: { name: o.name, namespace: o.namespace },
    spec: { logs: [{ containers: [o.container], logsFile: o.file, follow: true }] },
  } as KubernetesObject);
  // The business controller-manager gives a new namespace its `default` ServiceAccount, which admission requires.
  await waitFor(
    `ServiceAccount ${o.namespace}/default`,
    () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: o.namespace }).then(
        () => true,
        () => undefined,
      ),
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  await applyObject(objects, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace },
    spec: { nodeName: env.node, containers: [{ name: o.container, image: 'registry.k8s.io/pause:3.10' }] },
  } as KubernetesObject);
  const pod = await waitFor(
    `pod ${o.namespace}/${o.name} Running on ${env.node}`,
    async () => {
      const p = await core.readNamespacedPod({ name: o.name, namespace: o.namespace });
      return p.status?.phase === 'Running' ? p : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return { pod, file: o.file };
}
