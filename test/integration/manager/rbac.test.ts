// The manager's RBAC (config/rbac) is least privilege, both ways, as the API server sees it: the manager runs as
// its ServiceAccount (a TokenRequest token) against a real meta control plane with only that RBAC, and drives
// every operator through its work — an EtcdCluster created at 3.5.34, scaled 1 → 3, backed up on demand, upgraded
// to 3.5.35 member by member, healed (a member pod deleted), a member replaced after its data is lost (process
// SIGKILLed, data directory emptied), quorum lost and recovered (every member pod deleted at once: each back from its
// data), restored from a backup into a new EtcdCluster (which then loses its only member's data: QuorumLost),
// scaled 3 → 1, backed up on a schedule with retention; a BusinessCluster at v1.32.0 to Ready with addons and its
// managed etcd, a MachineSet of kwok Machines naming a kubelet Component, a FleetRollout with includeMachines moving
// it to v1.33.13 (control plane, then the MachineSet's kubelet); a BusinessCluster on the shared etcd (its
// finalizer); a BusinessCluster whose network turns invalid twice (one Event, counted twice); then everything
// deleted (finalizers). Its business pods run as processes (the sandbox's pod runner).
// The audit log (every request, reads too) must show no request of the ServiceAccount forbidden, and every
// verb/resource pair the roles grant used at least once.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import * as https from 'node:https';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { API_VERSION, type EtcdBackup, type EtcdCluster } from '../../../src/api';
import { applyObject, listObjects, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { buildKubeconfig } from '../../../src/pki';
import { Manager } from '../../../src/manager/manager';
import { kokpitOperators } from '../../../src/manager/operators';
import { EtcdMembers, podIPResolver } from '../../../src/operators/etcd/access';
import { clientSecretName } from '../../../src/operators/etcd/names';
import { restoredClusterManifest } from '../../../src/operators/etcd/restore-manifest';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { installKokpitBase } from '../../../src/local/meta';
import { renderInstall } from '../../../src/local/install';
import { startNodePortProxy, type NodePortProxy } from '../../../src/local/nodeport-proxy';
import { startHostPathProvisioner } from '../../../src/local/provisioner';
import { sampleBusinessCluster, waitClusterReady } from '../../../src/local/sample';
import { controlRollout } from '../../../src/actions/rollout-actions';
import { AuditWrites, type AuditMark } from '../../support/audit-writes';
import { forbiddenRequests, grantedPairs, usedPairs, type Rule } from '../../support/rbac-audit';

const NS = 'rbac';
const SA_USER = 'system:serviceaccount:kokpit-system:kokpit-manager';
const BIN = path.resolve('bin/kokpit.js');
const FROM = 'v1.32.0';
const TO = 'v1.33.13';
const log = (l: string) => process.stderr.write(`  ${l}\n`);

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { phase?: string } };

/** A kubeconfig for the ServiceAccount: the API server's CA and a token from the TokenRequest API. */
async function serviceAccountKubeConfig(cp: ControlPlane): Promise<{ kc: KubeConfig; file: string }> {
  const tr = await cp
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name: 'kokpit-manager',
      namespace: 'kokpit-system',
      body: { spec: { audiences: [], expirationSeconds: 7200 } },
    });
  const yaml = buildKubeconfig({
    server: cp.server,
    caPem: cp.caPem,
    clusterName: 'meta',
    user: 'kokpit-manager',
    token: tr.status!.token!,
  });
  const file = path.join(cp.dir, 'kokpit-manager.kubeconfig');
  fs.writeFileSync(file, yaml, { mode: 0o600 });
  return { kc: loadKubeConfig({ kubeconfigPath: file }), file };
}

