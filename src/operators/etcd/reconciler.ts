// The EtcdCluster reconciler. One pass, in named steps:
//   read the cluster → PKI Secrets → Services → observe (pods, claims, etcd) → plan ONE action →
//   carry it out → status through /status.
// Level-triggered: nothing is remembered between passes except how long things have been unhealthy
// (kept in memory; an operator restart only makes replacement wait a little longer).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type KubeConfig,
  type KubernetesObject,
  type KubernetesObjectApi,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { API_VERSION, withDefaults, type EtcdBackup, type EtcdCluster, type EtcdClusterStatus } from '../../api';
import { type ReconcileContext, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { applyObject, deleteObject, isNotFound, listObjects, readObject, toKubeApiError } from '../../kube';
import { addFinalizer, Applier, removeFinalizer, runSteps, writeStatusIfChanged, type Step } from '../../kit';
import { EtcdMembers, type MemberResolver, podIPResolver, shortError } from './access';
import { backupFilePath, confineSnapshot, defaultBackupRoot } from './backup';
import {
  ANNOTATION_SECRET_HASH,
  ETCD_CLUSTER_PLURAL,
  FINALIZER_FINAL_BACKUP,
  LABEL_CLUSTER,
  LABEL_FINAL_BACKUP,
  LABEL_MEMBER,
  caSecretName,
  clientSecretName,
  memberClaimName,
  memberIndex,
  memberNameFromPeerURL,
  memberPeerURL,
  memberSecretName,
} from './names';
import {
  type Action,
  type ClaimFacts,
  DEFAULT_PLAN_OPTIONS,
  type EtcdMemberFacts,
  type MemberHealth,
  type PeerRef,
  type PlanOptions,
  type PodFacts,
  type RestoreFacts,
  memberViews,
  plan as planNext,
} from './plan';
import { diskFullCause } from './disk';
import { sha256File } from './file-hash';
import { type SecretFiles, ensureCA, ensureClientTLS, ensureMemberTLS } from './pki';
import {
  type MemberTLSFiles,
  type RestoreSource,
  refOf,
  renderCASecret,
  renderClientSecret,
  renderClientService,
  renderMemberClaim,
  renderMemberPod,
  renderMemberSecret,
  renderPeerService,
  secretHash,
} from './render';
import { type ScheduleStepResult, reconcileBackupSchedule } from './scheduled';
import { computeStatus } from './status';
import { versionOfImage } from './version';

export interface EtcdReconcilerOptions {
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  resolver?: MemberResolver;
  plan?: Partial<PlanOptions>;
  /** Run members with --unsafe-no-fsync (tests and benchmarks only). */
  unsafeNoFsync?: boolean;
  /** Passes while something is in progress are this far apart (default 1 s)… */
  busyRequeueMs?: number;
  /** …and while all is well (health monitoring; default 15 s). */
  idleRequeueMs?: number;
  now?: () => number;
  /** How long a deleted cluster waits for its final backup before it goes without (default 5 min). */
  finalBackupTimeoutMs?: number;
  /** The clock `spec.backup.schedule` is evaluated against (default `now`; tests move it forward). */
  scheduleClock?: () => number;
  /** Root of `Local` backups (as the backup reconciler's): a restore reads only snapshots it wrote. */
  backupRoot?: string;
  /** Looks at a cluster again soon (its work queue): a member that just started answers (watchStarting). */
  enqueue?: (key: string) => void;
}

/** A member's etcd that started less than this long ago and does not answer yet is polled until it does. */
const STARTING_WINDOW_MS = 60_000;
const STARTING_POLL_MS = 100;

/** The EtcdBackup taken when a cluster with backups configured is deleted. */
export const finalBackupName = (c: EtcdCluster) => `${c.metadata.name}-final-${(c.metadata.uid ?? '').slice(0, 8)}`;

interface Memory {
  unhealthySince: Map<string, number>;
  learnerSince: Map<string, number>;
  noQuorumSince?: number;
  members: EtcdMembers;
  servicesApplied?: { key: string; at: number };
  /** Scheduled backups whose file was verified (`<uid>/<sha256>`): hashed once, not every pass. */
  verifiedBackups: Set<string>;
  /** Members (`<pod>/<uid>`) being polled until they answer (watchStarting). */
  starting: Set<string>;
}

/** The snapshot a restore hashed, by its identity on disk: passes until the seed answers don't hash it again. */
type RestoreHashMemo = { restoreHashed?: { identity: string; sha256: string } };

export { ETCD_BACKUP_PLURAL, ETCD_CLUSTER_PLURAL } from './names';
export { sha256File } from './file-hash';

const decode = (s: V1Secret | undefined): SecretFiles | undefined =>
  s?.data ? Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : undefined;

type EtcdStepName = 'pki' | 'services' | 'observe' | 'plan' | 'act' | 'schedule' | 'status';
type PlanInput = Parameters<typeof planNext>[0];

/** What one pass knows, filled in step by step (a field is set by the step named beside it before later steps read it). */
interface EtcdPass {
  key: string;
  ctx: ReconcileContext;
  cluster: EtcdCluster;
  ref: ReturnType<typeof refOf>;
  namespace: string;
  name: string;
  nowMs: number;
  /** pki */
  mem: Memory;
  memberFiles: (member: string) => Promise<MemberTLSFiles>;
  /** observe */
  pods: V1Pod[];
  claims: V1PersistentVolumeClaim[];
  podByName: Map<string, V1Pod>;
  desiredSecretHash: Record<string, string>;
  health: Record<string, MemberHealth | undefined>;
  leaderName?: string;
  etcd?: { members: EtcdMemberFacts[]; alarms: string[] };
  /** started before pki when the cluster may still need seeding from a snapshot; plan awaits it */
  restoreEarly?: Promise<{ facts: RestoreFacts; source?: RestoreSource }>;
  /** plan */
  restore?: { facts: RestoreFacts; source?: RestoreSource };
  input: PlanInput;
  plan: ReturnType<typeof planNext>;
  /** act */
  actionMessage?: string;
  actionError?: string;
  /** schedule */
  backups: EtcdBackup[];
  schedule?: ScheduleStepResult;
}

const podFacts = (p: V1Pod): PodFacts => ({
  name: p.metadata!.name!,
  phase: p.status?.phase,
  ready: !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  terminating: !!p.metadata?.deletionTimestamp,
  version: versionOfImage(p.spec?.containers?.find((c) => c.name === 'etcd')?.image),
  secretHash: p.metadata?.annotations?.[ANNOTATION_SECRET_HASH],
  initialCluster: initialClusterOf(p),
  diskFull: diskFullCause(p, Date.now()),
});
/** Member names of the etcd container's `--initial-cluster=a=url,b=url` flag. */
const initialClusterOf = (p: V1Pod): string[] | undefined =>
  p.spec?.containers
    ?.find((c) => c.name === 'etcd')
    ?.command?.find((a) => a.startsWith('--initial-cluster='))
    ?.slice('--initial-cluster='.length)
    .split(',')
    .map((e) => e.split('=')[0]);
const claimFacts = (c: V1PersistentVolumeClaim): ClaimFacts => ({
  name: c.metadata!.name!,
  member: c.metadata?.labels?.[LABEL_MEMBER] ?? '',
  terminating: !!c.metadata?.deletionTimestamp,
});

export class EtcdClusterReconciler {
  private readonly memory = new Map<string, Memory>();
  private readonly restoreHashes = new Map<string, RestoreHashMemo>();
  private readonly resolver: MemberResolver;
  private readonly planOptions: PlanOptions;
  private readonly now: () => number;

  constructor(private readonly o: EtcdReconcilerOptions) {
    this.resolver = o.resolver ?? podIPResolver;
    this.planOptions = { ...DEFAULT_PLAN_OPTIONS, ...o.plan };
    this.now = o.now ?? Date.now;
  }

  /** Close every etcd connection (operator shutdown). */
  close(): void {
    for (const m of this.memory.values()) m.members.close();
    this.memory.clear();
  }

  /** The member clients of a cluster (shared with the backup reconciler), once its client Secret exists. */
  membersOf(key: string): EtcdMembers | undefined {
    return this.memory.get(key)?.members;
  }

  readonly reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const raw = (await readObject<KubernetesObject>(this.o.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name, namespace },
    })) as EtcdCluster | undefined;
    if (!raw || raw.metadata.deletionTimestamp) {
      if (raw?.metadata.finalizers?.includes(FINALIZER_FINAL_BACKUP)) {
        const waiting = await this.finalBackup(raw, ctx);
        if (waiting) return waiting;
      }
      // Children go with the cluster through owner references; only our connections are ours to clean up.
      this.memory.get(key)?.members.close();
      this.memory.delete(key);
      this.restoreHashes.delete(key);
      return;
    }
    const cluster = withDefaults(raw);
    // With backups configured, the last state is saved before the cluster goes (outside the API: a file).
    const hasFinalizer = !!raw.metadata.finalizers?.includes(FINALIZER_FINAL_BACKUP);
    if (!!cluster.spec.backup !== hasFinalizer) await this.setFinalizer(raw, !hasFinalizer);

    const p = { key, ctx, cluster, ref: refOf(cluster), namespace, name, nowMs: this.now() } as EtcdPass;
    // A restore's snapshot is checked (hashed: 100 MiB is a good part of a second) while this pass issues
    // certificates and observes, not after: the seed member waits for it.
    if (cluster.spec.restoreFrom && !(cluster.status?.members ?? []).some((m) => m.id)) {
      p.restoreEarly = this.restoreFacts(cluster, key);
      p.restoreEarly.catch(() => {}); // awaited by plan when the seed is still to be made
    }
    const timings: Array<[string, number]> = [];
    let mark = Date.now();
    await runSteps(this.steps, p, (step) => {
      timings.push([step, Date.now() - mark]);
      mark = Date.now();
    });
    const total = timings.reduce((n, [, ms]) => n + ms, 0);
    if (total > 2000) ctx.log.debug(`etcd ${key}: slow pass ${total} ms (${timings.map(([n, ms]) => `${n} ${ms}`).join(', ')})`);

    const a = p.plan.action;
    // Nothing to do, or nothing we can do until someone changes something: look again at the idle pace.
    const settled =
      a.type === 'None' || a.type === 'QuorumLost' || (a.type === 'Wait' && p.plan.problems.some((x) => x.reason === a.reason));
    if (p.actionError) throw new Error(`${a.type}: ${p.actionError}`);
    const pace = settled ? (this.o.idleRequeueMs ?? 15_000) : (this.o.busyRequeueMs ?? 1000);
    return { requeueAfterMs: Math.min(pace, p.schedule?.requeueAfterMs ?? Infinity) };
  };

  /**
   * The pass: every step runs every time (the plan needs all the facts, and status reports them all); the action
   * step carries out at most ONE membership change. Each step names the condition its failure shows on.
   */
  private readonly steps: ReadonlyArray<Step<EtcdPass, EtcdStepName>> = [
    { name: 'pki', condition: 'Available', run: (p) => this.pkiStep(p) },
    { name: 'services', condition: 'Available', run: (p) => this.servicesStep(p) },
    { name: 'observe', condition: 'Available', run: (p) => this.observeStep(p) },
    { name: 'plan', condition: 'Progressing', run: (p) => this.planStep(p) },
    { name: 'act', condition: 'Progressing', run: (p) => this.actStep(p) },
    { name: 'schedule', condition: 'BackupScheduled', run: (p) => this.scheduleStep(p) },
    { name: 'status', condition: 'Available', run: (p) => this.statusStep(p) },
  ];

  /** PKI: the CA and the client certificate first; member certificates when a member needs one. */
  private async pkiStep(p: EtcdPass): Promise<void> {
    const { cluster, ref, key } = p;
    const secrets = await listObjects<V1Secret>(this.o.objects, 'v1', 'Secret', {
      namespace: p.namespace,
      labelSelector: `${LABEL_CLUSTER}=${p.name}`,
    });
    const secretByName = new Map(secrets.map((s) => [s.metadata!.name!, s]));
    const ca = await ensureCA(ref, decode(secretByName.get(caSecretName(ref))));
    // The client certificate needs the CA's files, not its Secret: both Secrets are written at once.
    const [, clientTLS] = await Promise.all([
      ca.issued && applyObject(this.o.objects, renderCASecret(cluster, ca.files)),
      ensureClientTLS(ref, ca.files, decode(secretByName.get(clientSecretName(ref)))).then(async (r) => {
        if (r.issued) await applyObject(this.o.objects, renderClientSecret(cluster, r.files));
        return r;
      }),
    ]);
    if (ca.issued) p.ctx.log.info(`etcd ${key}: CA issued (${ca.issued})`);
    const tls = { caPem: ca.files.certPem, certPem: clientTLS.files['tls.crt'], keyPem: clientTLS.files['tls.key'] };
    let mem = this.memory.get(key);
    if (!mem) {
      mem = {
        unhealthySince: new Map(),
        learnerSince: new Map(),
        members: new EtcdMembers(ref, this.resolver, tls),
        verifiedBackups: new Set(),
        starting: new Set(),
      };
      this.memory.set(key, mem);
    }
    mem.members.setTLS(tls);
    p.mem = mem;
    // Member Secrets are checked (and reissued if needed) for every member with a pod or claim, so a
    // renewed certificate shows up as a changed hash and rolls that member.
    p.memberFiles = async (member: string) => {
      const r = await ensureMemberTLS(ref, member, ca.files, decode(secretByName.get(memberSecretName(member))));
      if (r.issued) {
        const applied = await applyObject(this.o.objects, renderMemberSecret(cluster, member, r.files));
        secretByName.set(memberSecretName(member), applied);
      }
      return r.files;
    };
  }

  /**
   * Services, rendered from the spec only: checked when the spec changes, and once a minute to undo drift.
   * Each is compared with the live one first and applied only when it differs: a no-op apply is still a
   * write (the audit log counts it), which made a steady cluster write twice a minute.
   */
  private async servicesStep(p: EtcdPass): Promise<void> {
    const { cluster, mem, nowMs } = p;
    const servicesKey = `${cluster.metadata.uid}/${cluster.metadata.generation}`;
    if (mem.servicesApplied?.key !== servicesKey || nowMs - mem.servicesApplied.at > 60_000) {
      const applier = new Applier(this.o.objects);
      await Promise.all([applier.ensure(renderPeerService(cluster)), applier.ensure(renderClientService(cluster))]);
      mem.servicesApplied = { key: servicesKey, at: nowMs };
    }
  }

  /** Observe: this cluster's pods and claims, each member's health, and the member list and alarms from the leader. */
  private async observeStep(p: EtcdPass): Promise<void> {
    const { cluster, mem, namespace, name } = p;
    const owned = (o: KubernetesObject) => !!o.metadata?.ownerReferences?.some((r) => r.uid === cluster.metadata.uid);
    const selector = { namespace, labelSelector: `${LABEL_CLUSTER}=${name}` };
    const [pods, claims] = await Promise.all([
      listObjects<V1Pod>(this.o.objects, 'v1', 'Pod', selector),
      listObjects<V1PersistentVolumeClaim>(this.o.objects, 'v1', 'PersistentVolumeClaim', selector),
    ]);
    p.pods = pods.filter(owned);
    p.claims = claims.filter(owned);
    p.podByName = new Map(p.pods.map((x) => [x.metadata!.name!, x]));
    const live = p.pods.filter((x) => !x.metadata?.deletionTimestamp);
    p.desiredSecretHash = {};
    for (const x of live) p.desiredSecretHash[x.metadata!.name!] = secretHash({ ...(await p.memberFiles(x.metadata!.name!)) });
    p.health = {};
    await Promise.all(live.map(async (x) => void (p.health[x.metadata!.name!] = await mem.members.health(x.metadata!.name!, x))));
    const answered = Object.entries(p.health).filter(([, h]) => h && h.version);
    p.leaderName = answered.find(([, h]) => h!.isLeader)?.[0];
    // Member list and alarms from the leader (a lagging follower could show a stale list).
    let listError: string | undefined;
    for (const via of [p.leaderName, ...answered.filter(([, h]) => h!.healthy && !h!.isLearner).map(([n]) => n)].filter(
      (x): x is string => !!x,
    )) {
      try {
        p.etcd = {
          members: await mem.members.memberList(via, p.podByName.get(via)),
          alarms: await mem.members.alarms(via, p.podByName.get(via)),
        };
        break;
      } catch (e) {
        listError = shortError(e);
      }
    }
    if (!p.etcd && listError) p.ctx.log.debug(`etcd ${p.key}: member list failed: ${listError}`);
    this.watchStarting(p, live);
  }

  /**
   * A member whose etcd started moments ago but is not healthy yet is polled (one Status call every 100 ms,
   * no API request) until it is, and then the cluster is queued at once. Otherwise the pass that sees it came
   * at the busy pace (1 s) after the pod's last change: a restore waited that long after etcd was up.
   */
  private watchStarting(p: EtcdPass, live: V1Pod[]): void {
    const enqueue = this.o.enqueue;
    if (!enqueue) return;
    for (const pod of live) {
      const member = pod.metadata!.name!;
      const startedAt = pod.status?.containerStatuses?.find((c) => c.name === 'etcd')?.state?.running?.startedAt;
      if (p.health[member]?.healthy || !startedAt) continue;
      const until = new Date(startedAt).getTime() + STARTING_WINDOW_MS;
      const id = `${member}/${pod.metadata!.uid}`;
      if (until < p.nowMs || p.mem.starting.has(id)) continue;
      p.mem.starting.add(id);
      const mem = p.mem;
      const current = () => this.memory.get(p.key) === mem;
      void (async () => {
        while (Date.now() < until && current()) {
          await new Promise((r) => setTimeout(r, STARTING_POLL_MS));
          const healthy = current() && (await mem.members.health(member, pod)).healthy;
          // The cluster went (or the operator stopped) during the call: close the client it may have made.
          if (!current()) return mem.members.close();
          if (healthy) return enqueue(p.key);
        }
      })()
        .catch(() => {})
        .finally(() => mem.starting.delete(id));
    }
  }

  /** Plan ONE action from the facts (pure: plan.ts), with durations from first sightings kept in memory. */
  private async planStep(p: EtcdPass): Promise<void> {
    const { cluster, ref, mem, nowMs, etcd } = p;
    this.track(mem, p.health, etcd, nowMs);
    const previous = cluster.status;
    const knownMembers = (previous?.members ?? []).filter((m) => m.id).map((m) => m.name);
    // The snapshot matters (and is hashed) only until the seed has formed the cluster.
    p.restore =
      cluster.spec.restoreFrom && knownMembers.length === 0 && !etcd
        ? await (p.restoreEarly ?? this.restoreFacts(cluster, p.key))
        : undefined;
    const indices = [
      ...p.pods.map((x) => x.metadata!.name!),
      ...p.claims.map((c) => c.metadata?.labels?.[LABEL_MEMBER] ?? ''),
      ...(previous?.members ?? []).map((m) => m.name),
      ...(etcd?.members ?? []).flatMap((m) => [m.name, ...m.peerURLs.map((u) => memberNameFromPeerURL(ref, u) ?? '')]),
    ]
      .map((n) => memberIndex(ref, n))
      .filter((i): i is number => i !== undefined);
    const since = (m: Map<string, number>) => Object.fromEntries([...m].map(([n, t]) => [n, nowMs - t]));
    p.input = {
      cluster: ref,
      desired: { replicas: cluster.spec.replicas, version: cluster.spec.version },
      desiredSecretHash: p.desiredSecretHash,
      bootstrapped: knownMembers.length > 0,
      knownMembers,
      restore: p.restore?.facts,
      etcd,
      health: p.health,
      pods: p.pods.map(podFacts),
      claims: p.claims.map(claimFacts),
      durations: {
        unhealthyMs: since(mem.unhealthySince),
        learnerMs: since(mem.learnerSince),
        noQuorumMs: mem.noQuorumSince !== undefined ? nowMs - mem.noQuorumSince : 0,
      },
      nextIndex: indices.length ? Math.max(...indices) + 1 : 0,
      options: this.planOptions,
    };
    p.plan = planNext(p.input);
  }

  /** Carry out the planned action; etcd's own short-lived refusals wait at the busy pace instead of backing off. */
  private async actStep(p: EtcdPass): Promise<void> {
    const { plan } = p;
    // A new NOSPACE alarm is put on status one pass before recovery starts: whoever watches the cluster
    // learns it ran out of space even when compaction and defragmentation fix it within a second.
    const reportFirst = plan.action.type === 'RecoverNoSpace' && !(p.cluster.status?.alarms ?? []).some((a) => a.startsWith('NOSPACE'));
    try {
      p.actionMessage = reportFirst
        ? 'NOSPACE alarm raised; compacting and defragmenting next'
        : await this.act(p.cluster, plan.action, plan.version, p);
    } catch (e) {
      const msg = shortError(toKubeApiError(e).message);
      if (isTransientEtcdRefusal(msg)) {
        // etcd's own safety checks (strict reconfig: every voter connected for 5 s; promote only when in
        // sync): expected right after a change, so wait at the busy pace instead of backing off.
        p.actionMessage = `waiting: etcd refused ${plan.action.type} for now (${msg})`;
        p.ctx.log.debug(`etcd ${p.key}: ${p.actionMessage}`);
      } else {
        p.actionError = msg;
        p.ctx.log.warn(`etcd ${p.key}: ${plan.action.type} failed: ${p.actionError}`);
      }
    }
  }

  /** Scheduled backups (the EtcdBackup reconciler takes them) and their retention. */
  private async scheduleStep(p: EtcdPass): Promise<void> {
    const { cluster } = p;
    p.backups = (await listObjects<KubernetesObject>(this.o.objects, API_VERSION, 'EtcdBackup', {
      namespace: p.namespace,
    })) as unknown as EtcdBackup[];
    try {
      p.schedule = await reconcileBackupSchedule({
        objects: this.o.objects,
        cluster,
        backups: p.backups,
        now: (this.o.scheduleClock ?? this.now)(),
        canSnapshot: !!p.etcd && p.plan.phase !== 'Restoring',
        verified: p.mem.verifiedBackups,
        sha256File,
        log: p.ctx.log,
      });
    } catch (e) {
      // Membership work must not stall on a backup problem: report it and try again next pass.
      const message = shortError(toKubeApiError(e).message);
      p.ctx.log.warn(`etcd ${p.key}: scheduled backups: ${message}`);
      const condition = { type: 'BackupScheduled', status: 'False' as const, reason: 'ScheduleFailed', message };
      p.schedule = { lastScheduleTime: cluster.status?.lastScheduleTime, condition, requeueAfterMs: 5000 };
    }
  }

  /** Status through /status (computed purely in status.ts); connections to members that left are closed. */
  private async statusStep(p: EtcdPass): Promise<void> {
    const views = memberViews(p.input);
    const status = computeStatus({
      cluster: p.ref,
      generation: p.cluster.metadata.generation ?? 0,
      previous: p.cluster.status,
      views,
      alarms: p.etcd?.alarms ?? [],
      plan: p.plan,
      actionMessage: p.actionMessage,
      actionError: p.actionError,
      now: new Date(p.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      lastBackup: lastBackupOf(p.cluster, p.backups),
      schedule: p.schedule,
    });
    await this.writeStatus(p.cluster, status);
    p.mem.members.retain(views.map((v) => v.name));
  }

  private track(
    mem: Memory,
    health: Record<string, MemberHealth | undefined>,
    etcd: { members: EtcdMemberFacts[] } | undefined,
    nowMs: number,
  ): void {
    for (const [name, h] of Object.entries(health)) {
      if (h?.healthy) mem.unhealthySince.delete(name);
      else if (!mem.unhealthySince.has(name)) mem.unhealthySince.set(name, nowMs);
    }
    for (const name of [...mem.unhealthySince.keys()]) if (!(name in health)) mem.unhealthySince.delete(name);
    const learners = new Set<string>();
    for (const m of etcd?.members ?? []) {
      if (!m.isLearner) continue;
      const n = m.name || m.peerURLs[0];
      learners.add(n);
      if (!mem.learnerSince.has(n)) mem.learnerSince.set(n, nowMs);
    }
    for (const n of [...mem.learnerSince.keys()]) if (!learners.has(n)) mem.learnerSince.delete(n);
    if (etcd) mem.noQuorumSince = undefined;
    else if (mem.noQuorumSince === undefined) mem.noQuorumSince = nowMs;
  }

  /** Whether the backup to restore from exists, is complete, and its file still has the recorded sha256. */
  private async restoreFacts(cluster: EtcdCluster, key: string): Promise<{ facts: RestoreFacts; source?: RestoreSource }> {
    const backupName = cluster.spec.restoreFrom!.backupName;
    const backup = (await readObject<KubernetesObject>(this.o.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdBackup',
      metadata: { name: backupName, namespace: cluster.metadata.namespace! },
    })) as EtcdBackup | undefined;
    if (!backup)
      return { facts: { state: 'Invalid', backupName, reason: 'BackupNotFound', message: `EtcdBackup ${backupName} does not exist` } };
    const st = backup.status;
    if (st?.phase === 'Failed')
      return {
        facts: {
          state: 'Invalid',
          backupName,
          reason: 'BackupFailed',
          message: `EtcdBackup ${backupName} failed: ${st.message ?? 'no message'}`,
        },
      };
    if (st?.phase !== 'Completed' || !st.location || !st.sha256) {
      return {
        facts: { state: 'Pending', backupName, message: `waiting for EtcdBackup ${backupName} to complete (phase ${st?.phase ?? 'none'})` },
      };
    }
    // Only the file the backup reconciler wrote for this backup, inside its backup directory.
    const sourceName = backup.spec.etcdClusterRef.name;
    const source = await readObject<KubernetesObject>(this.o.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: sourceName, namespace: cluster.metadata.namespace! },
    });
    const expected = backupFilePath(this.o.backupRoot ?? defaultBackupRoot(), backup, source as EtcdCluster | undefined);
    const confined = expected ? confineSnapshot(st.location, expected) : { problem: 'its destination is not Local' };
    if ('missing' in confined) {
      return {
        facts: {
          state: 'Invalid',
          backupName,
          reason: 'BackupMissing',
          message: `snapshot file ${st.location} of EtcdBackup ${backupName} is missing`,
        },
      };
    }
    if ('problem' in confined) {
      return {
        facts: {
          state: 'Invalid',
          backupName,
          reason: 'BackupLocationInvalid',
          message: `EtcdBackup ${backupName} cannot be restored: ${confined.problem}`,
        },
      };
    }
    let memo = this.restoreHashes.get(key);
    if (!memo) this.restoreHashes.set(key, (memo = {}));
    const sha = await hashOnce(memo, path.join(confined.hostDir, confined.file));
    if (sha !== st.sha256) {
      return {
        facts: {
          state: 'Invalid',
          backupName,
          reason: 'BackupCorrupt',
          message: `snapshot ${st.location} has sha256 ${sha}, EtcdBackup ${backupName} recorded ${st.sha256}`,
        },
      };
    }
    return { facts: { state: 'Ready', backupName }, source: confined };
  }

  // eslint-disable-next-line max-lines-per-function -- one case per planned action (plan.ts Action), each a few lines
  private async act(
    cluster: EtcdCluster,
    action: Action,
    version: string,
    env: Pick<EtcdPass, 'podByName' | 'leaderName' | 'memberFiles' | 'mem' | 'ctx'> & { restore?: { source?: RestoreSource } },
  ): Promise<string | undefined> {
    const ref = refOf(cluster);
    const ns = ref.namespace;
    const leader = env.leaderName;
    const leaderPod = leader ? env.podByName.get(leader) : undefined;
    const log = (m: string) => env.ctx.log.info(`etcd ${ns}/${ref.name}: ${m}`);
    const createMember = async (member: string, state: 'new' | 'existing', initialCluster: PeerRef[], restore?: RestoreSource) => {
      // Certificates and claim at once; the pod after both, so the pod runner finds its volumes on the first look.
      const [files] = await Promise.all([env.memberFiles(member), applyObject(this.o.objects, renderMemberClaim(cluster, member))]);
      await applyObject(
        this.o.objects,
        renderMemberPod(cluster, {
          member,
          version,
          initialCluster,
          state,
          secretHash: secretHash({ ...files }),
          restore,
          unsafeNoFsync: this.o.unsafeNoFsync,
        }),
      );
    };
    switch (action.type) {
      case 'CreateSeed': {
        if (action.restoreFrom && !env.restore?.source) throw new Error(`backup ${action.restoreFrom} is not ready`);
        await createMember(
          action.member,
          'new',
          [{ name: action.member, peerURL: memberPeerURL(ref, action.member) }],
          action.restoreFrom ? env.restore?.source : undefined,
        );
        log(`created seed member ${action.member}${action.restoreFrom ? ` from backup ${action.restoreFrom}` : ''}`);
        return `creating seed member ${action.member}`;
      }
      case 'Bootstrap': {
        // Claims and pods of every member at once: they find each other and elect a leader together.
        await Promise.all(action.members.map((m) => createMember(m, 'new', action.initialCluster)));
        log(`created members ${action.members.join(', ')} of a new ${action.initialCluster.length}-member cluster`);
        return `forming a ${action.initialCluster.length}-member cluster`;
      }
      case 'AddLearner': {
        if (!leader) throw new Error('no leader to add a member through');
        const id = await env.mem.members.addLearner(leader, leaderPod, action.peerURL);
        log(`added learner ${action.member} (${id})`);
        return `added ${action.member} as a learner`;
      }
      case 'CreateMember': {
        await createMember(action.member, 'existing', action.initialCluster);
        log(`created pod of member ${action.member} (${action.reason})`);
        return `starting member ${action.member} (${action.reason})`;
      }
      case 'PromoteLearner': {
        if (!leader) throw new Error('no leader to promote through');
        await env.mem.members.promote(leader, leaderPod, action.id);
        log(`promoted ${action.member}`);
        return `promoted ${action.member} to voting member`;
      }
      case 'RemoveMember': {
        // Through a member that stays, so the answer does not depend on the one leaving.
        const via = leader && leader !== action.member ? leader : [...env.podByName.keys()].find((n) => n !== action.member);
        if (!via) throw new Error('no member to remove through');
        await env.mem.members.remove(via, env.podByName.get(via), action.id);
        log(`removed member ${action.member} (${action.reason}: ${action.message})`);
        return `removed ${action.member}: ${action.message}`;
      }
      case 'DeleteMemberResources': {
        await deleteObject(this.o.objects, { apiVersion: 'v1', kind: 'Pod', metadata: { name: action.member, namespace: ns } });
        await deleteObject(this.o.objects, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: memberClaimName(action.member), namespace: ns },
        });
        await deleteObject(this.o.objects, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: memberSecretName(action.member), namespace: ns },
        });
        log(`deleted pod, claim and certificates of ${action.member}`);
        return `deleted resources of ${action.member}`;
      }
      case 'RestartMember': {
        await deleteObject(this.o.objects, { apiVersion: 'v1', kind: 'Pod', metadata: { name: action.member, namespace: ns } });
        log(`restarting ${action.member}: ${action.message}`);
        return action.message;
      }
      case 'Defragment': {
        await env.mem.members.defragment(action.member, env.podByName.get(action.member));
        log(`defragmented ${action.member}: ${action.message}`);
        return `defragmented ${action.member}`;
      }
      case 'RecoverNoSpace': {
        if (!leader) throw new Error('no leader');
        const rev = await env.mem.members.compactToCurrent(leader, leaderPod);
        for (const m of action.members) await env.mem.members.defragment(m, env.podByName.get(m));
        await env.mem.members.disarmAll(leader, leaderPod);
        log(`NOSPACE recovered: compacted to revision ${rev}, defragmented ${action.members.join(', ')}, alarms disarmed`);
        return `compacted to ${rev}, defragmented ${action.members.length} members, alarms disarmed`;
      }
      case 'Wait':
        return action.message;
      case 'QuorumLost':
        return undefined;
      case 'None':
        return undefined;
    }
  }

  /**
   * The final backup of a cluster being deleted: an EtcdBackup (not owned by the cluster, so it stays)
   * that the backup reconciler takes while the members still run (garbage collection waits for the
   * finalizer). Returns a requeue while it runs; undefined once the finalizer is gone.
   */
  private async finalBackup(cluster: EtcdCluster, ctx: ReconcileContext): Promise<ReconcileResult | undefined> {
    const ns = cluster.metadata.namespace!;
    const name = finalBackupName(cluster);
    const ref = { apiVersion: API_VERSION, kind: 'EtcdBackup', metadata: { name, namespace: ns } };
    let backup = (await readObject<KubernetesObject>(this.o.objects, ref)) as EtcdBackup | undefined;
    if (!backup) {
      backup = (await applyObject(this.o.objects, {
        ...ref,
        metadata: { ...ref.metadata, labels: { [LABEL_CLUSTER]: cluster.metadata.name!, [LABEL_FINAL_BACKUP]: 'true' } },
        spec: {
          etcdClusterRef: { name: cluster.metadata.name! },
          ...(cluster.spec.backup?.destination ? { destination: cluster.spec.backup.destination } : {}),
        },
      } as KubernetesObject)) as unknown as EtcdBackup;
      ctx.log.info(`etcd ${ns}/${cluster.metadata.name}: taking final backup ${name} before deletion`);
    }
    const phase = backup.status?.phase;
    const waitedMs = this.now() - new Date(cluster.metadata.deletionTimestamp!).getTime();
    const timeout = this.o.finalBackupTimeoutMs ?? 300_000;
    if (phase !== 'Completed' && phase !== 'Failed' && waitedMs < timeout) return { requeueAfterMs: 1000 };
    if (phase !== 'Completed') {
      ctx.log.warn(
        `etcd ${ns}/${cluster.metadata.name}: final backup ${name} ` +
          `${phase === 'Failed' ? 'failed' : `did not complete in ${Math.round(timeout / 1000)}s`}; deleting without it`,
      );
    }
    await this.setFinalizer(cluster, false);
    return undefined;
  }

  /** Adds or removes our finalizer (the kit's resourceVersion-guarded patch: no other finalizer is touched). */
  private async setFinalizer(cluster: EtcdCluster, present: boolean): Promise<void> {
    const obj = {
      ...cluster,
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { ...cluster.metadata, name: cluster.metadata.name! },
    };
    try {
      if (present) await addFinalizer(this.o.objects, obj, FINALIZER_FINAL_BACKUP);
      else await removeFinalizer(this.o.objects, obj, FINALIZER_FINAL_BACKUP);
      const list = cluster.metadata.finalizers ?? [];
      cluster.metadata.finalizers = present
        ? [...new Set([...list, FINALIZER_FINAL_BACKUP])]
        : list.filter((f) => f !== FINALIZER_FINAL_BACKUP);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /** Status through /status, only when it differs from what the cluster shows (a no-op apply is still a write). */
  private async writeStatus(cluster: EtcdCluster, status: EtcdCluster['status']): Promise<void> {
    try {
      const metadata = { name: cluster.metadata.name!, namespace: cluster.metadata.namespace };
      const ref = { apiVersion: API_VERSION, kind: 'EtcdCluster', metadata };
      await writeStatusIfChanged(this.o.kc, ref, ETCD_CLUSTER_PLURAL, cluster.status, (status ?? {}) as Record<string, unknown>);
    } catch (e) {
      if (isNotFound(e)) return; // deleted during the pass: nothing left to report on
      throw e;
    }
  }
}

/** The newest completed EtcdBackup of this cluster, for status. */
function lastBackupOf(cluster: EtcdCluster, all: EtcdBackup[]): EtcdClusterStatus['lastBackup'] {
  const done = all
    .filter((b) => b.spec?.etcdClusterRef?.name === cluster.metadata.name && b.status?.phase === 'Completed' && b.status.completionTime)
    .sort((a, b) => String(b.status!.completionTime).localeCompare(String(a.status!.completionTime)));
  const b = done[0];
  return b ? { name: b.metadata.name, time: b.status!.completionTime, size: b.status!.size } : undefined;
}

/** Refusals etcd lifts by itself within seconds. */
export function isTransientEtcdRefusal(message: string): boolean {
  return /unhealthy cluster|not in sync with leader|in sync with leader|too many learner|not enough started members|leader changed|no leader/i.test(
    message,
  );
}

/**
 * sha256 of the snapshot, remembered by the file's identity (device, inode, size, modification time): a
 * restore's passes until the seed answers hashed 100 MiB each time, several times the restore itself.
 */
async function hashOnce(mem: RestoreHashMemo, file: string): Promise<string> {
  const st = await fs.promises.stat(file, { bigint: true });
  const identity = `${file}|${st.dev}|${st.ino}|${st.size}|${st.mtimeNs}|${st.ctimeNs}`;
  if (mem.restoreHashed?.identity !== identity) mem.restoreHashed = { identity, sha256: await sha256File(file) };
  return mem.restoreHashed.sha256;
}
