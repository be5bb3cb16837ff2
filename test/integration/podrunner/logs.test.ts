// Pod logs through the real path: kubectl → kube-apiserver (pods/log) → the pod runner's kubelet endpoint on the Node's
// InternalIP and daemonEndpoints port, HTTPS both ways (the apiserver checks the runner's serving certificate against
// the cluster CA and presents its kubelet-client certificate). A pod writes numbered lines; kubectl logs, --tail,
// --limit-bytes, --timestamps, --since, --follow receiving a new line and ending with the container, --previous after
// a restart; clients other than the apiserver's kubelet client refused; and the editor's Show Logs document streaming.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { binaryPath } from '../../../src/binaries/build';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import type { KubeClients } from '../../../src/kube';
import { createCA, issueCert } from '../../../src/pki';
import type { PodRunner } from '../../../src/podrunner';
import { installFakeVscode } from '../../unit/extension-model/fake-vscode';
import { ETCD_IMAGE, startRunnerOnControlPlane, waitPod, type RunnerOnControlPlane } from './support';

const NS = 'default';
const NODE = 'logs-node';
const KUBECTL = binaryPath('kubectl', 'v1.33.13');
// Counts its runs in an emptyDir (kept across restarts) and prints a numbered line every 300 ms.
const TALKER =
  'n=$(( $(cat /data/runs 2>/dev/null || echo 0) + 1 )); echo $n > /data/runs; i=0; ' +
  'while true; do i=$((i+1)); echo "run $n line $i"; sleep 0.3; done';

