// Manifest actions and notifications on a real apiserver (src/controlplane), the extension on the fake vscode
// (test/unit/extension-model/fake-vscode.ts): the CodeLens Diff is a server-side dry run shown in the diff editor
// (a changed field, a new object against an empty document, nothing stored), the lens Apply applies one document,
// and a business cluster turning Degraded is notified once per transition, with Show Reason, unless turned off.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { fake, fakeContext, installFakeVscode, type FakeState } from '../../unit/extension-model/fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const NS = 'fleet';
const GROUP = 'kokpit.dev';
const VERSION = 'v1alpha1';
const HEAD = `apiVersion: ${GROUP}/${VERSION}\n`;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('editor: manifest actions and notifications against a real apiserver (fake vscode)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  const get = (plural: string, name: string) =>
    custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural, name }) as Promise<Record<string, any>>;
  const exists = (plural: string, name: string) =>
    get(plural, name).then(
      () => true,
      () => false,
    );
  /** What an operator would write: the whole status, through the status subresource. */
  const setStatus = async (plural: string, name: string, status: Record<string, unknown>) => {
    const obj = await get(plural, name);
    await custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural,
      name,
      body: { ...obj, status },
    });
  };
  const diffSides = () => {
    const call = state.executed.filter((e) => e.id === 'vscode.diff').at(-1);
    assert.ok(call, 'vscode.diff was run');
    const provider = state.contentProviders.get('kokpit-diff');
    const [left, right, title] = call.args as [{ scheme: string }, { scheme: string }, string];
    assert.deepEqual([left.scheme, right.scheme], ['kokpit-diff', 'kokpit-diff']);
    return {
      live: provider.provideTextDocumentContent(left) as string,
      applied: provider.provideTextDocumentContent(right) as string,
      title,
    };
  };

  before(async () => {
    cp = await startControlPlane();
    kc = cp.kubeConfig();
    await installCRDs(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const objects = makeObjectApi(kc);
    await applyObject(objects, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'EtcdCluster',
      metadata: { name: 'etcd-a', namespace: NS },
      spec: { replicas: 3, version: '3.5.35' },
    } as never);
    await applyObject(objects, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'BusinessCluster',
      metadata: { name: 'prod', namespace: NS },
      spec: { version: 'v1.32.13', etcd: { clusterRef: { name: 'etcd-a' } } },
    } as never);
    await setStatus('businessclusters', 'prod', {
      phase: 'Running',
      version: 'v1.32.13',
      conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady', lastTransitionTime: '2026-12-01T00:00:00Z' }],
    });

    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
    state = fake.reset();
    state.settings['kokpit.kubeconfig'] = cp.kubeconfigPath;
    state.settings['kokpit.reconcilers.autoStart'] = false;
    context = fakeContext();
    extension.activate(context);
    await state.commands.get('kokpit.connect')!(kc.getCurrentContext());
    await until('connected', () => state.contextKeys.get('kokpit.connected') === true);
  });

  after(async () => {
    if (context) for (const d of context.subscriptions) d.dispose();
    await extension?.deactivate();
    await cp?.stop();
  });

  const FILE = [
    `${HEAD}kind: EtcdCluster\nmetadata:\n  name: etcd-a\n  namespace: ${NS}\nspec:\n  replicas: 5\n  version: 3.5.35\n`,
    `${HEAD}kind: EtcdCluster\nmetadata:\n  name: etcd-new\n  namespace: ${NS}\nspec:\n  replicas: 1\n`,
  ].join('---\n');

  it('the lens Diff shows the changed field (live 3, after apply 5) without the server bookkeeping, and stores nothing', async () => {
    const doc = fake.openDocument('/w/etcd.yaml', FILE);
    const lenses = state.codeLensProviders[0].provider.provideCodeLenses(doc);
    const diff = lenses.find((l: any) => l.command.title === 'Diff' && l.command.arguments[1] === 0);
    state.messages = [];
    await state.commands.get(diff.command.command)!(...diff.command.arguments);
    assert.deepEqual(state.messages, [], 'no error');
    const { live, applied, title } = diffSides();
    assert.equal(parse(live).spec.replicas, 3);
    assert.equal(parse(applied).spec.replicas, 5);
    assert.equal(title, `EtcdCluster ${NS}/etcd-a: live ↔ after apply (dry run, changes)`);
    for (const side of [live, applied]) {
      const md = parse(side).metadata;
      for (const noise of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'])
        assert.equal(md[noise], undefined, noise);
    }
    // Only the field that changes differs (the server-side defaults are on both sides).
    assert.equal(live.replace('replicas: 3', 'replicas: 5'), applied);
    assert.equal((await get('etcdclusters', 'etcd-a')).spec.replicas, 3, 'a dry run stores nothing');
  });

  it('a document whose object does not exist yet diffs against an empty document; the lens Apply applies that document alone', async () => {
    const doc = fake.openDocument('/w/etcd2.yaml', FILE);
    await state.commands.get('kokpit.diffDocument')!(doc.uri, 1);
    const { live, applied, title } = diffSides();
    assert.equal(live, '');
    assert.equal(parse(applied).metadata.name, 'etcd-new');
    assert.match(title, /etcd-new: \(does not exist\)/);
    assert.equal(await exists('etcdclusters', 'etcd-new'), false);

    state.messages = [];
    await state.commands.get('kokpit.applyCurrentFile')!(doc.uri, 1);
    assert.match(state.messages.at(-1)?.text ?? '', new RegExp(`applied EtcdCluster ${NS}/etcd-new to`));
    assert.equal(await exists('etcdclusters', 'etcd-new'), true);
    assert.equal((await get('etcdclusters', 'etcd-a')).spec.replicas, 3, 'the other document was not applied');
    // Applied under the same field manager the dry run uses: nothing left to change.
    await state.commands.get('kokpit.diffDocument')!(doc.uri, 1);
    const again = diffSides();
    assert.equal(again.live, again.applied);
    assert.match(again.title, /no change\)$/);
  });

  it('a business cluster turning Degraded is notified once per transition, with Show Reason; the setting turns it off', async () => {
    const provider = state.treeViews[0].options.treeDataProvider;
    const prodId = `meta:${kc.getCurrentContext()}/BusinessCluster/${NS}/prod`;
    const treeShows = (phase: string) =>
      until(`the tree to show ${phase}`, async () => (await provider.getTreeItem(prodId))?.description?.startsWith(phase));
    const degraded = (n: number) => ({
      phase: 'Degraded',
      version: 'v1.32.13',
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'APIServerNotReady',
          message: `kube-apiserver: 0/1 ready (${n})`,
          lastTransitionTime: '2026-12-01T00:00:00Z',
        },
      ],
    });
    const running = {
      phase: 'Running',
      version: 'v1.32.13',
      conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady', lastTransitionTime: '2026-12-01T00:00:00Z' }],
    };
    const notified = () => state.messages.filter((m) => /BusinessCluster fleet\/prod is Degraded/.test(m.text));
    await treeShows('Running');
    state.messages = [];
    state.messageAnswer = 'Show Reason';

    await setStatus('businessclusters', 'prod', degraded(1));
    await until('a notification', () => notified().length === 1);
    const [n] = notified();
    assert.equal(n.level, 'error');
    assert.equal(n.text, 'Kokpit: BusinessCluster fleet/prod is Degraded: APIServerNotReady — kube-apiserver: 0/1 ready (1)');
    assert.deepEqual(n.items, ['Show Reason', 'Show Events']);
    await until('Show Reason to open the YAML', () => state.executed.some((e) => e.id === 'kokpit.openYaml' && e.args[0] === prodId));

    // More events of the same outage, then a recovery and a new outage: exactly one more notification.
    await setStatus('businessclusters', 'prod', degraded(2));
    await treeShows('Degraded');
    await setStatus('businessclusters', 'prod', running);
    await treeShows('Running');
    await setStatus('businessclusters', 'prod', degraded(3));
    await until('the second outage notified', () => notified().length === 2);
    assert.match(notified()[1].text, /\(3\)$/);

    // Off: the watch still sees the next outage (the tree shows it), and nothing is said.
    state.settings['kokpit.notifications.enabled'] = false;
    await setStatus('businessclusters', 'prod', running);
    await treeShows('Running');
    await setStatus('businessclusters', 'prod', degraded(4));
    await treeShows('Degraded');
    assert.equal(notified().length, 2);
    // On again: the outage that happened while off is not replayed; the next one is said.
    state.settings['kokpit.notifications.enabled'] = true;
    await setStatus('businessclusters', 'prod', running);
    await treeShows('Running');
    assert.equal(notified().length, 2);
    await setStatus('businessclusters', 'prod', degraded(5));
    await until('the outage after turning them on notified', () => notified().length === 3);
  });
});
