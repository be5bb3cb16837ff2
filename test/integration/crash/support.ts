// The crash tests' environment: a real meta control plane (audited), the process pod runner running the
// pods the operators render (etcd members, business control planes) as real processes, the sandbox's
// hostPath provisioner for claims, and a NodePort proxy on the runner node's own address (the cluster
// operator, without a host endpoint of its own under `kokpit operator`, publishes <node IP>:<nodePort>).
// The manager is NOT started here: the crash harness runs it as a child process and kills it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { installKokpitBase } from '../../../src/local/meta';
import { startNodePortProxy, type NodePortProxy } from '../../../src/local/nodeport-proxy';
import { startHostPathProvisioner } from '../../../src/local/provisioner';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { EtcdMembers, podIPResolver } from '../../../src/operators/etcd/access';
import { clientSecretName, LABEL_CLUSTER } from '../../../src/operators/etcd/names';
import { AuditTail, CrashHarness } from '../../support/crash-harness';

const t0 = Date.now();
export const log = (l: string) => process.stderr.write(`  +${((Date.now() - t0) / 1000).toFixed(1)}s ${l}\n`);
const quiet = (l: string) => {
  if (process.env.KOKPIT_TEST_VERBOSE) log(l);
};

export interface CrashEnv {
  cp: ControlPlane;
  kc: KubeConfig;
  runner: PodRunner;
  harness: CrashHarness;
  dir: string;
  stop(): Promise<void>;
}

export async function startCrashEnv(name: string): Promise<CrashEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kokpit-crash-${name}-`));
  const cp = await startControlPlane({ controllers: true, scheduler: false, audit: true, log: (l) => quiet(`[meta] ${l}`) });
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let proxy: NodePortProxy | undefined;
  let tail: AuditTail | undefined;
  let harness: CrashHarness | undefined;
  const stop = async () => {
    await harness?.stop().catch(() => {});
    tail?.stop();
    await proxy?.stop().catch(() => {});
    await provisioner?.stop().catch(() => {});
    await runner?.stop().catch(() => {});
    await cp.stop();
    if (!process.env.KOKPIT_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  };
  try {
    const kc = cp.kubeConfig();
    await installKokpitBase(kc);
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: `${name}-meta-node`,
      stateDir: path.join(dir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
      log: quiet,
    });
    provisioner = await startHostPathProvisioner(kc, quiet);
    proxy = await startNodePortProxy(kc, quiet, runner.hostIP);
    harness = new CrashHarness({ kubeconfig: cp.kubeconfigPath, dir, log });
    tail = new AuditTail(cp.auditLogPath!, harness.feed);
    tail.start();
    return { cp, kc, runner, harness, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function ensureNamespace(kc: KubeConfig, ns: string): Promise<void> {
  await applyObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}

/** A client of an EtcdCluster's first ready member, with the operator's client Secret (pod IP, as the operator dials). */
export async function etcdClient(kc: KubeConfig, ns: string, etcd: string): Promise<Etcd3> {
  const objects = makeObjectApi(kc);
  const { pod, secret } = await waitFor(
    `a ready member of EtcdCluster ${ns}/${etcd} and its client Secret`,
    async () => {
      const pods = await listObjects<V1Pod & KubernetesObject>(objects, 'v1', 'Pod', {
        namespace: ns,
        labelSelector: `${LABEL_CLUSTER}=${etcd}`,
      });
      const ready = pods.find((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      const s = await readObject<V1Secret & KubernetesObject>(objects, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: clientSecretName({ name: etcd, namespace: ns }), namespace: ns },
      });
      return ready && s?.data ? { pod: ready, secret: s } : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  const pem = (k: string) => Buffer.from(secret.data![k], 'base64').toString('utf8');
  const members = new EtcdMembers({ name: etcd, namespace: ns }, podIPResolver, {
    caPem: pem('ca.crt'),
    certPem: pem('tls.crt'),
    keyPem: pem('tls.key'),
  });
  return members.client(pod.metadata!.name!, pod)!;
}

export { metricValue } from '../../support/metrics';
