// Several meta clusters in the Fleet view (issue 21) against two real control planes (src/controlplane): the extension
// runs on the fake vscode with one kubeconfig of three contexts: `meta-a` (kokpit's CRDs and a fleet), `plain-b` (a
// plain API server at first) and `gone` (nothing listens there). Discovery lists meta-a and gone (unreachable, with
// the reason) and leaves plain-b out; once plain-b serves kokpit's CRDs, Refresh Fleet finds it, its fleet shows
// when it is expanded, and Switch Meta Cluster makes it the active one: status bar, palette actions and the tree
// follow, and meta-a's fleet stays one expand away with live watches. No kubeconfig content reaches the log.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { freePort, installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { fake, fakeContext, installFakeVscode, type FakeState } from '../../unit/extension-model/fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const NS = 'fleet';

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Open WATCH requests on a resource, as the apiserver counts them (its /metrics, whole: httpsGet keeps only 64 KiB). */
async function openWatches(cp: ControlPlane, resource: string): Promise<number> {
  const { caPem: ca, certPem: cert, keyPem: key } = cp.adminTLS;
  const body = await new Promise<string>((resolve, reject) =>
    https
      .get(`${cp.server}/metrics`, { ca, cert, key, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      })
      .on('error', reject),
  );
  const open = body
    .split('\n')
    .filter((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('verb="WATCH"') && l.includes(`resource="${resource}"`));
  return open.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** A fleet of one BusinessCluster in a meta cluster with kokpit's CRDs. */
async function fleetOf(kc: KubeConfig, cluster: string): Promise<void> {
  await installCRDs(kc);
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: NS } } })
    .catch(() => undefined);
  await applyObject(makeObjectApi(kc), {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name: cluster, namespace: NS },
    spec: { version: 'v1.32.13', etcd: { clusterRef: { name: 'etcd' } } },
  } as never);
}

