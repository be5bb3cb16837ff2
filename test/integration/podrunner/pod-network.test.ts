// The pod runner's netns pod network (src/podrunner/pod-network.ts) on a real control plane with
// kube-controller-manager: pods get 198.18.<block>.x addresses, each in a network namespace of its own on a bridge
// the runner creates, so the endpoint controllers give their Services endpoints (127.x pod IPs are rejected), the API
// server calls a validating webhook served by a pod behind a Service, a pod reaches the API server at the host's
// 127.0.0.1 through the relay, two pods listen on the same fixed port, and nothing is left on the host once the runner
// is gone — stopped, or SIGKILLed.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createCA, issueCert } from '../../../src/pki';
import type { KubeClients } from '../../../src/kube';
import { waitFor } from '../../../src/controlplane';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import { ETCD_IMAGE, etcdContainer, isReady, startRunnerOnControlPlane, tlsSecret, type RunnerOnControlPlane } from './support';

const NS = 'default';
const NODE = 'runner-netns';
const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.33.13';

const procStat = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
};
const link = (name: string) => spawnSync('ip', ['-o', 'link', 'show', name], { encoding: 'utf8' });

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A pod bound to the runner's node (there is no scheduler), Ready. */
async function readyPod(kube: KubeClients, name: string, spec: any, labels: Record<string, string> = {}): Promise<any> {
  await kube.objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name, ...labels } }, spec });
  return waitFor(
    `pod ${name} Ready`,
    async (state) => {
      const p: any = await kube.core.readNamespacedPod({ name, namespace: NS });
      state.lastReason = JSON.stringify({ phase: p.status?.phase, cs: p.status?.containerStatuses }).slice(0, 600);
      return isReady(p) ? p : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

// The webhook: Node's own https in the pod (the runner runs host commands through `sh`), denying every object it sees.
const WEBHOOK_JS = `
const https = require('node:https'), fs = require('node:fs');
https.createServer({ cert: fs.readFileSync('/tls/tls.crt'), key: fs.readFileSync('/tls/tls.key') }, (req, res) => {
  let body = ''; req.on('data', (d) => (body += d)); req.on('end', () => {
    const uid = body ? JSON.parse(body).request.uid : '';
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      response: { uid, allowed: false, status: { code: 403, message: 'denied by the webhook pod at ' + process.env.POD_IP } } }));
  });
}).listen(8443, '0.0.0.0');
`;

describe('podrunner: the netns pod network (Services, webhooks, the API server from pods)', function () {
  this.timeout(240_000);
  let env: RunnerOnControlPlane | undefined;
  let kube: KubeClients;

  before(async function () {
    const why = netnsUnavailable();
    if (why) {
      console.log(`  skipped: ${why}`);
      this.skip();
    }
    env = await startRunnerOnControlPlane({
      controlPlane: { controllers: true, scheduler: false },
      runner: { nodeName: NODE, bindUnscheduledPods: true, podNetwork: 'netns', restartBackoff: { initialMs: 500, maxMs: 2000 } },
    });
    kube = env.kube;
    await waitFor(
      'default ServiceAccount',
      async () => (await kube.core.readNamespacedServiceAccount({ name: 'default', namespace: NS })) && true,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
  });

  after(async () => env?.stop());

  it('a Service of a runner pod gets endpoints at its 198.18.<block>.x pod IP, which the host reaches', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'backend', namespace: NS },
      spec: { selector: { app: 'backend' }, ports: [{ name: 'metrics', port: 2381, targetPort: 2381 }] },
    });
    const pod = await readyPod(kube, 'backend', { containers: [etcdContainer('backend')], volumes: [{ name: 'data', emptyDir: {} }] });
    const ip: string = pod.status.podIP;
    assert.match(ip, new RegExp(`^198\\.18\\.${env!.runner.hostIP.split('.')[2]}\\.\\d+$`));
    const slice = await waitFor(
      'an EndpointSlice of backend with the pod IP',
      async () => {
        const list = await kube.objects.list<any>('discovery.k8s.io/v1', 'EndpointSlice', NS);
        return list.items.find((s: any) => s.metadata.labels?.['kubernetes.io/service-name'] === 'backend' && s.endpoints?.length);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.deepEqual(slice.endpoints[0].addresses, [ip]);
    // The Endpoints controller is the one that rejected 127.x addresses ("may not be in the loopback range").
    const eps = await waitFor(
      'Endpoints of backend',
      async () => {
        const e: any = await kube.core.readNamespacedEndpoints({ name: 'backend', namespace: NS });
        return e.subsets?.[0]?.addresses?.length ? e : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(eps.subsets[0].addresses[0].ip, ip);
    const events = await kube.core.listNamespacedEvent({ namespace: NS });
    assert.deepEqual(
      events.items.filter((e) => e.reason === 'FailedToUpdateEndpoint').map((e) => e.message),
      [],
    );
    assert.equal(await httpGet(`http://${ip}:2381/health`), 200);
  });

  it('a pod reaches the API server at the host’s 127.0.0.1 through the relay, as its ServiceAccount', async () => {
    await kube.objects.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'default-edit', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }],
    });
    const pod = await readyPod(kube, 'writer', {
      containers: [
        {
          name: 'kubectl',
          image: KUBECTL_IMAGE,
          command: ['sh', '-c', 'kubectl create configmap from-pod --from-literal=ip="$POD_IP" && exec sleep 3600'],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        },
      ],
    });
    const cm = await waitFor(
      'ConfigMap from-pod',
      async () => kube.core.readNamespacedConfigMap({ name: 'from-pod', namespace: NS }).catch(() => undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    assert.equal(cm.data?.ip, pod.status.podIP);
    assert.match(cm.data!.ip, /^198\.18\./);
    assert.equal(cm.metadata?.managedFields?.[0]?.manager, 'kubectl-create');
  });

  it('the API server calls a validating webhook served by a pod behind a Service (at the endpoint: no kube-proxy)', async () => {
    const ca = await createCA('webhook-ca', { validDays: 1 });
    const serving = await issueCert(ca, { commonName: 'hook', dnsNames: ['hook.default.svc'], validDays: 1, usages: ['server'] });
    await kube.objects.create(tlsSecret(NS, 'hook-tls', { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem }));
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hook', namespace: NS },
      spec: { selector: { app: 'hook' }, ports: [{ port: 443, targetPort: 8443 }] },
    });
    const pod = await readyPod(kube, 'hook', {
      containers: [
        {
          name: 'webhook',
          image: ETCD_IMAGE, // any mapped image: the command is the host's shell and node
          command: ['sh', '-c', `exec ${process.execPath} -e "$0"`, WEBHOOK_JS],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
          volumeMounts: [{ name: 'tls', mountPath: '/tls', readOnly: true }],
        },
      ],
      volumes: [{ name: 'tls', secret: { secretName: 'hook-tls' } }],
    });
    await kube.objects.create({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'deny-guarded' },
      webhooks: [
        {
          name: 'deny.guarded.kokpit.dev',
          clientConfig: {
            service: { name: 'hook', namespace: NS, path: '/validate' },
            caBundle: Buffer.from(ca.certPem).toString('base64'),
          },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
          objectSelector: { matchLabels: { guarded: 'yes' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    });
    const guarded = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: NS, labels: { guarded: 'yes' } },
    });
    // The configuration takes effect once the API server's informer has it: retry until the webhook answers.
    const message = await waitFor(
      'the webhook to deny a guarded ConfigMap',
      async (state) => {
        try {
          await kube.objects.create(guarded(`probe-${Date.now()}`));
          state.lastReason = 'created (webhook not active yet)';
          return undefined;
        } catch (e) {
          const m = (e as Error).message;
          state.lastReason = m.slice(0, 400);
          return /denied by the webhook pod/.test(m) ? m : undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.match(message, new RegExp(`denied by the webhook pod at ${pod.status.podIP.replace(/\./g, '\\.')}`));
    await kube.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unguarded', namespace: NS } });
  });

  it('each pod has its own namespace: two pods listen on the same fixed port, each answers on its own loopback', async () => {
    // A port in code, not in args (which the runner rewrites to the pod IP): what OCM's webhook servers do with :8000.
    const serverJS = "require('node:http').createServer((q, r) => r.end(process.env.POD_IP)).listen(8000)";
    const ownLoopback =
      "fetch('http://127.0.0.1:8000').then((r) => r.text()).then((t) => process.exit(t === process.env.POD_IP ? 0 : 1), () => process.exit(1))";
    const spec = {
      containers: [
        {
          name: 'web',
          image: ETCD_IMAGE,
          command: ['sh', '-c', `exec ${process.execPath} -e "$0"`, serverJS],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          readinessProbe: { exec: { command: [process.execPath, '-e', ownLoopback] }, periodSeconds: 1 },
        },
      ],
    };
    const [a, b] = await Promise.all([readyPod(kube, 'same-port-a', spec), readyPod(kube, 'same-port-b', spec)]);
    assert.notEqual(a.status.podIP, b.status.podIP);
    for (const p of [a, b]) assert.equal(await httpText(`http://${p.status.podIP}:8000/`), p.status.podIP);
  });

  it('stopping the runner leaves no interface or namespace on the host', async () => {
    const iface = `kokpit${env!.runner.hostIP.split('.')[2]}`;
    assert.equal(link(iface).status, 0, `${iface} exists while the runner runs`);
    await env!.runner.stop();
    assert.notEqual(link(iface).status, 0, `${iface} still exists: ${link(iface).stdout}`);
  });

  it('a SIGKILLed runner process leaves no interface either (its namespace dies with its last process)', async () => {
    // A runner of its own in a child process, killed with SIGKILL once its network is up.
    const child = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        '-e',
        `const { openNetnsPodNetwork } = require(${JSON.stringify(path.resolve('src/podrunner/pod-network.ts'))});` +
          `openNetnsPodNetwork({ block: 250, log: () => {} }).then(async (n) => { await n.relay('127.0.0.1', 1);` +
          ` console.log(n.hostInterface, n.netnsPath); setInterval(() => {}, 1000); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [iface, netnsPath] = await new Promise<string[]>((resolve) =>
      child.stdout!.once('data', (d: Buffer) => resolve(String(d).trim().split(' '))),
    );
    assert.equal(iface, 'kokpit250');
    assert.equal(link(iface).status, 0);
    const holder = Number(netnsPath.split('/')[2]);
    child.kill('SIGKILL');
    await waitFor('the interface gone', async () => link(iface).status !== 0 || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    // Gone or a zombie (exited, not yet reaped by the container's init).
    await waitFor('the namespace holder gone', async () => !/^\d+ \(.*\) [^Z]/.test(procStat(holder)) || undefined, { timeoutMs: 10_000 });
  });
});
