// The editor commands of issue 8 that act on the current file or a business cluster: argument handling through the
// fake vscode (apply refuses invalid files with the position, render preview's content), and their pure parts
// (the apply plan and outcome, the 0600 kubeconfig file and terminal env, the reconciler service's states).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLACEHOLDER } from '../../../src/local/render';
import { applyAll, describeOutcome, planApply, RefusedError } from '../../../src/extension/model/apply-plan';
import { reconcilerStatus, ReconcilerService, type ManagerHandle } from '../../../src/extension/model/reconcilers';
import { renderPreviewPath, renderPreviewText, sourceOfRenderPreviewPath } from '../../../src/extension/model/render-preview';
import {
  adminKubeconfigSecret,
  removeAllPrivateKubeconfigs,
  removePrivateKubeconfig,
  terminalOptions,
  writePrivateKubeconfig,
} from '../../../src/extension/model/terminal-kubeconfig';
import { fake, fakeContext, installFakeVscode, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const fixture = (p: string) => readFileSync(join(ROOT, 'testFixture', p), 'utf8');

const ETCD_BAD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: etcd\nspec:\n  replicas: 2\n';
const ETCD_GOOD = ETCD_BAD.replace('replicas: 2', 'replicas: 3');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('editor commands: apply plan', () => {
  it('refuses a file with errors, naming file:line:col of the first one', () => {
    assert.throws(
      () => planApply(ETCD_BAD, 'etcd.yaml'),
      (e: Error) => e instanceof RefusedError && /^etcd\.yaml:6:13: .*replicas.*nothing was applied$/.test(e.message),
    );
  });

  it('takes the kokpit documents of a valid file and leaves others alone', () => {
    const plan = planApply(fixture('valid/mixed-with-other-kinds.yaml'), 'mixed.yaml');
    assert.ok(plan.objects.length > 0);
    assert.ok(plan.objects.every((o) => o.apiVersion === 'kokpit.dev/v1alpha1'));
    assert.ok(plan.skipped.length > 0, 'the fixture mixes in other kinds');
  });

  it('refuses a file without kokpit documents', () => {
    assert.throws(
      () => planApply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', 'cm.yaml'),
      /cm\.yaml holds no kokpit document/,
    );
  });

  it('applies in order, stops at the first failure and reports the server message, not a stack', async () => {
    const plan = planApply(fixture('valid/businesscluster.yaml'), 'bc.yaml');
    assert.equal(plan.objects.length, 2);
    const ok = await applyAll(plan.objects, async (o) => o);
    assert.equal(describeOutcome(ok, 'meta'), 'applied BusinessCluster dev, BusinessCluster prod to meta');
    const failed = await applyAll(plan.objects, async (o) => {
      if (o.metadata?.name === 'prod') throw new Error('HTTP 422 Invalid: spec.version: Unsupported value');
      return o;
    });
    assert.equal(
      describeOutcome(failed, 'meta'),
      'applying BusinessCluster prod to meta failed: HTTP 422 Invalid: spec.version: Unsupported value (applied before it: ' +
        'BusinessCluster dev)',
    );
  });
});

describe('editor commands: render preview text', () => {
  it('renders the meta-cluster objects of a BusinessCluster with placeholder Secrets', () => {
    const text = renderPreviewText(fixture('valid/businesscluster.yaml'), 'bc.yaml');
    assert.match(text, /^# Rendered offline from bc\.yaml/);
    assert.match(text, /kind: Deployment\n/);
    assert.match(text, /name: prod-apiserver\n/);
    // Secret data is the placeholder (base64, as a Secret holds it), marked as such.
    assert.match(text, /kind: Secret\n[\s\S]*kokpit\.dev\/rendered-offline: placeholder-data/);
    assert.ok(text.includes(`tls.key: ${Buffer.from(PLACEHOLDER).toString('base64')}`));
    assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it('an invalid file gets its errors as comments instead of objects', () => {
    const text = renderPreviewText(ETCD_BAD, 'etcd.yaml');
    assert.match(text, /# Not rendered: etcd\.yaml has 1 error:\n#   6:13: /);
    assert.doesNotMatch(text, /^---$/m);
  });

  it('the virtual path round-trips the source URI', () => {
    const source = 'file:///w/dir with space/bc.yaml';
    assert.equal(sourceOfRenderPreviewPath(renderPreviewPath(source)), source);
  });
});

describe('editor commands: terminal kubeconfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kokpit-term-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the kubeconfig 0600 in a 0700 directory, and the terminal env points at it', () => {
    const file = writePrivateKubeconfig('apiVersion: v1\nkind: Config\n', 'team-a', 'prod', dir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8'), 'apiVersion: v1\nkind: Config\n');
    assert.deepEqual(terminalOptions('team-a', 'prod', file), { name: 'kokpit: team-a/prod', env: { KUBECONFIG: file } });
    removePrivateKubeconfig(file);
    assert.equal(existsSync(file), false);
  });

  it('files of terminals still open are removed at deactivation', () => {
    const a = writePrivateKubeconfig('a', 'team-a', 'prod', dir);
    const b = writePrivateKubeconfig('b', 'team-a', 'dev', dir);
    removePrivateKubeconfig(a);
    assert.equal(existsSync(b), true);
    removeAllPrivateKubeconfigs();
    assert.equal(existsSync(b), false);
    assert.equal(existsSync(join(b, '..')), false, 'its private directory too');
  });

  it('reads the admin kubeconfig Secret from status, else the operator name', () => {
    assert.equal(adminKubeconfigSecret({ metadata: { name: 'prod' }, status: { kubeconfigSecretName: 'custom' } }), 'custom');
    assert.equal(adminKubeconfigSecret({ metadata: { name: 'prod' } }), 'prod-admin-kubeconfig');
  });
});

describe('editor commands: reconciler service', () => {
  /** A scripted manager: the test decides when the lease is acquired. */
  function scripted() {
    let acquire!: () => void;
    let finish!: (s: string) => void;
    const finished = new Promise<string>((r) => (finish = r));
    const handle: ManagerHandle & { stops: number } = {
      stops: 0,
      start: () => new Promise<void>((r) => (acquire = r)),
      stop: async () => {
        handle.stops++;
        finish('stopped');
      },
      finished,
    };
    return { handle, acquire: () => acquire() };
  }

  it('waits while another manager holds the lease, runs once acquired, stops gracefully', async () => {
    const m = scripted();
    let waiting: (h: string) => void = () => undefined;
    const service = new ReconcilerService((_kc, _log, onWaiting) => ((waiting = onWaiting), m.handle), silent);
    const seen: string[] = [];
    service.onDidChange((s) => seen.push(s.kind === 'waiting' ? `waiting:${s.holder}` : s.kind));
    service.start({} as never, 'meta');
    waiting('kokpit-cli@host');
    assert.match(reconcilerStatus(service.state).tooltip, /held by kokpit-cli@host/);
    assert.throws(() => service.start({} as never, 'meta'), /already waiting for the lease/);
    m.acquire();
    await new Promise((r) => setImmediate(r));
    assert.equal(service.state.kind, 'running');
    await service.stop();
    assert.equal(m.handle.stops, 1);
    assert.equal(service.state.kind, 'stopped');
    assert.deepEqual(seen.slice(0, 3), ['waiting:(checking)', 'waiting:kokpit-cli@host', 'running']);
  });
});

describe('editor commands through the fake vscode', function () {
  this.timeout(30_000);
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;

  before(() => {
    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
  });
  beforeEach(() => {
    state = fake.reset();
    context = fakeContext();
    extension.activate(context);
  });
  afterEach(async () => {
    for (const d of context.subscriptions) d.dispose();
    await extension.deactivate();
  });

  it('Apply Current File refuses an invalid file with the first error position, before needing a cluster', async () => {
    state.activeTextEditor = { document: fake.openDocument('/w/etcd.yaml', ETCD_BAD) };
    await state.commands.get('kokpit.applyCurrentFile')!();
    assert.equal(state.messages.length, 1);
    assert.equal(state.messages[0].level, 'error');
    assert.match(state.messages[0].text, /^Kokpit: etcd\.yaml:6:13: .*replicas.*nothing was applied$/);
  });

  it('Apply Current File on a valid file asks to connect first; without an editor it says to open a file', async () => {
    state.activeTextEditor = { document: fake.openDocument('/w/etcd.yaml', ETCD_GOOD) };
    await state.commands.get('kokpit.applyCurrentFile')!();
    assert.match(state.messages[0].text, /not connected to a meta cluster.*nothing was applied/);
    state.activeTextEditor = undefined;
    await state.commands.get('kokpit.applyCurrentFile')!();
    assert.match(state.messages[1].text, /open a kokpit YAML file to apply/);
  });

  it('Render Preview opens a read-only kokpit-render document that follows edits of the source', async () => {
    const source = fake.openDocument('/w/bc.yaml', fixture('valid/businesscluster.yaml'));
    state.activeTextEditor = { document: source };
    await state.commands.get('kokpit.renderPreview')!();
    assert.deepEqual(state.messages, []);
    const [preview] = state.shownDocuments;
    assert.equal(preview.uri.scheme, 'kokpit-render');
    assert.equal(preview.languageId, 'yaml');
    assert.match(preview.getText(), /^# Rendered offline from bc\.yaml/);
    assert.match(preview.getText(), /name: prod-apiserver/);
    const provider = state.contentProviders.get('kokpit-render');
    const fired: string[] = [];
    provider.onDidChange((u: { toString(): string }) => fired.push(u.toString()));
    fake.changeDocument(source, ETCD_BAD);
    assert.deepEqual(fired, [preview.uri.toString()]);
    assert.match(await provider.provideTextDocumentContent(preview.uri), /Not rendered: bc\.yaml has 1 error/);
  });

  it('reconciler and terminal commands ask to connect first; the reconciler status bar item offers start', async () => {
    await state.commands.get('kokpit.startReconcilers')!();
    await state.commands.get('kokpit.openTerminal')!();
    assert.deepEqual(
      state.messages.map((m) => m.level),
      ['error', 'error'],
    );
    for (const m of state.messages) assert.match(m.text, /not connected to a meta cluster/);
    assert.equal(state.terminals.length, 0);
    const item = state.statusBarItems.find((i) => i.id === 'kokpit.reconcilers');
    assert.equal(item?.command, 'kokpit.startReconcilers');
  });
});
