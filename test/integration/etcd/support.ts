// The etcd operator's test environment: a real control plane (with kube-controller-manager for garbage
// collection, PV binding and PVC protection), the process pod runner running the member pods, a tiny
// static provisioner (one hostPath PV per claim, pre-bound; the pod runner keeps hostPath volumes under
// its node root, so a member's data outlives its pod), and the operator itself.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject, V1PersistentVolumeClaim, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { API_VERSION, type EtcdBackup, type EtcdCluster } from '../../../src/api';
import { deleteObject, isNotFound, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { EtcdMembers, podIPResolver } from '../../../src/operators/etcd/access';
import { clientSecretName } from '../../../src/operators/etcd/names';
import { startEtcdOperator, type EtcdOperator, type EtcdOperatorOptions } from '../../../src/operators/etcd/operator';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { startHostPathProvisioner } from '../../../src/local/provisioner';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

export const verbose = !!process.env.KOKPIT_TEST_VERBOSE;
const t0 = Date.now();
export const logLine = (l: string) => {
  if (verbose) process.stderr.write(`  +${((Date.now() - t0) / 1000).toFixed(2)}s ${l}\n`);
};
const logger = {
  info: logLine,
  warn: logLine,
  error: logLine,
  debug: logLine,
};

/** The sandbox's hostPath provisioner (src/local/provisioner.ts): each pending claim gets a pre-bound PV. */
export function startLocalProvisioner(kc: KubeConfig): Promise<{ stop(): Promise<void> }> {
  return startHostPathProvisioner(kc, logLine);
}

export interface EtcdTestEnv {
  cp: ControlPlane;
  kc: KubeConfig;
  objects: ReturnType<typeof makeObjectApi>;
  runner: PodRunner;
  operator: EtcdOperator;
  backupRoot: string;
  stateDir: string;
  /** Stops the operator and starts it again (with these options changed). */
  restartOperator(overrides?: Partial<EtcdOperatorOptions>): Promise<void>;
  stop(): Promise<void>;
}

/** `audit`: the API server logs every write (test/support/audit-writes.ts counts the operator's). */
export async function startEtcdTestEnv(
  operatorOptions: Partial<EtcdOperatorOptions> = {},
  envOptions: { audit?: boolean } = {},
): Promise<EtcdTestEnv> {
  const cp = await startControlPlane({ controllers: true, audit: envOptions.audit, log: (l) => logLine(`[controlplane] ${l}`) });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-etcd-test-'));
  const backupRoot = path.join(stateDir, 'backups');
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let operator: EtcdOperator | undefined;
  const stop = async () => {
    await operator?.stop().catch(() => {});
    await provisioner?.stop().catch(() => {});
    await runner?.stop().catch(() => {});
    await cp.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'etcd-test-node',
      stateDir: path.join(stateDir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
      log: logLine,
    });
    provisioner = await startLocalProvisioner(kc);
    const opts: EtcdOperatorOptions = {
      kc,
      resolver: podIPResolver,
      backupRoot,
      unsafeNoFsync: true,
      busyRequeueMs: 500,
      idleRequeueMs: 3000,
      log: logger,
      ...operatorOptions,
    };
    operator = await startEtcdOperator(opts);
    const env: EtcdTestEnv = {
      cp,
      kc,
      objects: makeObjectApi(kc),
      runner,
      get operator() {
        return operator!;
      },
      backupRoot,
      stateDir,
      async restartOperator(overrides = {}) {
        await operator!.stop();
        operator = await startEtcdOperator({ ...opts, ...overrides });
      },
      stop,
    };
    return env;
  } catch (e) {
    await stop();
    throw e;
  }
}

export function etcdClusterManifest(name: string, spec: Partial<EtcdCluster['spec']>, namespace = 'default'): EtcdCluster {
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdCluster',
    metadata: { name, namespace },
    spec: { replicas: 3, version: '3.5.35', ...spec } as EtcdCluster['spec'],
  };
}

