// Workloads through kube-controller-manager and kube-scheduler on the process pod runner:
// a Deployment's pod reaches another Deployment's pod by its Service name, and a kube-apiserver pod
// rendered like the cluster operator's (etcd reached by Service name, certificates from Secrets) is Ready.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createKeyPair, issueCert, createCA } from '../../../src/pki';
import type { KubeClients } from '../../../src/kube';
import { waitFor } from '../../../src/controlplane';
import { ETCD_IMAGE, etcdContainer, etcdPKI, httpsGet, startRunnerOnControlPlane, tlsSecret, type RunnerOnControlPlane } from './support';

const NS = 'default';
const NODE = 'runner-workloads';

function deployment(name: string, podSpec: any) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec } },
  };
}

function service(name: string, port: number) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { selector: { app: name }, ports: [{ port, targetPort: port }] },
  };
}

/** The one pod of a Deployment once it is Ready. */
async function readyPodOf(kube: KubeClients, app: string, timeoutMs = 90_000): Promise<any> {
  return waitFor(
    `a Ready pod of ${app}`,
    async (state) => {
      const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` });
      const ready = list.items.find((p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      if (ready) return ready;
      state.lastReason = JSON.stringify(
        list.items.map((p: any) => ({ node: p.spec.nodeName, phase: p.status?.phase, cs: p.status?.containerStatuses })),
      ).slice(0, 800);
      return undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

function postJSON(url: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) }, timeout: 3000 },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('podrunner: workloads with kube-controller-manager and kube-scheduler', function () {
  let env: RunnerOnControlPlane | undefined;
  let kube: KubeClients;

  before(async function () {
    env = await startRunnerOnControlPlane({
      controlPlane: { controllers: true, scheduler: true },
      // kube-scheduler binds the pods to the runner's node (pods.test.ts covers the runner binding itself).
      runner: { nodeName: NODE, restartBackoff: { initialMs: 500, maxMs: 2000 } },
    });
    kube = env.kube;
    // Deployments need the `default` ServiceAccount, which kube-controller-manager creates.
    await waitFor(
      'default ServiceAccount',
      async () => (await kube.core.readNamespacedServiceAccount({ name: 'default', namespace: NS })) && true,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });

  // KOKPIT_KEEP_STATE=1 keeps pod directories and container logs for debugging.
  after(async () => env?.stop());

  it("a Deployment's pod reaches another Deployment's pod by its Service name", async () => {
    await kube.objects.create(service('backend', 2379));
    await kube.objects.create(deployment('backend', { containers: [etcdContainer('backend')], volumes: [{ name: 'data', emptyDir: {} }] }));
    // The client writes through the short Service name, and is Ready once it reads back through the FQDN.
    await kube.objects.create(
      deployment('client', {
        containers: [
          {
            name: 'client',
            image: ETCD_IMAGE,
            command: ['sh', '-c', 'etcdctl --endpoints=http://backend:2379 put from-client "written by $(POD_NAME)" && exec sleep 3600'],
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            readinessProbe: {
              exec: {
                command: [
                  'sh',
                  '-c',
                  'etcdctl --endpoints=http://backend.default.svc.cluster.local:2379 get from-client --print-value-only | ' +
                    'grep -q "written by"',
                ],
              },
              periodSeconds: 1,
            },
          },
        ],
      }),
    );
    const backend = await readyPodOf(kube, 'backend');
    const client = await readyPodOf(kube, 'client');
    assert.equal(backend.spec.nodeName, NODE);
    assert.notEqual(backend.status.podIP, client.status.podIP);
    const got = await postJSON(`http://${backend.status.podIP}:2379/v3/kv/range`, { key: Buffer.from('from-client').toString('base64') });
    assert.equal(Buffer.from(got.kvs[0].value, 'base64').toString(), `written by ${client.metadata.name}`);
    // Resolution happened in the pods' own hosts files, not the machine's.
    assert.doesNotMatch(fs.readFileSync('/etc/hosts', 'utf8'), /\bbackend\b/);
  });

  it('runs a kube-apiserver pod rendered like the cluster operator does, reaching etcd by Service name', async () => {
    this.timeout(180_000);
    // etcd behind a Service named `etcd`, serving TLS with a certificate for that name.
    const etcd = await etcdPKI(['etcd', 'etcd.default.svc', 'etcd.default.svc.cluster.local']);
    await kube.objects.create(
      tlsSecret(NS, 'etcd-server', { 'ca.crt': etcd.ca.certPem, 'tls.crt': etcd.server.certPem, 'tls.key': etcd.server.keyPem }),
    );
    await kube.objects.create(service('etcd', 2379));
    await kube.objects.create(
      deployment('etcd', {
        containers: [etcdContainer('etcd', { tlsVolume: 'tls' })],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'tls', secret: { secretName: 'etcd-server' } },
        ],
      }),
    );

    const ca = await createCA('guest-ca', { validDays: 1 });
    const serving = await issueCert(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['guest-apiserver', 'kubernetes', 'kubernetes.default.svc'],
      validDays: 1,
      usages: ['server'],
    });
    const admin = await issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], validDays: 1, usages: ['client'] });
    const sa = await createKeyPair('rsa-2048');
    const secrets: Record<string, Record<string, string>> = {
      'guest-ca': { 'tls.crt': ca.certPem },
      'guest-apiserver-serving': { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem },
      'guest-sa': { 'sa.key': sa.privateKeyPem, 'sa.pub': sa.publicKeyPem },
      'guest-apiserver-etcd-client': { 'ca.crt': etcd.ca.certPem, 'tls.crt': etcd.client.certPem, 'tls.key': etcd.client.keyPem },
    };
    for (const [name, data] of Object.entries(secrets)) await kube.objects.create(tlsSecret(NS, name, data));
    const vols = [
      { volume: 'ca', secret: 'guest-ca', dir: '/etc/kubernetes/pki/ca' },
      { volume: 'serving', secret: 'guest-apiserver-serving', dir: '/etc/kubernetes/pki/apiserver' },
      { volume: 'sa', secret: 'guest-sa', dir: '/etc/kubernetes/pki/sa' },
      { volume: 'etcd', secret: 'guest-apiserver-etcd-client', dir: '/etc/kubernetes/pki/etcd' },
    ];
    const probe = (path: string, failureThreshold: number) => ({
      httpGet: { path, port: 6443, scheme: 'HTTPS' },
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold,
    });
    await kube.objects.create({ ...service('guest-apiserver', 6443) });
    await kube.objects.create(
      deployment('guest-apiserver', {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        containers: [
          {
            name: 'kube-apiserver',
            image: 'registry.k8s.io/kube-apiserver:v1.33.13',
            command: ['kube-apiserver'],
            args: [
              '--advertise-address=$(POD_IP)',
              '--allow-privileged=true',
              '--authorization-mode=Node,RBAC',
              '--bind-address=0.0.0.0',
              '--client-ca-file=/etc/kubernetes/pki/ca/tls.crt',
              '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
              '--etcd-certfile=/etc/kubernetes/pki/etcd/tls.crt',
              '--etcd-keyfile=/etc/kubernetes/pki/etcd/tls.key',
              '--etcd-prefix=/guest',
              '--etcd-servers=https://etcd:2379',
              '--secure-port=6443',
              '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
              '--service-account-key-file=/etc/kubernetes/pki/sa/sa.pub',
              '--service-account-signing-key-file=/etc/kubernetes/pki/sa/sa.key',
              '--service-cluster-ip-range=10.96.0.0/12',
              '--tls-cert-file=/etc/kubernetes/pki/apiserver/tls.crt',
              '--tls-private-key-file=/etc/kubernetes/pki/apiserver/tls.key',
            ],
            env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            ports: [{ name: 'https', containerPort: 6443 }],
            startupProbe: { ...probe('/livez', 60), periodSeconds: 1 },
            livenessProbe: probe('/livez', 6),
            readinessProbe: { ...probe('/readyz', 3), periodSeconds: 2 },
            volumeMounts: vols.map((v) => ({ name: v.volume, mountPath: v.dir, readOnly: true })),
          },
        ],
        volumes: vols.map((v) => ({ name: v.volume, secret: { secretName: v.secret, defaultMode: 0o400 } })),
      }),
    );
    const pod = await readyPodOf(kube, 'guest-apiserver', 150_000);
    const ip = pod.status.podIP;
    const version = await httpsGet(`https://${ip}:6443/version`, {
      ca: ca.certPem,
      cert: admin.certPem,
      key: admin.keyPem,
      serverName: 'guest-apiserver',
    });
    assert.equal(version.status, 200);
    assert.equal(JSON.parse(version.body).gitVersion, 'v1.33.13');
    // It really stores in the etcd behind the Service: its namespaces exist.
    const ns = await httpsGet(`https://${ip}:6443/api/v1/namespaces/kube-system`, {
      ca: ca.certPem,
      cert: admin.certPem,
      key: admin.keyPem,
      serverName: 'guest-apiserver',
    });
    assert.equal(ns.status, 200);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
  });
});
