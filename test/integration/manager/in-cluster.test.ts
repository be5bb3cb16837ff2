// The manager as a workload of the meta cluster, as `kokpit install` puts it there: a real control plane (with
// kube-controller-manager: the Deployment and ReplicaSet controllers, the ServiceAccount admission plugin),
// renderInstall() applied by installManager, and the process pod runner as the node's kubelet — the image
// kokpit.dev/kokpit-manager:<version> runs this kokpit, so the Deployment's two pods are `kokpit operator`
// processes reaching the API server as the kokpit-manager ServiceAccount (the projected token the runner
// writes). One pod holds the lease under its own name, reconciles an EtcdCluster (its status written by the
// ServiceAccount, as the audit log shows), and when that pod is deleted mid-work the other replica takes
// over within the lease duration and brings the EtcdCluster to Running.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { API_VERSION } from '../../../src/api';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { INSTALL_NAMESPACE, installManager, renderInstall } from '../../../src/local/install';
import { startHostPathProvisioner } from '../../../src/local/provisioner';
import { AuditWrites, type AuditMark } from '../../support/audit-writes';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { buildKubeconfig } from '../../../src/pki';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const SA_USER = `system:serviceaccount:${INSTALL_NAMESPACE}:kokpit-manager`;
const NS = 'work';
const log = (l: string) => process.stderr.write(`  ${l}\n`);

type Etcd = KubernetesObject & { status?: { phase?: string; readyMembers?: number; members?: unknown[] } };

