// Shared pieces of the pod runner integration tests: a runner on a real control plane, client-node clients,
// waiting on pod status with deadlines, and a TLS etcd pod.
import * as https from 'node:https';
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createCA, issueCert, type CertKeyPair } from '../../../src/pki';
import { isNotFound, makeClients, type KubeClients } from '../../../src/kube';
import { startControlPlane, waitFor, type ControlPlane, type StartControlPlaneOptions } from '../../../src/controlplane';
import { startPodRunner, type PodRunner, type PodRunnerOptions } from '../../../src/podrunner';

export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.35-0';
export const logLine = (l: string) => {
  if (process.env.KOKPIT_TEST_VERBOSE) process.stderr.write(`  ${l}\n`);
};

export function tempStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-podrunner-test-'));
}

export const clients = (kc: KubeConfig): KubeClients => makeClients(kc);

export interface RunnerOnControlPlane {
  cp: ControlPlane;
  runner: PodRunner;
  kube: KubeClients;
  stateDir: string;
  /** Stops the runner, then the control plane; removes stateDir unless KOKPIT_KEEP_STATE=1 (pod dirs, container logs). */
  stop(): Promise<void>;
}

/**
 * A real control plane and a pod runner for `runner.nodeName` on it, in a fresh state directory; both log through
 * logLine. `kubelet`: the runner serves pods/log with the control plane's kubelet credentials. What started is stopped
 * again when a later step fails.
 */
export async function startRunnerOnControlPlane(opts: {
  controlPlane?: StartControlPlaneOptions;
  runner: Omit<PodRunnerOptions, 'kubeConfig' | 'stateDir' | 'kubelet'>;
  kubelet?: boolean;
}): Promise<RunnerOnControlPlane> {
  const cp = await startControlPlane({ log: logLine, ...opts.controlPlane });
  const stateDir = tempStateDir();
  const removeState = () => {
    if (!process.env.KOKPIT_KEEP_STATE) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  let runner: PodRunner;
  try {
    runner = await startPodRunner({
      kubeConfig: cp.kubeConfig(),
      stateDir,
      log: logLine,
      ...opts.runner,
      kubelet: opts.kubelet ? cp.kubelet : undefined,
    });
  } catch (e) {
    await cp.stop();
    removeState();
    throw e;
  }
  const stop = async () => {
    await runner.stop();
    await cp.stop();
    removeState();
  };
  return { cp, runner, kube: clients(cp.kubeConfig()), stateDir, stop };
}

/** A pod as `any`: the tests read deep status paths the way kubectl's JSON shows them. */
export const readPod = async (kube: KubeClients, namespace: string, name: string): Promise<any> =>
  kube.core.readNamespacedPod({ name, namespace });

/** Waits until the pod satisfies `check` (returns a truthy value); the error names the pod's last status. */
export async function waitPod<T>(
  kube: KubeClients,
  ns: string,
  name: string,
  what: string,
  check: (pod: any) => T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  return waitFor(
    `pod ${ns}/${name} ${what}`,
    async (state) => {
      const pod = await readPod(kube, ns, name);
      const v = check(pod);
      if (v) return v;
      state.lastReason = JSON.stringify({
        phase: pod.status?.phase,
        conditions: pod.status?.conditions?.map((c: any) => `${c.type}=${c.status}`),
        containers: pod.status?.containerStatuses,
      }).slice(0, 800);
      return undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export async function waitPodGone(kube: KubeClients, ns: string, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `pod ${ns}/${name} gone`,
    async () => {
      try {
        await readPod(kube, ns, name);
        return undefined;
      } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
      }
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export const condition = (pod: any, type: string) => pod.status?.conditions?.find((c: any) => c.type === type)?.status;
export const isReady = (pod: any) => condition(pod, 'Ready') === 'True';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface EtcdPKI {
  ca: CertKeyPair;
  server: CertKeyPair;
  client: CertKeyPair;
}

/** An etcd CA, a server certificate for `dnsNames`, and a client certificate. */
export async function etcdPKI(dnsNames: string[]): Promise<EtcdPKI> {
  const ca = await createCA('etcd-ca', { validDays: 1 });
  const server = await issueCert(ca, { commonName: 'etcd', dnsNames, validDays: 1, usages: ['server', 'client'] });
  const client = await issueCert(ca, { commonName: 'kube-apiserver-etcd-client', validDays: 1, usages: ['client'] });
  return { ca, server, client };
}

export function tlsSecret(ns: string, name: string, data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** An etcd container serving TLS clients on 0.0.0.0:2379 (the runner makes that the pod IP), metrics on :2381. */
export function etcdContainer(name: string, opts: { tlsVolume?: string; image?: string } = {}) {
  const pki = '/etc/kubernetes/pki/etcd';
  const scheme = opts.tlsVolume ? 'https' : 'http';
  return {
    name: 'etcd',
    image: opts.image ?? ETCD_IMAGE,
    command: ['etcd'],
    args: [
      `--name=${name}`,
      '--data-dir=/var/lib/etcd',
      `--listen-client-urls=${scheme}://0.0.0.0:2379`,
      `--advertise-client-urls=${scheme}://$(POD_IP):2379`,
      '--listen-peer-urls=http://0.0.0.0:2380',
      '--initial-advertise-peer-urls=http://$(POD_IP):2380',
      `--initial-cluster=${name}=http://$(POD_IP):2380`,
      '--listen-metrics-urls=http://0.0.0.0:2381',
      '--unsafe-no-fsync=true',
      ...(opts.tlsVolume
        ? [`--cert-file=${pki}/tls.crt`, `--key-file=${pki}/tls.key`, `--trusted-ca-file=${pki}/ca.crt`, '--client-cert-auth=true']
        : []),
    ],
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    ports: [
      { name: 'client', containerPort: 2379 },
      { name: 'metrics', containerPort: 2381 },
    ],
    readinessProbe: { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 1, failureThreshold: 3 },
    volumeMounts: [
      { name: 'data', mountPath: '/var/lib/etcd' },
      ...(opts.tlsVolume ? [{ name: opts.tlsVolume, mountPath: pki, readOnly: true }] : []),
    ],
  };
}

/** GET over HTTPS checking the certificate against `serverName` instead of the IP we dial. */
export function httpsGet(
  url: string,
  o: { ca: string; cert?: string; key?: string; serverName: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        agent: false,
        timeout: 3000,
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(o.serverName, cert),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
