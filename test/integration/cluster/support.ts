// Shared setup for the cluster-operator integration tests: a plain etcd process with its own CA (standing
// in for an EtcdCluster until the etcd operator runs in these tests), EtcdCluster objects marked Available
// by the test itself, and helpers to list what a BusinessCluster owns.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { ETCD_VERSION } from '../../../src/binaries/catalog';
import { defaultKubernetesVersions } from '../../../src/catalog';
import { applyObject, listObjects, makeObjectApi } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { createCA, issueCert, type CertKeyPair } from '../../../src/pki';
import { httpsGet, resolveBinaries, waitFor } from '../../../src/controlplane';
import { freePorts } from '../../../src/controlplane/wait';
import { writePair, writeSecretFile } from '../../../src/controlplane/certs';
import { startProcess, type ManagedProcess } from '../../../src/binaries/processes';

export const API = 'kokpit.dev/v1alpha1';

export interface PlainEtcd {
  url: string;
  ca: CertKeyPair;
  /** A client certificate of this etcd's CA, for checks from the test. */
  client: CertKeyPair;
  stop(): Promise<void>;
}

/**
 * One etcd member with client-certificate auth, its CA made here (so the operator can sign clients).
 * It listens on 127.1.0.1, not 127.0.0.1: the pod runner rewrites 127.0.0.1 in a container's args to the
 * pod's own address, so a business apiserver pod could not reach an etcd there.
 */
export async function startPlainEtcd(host = '127.1.0.1'): Promise<PlainEtcd> {
  const bins = await resolveBinaries([{ component: 'etcd', version: ETCD_VERSION }]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-cluster-etcd-'));
  const ca = await createCA('etcd-ca', { validDays: 30 });
  const server = await issueCert(ca, {
    commonName: 'etcd',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', host],
    usages: ['server', 'client'],
    validDays: 30,
  });
  const client = await issueCert(ca, { commonName: 'test-client', usages: ['client'], validDays: 30 });
  const files = writePair(dir, 'server', server);
  const caFile = writeSecretFile(path.join(dir, 'ca.crt'), ca.certPem);
  const [clientPort, peerPort] = await freePorts(2);
  const url = `https://${host}:${clientPort}`;
  const peer = `http://${host}:${peerPort}`;
  const proc: ManagedProcess = startProcess(
    'etcd',
    bins.get('etcd')!,
    [
      '--name=default',
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      `--cert-file=${files.cert}`,
      `--key-file=${files.key}`,
      `--trusted-ca-file=${caFile}`,
      '--client-cert-auth=true',
      '--unsafe-no-fsync=true',
      '--listen-metrics-urls=',
      '--log-level=warn',
    ],
    { logFile: path.join(dir, 'etcd.log'), cwd: dir },
  );
  await waitFor(
    'plain etcd /health',
    async () => {
      const r = await httpsGet(`${url}/health`, { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });
      return r.status === 200 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50, abortIf: () => (proc.isRunning() ? undefined : 'etcd exited') },
  );
  return {
    url,
    ca,
    client,
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  await applyObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export async function installDefaultVersions(kc: KubeConfig): Promise<void> {
  for (const v of defaultKubernetesVersions()) await applyObject(makeObjectApi(kc), v as unknown as KubernetesObject);
}

/**
 * An EtcdCluster the etcd operator would run, pointed at `etcd` and marked Available by the test itself
 * (the etcd operator is not running in these tests): status.clientEndpoint is the plain etcd's URL and
 * status.caSecretName a Secret with its CA.
 */
export async function availableEtcdCluster(kc: KubeConfig, ns: string, name: string, etcd: PlainEtcd): Promise<void> {
  const objects = makeObjectApi(kc);
  const caSecret = `${name}-ca`;
  await applyObject(objects, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: caSecret, namespace: ns },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(etcd.ca.certPem), 'tls.key': b64(etcd.ca.keyPem) },
  } as KubernetesObject);
  await applyObject(objects, {
    apiVersion: API,
    kind: 'EtcdCluster',
    metadata: { name, namespace: ns },
    spec: { replicas: 1, version: '3.5.35' },
  } as KubernetesObject);
  await applyStatus(kc, { apiVersion: API, kind: 'EtcdCluster', metadata: { name, namespace: ns } }, 'etcdclusters', {
    phase: 'Running',
    readyMembers: 1,
    currentVersion: '3.5.35',
    clientEndpoint: etcd.url,
    caSecretName: caSecret,
    conditions: [{ type: 'Available', status: 'True', reason: 'QuorumHealthy', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  });
}

export function businessCluster(name: string, ns: string, spec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns }, spec } as KubernetesObject;
}

