// Several meta clusters in the Fleet view (issue 21), without VS Code or an API server: discovery's verdicts per context
// (src/fleet/meta-discovery.ts) with scripted answers, then the tree over a FleetController and MetaClusters on the fake
// vscode with scripted watch streams: one top node per meta cluster, the others' watches started on expand and stopped
// on collapse, and "Switch Meta Cluster" (node menu and quick pick) moving the status bar and the reconcilers. Against
// two real control planes: test/integration/editor/meta-clusters.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { discoverMetaClusters, type MetaClusterCandidate } from '../../../src/fleet/meta-discovery';
import type { FleetKind, ObjectStream, StreamEvent } from '../../../src/extension/model/fleet-connection';
import type { Logger } from '../../../src/extension/model/logger';
import { systemClock } from '../../../src/extension/model/clock';
import { quickActions } from '../../../src/extension/model/quick-actions';
import { fake, fakeContext, installFakeVscode, vscodeApi, type FakeState } from './fake-vscode';

installFakeVscode();
const { FleetController } = require('../../../src/extension/fleet/controller') as typeof import('../../../src/extension/fleet/controller');
const { MetaClusters, registerMetaClusters, inactiveContextValue } =
  require('../../../src/extension/fleet/meta-clusters') as typeof import('../../../src/extension/fleet/meta-clusters');
const { registerStatusBar } =
  require('../../../src/extension/fleet/status-bar') as typeof import('../../../src/extension/fleet/status-bar');
const { createReconcilers } =
  require('../../../src/extension/commands/reconcilers') as typeof import('../../../src/extension/commands/reconcilers');
const { switchMetaClusterCommands } =
  require('../../../src/extension/commands/switch-meta-cluster') as typeof import('../../../src/extension/commands/switch-meta-cluster');

const silent: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function kubeConfigFor(context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: context, server: `https://${context}.example:6443`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: context, cluster: context, user: 'u' }],
    currentContext: context,
  });
  return kc;
}

class ScriptedStream implements ObjectStream {
  handlers: ((obj: KubernetesObject, e: StreamEvent) => void)[] = [];
  stopped = false;
  constructor(
    readonly context: string,
    readonly kind: string,
  ) {}
  onEvent(h: (obj: KubernetesObject, e: StreamEvent) => void): void {
    this.handlers.push(h);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  emit(obj: KubernetesObject): void {
    for (const h of this.handlers) h(obj, 'add');
  }
}

const cluster = (name: string) => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name, namespace: 'fleet' },
  spec: { version: 'v1.32.13', etcd: { clusterRef: { name: 'etcd' } } },
});

