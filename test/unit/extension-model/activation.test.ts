// The extension's wiring, driven through a fake `vscode` module: activation registers every contributed
// command and the Fleet view; diagnostics follow open/change/save/close; completion and hover map offsets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fake, fakeContext, installFakeVscode, Position, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

interface ExtensionModule {
  activate(context: unknown): void;
  deactivate(): void;
}

/** Polls `check` until it holds; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ETCD_BAD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: etcd\nspec:\n  replicas: 2\n';
const ETCD_GOOD = ETCD_BAD.replace('replicas: 2', 'replicas: 3');

describe('extension: activation and wiring (fake vscode)', function () {
  this.timeout(30_000);
  let extension: ExtensionModule;
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;

  before(() => {
    installFakeVscode();
    // Loaded by path, not imported: the root tsconfig must not compile src/extension (it imports vscode).
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts')) as ExtensionModule;
  });

  beforeEach(() => {
    state = fake.reset();
    context = fakeContext();
    extension.activate(context);
  });

  afterEach(() => {
    for (const d of context.subscriptions) d.dispose();
    extension.deactivate();
  });

  it('registers every contributed command, the Fleet view and the language features, and logs its activation time', () => {
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual([...state.commands.keys()].sort(), contributed);
    assert.deepEqual(
      state.treeViews.map((v) => v.id),
      ['kokpit.fleet'],
    );
    assert.deepEqual(
      state.statusBarItems.map((i) => [i.id, i.shown]),
      [
        ['kokpit.metaCluster', true],
        // Shown only while a FleetRollout is at work (test/unit/fleet/rollout-status-bar.test.ts).
        ['kokpit.rollouts', false],
        ['kokpit.reconcilers', false],
      ],
    );
    assert.deepEqual([...state.contentProviders.keys()].sort(), [
      'kokpit-diff',
      'kokpit-events',
      'kokpit-log',
      'kokpit-object',
      'kokpit-render',
    ]);
    assert.deepEqual(
      state.collections.map((c) => c.name),
      ['kokpit'],
    );
    assert.equal(state.completionProviders.length, 1);
    assert.equal(state.hoverProviders.length, 1);
    assert.equal(state.codeLensProviders.length, 1);
    assert.equal(state.codeActionProviders.length, 1);
    assert.ok(
      state.logs.some((l) => l.level === 'info' && /^activated in \d+ ms \(extension host up \d+ ms\)$/.test(l.message)),
      JSON.stringify(state.logs),
    );
  });

  it('the Fleet view starts empty, so its welcome content shows', async () => {
    const provider = state.treeViews[0].options.treeDataProvider;
    assert.deepEqual(await provider.getChildren(undefined), []);
  });

  it('validates a kokpit document on open with engine ranges mapped to positions, and ignores other YAML', () => {
    const doc = fake.openDocument('/w/etcd.yaml', ETCD_BAD);
    const found = fake.diagnostics(doc.uri) ?? [];
    const replicas = found.find((d) => d.message.includes('replicas'));
    assert.ok(replicas, JSON.stringify(found));
    assert.equal(replicas.severity, 0 /* Error */);
    assert.equal(replicas.source, 'kokpit');
    assert.deepEqual([replicas.range.start.line, replicas.range.start.character], [5, 12]);
    const other = fake.openDocument('/w/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec: 3\n');
    assert.equal(fake.diagnostics(other.uri), undefined);
  });

  it('revalidates after typing pauses, and clears on close', async () => {
    const doc = fake.openDocument('/w/etcd.yaml', ETCD_BAD);
    assert.ok((fake.diagnostics(doc.uri) ?? []).length > 0);
    fake.changeDocument(doc, ETCD_GOOD);
    // Debounced: nothing changes synchronously.
    assert.ok((fake.diagnostics(doc.uri) ?? []).length > 0);
    await until('diagnostics to clear after the edit', () => fake.diagnostics(doc.uri)?.length === 0);
    fake.closeDocument(doc);
    assert.equal(fake.diagnostics(doc.uri), undefined);
  });

  it('a pending validation is dropped when the document closes', async () => {
    const doc = fake.openDocument('/w/etcd.yaml', ETCD_GOOD);
    fake.changeDocument(doc, ETCD_BAD);
    fake.closeDocument(doc);
    // Open a second document and wait for its own debounced validation: by then the first one's would have run.
    const probe = fake.openDocument('/w/probe.yaml', ETCD_GOOD);
    fake.changeDocument(probe, ETCD_BAD);
    await until('the probe document to be revalidated', () => (fake.diagnostics(probe.uri) ?? []).length > 0);
    assert.equal(fake.diagnostics(doc.uri), undefined);
  });

  it('kokpit.validateWorkspace validates manifests on disk and reports a summary', async () => {
    state.files.set('/w/a.yaml', ETCD_BAD);
    state.files.set('/w/b.yml', ETCD_GOOD);
    state.files.set('/w/other.yaml', 'apiVersion: v1\nkind: ConfigMap\n');
    state.messageAnswer = 'Show Problems';
    await state.commands.get('kokpit.validateWorkspace')!();
    const collection = state.collections[0];
    assert.ok((collection.entries.get('file:///w/a.yaml') ?? []).length > 0);
    assert.deepEqual(collection.entries.get('file:///w/b.yml'), []);
    assert.equal(collection.entries.has('file:///w/other.yaml'), false);
    const [message] = state.messages;
    assert.equal(message.level, 'warning');
    assert.match(message.text, /error.* in 1 file of 2 manifest files/);
    assert.deepEqual(
      state.executed.map((e) => e.id),
      ['workbench.actions.view.problems'],
    );
  });

  it('connect with a missing kubeconfig says which files it looked at, and the view and status bar show it', async () => {
    state.settings['kokpit.kubeconfig'] = '/nonexistent/kokpit-test/kubeconfig';
    await state.commands.get('kokpit.connect')!();
    const [message] = state.messages;
    assert.equal(message.level, 'error');
    assert.match(message.text, /no kubeconfig found \(looked at \/nonexistent\/kokpit-test\/kubeconfig\)/);
    // Connecting to an explicit context skips the picker and lands in the view's message line.
    await state.commands.get('kokpit.connect')!('some-context');
    await until('the view message', () => /^Not connected: no kubeconfig found/.test(state.treeViews[0].message ?? ''));
    assert.match(state.statusBarItems[0].tooltip ?? '', /no kubeconfig found/);
    assert.equal(state.statusBarItems[0].command, 'kokpit.quickActions');
    assert.equal(state.contextKeys.get('kokpit.connected'), false);
  });

  it('node commands from the palette ask to connect first', async () => {
    const ids = [
      'kokpit.openYaml',
      'kokpit.showStatus',
      'kokpit.copyKubeconfig',
      'kokpit.upgradeCluster',
      'kokpit.scaleEtcd',
      'kokpit.backupEtcd',
      'kokpit.restoreEtcd',
      'kokpit.showEvents',
      'kokpit.copyEndpoint',
      'kokpit.mergeKubeconfig',
    ];
    for (const id of ids) await state.commands.get(id)!();
    // From a context menu too (a node id argument): the connection is checked before the node.
    await state.commands.get('kokpit.upgradeCluster')!('meta/BusinessCluster/fleet/prod');
    assert.deepEqual(
      state.messages.map((m) => m.level),
      Array(ids.length + 1).fill('error'),
    );
    assert.deepEqual(state.quickPicks, []);
    for (const m of state.messages) assert.match(m.text, /not connected to a meta cluster/);
  });

  it('the status bar opens quick actions that fit the state; the picked one runs', async () => {
    state.quickPickAnswer = '$(output) Show Logs';
    await state.commands.get(state.statusBarItems[0].command!)!();
    assert.equal(state.quickPicks[0].title, 'Kokpit: no meta cluster');
    assert.deepEqual(state.quickPicks[0].items, [
      '$(plug) Connect to Meta Cluster',
      '$(add) Create Local Meta Cluster',
      '$(beaker) Start Sandbox',
      '$(output) Show Logs',
    ]);
    assert.deepEqual(
      state.executed.map((e) => e.id),
      ['kokpit.showLogs'],
    );
    assert.equal(state.shownOutput, 1);
  });

  it('New Manifest opens an untitled YAML document with the snippet of the kind picked, fleet kinds first', async () => {
    state.quickPickAnswer = 'Machine';
    await state.commands.get('kokpit.newManifest')!();
    assert.deepEqual(state.quickPicks[0].items.slice(0, 4), ['EtcdCluster', 'BusinessCluster', 'Machine', 'MachineSet']);
    const [doc] = state.shownDocuments;
    assert.equal(doc.languageId, 'yaml');
    assert.equal(doc.uri.scheme, 'untitled');
    assert.match(state.snippets[0], /^apiVersion: kokpit\.dev\/v1alpha1\nkind: Machine\nmetadata:\n  name: \$\{1:worker-1\}/);
    await state.commands.get('kokpit.newManifest')!('Nope');
    assert.match(state.messages.at(-1)?.text ?? '', /no template for kind Nope \(there are: EtcdCluster, EtcdBackup, BusinessCluster/);
  });

  it('kokpit.showLogs reveals the output channel', async () => {
    await state.commands.get('kokpit.showLogs')!();
    assert.equal(state.shownOutput, 1);
  });

  it('completion maps engine items to editor items that replace the typed word', async () => {
    const text = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: etcd\nspec:\n  repl';
    const doc = fake.openDocument('/w/etcd.yaml', text);
    const position = new Position(5, 6);
    const items = await state.completionProviders[0].provider.provideCompletionItems(doc, position, {}, { triggerKind: 0 });
    const replicas = items.find((i: { label: string }) => i.label === 'replicas');
    assert.ok(replicas, JSON.stringify(items.map((i: { label: string }) => i.label)));
    assert.equal(replicas.kind, 9 /* Property */);
    assert.deepEqual([replicas.range.start.character, replicas.range.end.character], [2, 6]);
    assert.ok(items.every((i: { sortText: string }) => /^\d{4}$/.test(i.sortText)));
  });

  it("completion stays out of YAML that is not kokpit's", async () => {
    const doc = fake.openDocument('/w/values.yaml', 'replicas: 3\nimage:\n  ');
    const items = await state.completionProviders[0].provider.provideCompletionItems(doc, new Position(2, 2), {}, { triggerKind: 0 });
    assert.equal(items, undefined);
  });

  it('hover maps the engine range back to positions', async () => {
    const doc = fake.openDocument('/w/etcd.yaml', ETCD_GOOD);
    const hover = await state.hoverProviders[0].provider.provideHover(doc, new Position(5, 4));
    assert.ok(hover, 'a hover on spec.replicas');
    assert.match(hover.contents.value, /members/i);
    assert.equal(hover.range.start.line, 5);
  });

  it('disposing the subscriptions removes every listener, command and diagnostic', async () => {
    const doc = fake.openDocument('/w/etcd.yaml', ETCD_GOOD);
    fake.changeDocument(doc, ETCD_BAD);
    for (const d of context.subscriptions) d.dispose();
    context.subscriptions = [];
    assert.equal(state.onOpen.listenerCount + state.onChange.listenerCount + state.onClose.listenerCount + state.onSave.listenerCount, 0);
    assert.equal(state.collections[0].disposed, true);
    assert.equal(state.commands.size, 0);
  });
});