describe('editor: several meta clusters, two real control planes (fake vscode)', function () {
  this.timeout(300_000);
  let a: ControlPlane;
  let b: ControlPlane;
  let dir: string;
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  const saved = process.env.KOKPIT_SANDBOX_DIR;
  const provider = () => state.treeViews[0].options.treeDataProvider;
  const roots = async (): Promise<string[]> => (await provider().getChildren(undefined)) ?? [];
  const kids = async (id: string): Promise<string[]> => (await provider().getChildren(id)) ?? [];
  const item = (id: string) =>
    provider().getTreeItem(id) as { description?: string; tooltip?: string; contextValue?: string; collapsibleState: number };
  const run = (id: string, ...args: unknown[]) => state.commands.get(id)!(...args);

  before(async () => {
    [a, b] = await Promise.all([startControlPlane({ clusterName: 'kokpit-meta-a' }), startControlPlane({ clusterName: 'kokpit-plain-b' })]);
    await fleetOf(a.kubeConfig(), 'prod-a');
    // One kubeconfig with the three contexts, as a user's ~/.kube/config would hold them.
    const [ka, kb] = [a.kubeConfig(), b.kubeConfig()];
    const merged = new KubeConfig();
    merged.loadFromOptions({
      clusters: [
        { ...ka.clusters[0], name: 'a' },
        { ...kb.clusters[0], name: 'b' },
        { name: 'gone', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true },
      ],
      users: [
        { ...ka.users[0], name: 'a' },
        { ...kb.users[0], name: 'b' },
        { name: 'gone', token: 'unused' },
      ],
      contexts: [
        { name: 'meta-a', cluster: 'a', user: 'a' },
        { name: 'plain-b', cluster: 'b', user: 'b' },
        { name: 'gone', cluster: 'gone', user: 'gone' },
      ],
      currentContext: 'meta-a',
    });
    dir = fs.mkdtempSync(join(os.tmpdir(), 'kokpit-meta-clusters-'));
    fs.writeFileSync(join(dir, 'kubeconfig'), merged.exportConfig(), { mode: 0o600 });
    // No local environment of this machine's other runs is a candidate.
    process.env.KOKPIT_SANDBOX_DIR = join(dir, 'envs');

    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
    state = fake.reset();
    state.settings['kokpit.kubeconfig'] = join(dir, 'kubeconfig');
    state.settings['kokpit.reconcilers.autoStart'] = false;
    context = fakeContext();
    extension.activate(context);
  });

  after(async () => {
    if (context) for (const d of context.subscriptions) d.dispose();
    await extension?.deactivate();
    if (saved === undefined) delete process.env.KOKPIT_SANDBOX_DIR;
    else process.env.KOKPIT_SANDBOX_DIR = saved;
    await Promise.all([a?.stop(), b?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the context with kokpit (active) and the unreachable one with its reason; the plain API server is left out', async () => {
    await until('connected to meta-a', () => state.contextKeys.get('kokpit.connected') === true);
    const top = await until('discovery', async () => ((await roots()).length === 2 ? roots() : undefined));
    assert.deepEqual(top, ['meta:meta-a', 'meta:gone']);
    const gone = item('meta:gone');
    assert.equal(gone.description, 'unreachable');
    assert.match(String(gone.tooltip), /^gone \(https:\/\/127\.0\.0\.1:\d+\): .*ECONNREFUSED/);
    assert.equal(gone.contextValue, 'kokpit.other.metaCluster.unreachable');
    assert.ok((await kids('meta:meta-a/clusters')).includes('meta:meta-a/BusinessCluster/fleet/prod-a'));
  });

  it('once the plain one serves kokpit, Refresh finds it; expanding it shows its fleet, Switch makes it the active one', async () => {
    await fleetOf(b.kubeConfig(), 'prod-b');
    await run('kokpit.refresh');
    await until('plain-b found', async () => (await roots()).includes('meta:plain-b'));
    assert.deepEqual(await roots(), ['meta:meta-a', 'meta:plain-b', 'meta:gone']);
    assert.equal(item('meta:plain-b').contextValue, 'kokpit.other.metaCluster');
    assert.equal(item('meta:plain-b').collapsibleState, 1, 'collapsed');
    assert.ok((await kids('meta:plain-b')).includes('meta:plain-b/clusters'));
    await until('prod-b under plain-b', async () =>
      (await kids('meta:plain-b/clusters')).includes('meta:plain-b/BusinessCluster/fleet/prod-b'),
    );
    assert.match(item('meta:plain-b/BusinessCluster/fleet/prod-b').contextValue!, /^kokpit\.other\.businessCluster\./);

    state.quickPickAnswer = 'plain-b';
    await run('kokpit.switchMetaCluster');
    assert.deepEqual(state.quickPicks.at(-1)?.items, ['meta-a', 'plain-b', 'gone']);
    assert.match(state.quickPicks.at(-1)!.descriptions[0]!, /^active · https:/);
    assert.equal(state.contextKeys.get('kokpit.connected'), true);
    assert.equal(state.statusBarItems.find((i) => i.id === 'kokpit.metaCluster')?.text, '$(cloud) plain-b');
    assert.deepEqual(await roots(), ['meta:plain-b', 'meta:meta-a', 'meta:gone']);
    assert.equal(item('meta:plain-b').contextValue, 'kokpit.metaCluster');

    // A palette action acts on the active fleet: Open YAML of plain-b's cluster.
    await run('kokpit.openYaml', 'meta:plain-b/BusinessCluster/fleet/prod-b');
    assert.match(state.shownDocuments.at(-1)!.getText(), /name: prod-b/);
    // meta-a is one expand away, watched live: a cluster created there now shows under it.
    assert.equal(item('meta:meta-a').contextValue, 'kokpit.other.metaCluster');
    await kids('meta:meta-a');
    await fleetOf(a.kubeConfig(), 'prod-a2');
    await until('prod-a2 under meta-a', async () =>
      (await kids('meta:meta-a/clusters')).includes('meta:meta-a/BusinessCluster/fleet/prod-a2'),
    );

    // From the node's context menu, back to meta-a.
    await run('kokpit.switchMetaCluster', 'meta:meta-a');
    assert.equal(state.statusBarItems.find((i) => i.id === 'kokpit.metaCluster')?.text, '$(cloud) meta-a');
    assert.deepEqual(await roots(), ['meta:meta-a', 'meta:plain-b', 'meta:gone']);
    assert.ok((await kids('meta:meta-a/clusters')).includes('meta:meta-a/BusinessCluster/fleet/prod-a2'));
  });

  it("one set of watches per meta cluster, as its apiserver counts them: a collapsed one's close, the active one's stay", async () => {
    // meta-a is active again: the watches it had as an expanded other meta cluster closed with the switch.
    await until('one BusinessCluster watch on meta-a', async () => (await openWatches(a, 'businessclusters')) === 1);
    await until('none on plain-b after switching away', async () => (await openWatches(b, 'businessclusters')) === 0);
    await kids('meta:plain-b');
    await until('plain-b watched while expanded', async () => (await openWatches(b, 'businessclusters')) === 1);
    state.treeViews[0].collapse('meta:plain-b');
    await until('plain-b no longer watched once collapsed', async () => (await openWatches(b, 'businessclusters')) === 0);
    assert.equal(await openWatches(a, 'businessclusters'), 1);
  });

  it('never logs kubeconfig content', () => {
    const secrets = [a, b].flatMap((cp) => {
      const u = cp.kubeConfig().users[0];
      return [u.keyData, u.certData].filter((s): s is string => !!s).map((s) => s.slice(0, 40));
    });
    assert.ok(secrets.length >= 4);
    const leaks = state.logs.filter((l) => /PRIVATE KEY|BEGIN CERTIFICATE/.test(l.message) || secrets.some((s) => l.message.includes(s)));
    assert.deepEqual(leaks, []);
    assert.ok(state.logs.some((l) => /meta clusters found: meta-a, plain-b; unreachable: gone \(/.test(l.message)));
  });
});