describe('the manager in the meta cluster (kokpit install; pods run by the process pod runner)', function () {
  let cp: ControlPlane;
  let admin: KubeConfig;
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let stateDir: string;
  let audit: AuditWrites;
  let start: AuditMark;

  before(async function () {
    cp = await startControlPlane({ controllers: true, scheduler: false, audit: true, log: (l) => log(`[controlplane] ${l}`) });
    admin = cp.kubeConfig();
    audit = new AuditWrites(cp);
    start = await audit.mark();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-in-cluster-'));
    runner = await startPodRunner({
      kubeConfig: admin,
      nodeName: 'in-cluster-meta-node',
      stateDir: path.join(stateDir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 1000, maxMs: 5000 },
      stopGraceMs: 5000,
    });
    provisioner = await startHostPathProvisioner(admin, () => {});
    await applyObject(makeObjectApi(admin), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });

  after(async () => {
    await provisioner?.stop();
    await runner?.stop();
    await cp?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const core = () => admin.makeApiClient(CoreV1Api);
  const managerPods = async () =>
    (
      await core().listNamespacedPod({
        namespace: INSTALL_NAMESPACE,
        labelSelector: 'app.kubernetes.io/name=kokpit,app.kubernetes.io/component=manager',
      })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);
  const lease = () => admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'kokpit-manager', namespace: INSTALL_NAMESPACE });
  const managerLog = (pod: V1Pod) => {
    const f = runner!.logFile(INSTALL_NAMESPACE, pod.metadata!.name!, 'manager');
    return f && fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  };
  const etcd = () =>
    readObject<Etcd>(makeObjectApi(admin), { apiVersion: API_VERSION, kind: 'EtcdCluster', metadata: { name: 'e1', namespace: NS } });

  it('two replicas as processes; the leader (pod name on the Lease) reconciles as the SA; deleted, it hands over', async function () {
    this.timeout(900_000);
    await installManager(admin, renderInstall(), (l) => log(`[install] ${l}`));
    const running = await waitFor(
      'both manager pods Running and Ready',
      async (state) => {
        const pods = await managerPods();
        state.lastReason = pods
          .map((p) => `${p.metadata!.name} ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state)}`)
          .join('; ');
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === 2 ? ready : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    const names = running.map((p) => p.metadata!.name!);
    // Real processes of this kokpit: `kokpit operator` under the pod's pid, with the pod's own address.
    for (const p of running) {
      assert.equal(runner!.pids(INSTALL_NAMESPACE, p.metadata!.name!).length, 1);
      assert.match(p.status!.podIP!, /^127\./);
    }
    const holder = await waitFor(
      'a manager pod holds the lease',
      async () => {
        const h = (await lease()).spec?.holderIdentity;
        return h && names.includes(h) ? h : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const leader = running.find((p) => p.metadata!.name === holder)!;
    const standby = running.find((p) => p.metadata!.name !== holder)!;
    log(`leader ${holder}, standby ${standby.metadata!.name}`);
    await waitFor(
      'the standby says who holds the lease',
      async () => (managerLog(standby).includes(`(${holder}) holds the lease`) ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    assert.match(managerLog(leader), new RegExp(`manager running .* as ${holder}`));

    // Work for the leader; once its first status write is in the audit log, the leader pod is deleted mid-way.
    await applyObject(makeObjectApi(admin), {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: 'e1', namespace: NS },
      spec: { replicas: 3, version: '3.5.35' },
    } as KubernetesObject);
    const firstStatus = await waitFor(
      'the leader writes e1 status as the ServiceAccount',
      async () => {
        const w = await audit.since(start, { user: SA_USER, resource: 'etcdclusters/status', namespace: NS, name: 'e1' });
        return w.length ? w : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    assert.ok(
      firstStatus.every((e) => (e.responseStatus?.code ?? 0) < 300),
      JSON.stringify(firstStatus),
    );
    assert.notEqual((await etcd())?.status?.phase, 'Running', 'deleted before the work was done');
    const before = (await lease()).spec!;
    const beforeDelete = await audit.mark();
    const deletedAt = Date.now();
    await core().deleteNamespacedPod({ name: holder, namespace: INSTALL_NAMESPACE });

    // The deleted leader releases the lease as it stops; whichever replica asks first takes it: the standby (it
    // retries every few seconds) or the pod the Deployment starts in the leader's place (it asks as it starts).
    // e1's status is read before the lease in each poll: the last one read while no other replica held the lease is
    // what the old leader left (read after the takeover, the new leader may already have finished).
    let leftByOldLeader: unknown;
    const taken = await waitFor(
      'another replica takes the lease',
      async () => {
        const status = (await etcd())?.status;
        const l = (await lease()).spec;
        if (l?.holderIdentity && l.holderIdentity !== holder) return l;
        leftByOldLeader = status;
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const newLeader = await core().readNamespacedPod({ name: taken.holderIdentity!, namespace: INSTALL_NAMESPACE });
    const who = newLeader.metadata!.name === standby.metadata!.name ? 'the standby' : 'the replacement pod';
    const takeoverMs = new Date(taken.acquireTime!).getTime() - deletedAt;
    log(`${who} took the lease ${takeoverMs} ms after the leader pod was deleted (lease ${taken.leaseDurationSeconds} s)`);
    assert.equal(taken.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
    assert.ok(takeoverMs <= taken.leaseDurationSeconds! * 1000, `took over ${takeoverMs} ms after the delete`);
    const left = leftByOldLeader as { phase?: string; readyMembers?: number } | undefined;
    log(`the old leader left e1 ${left?.phase ?? 'without a phase'} with ${left?.readyMembers ?? 0} ready members`);
    // A deleted pod stops gracefully: its pass in flight may finish the scale-up before the lease goes (seen once on a
    // loaded machine). Then the hand-over is shown by the next operation instead: the new leader scales e1 back to 1.
    let members = 3;
    if (left?.phase === 'Running' && left.readyMembers === 3) {
      members = 1;
      log('the old leader finished e1 while stopping; the new leader gets a scale-down to 1');
      await applyObject(makeObjectApi(admin), {
        apiVersion: API_VERSION,
        kind: 'EtcdCluster',
        metadata: { name: 'e1', namespace: NS },
        spec: { replicas: 1, version: '3.5.35' },
      } as KubernetesObject);
    }

    await waitFor(
      `e1 Running with ${members} member(s) ready, finished by the new leader`,
      async () => {
        const e = await etcd();
        return e?.status?.phase === 'Running' && e.status.readyMembers === members && e.status.members?.length === members ? e : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
    await waitFor(
      'the new leader says it runs',
      async () => (new RegExp(`manager running .* as ${newLeader.metadata!.name}`).test(managerLog(newLeader)) ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    // Both replicas are the same ServiceAccount: the new leader's writes are those received after it took the lease.
    const acquired = new Date(taken.acquireTime!).getTime();
    const finished = (
      await audit.since(beforeDelete, { user: SA_USER, resource: 'etcdclusters/status', namespace: NS, name: 'e1' })
    ).filter((e) => new Date(e.requestReceivedTimestamp!).getTime() >= acquired);
    assert.ok(finished.length > 0, 'the new leader wrote e1 status');
    // Every write to e1's status came from the manager's ServiceAccount, none forbidden.
    const statusWrites = await audit.since(start, { resource: 'etcdclusters/status', namespace: NS, name: 'e1' });
    assert.deepEqual([...new Set(statusWrites.map((e) => e.user.username))], [SA_USER]);
    const all = await audit.since(start, { user: SA_USER });
    assert.deepEqual(
      all.filter((e) => e.responseStatus?.code === 403).map((e) => e.requestURI),
      [],
      'forbidden writes of the manager',
    );
    // The Deployment replaces the deleted pod; the replacement runs as the new standby.
    await waitFor(
      'a new standby pod Ready',
      async () => {
        const pods = await managerPods();
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === 2 && !ready.some((p) => p.metadata!.name === holder) ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
  });

  // `kokpit metrics` without --url: the pod holding the lease, reached at its pod IP (a process of the pod runner, 127.x),
  // HTTPS with a token allowed to `get /metrics` — the admin's client certificate cannot be passed on, so a TokenRequest
  // for a ServiceAccount bound to kokpit-metrics-reader; a token without that binding is refused (403).
  it('kokpit metrics reads the leader pod with a token of a ServiceAccount bound to kokpit-metrics-reader', async function () {
    this.timeout(300_000);
    const holder = (await lease()).spec!.holderIdentity!;
    const unbound = await cli(['metrics', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(unbound.code, 1, unbound.out);
    assert.match(unbound.err, /your kubeconfig user \(kokpit-admin\) has no bearer token, and the manager's \/metrics takes only a token/);
    assert.match(unbound.err, /kubectl create clusterrolebinding metrics-reader --clusterrole=kokpit-metrics-reader/);

    await core().createNamespacedServiceAccount({ namespace: INSTALL_NAMESPACE, body: { metadata: { name: 'metrics-reader' } } });
    await applyObject(makeObjectApi(admin), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kokpit-metrics-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-reader', namespace: INSTALL_NAMESPACE }],
    } as KubernetesObject);
    const read = await cli(['metrics', '--kubeconfig', cp.kubeconfigPath]);
    log(`[kokpit metrics] exit ${read.code}\n${read.out}\n${read.err}`);
    assert.equal(read.code, 0, read.err);
    assert.match(
      read.out,
      new RegExp(
        `^manager pod ${holder} \\(the lease holder\\), read through pod IP 127\\.\\d+\\.\\d+\\.\\d+:8443 ` +
          'as ServiceAccount kokpit-system/metrics-reader \\(a TokenRequest\\)',
      ),
    );
    assert.match(read.out, /^etcdcluster\s+[1-9]\d*\s+\d+\s/m, 'the leader reconciled e1');
    assert.match(read.out, /lease kokpit-manager: held by this manager/);
    const raw = await cli(['metrics', '--kubeconfig', cp.kubeconfigPath, '--raw']);
    assert.match(raw.out, /^leader_election_master_status\{name="kokpit-manager"\} 1$/m);

    // A token that authenticates but may not `get /metrics`: the manager's 403, and what to bind.
    await core().createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'nobody' } } });
    const token = await core().createNamespacedServiceAccountToken({ name: 'nobody', namespace: NS, body: { spec: { audiences: [] } } });
    const nobody = path.join(stateDir, 'nobody.kubeconfig');
    fs.writeFileSync(
      nobody,
      buildKubeconfig({ server: cp.server, caPem: cp.caPem, clusterName: 'meta', user: 'nobody', token: token.status!.token! }),
    );
    const denied = await cli(['metrics', '--kubeconfig', cp.kubeconfigPath, '--service-account', `${NS}/nobody`]);
    assert.equal(denied.code, 1, denied.out);
    assert.match(
      denied.err,
      new RegExp(
        `pod kokpit-system/${holder} \\(pod IP .*\\) as ServiceAccount ${NS}/nobody .*HTTP 403.*` +
          ' — bind it to ClusterRole kokpit-metrics-reader',
      ),
    );
    // A kubeconfig whose user may not read the lease is told so.
    const own = await cli(['metrics', '--kubeconfig', nobody]);
    assert.equal(own.code, 1, own.out);
    assert.match(own.err, /^kokpit metrics: cannot read the manager lease kokpit-system\/kokpit-manager \(installed\? kokpit install\): /);
  });
});
