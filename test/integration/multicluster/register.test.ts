// `kokpit register` / `kokpit deregister` on real processes: a meta control plane with the real OCM v1.0.0 hub and
// the pod runner (as registration.test.ts), and a second local control plane that kokpit did not create (a "second
// local environment's cluster", its admin kubeconfig in a file). The CLI runs in-process (runCli) with the meta
// cluster given by --meta-kubeconfig. Each refusal is checked for its message and for leaving nothing behind.
// The imported cluster runs its controller-manager (the built-in `admin` role the agent is bound to gets its rules
// there) and logs every request: the agent's come from its own ServiceAccount, never the admin kubeconfig's user.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import {
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { runCli } from '../../../src/cli/main';
import { REGISTER_USER_AGENT } from '../../../src/cli/commands/register';
import type { CliIO } from '../../../src/cli/command';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, makeObjectApi, readObject, withUserAgent } from '../../../src/kube';
import { buildKubeconfig } from '../../../src/pki';
import { installHub, readOcmManifests } from '../../../src/operators/multicluster/hub';
import { AGENT_NAMESPACE, agentNames } from '../../../src/operators/multicluster/names';
import { renewImportedCredential } from '../../../src/operators/multicluster/imported-identity';
import {
  IMPORTED_AGENT_NAMESPACE,
  importedAgentUser,
  importedAnchorName,
  tokenTimes,
} from '../../../src/operators/multicluster/render/imported-identity';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { AuditWrites, describeWrites, type AuditEvent } from '../../support/audit-writes';
import { businessCluster, ensureNamespace, readCluster } from '../cluster/support';
import { applyStatus } from '../../../src/kit';
import { startMulticlusterOperator } from '../../../src/operators/multicluster/operator';
import { applyHelloWork } from './support';

const ROOT = path.resolve(__dirname, '../../..');
const NAME = 'edge-1';
const API = 'kokpit.dev/v1alpha1';