/** GET over HTTPS (the manager's self-signed certificate is not verified here; the token is what is tested). */
function scrapeMetrics(base: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    https
      .get(`${base}/metrics`, { headers, rejectUnauthorized: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('manager RBAC (config/rbac): least privilege, proven by the audit log', function () {
  let cp: ControlPlane;
  let admin: KubeConfig;
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let proxy: NodePortProxy | undefined;
  let manager: Manager | undefined;
  let stateDir: string;
  let audit: AuditWrites;
  let start: AuditMark;
  let saFile: string;

  before(async function () {
    cp = await startControlPlane({ controllers: true, scheduler: false, audit: 'all', log: (l) => log(`[controlplane] ${l}`) });
    admin = cp.kubeConfig();
    audit = new AuditWrites(cp);
    await installKokpitBase(admin);
    const objects = makeObjectApi(admin);
    // The RBAC exactly as `kokpit install` applies it, and nothing else for the ServiceAccount.
    for (const o of renderInstall().filter((x) => /ServiceAccount|Role/.test(x.kind!))) await applyObject(objects, o);
    await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // Pods are admitted once the namespace's default ServiceAccount exists (an admission 403 otherwise, not RBAC's).
    await waitFor(
      'the default ServiceAccount of the test namespace',
      () =>
        admin
          .makeApiClient(CoreV1Api)
          .readNamespacedServiceAccount({ name: 'default', namespace: NS })
          .catch(() => undefined),
      { timeoutMs: 30_000 },
    );
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-rbac-'));
    runner = await startPodRunner({
      kubeConfig: admin,
      nodeName: 'rbac-meta-node',
      stateDir: path.join(stateDir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
    });
    provisioner = await startHostPathProvisioner(admin, () => {});
    // kube-proxy's part for NodePorts, on the node's own address: the operator finds the API server endpoint
    // as it does in a real cluster (a node's InternalIP and the NodePort), with no host override.
    proxy = await startNodePortProxy(admin, () => {}, runner.hostIP);
    const sa = await serviceAccountKubeConfig(cp);
    saFile = sa.file;
    start = await audit.mark();
    const t0 = Date.now();
    const mlog = (lvl: string) => (m: string) => log(`[manager +${((Date.now() - t0) / 1000).toFixed(1)}s] ${lvl} ${m}`);
    manager = new Manager({
      kc: sa.kc,
      // As in a pod, but for where backups go (a temporary directory), etcd without fsync, and an unhealthy member
      // replaced after 30 s instead of 2 min (the data-loss step).
      operators: kokpitOperators({
        etcd: {
          resolver: podIPResolver,
          backupRoot: path.join(stateDir, 'backups'),
          unsafeNoFsync: true,
          busyRequeueMs: 500,
          plan: { replaceUnhealthyAfterMs: 30_000 },
        },
      }),
      log: { info: mlog('info'), warn: mlog('warn'), error: mlog('error'), debug: () => {} },
      leaderElection: { namespace: 'kokpit-system', identity: 'rbac-test-manager', leaseDurationSec: 15 },
      // As config/manager serves it: HTTPS, bearer tokens reviewed with the ServiceAccount's own rights.
      metricsAddress: '127.0.0.1:0',
      metricsSecure: {},
    });
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    await proxy?.stop();
    await provisioner?.stop();
    await runner?.stop();
    await cp?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const objects = () => makeObjectApi(admin);
  const read = (kind: string, name: string) =>
    readObject<Obj>(objects(), { apiVersion: API_VERSION, kind, metadata: { name, namespace: NS } });
  const until = <T>(what: string, fn: (st: { lastReason?: string }) => Promise<T | undefined>, timeoutMs = 240_000) =>
    waitFor(what, fn, { timeoutMs, intervalMs: 1000 });

  const etcdCluster = (spec: Record<string, unknown>, fieldManager?: string) =>
    applyObject(
      objects(),
      { apiVersion: API_VERSION, kind: 'EtcdCluster', metadata: { name: 'e1', namespace: NS }, spec } as KubernetesObject,
      fieldManager ? { fieldManager } : undefined,
    );
  type Member = { name: string; id?: string; healthy?: boolean; leader?: boolean; version?: string };
  const e1 = async () =>
    (await read('EtcdCluster', 'e1'))?.status as { readyMembers?: number; currentVersion?: string; members?: Member[] };
  const podsOf = async (cluster: string) =>
    await listObjects<Obj>(objects(), 'v1', 'Pod', { namespace: NS, labelSelector: `kokpit.dev/etcd-cluster=${cluster}` });
  const e1Pods = () => podsOf('e1');
  /** A client of an EtcdCluster's members with the operator's client certificate (from its Secret). */
  const membersOf = async (cluster: string) => {
    const secret = await readObject<V1Secret>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: clientSecretName({ name: cluster, namespace: NS }), namespace: NS },
    });
    const pem = (k: string) => Buffer.from(secret!.data![k], 'base64').toString('utf8');
    return new EtcdMembers({ name: cluster, namespace: NS }, podIPResolver, {
      caPem: pem('ca.crt'),
      certPem: pem('tls.crt'),
      keyPem: pem('tls.key'),
    });
  };
  /** `resource/name` of every object the ServiceAccount deleted since `from` (answered 200). */
  const deletedSince = async (from: AuditMark) =>
    (await audit.requestsSince(from, { user: SA_USER, verbs: ['delete'], namespace: NS }))
      .filter((e) => e.responseStatus?.code === 200)
      .map((e) => `${e.objectRef!.resource}/${e.objectRef!.name}`);

  it('etcd: an EtcdCluster created at 3.5.34, scaled 1 → 3, backed up on demand', async () => {
    await etcdCluster({ replicas: 1, version: '3.5.34', backup: { schedule: '* * * * *', retain: 1 } });
    await until('e1 Running with 1 member', async () => ((await e1())?.readyMembers === 1 ? true : undefined));
    await etcdCluster({ replicas: 3 }, 'rbac-test-scale');
    await until('e1 scaled to 3 ready members', async () => ((await e1())?.readyMembers === 3 ? true : undefined));
    await applyObject(objects(), {
      apiVersion: API_VERSION,
      kind: 'EtcdBackup',
      metadata: { name: 'b1', namespace: NS },
      spec: { etcdClusterRef: { name: 'e1' } },
    } as KubernetesObject);
    await until('b1 Completed', async () => {
      const phase = (await read('EtcdBackup', 'b1'))?.status?.phase;
      assert.notEqual(phase, 'Failed');
      return phase === 'Completed' ? true : undefined;
    });
  });

  it('etcd: upgraded 3.5.34 → 3.5.35 member by member, each member pod deleted once by the ServiceAccount', async () => {
    const before = await e1();
    assert.deepEqual(
      before.members!.map((m) => m.version),
      ['3.5.34', '3.5.34', '3.5.34'],
    );
    const from = await audit.mark();
    await etcdCluster({ version: '3.5.35' }, 'rbac-test-upgrade');
    await until(
      'every member of e1 at 3.5.35 and ready',
      async (st) => {
        const s = await e1();
        st.lastReason = JSON.stringify(s?.members?.map((m) => `${m.name}:${m.version}:${m.healthy}`));
        return s?.readyMembers === 3 && s.currentVersion === '3.5.35' && s.members?.every((m) => m.version === '3.5.35') ? true : undefined;
      },
      300_000,
    );
    const deletes = (await audit.requestsSince(from, { user: SA_USER, verbs: ['delete'], resource: 'pods', namespace: NS }))
      .filter((e) => e.responseStatus?.code === 200)
      .map((e) => e.objectRef!.name!)
      .sort();
    assert.deepEqual(deletes, before.members!.map((m) => m.name).sort(), 'each member restarted once');
    for (const p of await e1Pods()) assert.match((p.spec as { containers: Array<{ image: string }> }).containers[0].image, /3\.5\.35/);
  });

  it('etcd: a deleted member pod is re-created by the operator and the member rejoins with its ID (heal)', async () => {
    const victim = (await e1()).members!.find((m) => !m.leader)!;
    const old = (await e1Pods()).find((p) => p.metadata!.name === victim.name)!;
    await objects().delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: victim.name, namespace: NS } });
    // Asked of the re-created member itself (status may still show the old pod's answer).
    const members = await membersOf('e1');
    try {
      await until(
        `${victim.name} re-created and healthy with its old ID`,
        async (st) => {
          const pod = (await e1Pods()).find((p) => p.metadata!.name === victim.name && p.metadata!.uid !== old.metadata!.uid);
          if (!pod) return undefined;
          const h = await members.health(victim.name, pod as V1Pod);
          st.lastReason = h.error ?? `id ${h.id}`;
          return h.healthy && h.id === victim.id ? true : undefined;
        },
        180_000,
      );
    } finally {
      members.close();
    }
    await until('e1 3 ready members', async () => ((await e1())?.readyMembers === 3 ? true : undefined));
  });

  it('etcd: a member whose data is lost (its process SIGKILLed, its data directory emptied) is removed and replaced', async function () {
    this.timeout(600_000);
    const victim = (await e1()).members!.find((m) => !m.leader)!;
    const claim = await readObject<V1PersistentVolumeClaim>(objects(), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${victim.name}-data`, namespace: NS },
    });
    const pv = await readObject<V1PersistentVolume>(objects(), {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: claim!.spec!.volumeName! },
    });
    // The claim's hostPath volume, under the pod runner's emulated node root.
    const dir = path.join(stateDir, 'runner', 'node-root', pv!.spec!.hostPath!.path);
    assert.ok(fs.readdirSync(dir).length > 0, `${dir} holds ${victim.name}'s data`);
    const pids = runner!.pids(NS, victim.name);
    assert.ok(pids.length > 0, `${victim.name} has a running process`);
    const from = await audit.mark();
    // The disk's contents go with the process: the runner restarts the container (kubelet semantics) on an empty
    // directory, where etcd cannot rejoin (its raft log is gone), so it stays unhealthy until it is replaced.
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    for (const pid of pids) process.kill(-pid, 'SIGKILL');
    await until(
      `${victim.name} removed and replaced by a new member, 3 ready`,
      async (st) => {
        const s = await e1();
        st.lastReason = JSON.stringify(s?.members?.map((m) => `${m.name}:${m.id}:${m.healthy}`));
        const gone = !s?.members?.some((m) => m.name === victim.name || m.id === victim.id);
        return gone && s?.readyMembers === 3 && s.members?.length === 3 ? true : undefined;
      },
      300_000,
    );
    const deleted = await deletedSince(from);
    for (const o of [`pods/${victim.name}`, `persistentvolumeclaims/${victim.name}-data`]) assert.ok(deleted.includes(o), `${o} deleted`);
  });

  it('etcd: quorum lost (every member pod deleted at once), the operator brings each member back from its data', async function () {
    this.timeout(600_000);
    const before = (await e1()).members!;
    const old = new Set((await e1Pods()).map((p) => p.metadata!.uid));
    await Promise.all(before.map((m) => objects().delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: m.name, namespace: NS } })));
    const members = await membersOf('e1');
    try {
      await until(
        'every member re-created and healthy with its old ID',
        async (st) => {
          const pods = (await e1Pods()).filter((p) => !old.has(p.metadata!.uid));
          const health = await Promise.all(
            before.map(async (m) => {
              const pod = pods.find((p) => p.metadata!.name === m.name);
              return pod ? await members.health(m.name, pod as V1Pod) : { healthy: false, error: 'no new pod', id: undefined };
            }),
          );
          st.lastReason = JSON.stringify(health.map((h) => h.error ?? `id ${h.id}`));
          return health.every((h, i) => h.healthy && h.id === before[i].id) ? true : undefined;
        },
        300_000,
      );
    } finally {
      members.close();
    }
    await until('e1 3 ready members', async () => ((await e1())?.readyMembers === 3 ? true : undefined));
  });

  it('etcd: restored from an on-demand backup into e2 (a key written before read back); e2 losing its data: QuorumLost', async function () {
    this.timeout(600_000);
    const key = '/rbac/restored';
    const value = `written at ${new Date().toISOString()}`;
    const m1 = await membersOf('e1');
    try {
      const [pod] = await e1Pods();
      await m1
        .client(pod.metadata!.name!, pod as V1Pod)!
        .put(key)
        .value(value);
    } finally {
      m1.close();
    }
    const backup = { apiVersion: API_VERSION, kind: 'EtcdBackup', metadata: { name: 'b2', namespace: NS } };
    await applyObject(objects(), { ...backup, spec: { etcdClusterRef: { name: 'e1' } } } as KubernetesObject);
    const b2 = await until('b2 Completed', async () => {
      const b = await read('EtcdBackup', 'b2');
      assert.notEqual(b?.status?.phase, 'Failed');
      return b?.status?.phase === 'Completed' ? b : undefined;
    });
    // What `kokpit restore b2 --into e2` creates, one member.
    const source = (await read('EtcdCluster', 'e1')) as unknown as EtcdCluster;
    await applyObject(
      objects(),
      restoredClusterManifest({
        name: 'e2',
        namespace: NS,
        backup: b2 as unknown as EtcdBackup,
        source,
        replicas: 1,
      }) as unknown as KubernetesObject,
    );
    await until('e2 restored, 1 ready member', async () =>
      (await read('EtcdCluster', 'e2'))?.status?.readyMembers === 1 ? true : undefined,
    );
    const m2 = await membersOf('e2');
    try {
      const [pod] = await podsOf('e2');
      assert.equal(
        await m2
          .client(pod.metadata!.name!, pod as V1Pod)!
          .get(key)
          .string(),
        value,
      );
    } finally {
      m2.close();
    }
    // Its only member's pod and claim deleted: no data left anywhere, which the operator reports with the way back.
    const [pod] = await podsOf('e2');
    const formed = (await read('EtcdCluster', 'e2'))?.status?.members as Member[];
    await objects().delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata!.name!, namespace: NS } });
    await objects().delete({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${pod.metadata!.name!}-data`, namespace: NS },
    });
    const lost = await until('e2 QuorumLost', async (st) => {
      const c = (await read('EtcdCluster', 'e2')) as unknown as EtcdCluster | undefined;
      const q = c?.status?.conditions?.find((k) => k.type === 'QuorumLost');
      st.lastReason = JSON.stringify(c?.status?.conditions);
      return q?.status === 'True' ? q : undefined;
    });
    assert.match(lost.message!, /every member's data is gone.*kokpit restore/);
    // Kept in status, so later passes still know e2 was formed: no empty cluster (or second restore) under its name.
    assert.deepEqual(
      ((await read('EtcdCluster', 'e2'))?.status?.members as Member[]).map((m) => `${m.name} ${m.id} ${m.healthy}`),
      formed.map((m) => `${m.name} ${m.id} false`),
    );
  });

  it('etcd: scaled 3 → 1 (members removed, pods and claims deleted), scheduled backups pruned to their retention', async () => {
    await etcdCluster({ replicas: 1 }, 'rbac-test-scale');
    await until('e1 scaled down to 1 member', async () => {
      const s = await e1();
      return s?.readyMembers === 1 && s.members?.length === 1 ? true : undefined;
    });
    // Two scheduled slots: the second prunes the first (retain 1), a delete of an EtcdBackup by the operator.
    await until(
      'two scheduled backups taken, the older pruned',
      async () => ((await read('EtcdCluster', 'e1'))?.status?.lastScheduleTime && (await scheduledPrunes()) > 0 ? true : undefined),
      200_000,
    );
  });

  /** EtcdBackups the ServiceAccount deleted (the schedule's retention). */
  const scheduledPrunes = async () =>
    (await audit.requestsSince(start, { user: SA_USER, verbs: ['delete'], resource: 'etcdbackups' })).filter(
      (e) => e.responseStatus?.code === 200,
    ).length;

  it('a BusinessCluster with addons to Ready at v1.32.0 (managed etcd), a MachineSet of two kwok Machines Running', async () => {
    // The kubelet Component (kwok simulates its steps) so a MachineSet can name the kubelet's version.
    await applyObject(objects(), {
      apiVersion: API_VERSION,
      kind: 'Component',
      metadata: { name: 'kubelet' },
      spec: { version: FROM, steps: { install: { script: 'install kubelet {{ .version }}' } } },
    } as KubernetesObject);
    const biz = sampleBusinessCluster('biz', NS) as Obj;
    biz.metadata!.labels = { fleet: 'rbac' };
    biz.spec!.version = FROM;
    biz.spec!.addons = [{ name: 'coredns', parameters: { replicas: 1 } }, { name: 'kube-proxy' }];
    await applyObject(objects(), biz);
    await waitClusterReady(admin, 'biz', NS, (type, ms) => log(`biz ${type} after ${ms} ms`));
    await applyObject(objects(), {
      apiVersion: API_VERSION,
      kind: 'MachineSet',
      metadata: { name: 'workers', namespace: NS },
      spec: {
        clusterRef: { name: 'biz' },
        replicas: 2,
        template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'kubelet', version: FROM }] } },
      },
    } as KubernetesObject);
    await until('2 Machines Running', async () => {
      const ms = await listObjects<Obj>(objects(), API_VERSION, 'Machine', { namespace: NS });
      return ms.filter((m) => m.status?.phase === 'Running').length === 2 ? true : undefined;
    });
  });

  it(`a FleetRollout with includeMachines moves biz ${FROM} → ${TO}: control plane, then the MachineSet's kubelet`, async function () {
    this.timeout(900_000);
    const t0 = Date.now();
    await applyObject(objects(), {
      apiVersion: API_VERSION,
      kind: 'FleetRollout',
      metadata: { name: 'upgrade' },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { fleet: 'rbac' } } },
        waves: [{ name: 'all', clusters: '100%' }],
        includeMachines: true,
        progressDeadline: '10m',
      },
    } as KubernetesObject);
    let retried = false;
    const done = await until(
      'the rollout Succeeded',
      async (st) => {
        const r = await readObject<Obj>(objects(), { apiVersion: API_VERSION, kind: 'FleetRollout', metadata: { name: 'upgrade' } });
        st.lastReason = JSON.stringify(r?.status?.clusters);
        assert.notEqual(r?.status?.phase, 'Failed', st.lastReason);
        // biz may be NotReady for a moment just as its turn comes (CI, 2026-12-06: right after its kwok Machines joined,
        // its addons' new generation not yet observed by the business controller-manager). The rollout then skips it by
        // design, and the documented remedy is `kokpit rollout retry` once it is Ready.
        const row = (r?.status?.clusters as Array<{ state?: string; message?: string }> | undefined)?.[0];
        const bizConditions = (await read('BusinessCluster', 'biz'))?.status?.conditions as
          Array<{ type: string; status: string }> | undefined;
        const bizReady = bizConditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (!retried && row?.state === 'Skipped' && /^NotReady/.test(row.message ?? '') && bizReady) {
          log(`biz was skipped (${row.message}); it is Ready now: kokpit rollout retry`);
          await controlRollout(admin, 'upgrade', 'retry', 'rbac-test');
          retried = true;
        }
        return r?.status?.phase === 'Succeeded' ? r : undefined;
      },
      840_000,
    );
    log(`rollout ${FROM} → ${TO} with machines Succeeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const rows = done.status!.clusters as Array<{ name: string; state: string; from: string; to: string }>;
    assert.deepEqual(
      rows.map((r) => `${r.name}:${r.state} ${r.from}→${r.to}`),
      [`biz:Succeeded ${FROM}→${TO}`],
    );
    assert.equal((await read('BusinessCluster', 'biz'))?.status?.version, TO);
    const set = (await read('MachineSet', 'workers'))!;
    assert.deepEqual((set.spec!.template as { spec: { components: unknown } }).spec.components, [{ name: 'kubelet', version: TO }]);
    assert.equal(set.status?.updatedReplicas, 2);
  });

  it('a BusinessCluster on the shared EtcdCluster e1: its finalizer added; on deletion its control plane deleted first', async () => {
    const ref = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'ref', namespace: NS } };
    const version = (sampleBusinessCluster('x', NS) as Obj).spec!.version;
    await applyObject(objects(), { ...ref, spec: { version, etcd: { clusterRef: { name: 'e1' } } } } as KubernetesObject);
    await until('the shared-etcd finalizer on ref', async () =>
      (await read('BusinessCluster', 'ref'))?.metadata?.finalizers?.length ? true : undefined,
    );
    await until('ref-apiserver created', async () =>
      (await readObject(objects(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ref-apiserver', namespace: NS } }))
        ? true
        : undefined,
    );
    await objects().delete(ref);
    // The finalizer stops the control plane (delete deployments, as the ServiceAccount) before it removes the keys.
    // Removing them dials e1's client Service by its cluster DNS name, which this host-run manager cannot resolve, so
    // ref is released only when e1 goes in the last step (the operator then says its keys cannot be removed).
    await until('ref-apiserver deleted by the finalizer', async () =>
      (await readObject(objects(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ref-apiserver', namespace: NS } }))
        ? undefined
        : true,
    );
  });

  it('a BusinessCluster whose network turns invalid twice: one Warning Event, its count bumped (get + patch events)', async () => {
    // The recorder names an Event after (object, reason, message), so the same transition seen again finds it taken
    // and counts on it: the get and patch the role grants on events. Stopped before etcd (a missing clusterRef).
    const flap = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: 'flap', namespace: NS } };
    const version = (sampleBusinessCluster('x', NS) as Obj).spec!.version;
    const withPods = (podCIDR: string) =>
      applyObject(objects(), {
        ...flap,
        spec: { version, etcd: { clusterRef: { name: 'missing' } }, network: { serviceCIDR: '10.96.0.0/12', podCIDR } },
      } as KubernetesObject);
    const networkValid = async () =>
      ((await read('BusinessCluster', 'flap'))?.status?.conditions as { type: string; status: string }[] | undefined)?.find(
        (c) => c.type === 'NetworkValid',
      )?.status;
    await withPods('10.96.0.0/16');
    await until('NetworkValid False (the ranges overlap)', async () => ((await networkValid()) === 'False' ? true : undefined));
    await withPods('10.244.0.0/16');
    await until('NetworkValid True', async () => ((await networkValid()) === 'True' ? true : undefined));
    await withPods('10.96.0.0/16');
    const core = admin.makeApiClient(CoreV1Api);
    const count = await until('the one InvalidNetwork Event of flap counted twice', async () => {
      const events = (await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=flap' })).items;
      const invalid = events.filter((e) => e.reason === 'InvalidNetwork');
      return invalid.length === 1 && (invalid[0].count ?? 0) >= 2 ? invalid[0].count : undefined;
    });
    assert.equal(count, 2);
    await objects().delete(flap);
    await until('flap gone', async () => ((await read('BusinessCluster', 'flap')) ? undefined : true));
  });

  it('`kokpit operator` as the ServiceAccount starts (reachability, CRDs) and waits as a standby', async () => {
    const child = spawn(process.execPath, [BIN, 'operator', '--kubeconfig', saFile, '--leader-elect'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KOKPIT_FROM_SOURCE: '1', POD_NAME: 'kokpit-manager-standby', POD_NAMESPACE: 'kokpit-system' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    try {
      await waitFor('the standby waits for the lease', async () => (/holds the lease/.test(out) ? true : undefined), {
        timeoutMs: 60_000,
        abortIf: () => (child.exitCode !== null ? out : undefined),
      });
      assert.match(out, /rbac-test-manager/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('/metrics answers only a token allowed to get /metrics (TokenReview + SubjectAccessReview as the ServiceAccount)', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const token = async (name: string) => {
      await applyObject(objects(), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS } });
      const tr = await core.createNamespacedServiceAccountToken({ name, namespace: NS, body: { spec: { expirationSeconds: 3600 } } });
      return tr.status!.token!;
    };
    const reader = await token('prometheus');
    const other = await token('not-a-reader');
    await applyObject(objects(), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rbac-test-metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kokpit-metrics-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: NS }],
    } as KubernetesObject);
    assert.match(manager!.metricsURL!, /^https:/);
    const scrape = (t?: string) => scrapeMetrics(manager!.metricsURL!, t);
    const none = await scrape();
    assert.equal(none.status, 401, none.body);
    const forbidden = await scrape(other);
    assert.equal(forbidden.status, 403, forbidden.body);
    assert.match(forbidden.body, /not-a-reader may not get \/metrics/);
    const bogus = await scrape('not-a-token');
    assert.equal(bogus.status, 401, bogus.body);
    const allowed = await scrape(reader);
    assert.equal(allowed.status, 200, allowed.body);
    assert.match(allowed.body, /^controller_runtime_reconcile_total\{/m);
    // `kokpit metrics` reads it the same way (the self-signed certificate skipped, the token from a file).
    const tokenFile = path.join(stateDir, 'reader.token');
    fs.writeFileSync(tokenFile, reader, { mode: 0o600 });
    // Asynchronously: the manager answering it runs in this process.
    const cli = await promisify(execFile)(
      process.execPath,
      [BIN, 'metrics', '--url', manager!.metricsURL!, '--token-file', tokenFile, '--insecure-skip-tls-verify'],
      { encoding: 'utf8', env: { ...process.env, KOKPIT_FROM_SOURCE: '1' } },
    );
    assert.match(cli.stdout, /CONTROLLER\s+RECONCILES/);
    assert.ok(!cli.stdout.includes(reader) && !cli.stderr.includes(reader), 'the token is never printed');
  });

  it('everything deleted (finalizers run as the ServiceAccount)', async () => {
    for (const [kind, name] of [
      ['FleetRollout', 'upgrade'],
      ['MachineSet', 'workers'],
      ['BusinessCluster', 'biz'],
      ['EtcdCluster', 'e1'],
      ['EtcdCluster', 'e2'],
    ]) {
      await objects().delete({ apiVersion: API_VERSION, kind, metadata: { name, namespace: NS } });
    }
    for (const kind of ['FleetRollout', 'MachineSet', 'Machine', 'BusinessCluster', 'EtcdCluster'])
      await until(
        `every ${kind} gone`,
        async () => ((await listObjects(objects(), API_VERSION, kind, { namespace: NS })).length ? undefined : true),
        180_000,
      );
  });

  it('no request of the ServiceAccount was forbidden, and every granted verb/resource was used', async () => {
    const requests = await audit.requestsSince(start, { user: SA_USER });
    assert.ok(requests.length > 100, `${requests.length} requests of ${SA_USER}`);
    const forbidden = forbiddenRequests(requests);
    assert.deepEqual(forbidden, [], 'forbidden requests of the manager');
    const used = usedPairs(requests);
    // The roles bound to the manager's ServiceAccount (kokpit-metrics-reader is for scrapers, not the manager).
    const installed = renderInstall();
    const bound = new Set(
      installed
        .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
        .map((o) => (o as KubernetesObject & { roleRef: { name: string } }).roleRef.name),
    );
    const rules = installed
      .filter((o) => (o.kind === 'ClusterRole' || o.kind === 'Role') && bound.has(o.metadata!.name!))
      .flatMap((o) => (o as KubernetesObject & { rules: Rule[] }).rules);
    const unused = [...grantedPairs(rules)].filter((p) => !used.has(p)).sort();
    log(`${requests.length} requests of ${SA_USER}, ${forbidden.length} forbidden, ${used.size} verb/resource pairs used`);
    log(`used by the manager: ${[...used].sort().join(', ')}`);
    assert.deepEqual(unused, [], 'granted but never used');
  });
});