describe('extension: several meta clusters (discovery, the tree, switching)', () => {
  it('discovery keeps the contexts serving kokpit, and the unreachable ones with their reason; a slow one is not waited for', async () => {
    const candidate = (context: string, served: () => Promise<boolean>, extra: Partial<MetaClusterCandidate> = {}) => ({
      context,
      kubeConfig: () => Object.assign(kubeConfigFor(context), { served }),
      ...extra,
    });
    const found = await discoverMetaClusters(
      [
        candidate('meta-a', async () => true),
        candidate('plain', async () => false),
        candidate('down', async () => {
          throw new Error(`connect ECONNREFUSED 127.0.0.1:1 token ${'A'.repeat(80)}`);
        }),
        candidate('slow', () => new Promise<boolean>(() => undefined)),
        { context: 'broken', kubeConfig: () => assert.fail("context 'broken' names a cluster the kubeconfig does not define") },
        candidate('meta-a', async () => true),
        candidate('meta-a', async () => true, { file: '/env/kubeconfig', origin: 'local environment "dev"' }),
      ],
      { timeoutMs: 50, served: (kc) => (kc as KubeConfig & { served: () => Promise<boolean> }).served() },
    );
    assert.deepEqual(
      found.map((d) => [d.label, d.reachable, d.server]),
      [
        ['meta-a', true, 'https://meta-a.example:6443'],
        ['down', false, 'https://down.example:6443'],
        ['slow', false, 'https://slow.example:6443'],
        ['broken', false, ''],
        ['meta-a (local environment "dev")', true, 'https://meta-a.example:6443'],
      ],
      'the plain cluster is left out, the duplicate context asked once, the local one labelled apart',
    );
    assert.match(found[1].reason!, /ECONNREFUSED/);
    assert.doesNotMatch(found[1].reason!, /AAAAAAAAAAAAAAAA/, 'what looks like key material never reaches the reason');
    assert.equal(found[2].reason, 'no answer within 0.05 s from https://slow.example:6443');
    assert.match(found[3].reason!, /names a cluster the kubeconfig does not define/);
    assert.equal(found[4].key, '/env/kubeconfig#meta-a');
  });

  it("the other meta clusters' nodes match no menu of package.json but Switch Meta Cluster; the status bar offers Switch", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const items = pkg.contributes.menus['view/item/context'] as { command: string; when: string }[];
    /** The command ids whose `viewItem` clause accepts `value`. */
    const menusFor = (value: string) =>
      items
        .filter(({ when }) => {
          const eq = /viewItem == ([\w.]+)/.exec(when);
          const re = /viewItem =~ \/(.+?)\/(\s|$)/.exec(when);
          return eq ? eq[1] === value : re ? new RegExp(re[1]).test(value) : false;
        })
        .map((i) => i.command);
    const active = [
      'kokpit.metaCluster',
      'kokpit.businessCluster.ready',
      'kokpit.etcdCluster.error',
      'kokpit.machineSet.ready',
      'kokpit.rollout.paused.retryable',
    ];
    for (const value of active) {
      assert.ok(menusFor(value).length > 0, `${value} has actions when active (the check has teeth)`);
      assert.deepEqual(
        menusFor(inactiveContextValue(value)),
        value === 'kokpit.metaCluster' ? ['kokpit.switchMetaCluster', 'kokpit.switchMetaCluster'] : [],
      );
    }
    assert.deepEqual(menusFor('kokpit.other.metaCluster.unreachable'), ['kokpit.switchMetaCluster', 'kokpit.switchMetaCluster']);
    const connected = quickActions({ kind: 'connected' }, { kind: 'stopped' }, false);
    assert.ok(connected.some((q) => q.command === 'kokpit.switchMetaCluster' && q.label === '$(arrow-swap) Switch Meta Cluster'));
  });

  describe('the Fleet view and switching (fake vscode, scripted streams)', () => {
    let state: FakeState;
    let context: ReturnType<typeof fakeContext>;
    let streams: ScriptedStream[];
    let managers: string[];
    /** How often discovery asked the contexts: before the first connect, and in all. */
    let asked: { beforeConnect: number; total: number };
    let fleet: InstanceType<typeof FleetController>;
    let metaClusters: InstanceType<typeof MetaClusters>;
    const live = (ctx: string) => streams.filter((s) => s.context === ctx && !s.stopped);

    beforeEach(async () => {
      state = fake.reset();
      context = fakeContext();
      streams = [];
      managers = [];
      const kube = {
        files: () => ['/home/u/.kube/config'],
        contexts: () => ({ names: ['a', 'b', 'plain', 'c'], current: 'a' }),
        load: (ctx?: string) => kubeConfigFor(ctx ?? 'a'),
        probe: async () => undefined,
        stream: (kc: KubeConfig, kind: FleetKind) => {
          const s = new ScriptedStream(kc.getCurrentContext(), kind.kind);
          streams.push(s);
          return s;
        },
        businessClusterKubeconfig: async () => assert.fail('not used'),
      };
      const settings = {
        current: () => ({ kubeconfig: '', reconcilersAutoStart: true, notificationsEnabled: false }),
        onDidChange: () => undefined,
      };
      const runtime = { logger: silent, clock: systemClock, kube, settings } as never;
      fleet = new FleetController(runtime, context.globalState as never);
      asked = { beforeConnect: 0, total: 0 };
      const candidates = async () => {
        asked.total++;
        return ['a', 'b', 'plain', 'c'].map((ctx) => ({ context: ctx, kubeConfig: () => kubeConfigFor(ctx) }));
      };
      const served = async (kc: KubeConfig) => {
        if (kc.getCurrentContext() === 'c') throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
        return kc.getCurrentContext() !== 'plain';
      };
      metaClusters = new MetaClusters(runtime, fleet, candidates, { served });
      registerStatusBar(context as never, fleet);
      const factory = (kc: KubeConfig) => {
        managers.push(kc.getCurrentContext());
        return { start: async () => undefined, stop: async () => undefined, finished: new Promise<string>(() => undefined) };
      };
      createReconcilers(context as never, runtime, fleet, factory, async () => ({ state: 'absent' }));
      // The Fleet view's collapse events reach MetaClusters (a test collapses with the fake view's collapse()).
      registerMetaClusters(context as never, metaClusters, vscodeApi.window.createTreeView('kokpit.fleet', {}) as never);
      asked.beforeConnect = asked.total;
      await fleet.connect('a');
      // The first connect asks every context, in the background.
      for (let i = 0; i < 100 && metaClusters.discovered.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    });

    afterEach(() => {
      for (const d of context.subscriptions) d.dispose();
      fleet.dispose();
    });

    it('contexts are asked once a meta cluster was connected, then only when asked again (Refresh, Switch)', async () => {
      assert.deepEqual(asked, { beforeConnect: 0, total: 1 });
      await fleet.refresh();
      assert.equal(asked.total, 1, 'a reconnect does not ask again');
      await metaClusters.discover();
      assert.equal(asked.total, 2);
    });

    it('one top node per meta cluster: the active one expanded, the others collapsed with their watches started on expand', async () => {
      const { source } = metaClusters;
      assert.deepEqual(await source.roots(), ['meta:a', 'meta:b', 'meta:c']);
      assert.equal(source.view('meta:a').collapsible, 'expanded');
      assert.equal(source.view('meta:a').contextValue, 'kokpit.metaCluster');
      assert.deepEqual(
        [source.view('meta:b').collapsible, source.view('meta:b').contextValue, source.view('meta:b').description],
        ['collapsed', 'kokpit.other.metaCluster', 'meta cluster (not active)'],
      );
      const c = source.view('meta:c');
      assert.deepEqual([c.collapsible, c.description, c.contextValue], ['none', 'unreachable', 'kokpit.other.metaCluster.unreachable']);
      assert.match(c.tooltip!, /https:\/\/c\.example:6443.*ECONNREFUSED/);
      assert.deepEqual(live('b'), [], 'nothing of b is watched while it is collapsed');
      assert.deepEqual(await source.children('meta:c'), []);

      const groups = await source.children('meta:b');
      assert.ok(groups.includes('meta:b/clusters'), groups.join(', '));
      assert.ok(live('b').length >= 7, 'every fleet kind of b is watched');
      live('b')
        .find((s) => s.kind === 'BusinessCluster')!
        .emit(cluster('prod-b'));
      assert.deepEqual(await source.children('meta:b/clusters'), ['meta:b/BusinessCluster/fleet/prod-b']);
      assert.equal(source.parent('meta:b/BusinessCluster/fleet/prod-b'), 'meta:b/clusters');
      assert.match(source.view('meta:b/BusinessCluster/fleet/prod-b').contextValue!, /^kokpit\.other\.businessCluster\./);
      assert.equal(fleet.node('meta:b/BusinessCluster/fleet/prod-b'), undefined, 'the palette actions see the active fleet only');
      assert.deepEqual(metaClusters.watching, ['b']);

      state.treeViews.at(-1)!.collapse('meta:b/clusters');
      assert.deepEqual(metaClusters.watching, ['b'], 'collapsing a group inside keeps the watches');
      state.treeViews.at(-1)!.collapse('meta:b');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(metaClusters.watching, []);
      assert.deepEqual(live('b'), [], 'collapsing the meta cluster stops its watches');
    });

    it('Switch Meta Cluster from the node menu and from the quick pick: the active fleet, status bar and reconcilers follow', async () => {
      const { source } = metaClusters;
      const run = switchMetaClusterCommands['kokpit.switchMetaCluster']!;
      const services = { fleet, metaClusters } as never;
      await source.children('meta:b');
      assert.deepEqual(managers, ['a'], 'the reconcilers started against the active one (autoStart)');

      await run(services, 'meta:b');
      assert.equal(fleet.state.kind, 'connected');
      assert.deepEqual(await source.roots(), ['meta:b', 'meta:a', 'meta:c']);
      assert.equal(source.view('meta:b').contextValue, 'kokpit.metaCluster');
      assert.equal(source.view('meta:a').contextValue, 'kokpit.other.metaCluster');
      assert.deepEqual(live('a'), [], "a's watches stopped with the switch");
      assert.deepEqual(metaClusters.watching, [], 'b is watched once: by the active connection');
      assert.ok(live('b').length >= 7);
      assert.equal(state.statusBarItems.find((i) => i.id === 'kokpit.metaCluster')!.text, '$(cloud) b');
      assert.equal(state.messages.at(-1)?.text, 'Kokpit: the active meta cluster is now b');
      for (let i = 0; i < 100 && managers.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(managers, ['a', 'b'], 'the reconcilers stopped on a and started on b');
      live('b')
        .find((s) => s.kind === 'BusinessCluster')!
        .emit(cluster('prod-b'));
      assert.equal(fleet.node('meta:b/BusinessCluster/fleet/prod-b')?.label, 'prod-b', 'palette actions now see b');

      state.quickPickAnswer = 'a';
      await run(services);
      const pick = state.quickPicks.at(-1)!;
      assert.deepEqual(pick.items, ['a', 'b', 'c']);
      assert.match(pick.descriptions[1]!, /^active · https:\/\/b\.example:6443$/);
      assert.match(pick.descriptions[2]!, /^unreachable · /);
      assert.equal(fleet.state.kind === 'connected' && fleet.state.context, 'a');
      assert.deepEqual(await source.roots(), ['meta:a', 'meta:b', 'meta:c']);
      await assert.rejects(async () => run(services, 'meta:nope'), /meta:nope is not a meta cluster the Fleet view found/);
    });
  });
});
