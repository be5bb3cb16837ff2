// Issue 21: a pod inside a business cluster has a log that streams (kubectl logs -f), on real processes. The business
// cluster is the cluster operator's (its kube-apiserver a real process through the pod runner); its Node is a kwok
// Machine of the machine operator, whose kwok serves the kubelet API; a kwok Logs object names the host file the
// pod's container log is read from. pods/log: business kube-apiserver → kwok's containerLogs → the file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { ApiextensionsV1Api, CoreV1Api, Log } from '@kubernetes/client-node';
import { waitFor } from '../../../src/controlplane';
import { criLine, startKwokLogsEnv, startLoggingPod, type KwokLogsEnv, type LoggingPod } from './kwok-logs-support';

const NS = 'bc-logs';
const CLUSTER = 'biz';
const MACHINE = 'logs-node';
const APP_NS = 'app';
const POD = 'web';
const CONTAINER = 'server';

describe('machine operator: a pod on a kwok Node of a real business cluster has a log that streams (pods/log, follow)', function () {
  this.timeout(900_000);
  let env: KwokLogsEnv | undefined;
  let dir: string;
  let pod: LoggingPod;
  const log = (l: string) => process.stderr.write(`      ${l}\n`);

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-kwok-logs-'));
    const t0 = Date.now();
    env = await startKwokLogsEnv({ ns: NS, cluster: CLUSTER, machine: MACHINE, dir, log, timeoutMs: 600_000 });
    log(`business cluster Ready and its kwok Node Ready after ${Date.now() - t0} ms`);
  });

  after(async function () {
    this.timeout(180_000);
    await env?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the kwok Node advertises a kubelet endpoint on this host, and kwok’s Logs/ClusterLogs CRDs are installed', async () => {
    const node = await env!.bkc.makeApiClient(CoreV1Api).readNode({ name: MACHINE });
    assert.deepEqual(
      node.status?.addresses?.filter((a) => a.type === 'InternalIP').map((a) => a.address),
      ['127.0.0.1'],
    );
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    assert.ok(port > 0, `a kubelet port: ${JSON.stringify(node.status?.daemonEndpoints)}`);
    const crds = await env!.bkc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    const names = crds.items.map((c) => c.metadata?.name);
    assert.ok(names.includes('logs.kwok.x-k8s.io') && names.includes('clusterlogs.kwok.x-k8s.io'), String(names));
  });

  it('pods/log of a pod on the kwok Node returns its log file (through the business kube-apiserver)', async () => {
    pod = await startLoggingPod(env!, {
      namespace: APP_NS,
      name: POD,
      container: CONTAINER,
      file: path.join(dir, 'web.log'),
      firstLine: 'listening on :8080',
    });
    assert.equal(pod.pod.spec?.nodeName, MACHINE);
    // kwok picks up a new Logs object through its watch: wait for it rather than assume.
    const text = await waitFor(
      'the pod log through the business apiserver',
      async (s) => {
        try {
          return await env!.bkc.makeApiClient(CoreV1Api).readNamespacedPodLog({ namespace: APP_NS, name: POD, container: CONTAINER });
        } catch (e) {
          s.lastReason = String((e as { body?: unknown }).body ?? e);
          return undefined;
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(text, 'listening on :8080\n');
  });

  it('following the log: a line appended to the file arrives on the open stream', async () => {
    let received = '';
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        received += chunk.toString('utf8');
        done();
      },
    });
    // Aborting the request at the end errors the response client-node pipes in: expected, not a failure.
    sink.on('pipe', (source: NodeJS.ReadableStream) => source.on('error', () => undefined));
    const abort = await new Log(env!.bkc).log(APP_NS, POD, CONTAINER, sink, { follow: true, tailLines: 10 });
    try {
      await waitFor('the first line on the stream', async () => received.includes('listening on :8080') || undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      const line = `GET /healthz 200 ${Date.now()}`;
      const written = Date.now();
      fs.appendFileSync(pod.file, criLine(line));
      await waitFor('the appended line on the stream', async () => received.includes(line) || undefined, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      log(`appended line arrived ${Date.now() - written} ms after it was written`);
      assert.equal(received, `listening on :8080\n${line}\n`);
    } finally {
      abort.abort();
    }
  });

  it('a pod on the kwok Node without a Logs object: kwok’s answer, through the apiserver', async () => {
    const core = env!.bkc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: APP_NS,
      body: { metadata: { name: 'quiet' }, spec: { nodeName: MACHINE, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } },
    });
    await waitFor(
      'pod quiet Running',
      async () => (await core.readNamespacedPod({ namespace: APP_NS, name: 'quiet' })).status?.phase === 'Running' || undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    const err = await core.readNamespacedPodLog({ namespace: APP_NS, name: 'quiet', container: 'c' }).then(
      () => undefined,
      (e: unknown) => e as { code?: number; body?: string },
    );
    assert.ok(err, 'no log without a Logs object');
    assert.equal(err.code, 400);
    assert.match((JSON.parse(String(err.body)) as { message: string }).message, /^no logs found for container "c" in pod "app\/quiet"$/);
  });
});
