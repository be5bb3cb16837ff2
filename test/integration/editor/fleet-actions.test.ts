// The editor's fleet actions end to end on a real apiserver (src/controlplane): the extension runs on the fake vscode
// (test/unit/extension-model/fake-vscode.ts), connected to the harness control plane; each command's effect is
// read back through the API. Upgrade, scale etcd, back up, restore, show events, copy endpoint, and the errors.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KUBECONFIG_KEY, names } from '../../../src/operators/cluster/names';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { patchKokpitObject } from '../../../src/actions/fleet-requests';
import { kubernetesVersion } from '../../../src/catalog';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { fake, fakeContext, installFakeVscode, type FakeState } from '../../unit/extension-model/fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const NS = 'fleet';
const GROUP = 'kokpit.dev';
const VERSION = 'v1alpha1';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('editor: fleet actions against a real apiserver (fake vscode)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  const get = (plural: string, name: string) =>
    custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural, name }) as Promise<Record<string, any>>;
  /** Whether the Fleet view's business cluster prod lists a child labelled `label`. */
  const fleetHas = async (label: string) => {
    const provider = state.treeViews[0].options.treeDataProvider;
    const prod = 'meta:' + kc.getCurrentContext() + '/BusinessCluster/fleet/prod';
    const kids: string[] = (await provider.getChildren(prod)) ?? [];
    return kids.some((id) => id.endsWith(`/${label}`));
  };
  const run = async (id: string, ...args: unknown[]) => {
    state.messages = [];
    await state.commands.get(id)!(...args);
    return state.messages;
  };

  before(async () => {
    cp = await startControlPlane();
    kc = cp.kubeConfig();
    await installCRDs(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const objects = makeObjectApi(kc);
    for (const v of [kubernetesVersion('v1.32.13'), kubernetesVersion('v1.33.13')]) await applyObject(objects, v as never);
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

  it('upgrades a business cluster to a catalog version picked from the newer ones (guarded JSON patch, own field manager)', async () => {
    state.quickPickAnswers = ['prod', 'v1.33.13'];
    const messages = await run('kokpit.upgradeCluster');
    assert.deepEqual(state.quickPicks.at(-1)?.items, ['v1.33.13'], 'only versions newer than v1.32.13');
    assert.equal(state.quickPicks.at(-1)?.descriptions[0], 'Supported · next minor');
    assert.deepEqual(
      messages.map((m) => m.text),
      ['Kokpit: upgrading fleet/prod to v1.33.13; the tree shows its progress'],
    );
    const bc = await get('businessclusters', 'prod');
    assert.equal(bc.spec.version, 'v1.33.13');
    assert.ok(
      bc.metadata.managedFields.some((f: { manager: string }) => f.manager === 'kokpit-editor'),
      JSON.stringify(bc.metadata.managedFields),
    );
    // Once the watch has it, nothing newer is left to offer: a message, no quick pick.
    await until('the watch to see v1.33.13', async () => {
      state.quickPicks = [];
      state.quickPickAnswers = ['prod'];
      const m = await run('kokpit.upgradeCluster');
      return /no catalog version is newer than v1\.33\.13 for fleet\/prod/.test(m[0]?.text ?? '') && state.quickPicks.length === 1;
    });
  });

  it("a guard that no longer holds fails with what changed, and a missing object with the apiserver's answer", async () => {
    await assert.rejects(
      patchKokpitObject(kc, { kind: 'BusinessCluster', namespace: NS, name: 'prod' }, [
        { op: 'test', path: '/spec/version', value: 'v1.32.13' },
        { op: 'replace', path: '/spec/version', value: 'v1.33.13' },
      ]),
      /BusinessCluster fleet\/prod changed meanwhile: spec\.version is now "v1\.33\.13" \(was "v1\.32\.13"\); nothing was changed/,
    );
    await assert.rejects(
      patchKokpitObject(kc, { kind: 'BusinessCluster', namespace: NS, name: 'nope' }, [
        { op: 'replace', path: '/spec/version', value: 'v1.33.13' },
      ]),
      /patch BusinessCluster fleet\/nope: HTTP 404 NotFound/,
    );
  });

  it('scales etcd from the quick pick of 1/3/5, with the current size marked', async () => {
    state.quickPickAnswers = ['etcd-a', '5 members'];
    const messages = await run('kokpit.scaleEtcd');
    assert.deepEqual(state.quickPicks.at(-1)?.items, ['1 member', '3 members', '5 members']);
    assert.match(state.quickPicks.at(-1)?.descriptions[1] ?? '', /current/);
    assert.match(messages[0].text, /scaling etcd cluster fleet\/etcd-a to 5 members/);
    assert.equal((await get('etcdclusters', 'etcd-a')).spec.replicas, 5);
  });

  it('scales a MachineSet (shown under its business cluster) to the count typed', async () => {
    await applyObject(makeObjectApi(kc), {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'MachineSet',
      metadata: { name: 'workers', namespace: NS },
      spec: { clusterRef: { name: 'prod' }, replicas: 2, template: { spec: { provider: 'kwok', role: 'worker' } } },
    } as never);
    await until('the MachineSet in the tree', () => fleetHas('workers'));
    state.quickPickAnswers = ['workers'];
    state.inputBoxAnswers = ['three'];
    let messages = await run('kokpit.scaleMachineSet');
    assert.match(state.inputBoxes.at(-1)?.validation ?? '', /whole number/);
    assert.deepEqual(messages, []);
    state.quickPickAnswers = ['workers'];
    state.inputBoxAnswers = ['3'];
    messages = await run('kokpit.scaleMachineSet');
    assert.equal(state.inputBoxes.at(-1)?.value, '2');
    assert.match(messages[0].text, /scaling MachineSet fleet\/workers to 3/);
    assert.equal((await get('machinesets', 'workers')).spec.replicas, 3);
  });

  it('backs up etcd now (an EtcdBackup), then restores from a Completed one into a new EtcdCluster', async () => {
    state.quickPickAnswers = ['etcd-a'];
    let messages = await run('kokpit.restoreEtcd');
    assert.match(messages[0].text, /EtcdCluster fleet\/etcd-a has no Completed backup to restore from/);

    state.quickPickAnswers = ['prod'];
    messages = await run('kokpit.backupEtcd');
    const name = /EtcdBackup fleet\/(etcd-a-\d{8}-\d{6}) created/.exec(messages[0].text)?.[1];
    assert.ok(name, messages[0].text);
    const backup = await get('etcdbackups', name);
    assert.deepEqual(backup.spec.etcdClusterRef, { name: 'etcd-a' });
    // What the etcd operator reports when the snapshot is taken.
    await custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'etcdbackups',
      name,
      body: {
        ...backup,
        status: { phase: 'Completed', size: 20480, sha256: 'a'.repeat(64), completionTime: '2026-11-23T12:00:00Z', etcdVersion: '3.5.35' },
      },
    });
    state.quickPickAnswers = ['etcd-a', name];
    messages = await run('kokpit.restoreEtcd');
    assert.equal(state.inputBoxes.at(-1)?.value, 'etcd-a-restored');
    assert.match(messages[0].text, new RegExp(`EtcdCluster fleet/etcd-a-restored is being created from backup ${name}`));
    const restored = await get('etcdclusters', 'etcd-a-restored');
    assert.deepEqual(restored.spec.restoreFrom, { backupName: name });
    assert.equal(restored.spec.replicas, 5);
  });

  it("shows an object's events in a read-only document, and copies a business cluster's endpoint", async () => {
    await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: 'etcd-a.1', namespace: NS },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', name: 'etcd-a', namespace: NS },
        type: 'Normal',
        reason: 'MemberAdded',
        message: 'added etcd-a-3 as a learner',
        count: 1,
        firstTimestamp: new Date('2026-11-23T12:00:00Z'),
        lastTimestamp: new Date('2026-11-23T12:00:00Z'),
        source: { component: 'kokpit' },
      },
    });
    state.quickPickAnswers = ['etcd-a'];
    await run('kokpit.showEvents');
    const doc = state.shownDocuments.at(-1)!;
    assert.equal(doc.uri.scheme, 'kokpit-events');
    assert.match(doc.getText(), /^# Events of EtcdCluster fleet\/etcd-a in /);
    assert.match(doc.getText(), /Normal\s+MemberAdded\s+1\s+kokpit\s+added etcd-a-3 as a learner/);

    state.quickPickAnswers = ['prod'];
    let messages = await run('kokpit.copyEndpoint');
    assert.match(messages[0].text, /BusinessCluster fleet\/prod has no endpoint yet/);
    const bc = await get('businessclusters', 'prod');
    await custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'businessclusters',
      name: 'prod',
      body: { ...bc, status: { phase: 'Running', endpoint: 'https://127.0.0.1:31443' } },
    });
    await until('the watch to see the endpoint', async () => {
      state.quickPickAnswers = ['prod'];
      messages = await run('kokpit.copyEndpoint');
      return state.clipboard === 'https://127.0.0.1:31443';
    });
    assert.equal(messages[0].text, 'Kokpit: https://127.0.0.1:31443 copied to the clipboard');
  });

  it("merges a business cluster's kubeconfig into the user's, leaving the current context alone", async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'kokpit-merge-'));
    const mine = join(dir, 'config');
    fs.writeFileSync(
      mine,
      'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: [{ name: mine, context: { cluster: c, user: u } }]\n' +
        'current-context: mine\n',
    );
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = mine;
    try {
      const admin =
        'apiVersion: v1\nkind: Config\nclusters: [{ name: prod, cluster: { server: "https://127.0.0.1:31443" } }]\n' +
        'users: [{ name: admin, user: { token: t0k3n } }]\ncontexts: [{ name: admin@prod, context: { cluster: prod, user: admin } }]\n' +
        'current-context: admin@prod\n';
      await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: names.kubeconfig('prod', 'admin') },
          data: { [KUBECONFIG_KEY]: Buffer.from(admin).toString('base64') },
        },
      });
      state.quickPickAnswers = ['prod'];
      const messages = await run('kokpit.mergeKubeconfig');
      assert.equal(messages[0].level, 'info', messages[0].text);
      assert.match(messages[0].text, new RegExp(`context kokpit/fleet/prod created in ${mine}; your current context is unchanged`));
      const merged = parse(fs.readFileSync(mine, 'utf8'));
      assert.equal(merged['current-context'], 'mine');
      assert.deepEqual(merged.contexts.map((c: { name: string }) => c.name).sort(), ['kokpit/fleet/prod', 'mine']);
      assert.equal(fs.statSync(mine).mode & 0o777, 0o600);
      assert.ok(!state.logs.some((l) => l.message.includes('t0k3n')), 'the token is never logged');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