interface MC extends KubernetesObject {
  spec?: { hubAcceptsClient?: boolean; leaseDurationSeconds?: number };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

/** The CLI in-process: exit code and what it wrote to stdout and stderr. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), progress: () => {}, isTTY: false, cwd: process.cwd() };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('kokpit register / deregister: a cluster kokpit did not create, imported into the OCM hub', function () {
  let cp: ControlPlane;
  let other: ControlPlane;
  let kc: KubeConfig;
  let runner: PodRunner;
  let dir: string;
  const files = { meta: '', imported: '', unreachable: '', nobody: '', badToken: '' };
  const t0 = Date.now();
  const log = (l: string) => process.stderr.write(`  [+${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);
  const objects = () => makeObjectApi(kc);
  const mcRef = (name: string) => ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name } });
  const cond = (o: MC | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type)?.status;
  const meta = ['--meta-kubeconfig', ''];

  /** What is left of NAME's registration in the meta cluster. */
  async function leftovers(name: string): Promise<string[]> {
    const n = agentNames(name);
    const exists = async (ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, what: string) =>
      (await readObject(objects(), ref)) ? [what] : [];
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const ours = (xs: { metadata?: { name?: string } }[]) => xs.map((x) => x.metadata!.name!).filter((x) => x.endsWith(`:${name}`));
    const secret = (s: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s, namespace: AGENT_NAMESPACE } });
    return [
      ...(await exists(mcRef(name), 'ManagedCluster').catch(() => [])), // before the hub is installed the kind is not served
      ...(await exists(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: n.deployment, namespace: AGENT_NAMESPACE } },
        'agent',
      )),
      ...(await exists({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, `namespace ${name}`)),
      ...(await exists(secret(n.managedKubeconfigSecret), 'kubeconfig Secret')),
      ...(await exists(secret(n.hubKubeconfigSecret), 'hub kubeconfig Secret')),
      ...(await exists(secret(n.bootstrapSecret), 'bootstrap Secret')),
      ...(
        await kc
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `open-cluster-management.io/cluster-name=${name}` })
          .catch(() => ({ items: [] }))
      ).items.map((p) => `pod ${p.metadata?.name}`),
      ...ours((await rbac.listClusterRole()).items).map((x) => `ClusterRole ${x}`),
      ...ours((await rbac.listClusterRoleBinding()).items).map((x) => `ClusterRoleBinding ${x}`),
    ];
  }

  /** What is left of NAME's agent identity in the imported cluster (everything of it carries the import label). */
  async function identityLeft(name: string): Promise<string[]> {
    const rbac = other.kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    const core = other.kubeConfig().makeApiClient(CoreV1Api);
    const labelSelector = `kokpit.dev/imported=${name}`;
    const namespace = IMPORTED_AGENT_NAMESPACE;
    const names = (kind: string, l: { items: { metadata?: { name?: string } }[] }) => l.items.map((x) => `${kind} ${x.metadata!.name}`);
    return [
      ...names('ClusterRole', await rbac.listClusterRole({ labelSelector })),
      ...names('ClusterRoleBinding', await rbac.listClusterRoleBinding({ labelSelector })),
      ...names('Role', await rbac.listNamespacedRole({ namespace, labelSelector })),
      ...names('RoleBinding', await rbac.listNamespacedRoleBinding({ namespace, labelSelector })),
      ...names('ServiceAccount', await core.listNamespacedServiceAccount({ namespace, labelSelector })),
    ];
  }

  /** The agent's kubeconfig as the meta cluster stores it. */
  async function storedAgent(name: string): Promise<KubeConfig> {
    const secret = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: agentNames(name).managedKubeconfigSecret, namespace: AGENT_NAMESPACE });
    const stored = new KubeConfig();
    stored.loadFromString(Buffer.from(secret.data!.kubeconfig, 'base64').toString('utf8'));
    return withUserAgent(stored, 'kokpit-test'); // the test's requests with it are not the agent's
  }

  /** Who a kubeconfig authenticates as in the imported cluster (throws 401 when it no longer does). */
  const whoAmI = async (k: KubeConfig) =>
    (await k.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} })).status?.userInfo?.username;

  before(async function () {
    this.timeout(300_000);
    [cp, other] = await Promise.all([
      startControlPlane({ controllers: true, audit: true, log: (l) => log(`[meta] ${l}`) }),
      startControlPlane({ controllers: true, audit: 'all', log: (l) => log(`[imported] ${l}`) }),
    ]);
    kc = cp.kubeConfig();
    await installCRDs(kc);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-register-'));
    const write = (f: string, text: string) => (fs.writeFileSync(path.join(dir, f), text, { mode: 0o600 }), path.join(dir, f));
    files.meta = write('meta.kubeconfig', kc.exportConfig());
    meta[1] = files.meta;
    files.imported = write('imported.kubeconfig', other.kubeConfig().exportConfig());
    const base = { caPem: other.caPem, clusterName: 'imported' };
    files.unreachable = write(
      'unreachable.kubeconfig',
      buildKubeconfig({ ...base, server: `https://127.0.0.1:${await closedPort()}`, user: 'admin', token: 'x' }),
    );
    // A user of the imported cluster without any grant: a ServiceAccount's token.
    const core = other.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'nobody' } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: 'default',
      body: { spec: { expirationSeconds: 7200 } },
    });
    files.badToken = write('bad-token.kubeconfig', buildKubeconfig({ ...base, server: other.server, user: 'admin', token: 'not-a-token' }));
    files.nobody = write('nobody.kubeconfig', buildKubeconfig({ ...base, server: other.server, user: 'nobody', token: tr.status!.token! }));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir: path.join(dir, 'pods'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
    });
  });

  after(async function () {
    this.timeout(120_000);
    await runner?.stop();
    await Promise.all([cp?.stop(), other?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('before the hub is installed: refused with `kokpit up --with-ocm`, nothing written', async function () {
    this.timeout(60_000);
    const r = await cli('register', NAME, '--kubeconfig', files.imported, ...meta);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /HubNotInstalled: the OCM hub is not installed in the meta cluster .*run kokpit up --with-ocm/);
    assert.deepEqual(await leftovers(NAME), []);
  });

  it('a kubeconfig that cannot reach its cluster is refused with the server address; nothing written', async function () {
    this.timeout(600_000);
    await installHub(kc, { manifests: readOcmManifests(ROOT), log });
    const server = new KubeConfig();
    server.loadFromFile(files.unreachable);
    const r = await cli('register', NAME, '--kubeconfig', files.unreachable, ...meta);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /Unreachable: cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.ok(r.err.includes(server.getCurrentCluster()!.server));
    assert.deepEqual(await leftovers(NAME), []);
  });

  it("a user without the agent's permissions is refused, naming user and permissions (bad token: 401); nothing left", async function () {
    this.timeout(60_000);
    const r = await cli('register', NAME, '--kubeconfig', files.nobody, ...meta);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /Forbidden: user "system:serviceaccount:default:nobody" lacks permissions at https:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.err, /create,update,patch customresourcedefinitions\.apiextensions\.k8s\.io/);
    assert.match(r.err, /list,watch nodes/);
    assert.match(r.err, /kubectl create clusterrolebinding/);
    assert.deepEqual(await leftovers(NAME), []);
    const bad = await cli('register', NAME, '--kubeconfig', files.badToken, ...meta);
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, /Unauthorized: the cluster at https:\/\/127\.0\.0\.1:\d+ refuses the kubeconfig's credentials \(HTTP 401\)/);
    assert.deepEqual(await leftovers(NAME), []);
  });

  it('registers the cluster by name: a ManagedCluster with the given labels, Joined and Available on the hub', async function () {
    this.timeout(900_000);
    const r = await cli('register', NAME, '--kubeconfig', files.imported, '--labels', 'env=dev,site=lab', '--timeout', '14m', ...meta);
    log(`register: exit ${r.code}`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`managedcluster/${NAME} Joined and Available`));
    const mc = await readObject<MC>(objects(), mcRef(NAME));
    assert.equal(cond(mc, 'ManagedClusterJoined'), 'True');
    assert.equal(cond(mc, 'ManagedClusterConditionAvailable'), 'True');
    assert.equal(mc?.spec?.hubAcceptsClient, true);
    assert.deepEqual(Object.fromEntries(Object.entries(mc!.metadata!.labels!).filter(([k]) => !k.includes('open-cluster-management.io'))), {
      env: 'dev',
      site: 'lab',
      'kokpit.dev/imported': NAME,
      'app.kubernetes.io/managed-by': 'kokpit',
    });
    // The agent's Secret holds its own ServiceAccount token for the cluster, not the kubeconfig given; nothing printed.
    const stored = await storedAgent(NAME);
    assert.equal(stored.getCurrentCluster()?.server, other.server);
    assert.equal(stored.getCurrentUser()?.certData, undefined);
    const token = stored.getCurrentUser()!.token!;
    const times = tokenTimes(token)!;
    assert.equal(times.exp - times.iat, 7 * 24 * 3600, 'a week-long TokenRequest token');
    assert.equal(await whoAmI(stored), importedAgentUser(NAME));
    assert.notEqual(await whoAmI(other.kubeConfig()), importedAgentUser(NAME));
    const printed = r.out + r.err;
    assert.ok(!printed.includes('BEGIN') && !printed.includes('client-key') && !printed.includes(token.slice(-20)), printed);
    // Everything of the identity hangs off its anchor, for the garbage collector to take at deregister.
    const left = await identityLeft(NAME);
    assert.ok(left.includes(`ClusterRole ${importedAnchorName(NAME)}`), left.join(', '));
    assert.ok(left.includes(`ServiceAccount kokpit-ocm-${NAME}`), left.join(', '));
    assert.ok(left.includes(`ClusterRoleBinding open-cluster-management:kokpit-import-${NAME}-work:execution-admin`), left.join(', '));
  });

  it('registering again writes nothing, in the meta cluster or the imported one', async function () {
    this.timeout(120_000);
    const metaAudit = new AuditWrites(cp, 'meta');
    const otherAudit = new AuditWrites(other, 'imported');
    // Reviews (SelfSubjectAccessReview, SelfSubjectReview) are creates that store nothing.
    const review = (e: AuditEvent) => /reviews$/.test(e.objectRef?.resource ?? '');
    const { writes, result } = await metaAudit.during({ userAgent: REGISTER_USER_AGENT }, () =>
      otherAudit.during({ userAgent: REGISTER_USER_AGENT, except: review }, () =>
        cli('register', NAME, '--kubeconfig', files.imported, '--labels', 'env=dev,site=lab', ...meta),
      ),
    );
    assert.equal(result.result.code, 0, result.result.err);
    assert.equal(writes.length, 0, describeWrites(writes));
    assert.equal(result.writes.length, 0, describeWrites(result.writes));
  });

  it('a name already registered is refused, naming the owner: another import, a BusinessCluster', async function () {
    this.timeout(60_000);
    const again = await cli('register', NAME, '--kubeconfig', files.unreachable, ...meta);
    assert.equal(again.code, 1, again.err);
    assert.match(
      again.err,
      new RegExp(`NameTaken: ManagedCluster ${NAME} is already registered, by \`kokpit register\` for the cluster at ${other.server}`),
    );
    await ensureNamespace(kc, 'fleet');
    await applyObject(
      objects(),
      businessCluster('x', 'fleet', { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } }, multicluster: { register: false } }),
      {
        fieldManager: 'kokpit-test',
      },
    );
    const bc = await cli('register', 'fleet-x', '--kubeconfig', files.imported, ...meta);
    assert.equal(bc.code, 1, bc.err);
    assert.match(bc.err, /NameTaken: fleet-x is the ManagedCluster name of BusinessCluster fleet\/x/);
    assert.deepEqual(await leftovers('fleet-x'), []);
  });

  it("a ManifestWork applies its ConfigMap in the imported cluster, as the agent's own ServiceAccount: 0 forbidden", async function () {
    this.timeout(300_000);
    const otherAudit = new AuditWrites(other, 'imported');
    const from = await otherAudit.mark();
    await applyHelloWork(objects(), NAME);
    const cm = await other.kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'hello', namespace: 'default' });
    assert.deepEqual(cm.data, { from: 'hub' });
    const all = await otherAudit.requestsSince({ offset: 0 });
    const agent = all.filter((e) => e.user.username === importedAgentUser(NAME));
    const created = agent.filter((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.objectRef.name === 'hello');
    assert.equal(created.length, 1, 'the work agent created the ConfigMap as its ServiceAccount');
    const brief = (e: AuditEvent) => `${e.verb} ${e.requestURI} → ${e.responseStatus?.code}`;
    const forbidden = agent.filter((e) => e.responseStatus?.code === 403);
    log(`imported apiserver: ${agent.length} requests of ${importedAgentUser(NAME)}, ${forbidden.length} forbidden`);
    assert.deepEqual(forbidden.map(brief), []);
    // The agent's User-Agents (registration and work) appear under its ServiceAccount only, never the admin's user.
    const agentUAs = new Set(agent.map((e) => e.userAgent).filter((ua) => !ua?.startsWith('kokpit-')));
    assert.ok(
      [...agentUAs].some((ua) => ua?.startsWith('registration-operator/')),
      [...agentUAs].join(', '),
    );
    assert.ok(agentUAs.has('work-agent'), [...agentUAs].join(', '));
    const asOther = all.filter((e) => agentUAs.has(e.userAgent) && e.user.username !== importedAgentUser(NAME));
    assert.deepEqual(
      asOther.map((e) => `${e.user.username}: ${brief(e)}`),
      [],
    );
    assert.ok((await otherAudit.requestsSince(from, { user: importedAgentUser(NAME) })).length > 0);
  });

  it('the token is renewed with itself before it expires; the agent rolls onto it and stays Available', async function () {
    this.timeout(300_000);
    const before = await storedAgent(NAME);
    const agentRef = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: agentNames(NAME).deployment, namespace: AGENT_NAMESPACE },
    };
    const hash = async () =>
      (await readObject<V1Deployment & KubernetesObject>(objects(), agentRef))?.spec?.template.metadata?.annotations?.[
        'kokpit.dev/managed-kubeconfig-hash'
      ];
    const hashBefore = await hash();
    assert.equal(await renewImportedCredential(kc, NAME), undefined, 'a fresh token is not renewed');
    const otherAudit = new AuditWrites(other, 'imported');
    const { writes, result: why } = await otherAudit.during({ resource: 'serviceaccounts/token' }, () =>
      renewImportedCredential(kc, NAME, new Date(Date.now() + 5.5 * 24 * 3600_000)),
    );
    assert.match(why ?? '', /^expires in \d+ h$/);
    assert.deepEqual(
      writes.map((e) => `${e.user.username} ${e.verb} ${e.objectRef?.name} → ${e.responseStatus?.code}`),
      [`${importedAgentUser(NAME)} create kokpit-ocm-${NAME} → 201`],
      'the TokenRequest came from the agent itself',
    );
    const after = await storedAgent(NAME);
    assert.notEqual(after.getCurrentUser()!.token, before.getCurrentUser()!.token);
    assert.notEqual(await hash(), hashBefore, "the agent's pod template changed: it rolls onto the new token");
    assert.equal(await whoAmI(after), importedAgentUser(NAME));
    const r = await cli('register', NAME, '--kubeconfig', files.imported, '--labels', 'env=dev,site=lab', '--timeout', '4m', ...meta);
    assert.equal(r.code, 0, r.err);
    assert.equal((await storedAgent(NAME)).getCurrentUser()!.token, after.getCurrentUser()!.token, 're-register keeps the renewed token');
  });

  it("the multicluster operator renews an import's token when it is due", async function () {
    this.timeout(120_000);
    const token = async () => (await storedAgent(NAME)).getCurrentUser()!.token;
    const before = await token();
    const later = () => new Date(Date.now() + 5.5 * 24 * 3600_000); // a third of the week left
    const op = await startMulticlusterOperator({ kc, manifestsRoot: ROOT, importRenewalMs: 1000, now: later });
    try {
      await waitFor('a renewed token', async () => ((await token()) !== before ? true : undefined), { timeoutMs: 60_000 });
    } finally {
      await op.stop();
    }
    assert.equal(await whoAmI(await storedAgent(NAME)), importedAgentUser(NAME));
  });

  it('a BusinessCluster whose ManagedCluster name an import holds is refused; its deletion leaves the import alone', async function () {
    this.timeout(300_000);
    const r = await cli('register', 'fleet-z', '--kubeconfig', files.imported, '--no-wait', ...meta);
    assert.equal(r.code, 0, r.err);
    const op = await startMulticlusterOperator({ kc, manifestsRoot: ROOT, pollMs: { waiting: 500, steady: 5000 } });
    try {
      await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
        namespace: 'fleet',
        body: { metadata: { name: 'z-admin-kubeconfig' }, stringData: { value: other.kubeConfig().exportConfig() } },
      });
      await applyObject(objects(), businessCluster('z', 'fleet', { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } } }), {
        fieldManager: 'kokpit-test',
      });
      await applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'z', namespace: 'fleet' } }, 'businessclusters', {
        kubeconfigSecretName: 'z-admin-kubeconfig',
      });
      const c = await waitFor(
        'ManagedCluster condition NameTaken on BusinessCluster fleet/z',
        async (st) => {
          const bc = await readCluster(kc, 'fleet', 'z');
          const x = bc.status?.conditions?.find((y) => y.type === 'ManagedCluster');
          st.lastReason = JSON.stringify(x);
          return x?.reason === 'NameTaken' ? x : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      assert.match(c.message ?? '', /ManagedCluster fleet-z is a cluster imported by kokpit register: rename this BusinessCluster/);
      await objects().delete({ apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'z', namespace: 'fleet' } } as KubernetesObject);
      await waitFor(
        'BusinessCluster fleet/z gone',
        async () =>
          !(await readObject(objects(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'z', namespace: 'fleet' } })) ||
          undefined,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      await op.stop();
    }
    const mc = await readObject<MC>(objects(), mcRef('fleet-z'));
    assert.equal(mc?.metadata?.labels?.['kokpit.dev/imported'], 'fleet-z', 'the import is untouched');
    assert.ok(mc?.metadata?.labels?.['kokpit.dev/namespace'] === undefined);
    const left = await leftovers('fleet-z');
    for (const what of ['ManagedCluster', 'agent', 'kubeconfig Secret'])
      assert.ok(left.includes(what), `${what} still there: ${left.join(', ')}`);
    const d = await cli('deregister', 'fleet-z', '--timeout', '4m', ...meta);
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(await leftovers('fleet-z'), []);
    await waitFor('fleet-z identity gone', async () => (await identityLeft('fleet-z')).length === 0 || undefined, { timeoutMs: 60_000 });
    assert.ok((await identityLeft(NAME)).length > 0, "the other import's identity in the same cluster is untouched");
  });

  it("deregister refuses a BusinessCluster's ManagedCluster and names it", async function () {
    this.timeout(60_000);
    const labels = { 'kokpit.dev/namespace': 'fleet', 'kokpit.dev/cluster': 'y', 'app.kubernetes.io/managed-by': 'kokpit' };
    const ref = { ...mcRef('fleet-y'), metadata: { name: 'fleet-y', labels }, spec: { hubAcceptsClient: false } };
    await applyObject(objects(), ref as KubernetesObject, { fieldManager: 'kokpit-test' });
    const r = await cli('deregister', 'fleet-y', ...meta);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /NotOurs: ManagedCluster fleet-y belongs to BusinessCluster fleet\/y: delete that \(kubectl delete businesscluster y -n fleet\)/,
    );
    assert.ok(await readObject(objects(), mcRef('fleet-y')), 'still there');
    const taken = await cli('register', 'fleet-y', '--kubeconfig', files.imported, ...meta);
    assert.equal(taken.code, 1, taken.err);
    assert.match(taken.err, /NameTaken: ManagedCluster fleet-y is already registered, by BusinessCluster fleet\/y; choose another name\n/);
  });

  it('deregister leaves no ManagedCluster, hub namespace, agent, pod, Secret, RBAC or agent identity; works first', async function () {
    this.timeout(600_000);
    const agentKc = await storedAgent(NAME);
    const r = await cli('deregister', NAME, '--timeout', '9m', ...meta);
    log(`deregister: exit ${r.code}`);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(await leftovers(NAME), []);
    // Its anchor deleted with the agent's own token, the garbage collector takes the rest; the token stops working.
    await waitFor(
      `${NAME}'s identity gone from the imported cluster`,
      async (st) => {
        const left = await identityLeft(NAME);
        st.lastReason = left.join(', ');
        return left.length === 0 || undefined;
      },
      { timeoutMs: 60_000 },
    );
    // The API server caches a token's authentication for 10 s, so not refused at once.
    await waitFor(
      "the agent's old token refused (401)",
      async () =>
        whoAmI(agentKc).then(
          () => undefined,
          (e: unknown) => /401|Unauthorized/.test(String(e)) || undefined,
        ),
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    // The work's ConfigMap was removed from the imported cluster by the agent before it went.
    const cms = await other.kubeConfig().makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'default' });
    assert.deepEqual(
      cms.items.map((c) => c.metadata!.name).filter((n) => n === 'hello'),
      [],
    );
    const again = await cli('deregister', NAME, ...meta);
    assert.equal(again.code, 1);
    assert.match(again.err, /NotRegistered/);
    assert.equal((await cli('deregister', NAME, '--ignore-not-found', ...meta)).code, 0);
  });
  it('a cluster gone for good: deregister names the works that wait for its agent, and --force finishes', async function () {
    this.timeout(600_000);
    const gone = await startControlPlane({ controllers: true, log: (l) => log(`[gone] ${l}`) });
    let stopped = false;
    try {
      const file = path.join(dir, 'gone.kubeconfig');
      fs.writeFileSync(file, gone.kubeConfig().exportConfig(), { mode: 0o600 });
      const r = await cli('register', 'gone-1', '--kubeconfig', file, '--timeout', '5m', ...meta);
      assert.equal(r.code, 0, r.err);
      const work = {
        apiVersion: 'work.open-cluster-management.io/v1',
        kind: 'ManifestWork',
        metadata: { name: 'hello', namespace: 'gone-1' },
        spec: { workload: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello', namespace: 'default' } }] } },
      };
      await applyObject(objects(), work as KubernetesObject, { fieldManager: 'kokpit-test' });
      await waitFor(
        'ManifestWork gone-1/hello Applied',
        async () => cond(await readObject<MC>(objects(), work), 'Applied') === 'True' || undefined,
        {
          timeoutMs: 120_000,
          intervalMs: 1000,
        },
      );
      await gone.stop();
      stopped = true;
      const stuck = await cli('deregister', 'gone-1', '--timeout', '20s', ...meta);
      assert.equal(stuck.code, 1, stuck.err);
      assert.match(
        stuck.err,
        /ManagedCluster gone-1 is still there; 1 ManifestWork\(s\) in namespace gone-1 wait for the cluster's agent .*kokpit deregister gone-1 --force/,
      );
      const forced = await cli('deregister', 'gone-1', '--force', '--timeout', '4m', ...meta);
      log(`deregister --force: exit ${forced.code}`);
      assert.equal(forced.code, 0, forced.err);
      assert.deepEqual(await leftovers('gone-1'), []);
    } finally {
      if (!stopped) await gone.stop();
    }
  });
});
