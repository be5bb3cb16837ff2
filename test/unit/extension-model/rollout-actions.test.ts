// Pause, Resume and Retry on a FleetRollout from the Fleet view (fake vscode), and `kokpit rollout
// pause|resume|retry`: both send the one patch of src/actions/rollout-actions.ts. The meta cluster is a small
// HTTP server that answers discovery and records each PATCH as the API server would receive it (method, path,
// field manager, content type, body); the tree is fed by scripted watch streams.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { rolloutControlPatch } from '../../../src/actions/rollout-actions';
import type { FleetRollout } from '../../../src/api';
import { rolloutCommand } from '../../../src/cli/commands/rollout';
import { fake, installFakeVscode, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const RID = 'meta:fake/FleetRollout/to-1-33';

interface Recorded {
  method: string;
  url: string;
  contentType?: string;
  body: any;
}

/** Discovery of kokpit.dev/v1alpha1 (FleetRollouts are cluster-scoped), and every PATCH recorded and answered 200. */
async function fakeApiServer(): Promise<{ url: string; patches: Recorded[]; close(): Promise<void> }> {
  const patches: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/apis/kokpit.dev/v1alpha1') {
        const resources = [{ name: 'fleetrollouts', namespaced: false, kind: 'FleetRollout', verbs: ['get', 'patch'] }];
        return res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'kokpit.dev/v1alpha1', resources }));
      }
      if (req.method === 'PATCH') {
        const body = JSON.parse(text);
        patches.push({ method: req.method, url: req.url!, contentType: req.headers['content-type'], body });
        return res.end(JSON.stringify({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'FleetRollout', metadata: { name: 'to-1-33' } }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: `${req.url} not found` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, patches, close: () => new Promise((r) => server.close(() => r())) };
}

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

function rollout(paused: boolean, skipped: boolean): FleetRollout {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'FleetRollout',
    metadata: { name: 'to-1-33', generation: 1 },
    spec: {
      target: { kubernetesVersion: 'v1.33.13' },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '0s' }],
      maxFailures: 0,
      progressDeadline: '30m',
      paused,
    },
    status: {
      phase: paused ? 'Paused' : 'Progressing',
      currentWave: 'all',
      clusters: [
        { namespace: 'default', name: 'a', wave: 'all', state: skipped ? 'Skipped' : 'Upgrading' },
        { namespace: 'default', name: 'b', wave: 'all', state: 'Pending' },
      ],
    },
  };
}

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('rollout actions: Pause, Resume, Retry from the Fleet view and the CLI, one patch', function () {
  this.timeout(20_000);
  let state: FakeState;
  let api: Awaited<ReturnType<typeof fakeApiServer>>;
  let commands: Record<string, (services: unknown, arg?: unknown) => Promise<void>>;
  let services: { runtime: unknown; fleet: any };
  let emit: (obj: KubernetesObject) => void;

  before(() => installFakeVscode());

  beforeEach(async () => {
    state = fake.reset();
    api = await fakeApiServer();
    // Loaded by path after the fake is installed: the root tsconfig does not compile src/extension.
    const { FleetController } = require(join(ROOT, 'src', 'extension', 'fleet', 'controller.ts'));
    commands = require(join(ROOT, 'src', 'extension', 'commands', 'rollout-actions.ts')).rolloutActionCommands;
    const handlers: ((obj: KubernetesObject, e: string) => void)[] = [];
    emit = (obj) => handlers.forEach((h) => h(obj, 'update'));
    const runtime = {
      logger: silent,
      clock: { now: () => Date.now(), setTimeout: (fn: () => void) => setTimeout(fn, 0), clearTimeout: (h: any) => clearTimeout(h) },
      kube: {
        load: () => kubeConfigFor(api.url),
        probe: async () => undefined,
        stream: (_kc: unknown, kind: { kind: string }) => ({
          onEvent: (h: (obj: KubernetesObject, e: string) => void) => kind.kind === 'FleetRollout' && handlers.push(h),
          start: async () => undefined,
          stop: async () => undefined,
        }),
      },
    };
    const fleet = new FleetController(runtime);
    services = { runtime, fleet };
    assert.equal((await fleet.connect('fake')).kind, 'connected');
    emit(rollout(false, true) as unknown as KubernetesObject);
  });

  afterEach(async () => {
    services.fleet.dispose();
    await api.close();
  });

  it('Pause from the context menu sends spec.paused: true as a merge patch under the editor field manager', async () => {
    assert.equal(services.fleet.node(RID)?.contextValue, 'kokpit.rollout.running.retryable');
    await commands['kokpit.pauseRollout'](services, RID);
    assert.deepEqual(
      api.patches.map((p) => [p.method, p.url, p.contentType, p.body.spec]),
      [
        [
          'PATCH',
          '/apis/kokpit.dev/v1alpha1/fleetrollouts/to-1-33?fieldManager=kokpit-editor',
          'application/merge-patch+json',
          { paused: true },
        ],
      ],
    );
    assert.equal(api.patches[0].body.metadata.annotations, undefined, 'pause touches nothing else');
    assert.deepEqual(
      state.messages.map((m) => m.text),
      ['Kokpit: FleetRollout to-1-33 paused: no new cluster starts (clusters upgrading now finish)'],
    );
  });

  it('Retry sets a new kokpit.dev/retry value; the palette offers only the rollouts a verb fits', async () => {
    state.quickPickAnswer = 'to-1-33';
    await commands['kokpit.retryRollout'](services);
    assert.equal(state.quickPicks[0].title, 'Kokpit: retry a rollout');
    const value = api.patches[0].body.metadata.annotations['kokpit.dev/retry'];
    assert.ok(!Number.isNaN(Date.parse(value)), value);
    assert.equal(api.patches[0].body.spec, undefined, 'retry leaves the spec alone');
    // Running, not paused: nothing to resume, and no patch sent.
    await assert.rejects(commands['kokpit.resumeRollout'](services), /no resume a rollout in the fleet/);
    assert.equal(api.patches.length, 1);
    // Paused (as the watch shows it next): now Resume offers it and sends paused: false.
    emit(rollout(true, false) as unknown as KubernetesObject);
    await new Promise((r) => setTimeout(r, 20));
    await commands['kokpit.resumeRollout'](services);
    assert.deepEqual(api.patches[1].body.spec, { paused: false });
  });

  it('`kokpit rollout pause|resume|retry` sends the same bodies under the CLI field manager', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'kokpit-rollout-cli-'));
    try {
      const file = join(dir, 'kubeconfig');
      fs.writeFileSync(file, kubeConfigFor(api.url).exportConfig());
      const out: string[] = [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) } as never;
      for (const verb of ['pause', 'resume', 'retry'])
        assert.equal(await rolloutCommand.run([verb, 'to-1-33', '--kubeconfig', file], io), 0);
      assert.deepEqual(
        api.patches.map((p) => [p.url, p.contentType]),
        Array(3).fill(['/apis/kokpit.dev/v1alpha1/fleetrollouts/to-1-33?fieldManager=kokpit-cli', 'application/merge-patch+json']),
      );
      const now = new Date();
      const strip = (b: any) => ({
        ...(b.spec ? { spec: b.spec } : {}),
        ...(b.metadata.annotations ? { metadata: { annotations: 1 } } : {}),
      });
      assert.deepEqual(
        api.patches.map((p) => strip(p.body)),
        (['pause', 'resume', 'retry'] as const).map((v) => strip({ metadata: {}, ...rolloutControlPatch(v, now) })),
      );
      assert.equal(out[0], 'FleetRollout to-1-33 paused: no new cluster starts (clusters upgrading now finish)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