export async function readCluster(env: EtcdTestEnv, name: string, namespace = 'default'): Promise<EtcdCluster | undefined> {
  return (await readObject<KubernetesObject>(env.objects, {
    apiVersion: API_VERSION,
    kind: 'EtcdCluster',
    metadata: { name, namespace },
  })) as EtcdCluster | undefined;
}

export async function readBackup(env: EtcdTestEnv, name: string, namespace = 'default'): Promise<EtcdBackup | undefined> {
  return (await readObject<KubernetesObject>(env.objects, {
    apiVersion: API_VERSION,
    kind: 'EtcdBackup',
    metadata: { name, namespace },
  })) as EtcdBackup | undefined;
}

const cond = (c: EtcdCluster | undefined, type: string) => c?.status?.conditions?.find((x) => x.type === type);

/** Waits until the cluster is Available with `members` healthy voting members and a leader, all at the spec's generation. */
export async function waitAvailable(
  env: EtcdTestEnv,
  name: string,
  members: number,
  timeoutMs = 120_000,
  extra?: (c: EtcdCluster) => string | undefined,
  intervalMs = 250,
): Promise<EtcdCluster> {
  return waitFor(
    `EtcdCluster ${name} Available with ${members} healthy members`,
    async (state) => {
      const c = await readCluster(env, name);
      const s = c?.status;
      const voters = (s?.members ?? []).filter((m) => m.id && !m.learner);
      const ok =
        cond(c, 'Available')?.status === 'True' &&
        s?.observedGeneration === c?.metadata.generation &&
        s?.phase === 'Running' &&
        voters.length === members &&
        (s?.members ?? []).length === members &&
        voters.every((m) => m.healthy) &&
        !!s?.leader;
      const why = ok && extra ? extra(c!) : undefined;
      if (ok && !why) return c;
      state.lastReason =
        why ??
        JSON.stringify({
          phase: s?.phase,
          leader: s?.leader,
          members: s?.members?.map((m) => `${m.name}:${m.healthy ? 'ok' : (m.message ?? 'down')}${m.learner ? ':learner' : ''}`),
          conditions: s?.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}: ${x.message}`),
        });
      return undefined;
    },
    { timeoutMs, intervalMs },
  );
}

/** A client of the cluster's members (the operator's own client certificate, from its Secret). */
export async function membersClient(env: EtcdTestEnv, name: string, namespace = 'default'): Promise<EtcdMembers> {
  const s = await readObject<V1Secret>(env.objects, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: clientSecretName({ name, namespace }), namespace },
  });
  const d = (k: string) => Buffer.from(s!.data![k], 'base64').toString('utf8');
  return new EtcdMembers({ name, namespace }, podIPResolver, { caPem: d('ca.crt'), certPem: d('tls.crt'), keyPem: d('tls.key') });
}

export async function memberPods(env: EtcdTestEnv, name: string, namespace = 'default'): Promise<V1Pod[]> {
  return (await listObjects<V1Pod>(env.objects, 'v1', 'Pod', { namespace, labelSelector: `kokpit.dev/etcd-cluster=${name}` })).sort(
    (a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!, undefined, { numeric: true }),
  );
}

export async function waitGone(
  env: EtcdTestEnv,
  apiVersion: string,
  kind: string,
  name: string,
  namespace = 'default',
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    `${kind} ${name} gone`,
    async () => ((await readObject(env.objects, { apiVersion, kind, metadata: { name, namespace } })) ? undefined : true),
    { timeoutMs, intervalMs: 200 },
  );
}

export async function deleteIfExists(
  env: EtcdTestEnv,
  apiVersion: string,
  kind: string,
  name: string,
  namespace = 'default',
): Promise<void> {
  try {
    await deleteObject(env.objects, { apiVersion, kind, metadata: { name, namespace } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Writes `/writer/<n>` through whichever member takes it, and remembers what etcd acknowledged. */
/** Keys are unique to one writer run, and each value is derived from its key, so a check compares values. */
const writerValue = (key: string): string => `value of ${key}`;

export function startWriter(env: EtcdTestEnv, cluster: string): { acknowledged(): number; stop(): Promise<string[]> } {
  const acked: string[] = [];
  const run = randomBytes(4).toString('hex');
  let stopped = false;
  const loop = (async () => {
    const members = await membersClient(env, cluster);
    let pods = await memberPods(env, cluster);
    let refreshed = Date.now();
    let n = 0;
    let turn = 0;
    try {
      while (!stopped) {
        if (Date.now() - refreshed > 500) {
          pods = (await memberPods(env, cluster)).filter((p) => p.status?.podIP && !p.metadata?.deletionTimestamp);
          refreshed = Date.now();
        }
        const p = pods[turn++ % Math.max(1, pods.length)];
        const c = p && members.client(p.metadata!.name!, p);
        const key = `/writer/${run}/${String(n).padStart(6, '0')}`;
        try {
          if (!c) throw new Error('no member');
          // A deadline: a hung (SIGSTOPped) member must cost one write, not stall the writer until it resumes.
          await c
            .put(key)
            .value(writerValue(key))
            .options({ deadline: new Date(Date.now() + 3000) });
          acked.push(key);
          n++;
        } catch {
          // Not acknowledged: this key may or may not exist; only acknowledged ones are checked.
          n++;
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      members.close();
    }
  })();
  return {
    acknowledged: () => acked.length,
    async stop() {
      stopped = true;
      await loop;
      return acked;
    },
  };
}

/** Puts many keys in few round trips: unconditional transactions of `batch` puts (etcd allows 128 ops per txn). */
export async function putMany(kv: Etcd3, entries: Array<[string, string | Buffer]>, batch = 100): Promise<void> {
  for (let i = 0; i < entries.length; i += batch) {
    await kv.kv.txn({
      success: entries.slice(i, i + batch).map(([k, v]) => ({ request_put: { key: Buffer.from(k), value: Buffer.from(v) } })),
    });
  }
}

/**
 * A seeded pseudo-random source (mulberry32). The seed comes from KOKPIT_TEST_SEED when set (to replay a
 * failure), otherwise from the clock; it is always printed so a failing run can be reproduced.
 */
export function seededRandom(label: string): { seed: number; next(): number } {
  const seed = process.env.KOKPIT_TEST_SEED ? Number(process.env.KOKPIT_TEST_SEED) >>> 0 : (Date.now() % 2 ** 31) >>> 0;
  process.stderr.write(`  ${label}: seed ${seed} (replay with KOKPIT_TEST_SEED=${seed})\n`);
  let a = seed;
  return {
    seed,
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    },
  };
}

/** A point in a change the operator is carrying out, judged from the cluster's status and its pods. */
export interface Milestone {
  what: string;
  reached(c: EtcdCluster | undefined, pods: V1Pod[]): boolean;
}

/**
 * Restarts the operator `count` times during a change, each at a randomly chosen milestone at or after the
 * previous one (plus up to 1 s of random jitter, so a restart also lands mid-action rather than only
 * between passes). Milestones must stay reached once reached. Returns what it did, for the log.
 */
export async function restartAtRandomPoints(
  env: EtcdTestEnv,
  cluster: string,
  rand: () => number,
  milestones: Milestone[],
  count: number,
): Promise<string[]> {
  const done: string[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    from += Math.floor(rand() * (milestones.length - from));
    done.push(await restartAt(env, cluster, milestones[from], Math.floor(rand() * 1000)));
  }
  return done;
}

async function restartAt(env: EtcdTestEnv, cluster: string, m: Milestone, jitterMs: number): Promise<string> {
  await waitFor(
    `${cluster}: ${m.what}`,
    async () =>
      m.reached(
        await readCluster(env, cluster),
        (await memberPods(env, cluster)).filter((p) => !p.metadata?.deletionTimestamp),
      )
        ? true
        : undefined,
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  // Deliberately a random delay, not a wait for a signal: it picks where in the operator's work the restart hits.
  await new Promise((r) => setTimeout(r, jitterMs));
  await env.restartOperator();
  const done = `restarted the operator ${jitterMs} ms after "${m.what}"`;
  process.stderr.write(`  ${cluster}: ${done}\n`);
  return done;
}

/**
 * Why the cluster's members are not one-to-one yet (undefined when they are): the members status shows,
 * the members etcd lists, the live pods and the claims must be the same names, with no duplicate names or
 * IDs and no member etcd knows of that never started.
 */
export async function memberInconsistency(env: EtcdTestEnv, cluster: string, namespace = 'default'): Promise<string | undefined> {
  const c = await readCluster(env, cluster, namespace);
  const statusNames = (c?.status?.members ?? []).map((m) => m.name).sort();
  const ids = (c?.status?.members ?? []).map((m) => m.id);
  const pods = (await memberPods(env, cluster, namespace)).filter((p) => !p.metadata?.deletionTimestamp);
  const podNames = pods.map((p) => p.metadata!.name!).sort();
  const claims = (
    await listObjects<V1PersistentVolumeClaim>(env.objects, 'v1', 'PersistentVolumeClaim', {
      namespace,
      labelSelector: `kokpit.dev/etcd-cluster=${cluster}`,
    })
  )
    .filter((x) => !x.metadata?.deletionTimestamp)
    .map((x) => x.metadata!.name!.replace(/-data$/, ''))
    .sort();
  const members = await membersClient(env, cluster, namespace);
  let listed: string[];
  let listedIds: string[];
  try {
    const list = await members.memberList(pods[0].metadata!.name!, pods[0]);
    listed = list.map((m) => m.name).sort();
    listedIds = list.map((m) => m.id);
  } finally {
    members.close();
  }
  const dup = (xs: Array<string | undefined>) => xs.filter((x, i) => xs.indexOf(x) !== i);
  const problems = [
    dup(statusNames).length ? `duplicate names in status: ${dup(statusNames)}` : '',
    dup(ids).length ? `duplicate IDs in status: ${dup(ids)}` : '',
    dup(listed).length ? `duplicate names in etcd: ${dup(listed)}` : '',
    dup(listedIds).length ? `duplicate IDs in etcd: ${dup(listedIds)}` : '',
    listed.includes('') ? 'etcd lists a member that never started' : '',
    JSON.stringify(listed) !== JSON.stringify(statusNames) ? `etcd lists ${listed}, status ${statusNames}` : '',
    JSON.stringify(podNames) !== JSON.stringify(statusNames) ? `pods ${podNames}, status ${statusNames}` : '',
    JSON.stringify(claims) !== JSON.stringify(statusNames) ? `claims ${claims}, status ${statusNames}` : '',
  ].filter(Boolean);
  return problems.length ? problems.join('; ') : undefined;
}

/** Waits (with a deadline) until status, etcd's member list, pods and claims name the same members. */
export async function waitMembersConsistent(env: EtcdTestEnv, cluster: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${cluster}: status members == etcd members == pods == claims, no duplicates`,
    async (st) => {
      st.lastReason = await memberInconsistency(env, cluster);
      return st.lastReason ? undefined : true;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** Every acknowledged `/writer/` key, read back through one member: the ones missing. */
export async function lostWrites(env: EtcdTestEnv, cluster: string, acked: string[]): Promise<string[]> {
  const members = await membersClient(env, cluster);
  try {
    const [p] = (await memberPods(env, cluster)).filter((x) => !x.metadata?.deletionTimestamp);
    // Values, not only keys: a write that came back changed (or another run's key) is lost too.
    const stored = await members.client(p.metadata!.name!, p)!.getAll().prefix('/writer/').strings();
    return acked.filter((k) => stored[k] !== writerValue(k));
  } finally {
    members.close();
  }
}
