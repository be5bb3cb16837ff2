// Inside a business cluster from the Fleet view, end to end: the extension runs on the fake vscode, connected to a
// real meta apiserver; the "business cluster" is a second real control plane whose admin kubeconfig is in the
// Secret the BusinessCluster's status names. The tree lists what was created through the business API, a watch
// adds a new pod without a refresh, the business apiserver itself counts the watch open while the list is expanded
// and closed once collapsed, a 403 reads "not yet authorized" until a binding exists and Refresh retries, lists
// page with limit/continue, and the control-plane pods of the meta cluster get Logs and Events.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { ListWatch } from '../../../src/fleet/inside-watch';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { fake, fakeContext, installFakeVscode, type FakeState } from '../../unit/extension-model/fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const NS = 'fleet';
const GROUP = 'kokpit.dev';
const VERSION = 'v1alpha1';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Open WATCH requests on a resource, as the business apiserver counts them (its /metrics). */
function openWatches(cp: ControlPlane, resource = 'pods'): Promise<number> {
  return new Promise((resolve, reject) => {
    const { caPem: ca, certPem: cert, keyPem: key } = cp.adminTLS;
    https
      .get(`${cp.server}/metrics`, { ca, cert, key, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const lines = body
            .split('\n')
            .filter(
              (l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('verb="WATCH"') && l.includes(`resource="${resource}"`),
            );
          resolve(lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0));
        });
      })
      .on('error', reject);
  });
}

const podBody = (name: string, nodeName?: string) => ({
  metadata: { name, labels: { app: 'web' } },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
});

