// The process pod runner against a real control plane (no kube-controller-manager, no scheduler):
// an etcd pod with a Secret volume becomes Ready and serves TLS on its pod IP, crash loops are
// restarted and reported, deletion stops the process gracefully, and unknown images are reported.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PodRunner } from '../../../src/podrunner';
import type { KubeClients } from '../../../src/kube';
import { waitFor } from '../../../src/controlplane';
import {
  ETCD_IMAGE,
  etcdContainer,
  etcdPKI,
  httpsGet,
  isReady,
  pidAlive,
  readPod,
  startRunnerOnControlPlane,
  tlsSecret,
  type RunnerOnControlPlane,
  waitPod,
  waitPodGone,
} from './support';

const NS = 'default';
const NODE = 'runner-node';

describe('podrunner: pods as local processes', function () {
  let runner: PodRunner;
  let kube: KubeClients;
  let stateDir: string;
  let env: RunnerOnControlPlane | undefined;

  before(async function () {
    env = await startRunnerOnControlPlane({
      runner: { nodeName: NODE, bindUnscheduledPods: true, restartBackoff: { initialMs: 200, maxMs: 1000 } },
    });
    ({ runner, kube, stateDir } = env);
  });

  // KOKPIT_KEEP_STATE=1 keeps pod directories and container logs for debugging.
  after(async () => env?.stop());

  it('registers a Ready node with a lease', async () => {
    const node = await kube.core.readNode({ name: NODE });
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual({ ...node.status?.addresses?.[0] }, { type: 'InternalIP', address: runner.hostIP });
    const lease = await kube.coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' });
    assert.equal(lease.spec?.holderIdentity, NODE);
  });

  it('runs an etcd pod with a Secret volume that becomes Ready via its probe and serves TLS on its pod IP', async () => {
    const pki = await etcdPKI(['etcd-0', 'etcd-0.default.svc']);
    await kube.objects.create(
      tlsSecret(NS, 'etcd-0-tls', { 'ca.crt': pki.ca.certPem, 'tls.crt': pki.server.certPem, 'tls.key': pki.server.keyPem }),
    );
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'etcd-0', namespace: NS, labels: { app: 'etcd' } },
      spec: {
        nodeName: NODE,
        containers: [etcdContainer('etcd-0', { tlsVolume: 'tls' })],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'tls', secret: { secretName: 'etcd-0-tls' } },
        ],
      },
    });
    const pod = await waitPod(kube, NS, 'etcd-0', 'Ready', (p) => isReady(p) && p);
    const ip = pod.status.podIP;
    assert.match(ip, /^127\.0\.\d+\.\d+$/);
    assert.notEqual(ip, '127.0.0.1');
    assert.equal(ip, runner.podIP(NS, 'etcd-0'));
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.hostIP, runner.hostIP);
    const cs = pod.status.containerStatuses[0];
    assert.equal(cs.ready, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state.running?.startedAt, 'running state');
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'ContainersReady')?.status, 'True');

    // The Secret's files are owner-only.
    const keyFile = path.join(stateDir, 'pods', pod.metadata.uid, 'volumes', 'tls', 'tls.key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(keyFile, 'utf8'), pki.server.keyPem);

    // Serves on its pod IP, with the certificates from the Secret (client cert required).
    const health = await httpsGet(`https://${ip}:2379/health`, {
      ca: pki.ca.certPem,
      cert: pki.client.certPem,
      key: pki.client.keyPem,
      serverName: 'etcd-0',
    });
    assert.equal(health.status, 200);
    assert.match(health.body, /"health":"true"/);
    await assert.rejects(
      httpsGet(`https://${ip}:2379/health`, { ca: pki.ca.certPem, serverName: 'etcd-0' }),
      'client certificate required',
    );
  });

  it('restarts a crashing container with growing restartCount and reports its exit code', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crasher', namespace: NS },
      // No nodeName: the runner binds it (there is no scheduler).
      spec: { containers: [{ name: 'main', image: ETCD_IMAGE, command: ['sh', '-c', 'echo starting; exit 3'] }] },
    });
    // Between restarts (backoff 200 ms doubling to 1 s) the container waits in CrashLoopBackOff.
    const cs = await waitPod(kube, NS, 'crasher', 'restarted twice, backing off', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return s && s.restartCount >= 2 && s.lastState?.terminated && s.state?.waiting?.reason === 'CrashLoopBackOff' && s;
    });
    assert.equal(cs.lastState.terminated.exitCode, 3);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.equal(cs.ready, false);
    const pod = await readPod(kube, NS, 'crasher');
    assert.equal(pod.spec.nodeName, NODE);
    assert.equal(pod.status.phase, 'Running');
    const later = await waitPod(kube, NS, 'crasher', 'restarted again', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return s && s.restartCount > cs.restartCount && s;
    });
    assert.ok(later.restartCount > cs.restartCount);
    assert.match(fs.readFileSync(runner.logFile(NS, 'crasher', 'main')!, 'utf8'), /starting\n.*starting/s);
  });

  it('restarts a container whose liveness probe fails', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unhealthy', namespace: NS },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'main',
            image: ETCD_IMAGE,
            command: ['sh', '-c', 'exec sleep 3600'],
            livenessProbe: { tcpSocket: { port: 9 }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      },
    });
    const cs = await waitPod(kube, NS, 'unhealthy', 'restarted by liveness', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return s && s.restartCount >= 1 && s;
    });
    // sleep dies of the SIGTERM the liveness failure sent.
    assert.equal(cs.lastState.terminated.exitCode, 143);
    await kube.core.deleteNamespacedPod({ name: 'unhealthy', namespace: NS });
  });

  it('provides env from fieldRef/secretKeyRef/configMapKeyRef, ConfigMap, downward API and hostPath volumes, and workingDir', async () => {
    await kube.objects.create(tlsSecret(NS, 'app-secret', { password: 'not-a-real-secret' }));
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: NS },
      data: { mode: 'fast', 'app.conf': 'color=blue\n' },
    });
    const script = [
      'echo "env: NS=$MY_NS NAME=$MY_NAME IP=$MY_IP PW=$PW MODE=$MODE ARG=$1"',
      'echo "conf: $(cat /etc/app/app.conf)"',
      'echo "labels: $(cat /etc/podinfo/labels)"',
      'echo "cwd: $(pwd)"',
      'echo written > /var/lib/kokpit-podrunner-test/out',
      'exec sleep 3600',
    ].join('; ');
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'envy', namespace: NS, labels: { tier: 'test' } },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: ETCD_IMAGE,
            command: ['sh', '-c', script, 'sh', '$(MODE)-$(MY_NAME)'],
            workingDir: '/work',
            env: [
              { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
            ],
            volumeMounts: [
              { name: 'config', mountPath: '/etc/app' },
              { name: 'podinfo', mountPath: '/etc/podinfo' },
              { name: 'state', mountPath: '/var/lib/kokpit-podrunner-test' },
              { name: 'work', mountPath: '/work' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'app-config' } },
          { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'state', hostPath: { path: '/var/lib/kokpit-podrunner-test', type: 'DirectoryOrCreate' } },
          { name: 'work', emptyDir: {} },
        ],
      },
    });
    const pod = await waitPod(kube, NS, 'envy', 'Ready', (p) => isReady(p) && p);
    const log = runner.logFile(NS, 'envy', 'main')!;
    const out = await waitFor(
      'container output',
      async () => {
        const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
        return text.includes('cwd:') ? text : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.match(
      out,
      new RegExp(`env: NS=default NAME=envy IP=${pod.status.podIP.replace(/\./g, '\\.')} PW=not-a-real-secret MODE=fast ARG=fast-envy`),
    );
    assert.match(out, /conf: color=blue/);
    assert.match(out, /labels: tier="test"/);
    const podDir = path.join(stateDir, 'pods', pod.metadata.uid);
    assert.match(out, new RegExp(`cwd: ${podDir}/volumes/work`));
    // hostPath lands under the runner's emulated node root, never in the real /var/lib.
    assert.equal(fs.readFileSync(path.join(stateDir, 'node-root', 'var/lib/kokpit-podrunner-test/out'), 'utf8'), 'written\n');
    assert.equal(fs.existsSync('/var/lib/kokpit-podrunner-test'), false);
    await kube.core.deleteNamespacedPod({ name: 'envy', namespace: NS });
  });

  it("gives a hostNetwork pod the node's address", async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'on-host', namespace: NS },
      spec: {
        nodeName: NODE,
        hostNetwork: true,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: ETCD_IMAGE, command: ['sh', '-c', 'exec sleep 3600'] }],
      },
    });
    const pod = await waitPod(kube, NS, 'on-host', 'Ready', (p) => isReady(p) && p);
    assert.equal(pod.status.podIP, runner.hostIP);
    await kube.core.deleteNamespacedPod({ name: 'on-host', namespace: NS });
    await waitPodGone(kube, NS, 'on-host');
  });

  it('does not restart a failed container of a restartPolicy: Never pod', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'once', namespace: NS },
      spec: { nodeName: NODE, restartPolicy: 'Never', containers: [{ name: 'main', image: ETCD_IMAGE, command: ['sh', '-c', 'exit 7'] }] },
    });
    const pod = await waitPod(kube, NS, 'once', 'Failed', (p) => p.status?.phase === 'Failed' && p);
    assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 7);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
  });

  it('stops the process with SIGTERM when the pod is deleted', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'doomed', namespace: NS },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 20,
        containers: [etcdContainer('doomed')],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    await waitPod(kube, NS, 'doomed', 'Ready', isReady);
    const pids = runner.pids(NS, 'doomed');
    assert.equal(pids.length, 1);
    assert.ok(pidAlive(pids[0]));
    const t0 = Date.now();
    await kube.core.deleteNamespacedPod({ name: 'doomed', namespace: NS });
    await waitPodGone(kube, NS, 'doomed');
    assert.equal(pidAlive(pids[0]), false, `pid ${pids[0]} still alive`);
    // Graceful: etcd saw SIGTERM and shut down (its own log says so); a SIGKILL after the grace period would not.
    process.stderr.write(`  pod process gone ${Date.now() - t0} ms after the delete (grace period 20 s)\n`);
    assert.match(fs.readFileSync(runner.logFile(NS, 'doomed', 'etcd')!, 'utf8'), /received signal; shutting down/);
  });

  it('kills a container that ignores SIGTERM once the grace period is over', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stubborn', namespace: NS },
      // An ignored signal stays ignored across exec: sleep never sees the SIGTERM.
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: ETCD_IMAGE, command: ['sh', '-c', 'trap "" TERM; exec sleep 3600'] }],
      },
    });
    await waitPod(kube, NS, 'stubborn', 'Ready', isReady);
    const [pid] = runner.pids(NS, 'stubborn');
    const t0 = Date.now();
    await kube.core.deleteNamespacedPod({ name: 'stubborn', namespace: NS });
    await waitPodGone(kube, NS, 'stubborn');
    const took = Date.now() - t0;
    assert.equal(pidAlive(pid), false);
    assert.ok(took >= 900, `gone after ${took} ms: the grace period was not honoured`);
  });

  it('runs init containers to completion before the containers', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'initialized', namespace: NS },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        initContainers: [
          {
            name: 'prepare',
            image: ETCD_IMAGE,
            command: ['sh', '-c', 'echo prepared > /data/marker'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        containers: [
          {
            name: 'main',
            image: ETCD_IMAGE,
            command: ['sh', '-c', 'cat /data/marker; exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    const pod = await waitPod(kube, NS, 'initialized', 'Ready', (p) => isReady(p) && p);
    assert.equal(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0);
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'Initialized')?.status, 'True');
    const log = runner.logFile(NS, 'initialized', 'main')!;
    await waitFor('main output', async () => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('prepared')) || undefined, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await kube.core.deleteNamespacedPod({ name: 'initialized', namespace: NS });
  });

  it('reports an image without a local binary as ErrImagePull naming the image and the known mappings', async () => {
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx', namespace: NS },
      spec: { nodeName: NODE, containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }] },
    });
    const waiting = await waitPod(kube, NS, 'nginx', 'ErrImagePull', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImagePull' && w;
    });
    assert.match(waiting.message, /docker\.io\/library\/nginx:1\.27/);
    assert.match(waiting.message, /etcd:[^;]*3\.5\.35-0[^;]* → etcd [^;]*v3\.5\.35/, 'the etcd mapping, whatever other etcd builds exist');
    assert.match(waiting.message, /kube-apiserver/);
    const pod = await readPod(kube, NS, 'nginx');
    assert.equal(pod.status.phase, 'Pending');
  });
});