/** GET on the kubelet endpoint itself, with the given client certificate (or none). */
function kubeletGet(url: string, caPem: string, client?: { certPem: string; keyPem: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: caPem, cert: client?.certPem, key: client?.keyPem, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A command's exit code and output, without blocking this process. */
function run(file: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('podrunner: pod logs through the apiserver and the runner’s kubelet endpoint', function () {
  let cp: ControlPlane;
  let runner: PodRunner;
  let kube: KubeClients;
  let env: RunnerOnControlPlane | undefined;
  let endpoint: string;
  // Never spawnSync: the runner serving the apiserver's log request lives in this process.
  const kubectl = (...args: string[]) => run(KUBECTL, ['--kubeconfig', cp.kubeconfigPath, '-n', NS, ...args]);
  const restarts = async () =>
    (await kube.core.readNamespacedPod({ name: 'talker', namespace: NS })).status!.containerStatuses![0].restartCount;

  before(async function () {
    env = await startRunnerOnControlPlane({
      runner: { nodeName: NODE, bindUnscheduledPods: true, restartBackoff: { initialMs: 200, maxMs: 1000 } },
      kubelet: true,
    });
    ({ cp, runner, kube } = env);
    await kube.objects.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'talker', namespace: NS },
      spec: {
        containers: [
          { name: 'main', image: ETCD_IMAGE, command: ['sh', '-c', TALKER], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    await waitPod(kube, NS, 'talker', 'running', (p) => p.status?.containerStatuses?.[0]?.state?.running);
    // Enough lines that --tail and --since have something to leave out.
    await waitFor(
      '10 lines in the log',
      async () => (fs.readFileSync(runner.logFile(NS, 'talker', 'main')!, 'utf8').match(/\n/g)?.length ?? 0) >= 10 || undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
  });

  after(async () => env?.stop());

  it('advertises its kubelet endpoint on the Node, with a serving certificate for the node address from the cluster CA', async () => {
    const node = await kube.core.readNode({ name: NODE });
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    assert.ok(port > 0, `kubelet port ${port}`);
    assert.equal(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, runner.hostIP);
    endpoint = `https://${runner.hostIP}:${port}`;
    // Verified against the cluster CA and the IP dialled (Node's https checks the IP SAN); no client certificate: 401.
    const r = await kubeletGet(`${endpoint}/containerLogs/${NS}/talker/main`, cp.caPem);
    assert.equal(r.status, 401);
  });

  it('kubectl logs: the whole log, --tail, --limit-bytes', async () => {
    const all = await kubectl('logs', 'talker');
    assert.equal(all.status, 0, all.stderr);
    const got = lines(all.stdout);
    assert.ok(got.length >= 10, all.stdout);
    got.forEach((l, i) => assert.equal(l, `run 1 line ${i + 1}`));

    const tail = await kubectl('logs', 'talker', '--tail=3');
    assert.equal(tail.status, 0, tail.stderr);
    const t = lines(tail.stdout);
    assert.equal(t.length, 3, tail.stdout);
    const last = Number(/line (\d+)$/.exec(t[2])![1]);
    assert.ok(last >= got.length);
    assert.deepEqual(t, [`run 1 line ${last - 2}`, `run 1 line ${last - 1}`, `run 1 line ${last}`]);

    const limited = await kubectl('logs', 'talker', '--limit-bytes=15');
    assert.equal(limited.status, 0, limited.stderr);
    assert.equal(limited.stdout, 'run 1 line 1\nru');
  });

  it('kubectl logs --timestamps and --since: each line stamped when written, old lines left out', async () => {
    const stamped = await kubectl('logs', 'talker', '--timestamps');
    const t1 = Date.now();
    assert.equal(stamped.status, 0, stamped.stderr);
    const rows = lines(stamped.stdout).map((l) => /^(\S+) (run 1 line (\d+))$/.exec(l)!);
    assert.ok(rows.every(Boolean), stamped.stdout);
    const times = rows.map((m) => Date.parse(m[1]));
    assert.ok(
      times.every((t, i) => i === 0 || t >= times[i - 1]),
      'stamps in order',
    );
    // Stamped per line as written (lines 300 ms apart), not all at the time of the request.
    assert.ok(times.at(-1)! <= t1 && times.at(-1)! > times[0], `first ${rows[0][1]} last ${rows.at(-1)![1]}`);
    // The lines are 300 ms apart: since 1 s leaves out line 1 (written seconds ago) and keeps the latest.
    const since = await kubectl('logs', 'talker', '--since=1s', '--timestamps');
    assert.equal(since.status, 0, since.stderr);
    const recent = lines(since.stdout);
    assert.ok(!recent.some((l) => l.endsWith(' run 1 line 1')), since.stdout);
    for (const l of recent) assert.ok(Date.parse(l.split(' ')[0]) >= Date.now() - 60_000, l);
  });

  it('--previous before any restart: the kubelet’s error through the apiserver', async () => {
    const r = await kubectl('logs', 'talker', '--previous');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /previous terminated container "main" in pod "talker" not found/);
  });

  it('kubectl logs --follow gets a new line as written and ends when the container stops; --previous after the restart', async () => {
    const follow = spawn(KUBECTL, ['--kubeconfig', cp.kubeconfigPath, '-n', NS, 'logs', 'talker', '--follow', '--tail=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follow.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const ended = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
    try {
      const first = await waitFor('the tail line', async () => /^run 1 line (\d+)\n/.exec(out) ?? undefined, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      const n = Number(first[1]);
      // A line written after the request began arrives on the same stream.
      await waitFor('a new line on the stream', async () => out.includes(`run 1 line ${n + 1}\n`) || undefined, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      assert.deepEqual(lines(out).slice(0, 2), [`run 1 line ${n}`, `run 1 line ${n + 1}`]);

      // The container is killed; the runner restarts it (Always): the follow ends with the old container, as the kubelet's.
      for (const pid of runner.pids(NS, 'talker')) process.kill(-pid, 'SIGKILL');
      assert.equal(await ended, 0);
    } finally {
      follow.kill();
    }
    await waitPod(kube, NS, 'talker', 'restarted and running', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running;
    });
    assert.equal(await restarts(), 1);
    await waitFor(
      'the new run’s first line',
      async () => (await kubectl('logs', 'talker')).stdout.startsWith('run 2 line 1\n') || undefined,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    const current = lines((await kubectl('logs', 'talker')).stdout);
    assert.ok(
      current.every((l, i) => l === `run 2 line ${i + 1}`),
      current.join('\n'),
    );
    const previous = await kubectl('logs', 'talker', '--previous');
    assert.equal(previous.status, 0, previous.stderr);
    const prev = lines(previous.stdout);
    assert.ok(prev.length > 10, previous.stdout);
    prev.forEach((l, i) => assert.equal(l, `run 1 line ${i + 1}`));
    assert.equal(lines((await kubectl('logs', 'talker', '--previous', '--tail=1')).stdout)[0], prev.at(-1));
  });

  it('only the apiserver’s kubelet client may read: 401 without a cluster client certificate, 403 for another user', async () => {
    const url = `${endpoint}/containerLogs/${NS}/talker/main?tailLines=1`;
    const admin = { certPem: cp.adminTLS.certPem!, keyPem: cp.adminTLS.keyPem! };
    const other = await createCA('not-the-cluster-ca', { validDays: 1 });
    const forged = await issueCert(other, { commonName: 'kube-apiserver-kubelet-client', usages: ['client'], validDays: 1 });
    const kubeletClient = {
      certPem: fs.readFileSync(path.join(cp.dir, 'pki', 'apiserver-kubelet-client.crt'), 'utf8'),
      keyPem: fs.readFileSync(path.join(cp.dir, 'pki', 'apiserver-kubelet-client.key'), 'utf8'),
    };
    assert.equal((await kubeletGet(url, cp.caPem)).status, 401);
    assert.equal((await kubeletGet(url, cp.caPem, forged)).status, 401);
    const asAdmin = await kubeletGet(url, cp.caPem, admin);
    assert.equal(asAdmin.status, 403);
    assert.match(asAdmin.body, /Forbidden \(user=kokpit-admin/);
    const ok = await kubeletGet(url, cp.caPem, kubeletClient);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^run 2 line \d+\n$/);
    assert.equal((await kubeletGet(`${endpoint}/containerLogs/${NS}/nobody/main`, cp.caPem, kubeletClient)).status, 404);
    assert.equal((await kubeletGet(`${endpoint}/exec/${NS}/talker/main`, cp.caPem, kubeletClient)).status, 404);
  });

  it("the editor's Show Pod Logs document streams the pod's log (fake vscode, the real Log API path)", async () => {
    installFakeVscode();
    // Loaded after the fake is installed (it imports 'vscode').
    const { PodLogDocuments } = require('../../../src/extension/fleet/pod-logs') as typeof import('../../../src/extension/fleet/pod-logs');
    const docs = new PodLogDocuments();
    try {
      const target = { namespace: NS, pod: 'talker', container: 'main', previous: false };
      const uri = await docs.open(cp.kubeConfig(), 'meta', target);
      const text = () => docs.provideTextDocumentContent(uri);
      const first = await waitFor('a line in the document', async () => /run 2 line (\d+)\n/.exec(text()) ?? undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      const n = Number(first[1]);
      await waitFor('a later line streamed in', async () => text().includes(`run 2 line ${n + 2}\n`) || undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      assert.match(text(), /^# kubectl logs -f --tail=1000 -n default talker -c main {3}\(meta\)\nrun 2 line 1\n/);
      assert.equal(docs.isStreaming(uri), true);
      const prevUri = await docs.open(cp.kubeConfig(), 'meta', { ...target, previous: true });
      await waitFor(
        'the previous log, ended',
        async () => docs.provideTextDocumentContent(prevUri).includes('# (log stream ended)') || undefined,
        {
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      );
      assert.match(docs.provideTextDocumentContent(prevUri), /\nrun 1 line 1\nrun 1 line 2\n/);
      assert.doesNotMatch(docs.provideTextDocumentContent(prevUri), /run 2/);
    } finally {
      docs.dispose();
    }
  });
});