describe('editor: inside a business cluster (a second real control plane, fake vscode)', function () {
  this.timeout(300_000);
  let meta: ControlPlane;
  let business: ControlPlane;
  let metaKc: KubeConfig;
  let businessCore: CoreV1Api;
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  let prod: string;
  const provider = () => state.treeViews[0].options.treeDataProvider;
  const kids = async (id: string): Promise<string[]> => (await provider().getChildren(id)) ?? [];
  const labels = async (id: string) => (await kids(id)).map((k) => provider().getTreeItem(k).label as string);
  const item = (id: string) => provider().getTreeItem(id);

  /** A BusinessCluster whose status names `secret`, holding `kubeconfig` under `value`. */
  async function cluster(name: string, secret: string, kubeconfig: string): Promise<void> {
    const custom = metaKc.makeApiClient(CustomObjectsApi);
    await applyObject(makeObjectApi(metaKc), {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'BusinessCluster',
      metadata: { name, namespace: NS },
      spec: { version: 'v1.32.13', etcd: { clusterRef: { name: 'etcd-a' } } },
    } as never);
    const bc = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'businessclusters',
      name,
    })) as {
      status?: unknown;
    };
    await custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'businessclusters',
      name,
      body: { ...bc, status: { phase: 'Running', kubeconfigSecretName: secret } },
    });
    await metaKc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: secret }, data: { value: Buffer.from(kubeconfig).toString('base64') } },
    });
  }

  before(async () => {
    [meta, business] = await Promise.all([startControlPlane(), startControlPlane()]);
    metaKc = meta.kubeConfig();
    await installCRDs(metaKc);
    await metaKc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    await cluster('prod', 'prod-admin-kubeconfig', business.kubeconfigYaml);

    const bkc = business.kubeConfig();
    businessCore = bkc.makeApiClient(CoreV1Api);
    await businessCore.createNamespace({ body: { metadata: { name: 'app' } } });
    await businessCore.createNamespacedPod({ namespace: 'app', body: podBody('web-1', 'worker-1') });
    await businessCore.createNamespacedService({
      namespace: 'app',
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    await bkc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'app',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: podBody('x').spec },
        },
      },
    });

    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
    state = fake.reset();
    state.settings['kokpit.kubeconfig'] = meta.kubeconfigPath;
    state.settings['kokpit.reconcilers.autoStart'] = false;
    context = fakeContext();
    extension.activate(context);
    await state.commands.get('kokpit.connect')!(metaKc.getCurrentContext());
    await until('connected', () => state.contextKeys.get('kokpit.connected') === true);
    prod = `meta:${metaKc.getCurrentContext()}/BusinessCluster/${NS}/prod`;
    await until('the cluster in the tree', async () => (await kids(`meta:${metaKc.getCurrentContext()}/clusters`)).includes(prod));
  });

  after(async () => {
    if (context) for (const d of context.subscriptions) d.dispose();
    await extension?.deactivate();
    await Promise.all([meta?.stop(), business?.stop()]);
  });

  it("lists the business cluster's namespaces, and in one its pods, deployments and services", async () => {
    assert.ok((await kids(prod)).includes(`${prod}/inside`), 'the cluster node has an Inside group');
    assert.equal(item(prod).collapsibleState, 1, 'collapsed: expandable even without machines or components');
    assert.deepEqual(await labels(`${prod}/inside`), ['Nodes', 'Namespaces']);
    const namespaces = await labels(`${prod}/inside/namespaces`);
    for (const ns of ['app', 'default', 'kube-system']) assert.ok(namespaces.includes(ns), namespaces.join());
    const app = `${prod}/inside/namespaces/app`;
    assert.deepEqual(await labels(app), ['Pods', 'Deployments', 'Services', 'Events']);
    assert.ok((await labels(`${app}/pods`)).includes('web-1'));
    assert.match(String(item(`${app}/pods/web-1`).description), /^(Pending|ContainerCreating) · 0\/1$/);
    assert.equal(item(`${app}/pods/web-1`).contextValue, 'kokpit.inside.pod');
    assert.deepEqual(await labels(`${app}/deployments`), ['web']);
    assert.equal(item(`${app}/deployments/web`).description, '0/2 ready');
    assert.ok((await labels(`${app}/services`)).includes('web'));
  });

  it('a watch adds a new pod without a refresh; collapsing the list closes its watch on the apiserver', async () => {
    const pods = `${prod}/inside/namespaces/app/pods`;
    // The business cluster's own controller-manager and scheduler watch pods too: count ours on top of theirs.
    state.treeViews[0].collapse(pods);
    const others = await openWatches(business);
    await kids(pods);
    await until('our pods watch open on the business apiserver', async () => (await openWatches(business)) === others + 1);
    const changed: (string[] | undefined)[] = [];
    const sub = provider().onDidChangeTreeData((ids: string[] | undefined) => changed.push(ids));
    await businessCore.createNamespacedPod({ namespace: 'app', body: podBody('web-2') });
    // Other pods change meanwhile (the Deployment's), so wait for the new one; nothing here refreshes the list.
    await until('the new pod in the list', async () => (await labels(pods)).includes('web-2'));
    // The refresh is coalesced (100 ms), so it may come just after.
    await until('the tree told the pods list changed', () => changed.some((ids) => ids?.includes(pods)));
    sub.dispose();
    state.treeViews[0].collapse(pods);
    await until('our pods watch closed', async () => (await openWatches(business)) === others);
  });

  it('a 403 reads "not yet authorized" until the credential is bound; Refresh retries', async () => {
    const bkc = business.kubeConfig();
    await businessCore.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'fresh-admin' } } });
    const token = await businessCore.createNamespacedServiceAccountToken({
      namespace: 'default',
      name: 'fresh-admin',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const tokenKc = new KubeConfig();
    tokenKc.loadFromOptions({
      clusters: [{ name: 'b', server: business.server, caData: Buffer.from(business.caPem).toString('base64') }],
      users: [{ name: 'fresh', token: token.status!.token }],
      contexts: [{ name: 'fresh', cluster: 'b', user: 'fresh' }],
      currentContext: 'fresh',
    });
    await cluster('fresh', 'fresh-admin-kubeconfig', tokenKc.exportConfig());
    const fresh = `meta:${metaKc.getCurrentContext()}/BusinessCluster/${NS}/fresh`;
    await until('fresh in the tree', async () => (await kids(`meta:${metaKc.getCurrentContext()}/clusters`)).includes(fresh));
    await kids(fresh);
    await kids(`${fresh}/inside`);
    const [message] = await kids(`${fresh}/inside/nodes`);
    assert.match(String(item(message).label), /^not yet authorized \(the admin credential is bound to cluster-admin/);

    await bkc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: 'fresh-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'fresh-admin', namespace: 'default' }],
      },
    });
    await state.commands.get('kokpit.refresh')!();
    await until('connected again', () => state.contextKeys.get('kokpit.connected') === true);
    await kids(fresh);
    await kids(`${fresh}/inside`);
    const after = await kids(`${fresh}/inside/nodes`);
    assert.ok(!after.some((id) => id.endsWith('/~message')), `listed after the binding: ${after.join()}`);

    // The cluster goes away: its watches stop with it.
    const withFresh = await until('the nodes watch of fresh open', async () => {
      const n = await openWatches(business, 'nodes');
      return n >= 1 ? n : undefined;
    });
    await metaKc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'businessclusters',
      name: 'fresh',
    });
    await until('the nodes watch of the deleted cluster closed', async () => (await openWatches(business, 'nodes')) === withFresh - 1);
  });

  it('pages a large list with limit/continue ("Load more…" until the last page)', async () => {
    await businessCore.createNamespace({ body: { metadata: { name: 'many' } } });
    for (let i = 0; i < 5; i++) await businessCore.createNamespacedPod({ namespace: 'many', body: podBody(`p-${i}`) });
    let changes = 0;
    const lw = new ListWatch(async () => business.kubeConfig(), {
      list: { kind: 'pods', namespace: 'many' },
      pageSize: 2,
      onChange: () => void changes++,
    });
    try {
      await lw.start();
      assert.equal(lw.state.size, 2);
      assert.ok(lw.state.continueToken, 'a continue token while there is more');
      await lw.loadMore();
      await lw.loadMore();
      assert.deepEqual(
        lw.state.sorted('pods').map((p) => p.metadata?.name),
        ['p-0', 'p-1', 'p-2', 'p-3', 'p-4'],
      );
      assert.equal(lw.state.continueToken, undefined, 'the last page: no "Load more…"');
      assert.ok(changes >= 3);
    } finally {
      lw.stop();
    }
  });

  it('the control-plane pods of a cluster in the meta cluster: a quick pick of exactly its own, their events and logs', async () => {
    const core = metaKc.makeApiClient(CoreV1Api);
    const labelled = (name: string, labels: Record<string, string>) => ({ ...podBody(name), metadata: { name, labels } });
    await core.createNamespacedPod({
      namespace: NS,
      body: labelled('prod-apiserver-0', { 'kokpit.dev/cluster': 'prod', 'kokpit.dev/component': 'apiserver' }),
    });
    await core.createNamespacedPod({ namespace: NS, body: labelled('etcd-a-0', { 'kokpit.dev/etcd-cluster': 'etcd-a' }) });
    await core.createNamespacedPod({
      namespace: NS,
      body: labelled('other-apiserver-0', { 'kokpit.dev/cluster': 'other', 'kokpit.dev/component': 'apiserver' }),
    });
    await core.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: 'prod-apiserver-0.1' },
        involvedObject: { kind: 'Pod', name: 'prod-apiserver-0', namespace: NS },
        reason: 'BackOff',
        message: 'Back-off restarting failed container kube-apiserver',
        type: 'Warning',
      },
    });
    state.quickPickAnswers = ['prod-apiserver-0'];
    await state.commands.get('kokpit.showControlPlaneEvents')!(prod);
    assert.deepEqual(state.quickPicks.at(-1)?.items, ['etcd-a-0', 'prod-apiserver-0']);
    assert.deepEqual(state.quickPicks.at(-1)?.descriptions, ['etcd etcd-a · Pending', 'apiserver · Pending']);
    assert.match(state.shownDocuments.at(-1)!.getText(), /BackOff .*Back-off restarting failed container kube-apiserver/);

    // Not scheduled (no kubelet in this test): the reason, not a request.
    state.messages = [];
    state.quickPickAnswers = ['prod-apiserver-0'];
    await state.commands.get('kokpit.showControlPlaneLogs')!(prod);
    assert.match(state.messages.at(-1)?.text ?? '', /pod fleet\/prod-apiserver-0 is not scheduled to a node yet, so it has no log/);
  });

  it("Show Pod Logs from the tree asks the business apiserver for the pod's log and shows its answer (no kubelet here)", async () => {
    // Refresh (the test before) started the tree over; expand down to the pod as the user would.
    for (const id of [prod, `${prod}/inside`, `${prod}/inside/namespaces`, `${prod}/inside/namespaces/app`]) await kids(id);
    await kids(`${prod}/inside/namespaces/app/pods`);
    state.messages = [];
    await state.commands.get('kokpit.showPodLogs')!(`${prod}/inside/namespaces/app/pods/web-1`);
    assert.deepEqual(state.messages, []);
    const doc = state.shownDocuments.at(-1)!;
    assert.equal(doc.uri.scheme, 'kokpit-log');
    assert.equal(doc.uri.path, '/prod/app/web-1/main.log');
    const logs = state.contentProviders.get('kokpit-log');
    const text = await until('the apiserver answer', () => {
      const t: string = logs.provideTextDocumentContent(doc.uri);
      return t.split('\n').length > 2 ? t : undefined;
    });
    // The apiserver looks up the pod's node (there is no Node worker-1, nor a kubelet) and says so, in its own words.
    assert.match(
      text,
      /^# kubectl logs -f --tail=1000 -n app web-1 -c main {3}\(prod\)\n# log: HTTP 404 NotFound: .*"worker-1" not found\n$/,
      text,
    );
    fake.closeDocument(doc);
    assert.match(logs.provideTextDocumentContent(doc.uri), /no longer streaming/);

    // Several containers: the user picks one; the previous-container variant has its own document.
    const two = podBody('two', 'worker-1');
    two.spec.containers.push({ name: 'sidecar', image: 'registry.k8s.io/pause:3.10' });
    await businessCore.createNamespacedPod({ namespace: 'app', body: two });
    await until('pod two in the list', async () => (await labels(`${prod}/inside/namespaces/app/pods`)).includes('two'));
    state.quickPickAnswers = ['sidecar'];
    await state.commands.get('kokpit.showPodLogsPrevious')!(`${prod}/inside/namespaces/app/pods/two`);
    assert.deepEqual(state.quickPicks.at(-1)?.items, ['main', 'sidecar']);
    assert.equal(state.shownDocuments.at(-1)!.uri.path, '/prod/app/two/sidecar.previous.log');
    fake.closeDocument(state.shownDocuments.at(-1)!);
  });

  it('the log request: follow, container, tail (previous: once); lines stream in; closing the document aborts it', async () => {
    const requests: URL[] = [];
    // What kokpit asks for (client-node adds pretty and timestamps of its own).
    const params = (u: URL) => Object.fromEntries(['container', 'follow', 'previous', 'tailLines'].map((k) => [k, u.searchParams.get(k)]));
    let closed = 0;
    // Stands in for the kubelet path (apiserver → kubelet) the test control plane cannot serve: it records the request.
    const server = http.createServer((req, res) => {
      requests.push(new URL(req.url!, 'http://x'));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line 1\n');
      setTimeout(() => res.write('line 2\n'), 50);
      res.on('close', () => void closed++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'r', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'r', cluster: 'r', user: 'u' }],
        currentContext: 'r',
      });
      const logs = state.contentProviders.get('kokpit-log');
      const uri = await logs.open(kc, 'prod', { namespace: 'app', pod: 'web-9', container: 'main', previous: false });
      assert.equal(requests[0].pathname, '/api/v1/namespaces/app/pods/web-9/log');
      assert.deepEqual(params(requests[0]), {
        container: 'main',
        follow: 'true',
        previous: 'false',
        tailLines: '1000',
      });
      await until('both lines in the document', () => logs.provideTextDocumentContent(uri).includes('line 1\nline 2\n'));
      assert.equal(logs.isStreaming(uri), true);
      logs.close(uri);
      await until('the request closed', () => closed === 1);
      assert.match(logs.provideTextDocumentContent(uri), /no longer streaming/);
      const previous = await logs.open(kc, 'prod', { namespace: 'app', pod: 'web-9', container: 'main', previous: true });
      assert.deepEqual(params(requests[1]), {
        container: 'main',
        follow: 'false',
        previous: 'true',
        tailLines: '1000',
      });
      logs.close(previous);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a list longer than a page ends in "Load more…", which loads the next page', async () => {
    for (let i = 0; i < 100; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => businessCore.createNamespace({ body: { metadata: { name: `bulk-${i + j}` } } })),
      );
    }
    const namespaces = `${prod}/inside/namespaces`;
    state.treeViews[0].collapse(namespaces);
    const first = await kids(namespaces);
    assert.equal(first.length, 101, 'a page of 100 and the "Load more…" node');
    const more = first.at(-1)!;
    assert.equal(item(more).label, 'Load more…');
    assert.equal(item(more).command?.command, 'kokpit.insideLoadMore');
    await state.commands.get('kokpit.insideLoadMore')!(...(item(more).command?.arguments ?? []));
    const all = await kids(namespaces);
    assert.ok(!all.includes(more), 'no more pages');
    assert.ok(all.length > 100, String(all.length));
    assert.ok(all.some((id) => id.endsWith('/bulk-99')) && all.some((id) => id.endsWith('/kube-system')));
  });
});