export interface Owned {
  kind: string;
  name: string;
  resourceVersion: string;
  owners: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
}

/** Everything in `ns` labelled as belonging to `cluster`, sorted by kind/name. */
export async function ownedObjects(kc: KubeConfig, ns: string, cluster: string): Promise<Owned[]> {
  const objects = makeObjectApi(kc);
  const out: Owned[] = [];
  for (const [apiVersion, kind] of [
    ['v1', 'Secret'],
    ['v1', 'Service'],
    ['apps/v1', 'Deployment'],
    [API, 'EtcdCluster'],
  ]) {
    for (const o of await listObjects(objects, apiVersion, kind, { namespace: ns, labelSelector: `kokpit.dev/cluster=${cluster}` })) {
      out.push({
        kind,
        name: o.metadata!.name!,
        resourceVersion: o.metadata!.resourceVersion!,
        owners: (o.metadata!.ownerReferences ?? []).map((r) => ({ kind: r.kind, name: r.name, uid: r.uid, controller: r.controller })),
      });
    }
  }
  return out.sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
}

export async function readCluster(
  kc: KubeConfig,
  ns: string,
  name: string,
): Promise<
  KubernetesObject & {
    status?: Record<string, unknown> & {
      conditions?: Array<{ type: string; status: string; reason?: string; message?: string; observedGeneration?: number }>;
    };
  }
> {
  return makeObjectApi(kc).read({ apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns } } as never);
}

export async function eventsFor(kc: KubeConfig, ns: string, name: string) {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A stand-in for a load balancer in front of the business apiserver pods: a TCP proxy on 127.0.0.1 that
 * forwards each connection to a Ready, non-terminating pod matching `labelSelector`. The pod runner has no
 * kube-proxy (no NodePorts, no ClusterIPs) and pod IPs change on every rollout; this gives the host one
 * stable address, as an LB would. TLS passes through untouched (the serving cert carries 127.0.0.1).
 */
export async function startLoopbackLB(
  kc: KubeConfig,
  ns: string,
  labelSelector: string,
  targetPort: number,
): Promise<{ url: string; connections: () => number; stop(): Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const sockets = new Set<net.Socket>();
  let rr = 0;
  let count = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    core.listNamespacedPod({ namespace: ns, labelSelector }).then(
      (pods) => {
        const ready = pods.items.filter(
          (p) =>
            !p.metadata?.deletionTimestamp &&
            p.status?.podIP &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        if (!ready.length) return client.destroy();
        const ip = ready[rr++ % ready.length].status!.podIP!;
        const upstream = net.connect(targetPort, ip);
        count++;
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => count,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** etcd's JSON gateway, with the test's client certificate. */
async function etcdCall(etcd: PlainEtcd, path: string, body: unknown): Promise<Record<string, unknown>> {
  const https = await import('node:https');
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${etcd.url}${path}`,
      {
        method: 'POST',
        ca: etcd.ca.certPem,
        cert: etcd.client.certPem,
        key: etcd.client.keyPem,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`etcd ${path}: HTTP ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export async function etcdPut(etcd: PlainEtcd, key: string, value: string): Promise<void> {
  await etcdCall(etcd, '/v3/kv/put', { key: b64(key), value: b64(value) });
}

/** Number of keys under `dir` (a directory: `dir/…`). */
export async function etcdCount(etcd: PlainEtcd, dir: string): Promise<number> {
  const start = dir.replace(/\/+$/, '') + '/';
  const end = start.slice(0, -1) + '0';
  const r = await etcdCall(etcd, '/v3/kv/range', { key: b64(start), range_end: b64(end), count_only: true });
  return Number(r.count ?? 0);
}
