// The planner: a PURE function from what the reconciler observed (pods, claims, etcd's member list and
// each member's status) to the ONE next action. One change at a time, membership before pods, and never
// a change that would cost quorum. Everything time-dependent comes in as durations, so tests are tables.
import { type ClusterRef, memberIndex, memberName, memberNameFromPeerURL, memberPeerURL } from './names';
import { checkVersionChange, compareVersions, normalizeVersion } from './version';

export interface PodFacts {
  name: string;
  /** Pending, Running, Succeeded, Failed (or undefined when the pod runner has not reported yet). */
  phase?: string;
  ready: boolean;
  terminating: boolean;
  /** etcd version the pod runs (from its image). */
  version?: string;
  /** `kokpit.dev/secret-hash` of the pod: what certificates it was started with. */
  secretHash?: string;
  /** Member names of the pod's `--initial-cluster` flag: the set a cluster being formed was started with. */
  initialCluster?: string[];
  /** Its etcd last exited because its data volume is full (disk.ts): why, in etcd's words. */
  diskFull?: string;
}

export interface ClaimFacts {
  name: string;
  member: string;
  terminating: boolean;
}

export interface EtcdMemberFacts {
  /** Member ID in hex. */
  id: string;
  /** Empty until the member has started once. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberHealth {
  /** Answered its status call and follows a leader. */
  healthy: boolean;
  isLeader: boolean;
  isLearner: boolean;
  raftIndex: number;
  raftAppliedIndex: number;
  dbSize: number;
  dbSizeInUse: number;
  version: string;
  error?: string;
}

export type RestoreFacts =
  | { state: 'Ready'; backupName: string }
  | { state: 'Pending'; backupName: string; message: string }
  | { state: 'Invalid'; backupName: string; reason: string; message: string };

export interface PlanOptions {
  /** A started member unhealthy this long is removed and replaced. */
  replaceUnhealthyAfterMs: number;
  /** A learner that has not caught up in this long is removed (and added again). */
  learnerTimeoutMs: number;
  /** How long the cluster may be without quorum before QuorumLost is reported (pods restarting is normal). */
  quorumLostAfterMs: number;
  /** Defragment a member once it holds at least this many reclaimable bytes… */
  defragMinReclaimBytes: number;
  /** …and they are at least this fraction of its backend. */
  defragMinRatio: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  replaceUnhealthyAfterMs: 120_000,
  learnerTimeoutMs: 300_000,
  quorumLostAfterMs: 60_000,
  defragMinReclaimBytes: 64 * 1024 * 1024,
  defragMinRatio: 0.5,
};

export interface PlanInput {
  cluster: ClusterRef;
  desired: { replicas: number; version: string };
  /** Secret hash each member pod should carry, by member name (members without an entry are not checked). */
  desiredSecretHash: Record<string, string>;
  /** The cluster formed once (its ID is on status): losing every member now means data loss, not a fresh start. */
  bootstrapped: boolean;
  /** Members last seen on status, for rejoining when no member answers. */
  knownMembers: string[];
  restore?: RestoreFacts;
  /** What etcd reports (read from the leader when there is one); undefined when no member answered. */
  etcd?: { members: EtcdMemberFacts[]; alarms: string[] };
  /** Status of each member that answered (or failed to), by member name. */
  health: Record<string, MemberHealth | undefined>;
  pods: PodFacts[];
  claims: ClaimFacts[];
  durations: {
    /** How long each member has been unhealthy, by name (absent: healthy). */
    unhealthyMs: Record<string, number>;
    /** How long each learner has been a learner, by name. */
    learnerMs: Record<string, number>;
    /** How long the cluster has been without a healthy quorum (0 when it has one). */
    noQuorumMs: number;
  };
  /** The lowest member index never used before (indices increase forever). */
  nextIndex: number;
  options: PlanOptions;
}

export interface PeerRef {
  name: string;
  peerURL: string;
}

export type Action =
  | { type: 'CreateSeed'; member: string; restoreFrom?: string }
  /** A new cluster at its full size: the claims and pods of `members` (those not yet created), all with the same `initialCluster`. */
  | { type: 'Bootstrap'; members: string[]; initialCluster: PeerRef[] }
  | { type: 'AddLearner'; member: string; peerURL: string }
  /** Create the member's claim (if missing) and pod; `Join` for a new learner, `Rejoin` for a member whose data survived. */
  | { type: 'CreateMember'; member: string; initialCluster: PeerRef[]; reason: 'Join' | 'Rejoin' }
  | { type: 'PromoteLearner'; member: string; id: string }
  | { type: 'RemoveMember'; member: string; id: string; reason: RemoveReason; message: string }
  /** Delete pod, claim and Secret of a member that etcd no longer lists. */
  | { type: 'DeleteMemberResources'; member: string; message: string }
  /** Delete the member's pod (its claim stays); it is re-created on the next pass, at spec version and with current certificates. */
  | { type: 'RestartMember'; member: string; reason: 'Upgrade' | 'CertificateRotation'; message: string }
  | { type: 'Defragment'; member: string; message: string }
  /** Compact to the current revision, defragment every member (followers first), then disarm the alarms. */
  | { type: 'RecoverNoSpace'; members: string[] }
  | { type: 'Wait'; reason: string; message: string }
  | { type: 'QuorumLost'; message: string }
  | { type: 'None' };

export type RemoveReason = 'ScaleDown' | 'Replace' | 'DataLost' | 'LearnerStuck' | 'Unwanted';

/** A spec the planner refuses to act on (the rest of the cluster is still kept healthy). */
export interface Problem {
  reason: string;
  message: string;
}

export type Phase = 'Pending' | 'Bootstrapping' | 'Restoring' | 'Running' | 'Scaling' | 'Upgrading' | 'Healing' | 'Degraded' | 'QuorumLost';

export interface Plan {
  action: Action;
  problems: Problem[];
  phase: Phase;
  /** The version members should run: spec.version, or the running one when the spec's is refused. */
  version: string;
}

/** One member as pods, claims and etcd together describe it. */
export interface MemberView {
  name: string;
  index: number;
  pod?: PodFacts;
  claim?: ClaimFacts;
  etcd?: EtcdMemberFacts;
  health?: MemberHealth;
}

export const quorumOf = (voters: number) => Math.floor(voters / 2) + 1;

/** Joins pods, claims and etcd members by member name (unstarted learners are named by their peer URL). */
export function memberViews(input: Pick<PlanInput, 'cluster' | 'pods' | 'claims' | 'etcd' | 'health'>): MemberView[] {
  const byName = new Map<string, MemberView>();
  const view = (name: string): MemberView | undefined => {
    const index = memberIndex(input.cluster, name);
    if (index === undefined) return undefined;
    let v = byName.get(name);
    if (!v) byName.set(name, (v = { name, index }));
    return v;
  };
  for (const p of input.pods) {
    const v = view(p.name);
    if (v) v.pod = p;
  }
  for (const c of input.claims) {
    const v = view(c.member);
    if (v) v.claim = c;
  }
  for (const m of input.etcd?.members ?? []) {
    const name = etcdMemberName(input.cluster, m);
    const v = name ? view(name) : undefined;
    if (v) v.etcd = m;
  }
  for (const v of byName.values()) v.health = input.health[v.name];
  return [...byName.values()].sort((a, b) => a.index - b.index);
}

export function etcdMemberName(cluster: ClusterRef, m: EtcdMemberFacts): string | undefined {
  if (m.name && memberIndex(cluster, m.name) !== undefined) return m.name;
  for (const u of m.peerURLs) {
    const n = memberNameFromPeerURL(cluster, u);
    if (n) return n;
  }
  return undefined;
}

const wait = (reason: string, message: string): Action => ({ type: 'Wait', reason, message });

export function restoreCommand(cluster: ClusterRef): string {
  return (
    `pick the newest Completed one of \`kubectl -n ${cluster.namespace} get etcdbackups -l kokpit.dev/etcd-cluster=${cluster.name}\`, ` +
    `then \`kokpit restore <backup> --into <new-etcd-cluster> -n ${cluster.namespace} --wait\``
  );
}

/* eslint-disable-next-line max-lines-per-function -- the decision table in priority order, top to bottom, one early return per rule:
   split, the order would be spread over files */
export function plan(input: PlanInput): Plan {
  const problems: Problem[] = [];
  const { cluster, options } = input;
  const members = memberViews(input);

  // --- The spec: what we refuse is reported, and the cluster is kept as it is in that respect.
  let replicas = input.desired.replicas;
  const voterCount = input.etcd?.members.filter((m) => !m.isLearner).length;
  if (![1, 3, 5].includes(replicas)) {
    problems.push({
      reason: 'InvalidReplicas',
      message:
        `spec.replicas ${replicas} is not allowed: use 1, 3 or 5 (an even member count tolerates no more failures ` +
        `than one member fewer)`,
    });
    replicas = voterCount ?? 0;
  }
  let version = normalizeVersion(input.desired.version);
  const running = runningVersions(members);
  if (running.length > 0) {
    const newest = running[running.length - 1];
    const oldest = running[0];
    const down = checkVersionChange(newest, version);
    const skip = checkVersionChange(oldest, version);
    const refusal = down.kind === 'refused' ? down : skip.kind === 'refused' ? skip : undefined;
    if (refusal) {
      problems.push({ reason: refusal.reason, message: refusal.message });
      version = newest;
    }
  }

  const done = (action: Action, phase: Phase): Plan => ({ action, problems, phase, version });

  // --- Before the cluster exists: create (or restore) the seed, then wait for it to answer.
  if (!input.bootstrapped && !input.etcd) {
    const restore = input.restore;
    if (restore && restore.state === 'Invalid') {
      problems.push({ reason: restore.reason, message: restore.message });
      return done(wait(restore.reason, `not creating any member: ${restore.message}`), 'Pending');
    }
    if (restore && restore.state === 'Pending') return done(wait('RestorePending', restore.message), 'Pending');
    if (!restore) return bootstrap(input, members, Math.max(1, replicas), done);
    const seed = members[0];
    if (!seed)
      return done({ type: 'CreateSeed', member: memberName(cluster, input.nextIndex), restoreFrom: restore.backupName }, 'Restoring');
    if (!seed.pod && !seed.claim?.terminating)
      return done({ type: 'CreateSeed', member: seed.name, restoreFrom: restore.backupName }, 'Restoring');
    return done(wait('Bootstrapping', `waiting for the seed member ${seed.name} to answer`), 'Restoring');
  }

  // --- No member answers: bring back pods whose data survived; otherwise wait, then report quorum loss.
  if (!input.etcd) {
    const known = new Set([...input.knownMembers, ...members.filter((m) => m.claim).map((m) => m.name)]);
    const rejoin = members.find((m) => known.has(m.name) && m.claim && !m.claim.terminating && !m.pod);
    if (rejoin) {
      return done({ type: 'CreateMember', member: rejoin.name, reason: 'Rejoin', initialCluster: peers(cluster, [...known]) }, 'Healing');
    }
    const withData = members.filter((m) => m.claim && !m.claim.terminating);
    if (withData.length === 0) {
      return done(
        {
          type: 'QuorumLost',
          message:
            `every member's data is gone (${input.knownMembers.join(', ') || 'no members left'}); ` +
            `restore from a backup: ${restoreCommand(cluster)}`,
        },
        'QuorumLost',
      );
    }
    if (input.durations.noQuorumMs >= options.quorumLostAfterMs) {
      return done(
        {
          type: 'QuorumLost',
          message:
            `no member has answered for ${Math.round(input.durations.noQuorumMs / 1000)}s (members with ` +
            `data: ${withData.map((m) => m.name).join(', ')}); if they cannot be brought back, ` +
            `restore from a backup: ${restoreCommand(cluster)}`,
        },
        'QuorumLost',
      );
    }
    return done(wait('MembersUnreachable', `no member answers yet (${withData.length} with data); waiting for pods to start`), 'Degraded');
  }

  const foreign = input.etcd.members.filter((m) => !etcdMemberName(cluster, m));
  if (foreign.length > 0) {
    problems.push({
      reason: 'UnknownMembers',
      message:
        `etcd lists members kokpit did not create ` +
        `(${foreign.map((m) => m.name || m.peerURLs.join(',')).join('; ')}); they are left alone`,
    });
  }
  const inEtcd = members.filter((m) => m.etcd);
  const voters = inEtcd.filter((m) => !m.etcd!.isLearner);
  const learners = inEtcd.filter((m) => m.etcd!.isLearner);
  const healthyVoters = voters.filter((m) => m.health?.healthy);
  const quorum = quorumOf(voters.length);
  const hasQuorum = healthyVoters.length >= quorum;
  const leader = voters.find((m) => m.health?.isLeader && m.health.healthy);
  const unhealthyMs = (m: MemberView) => input.durations.unhealthyMs[m.name] ?? 0;

  // 1. Pods of members that etcd lists but that have no pod (deleted, or never created after the add).
  for (const m of inEtcd) {
    if (m.pod) continue;
    const started = m.etcd!.name !== '';
    if (m.claim?.terminating) continue; // handled below, once the claim is gone
    if (!started || m.claim) {
      return done(
        {
          type: 'CreateMember',
          member: m.name,
          reason: started ? 'Rejoin' : 'Join',
          // etcd checks a joining member's --initial-cluster against its whole member list.
          initialCluster: peers(
            cluster,
            inEtcd.map((x) => x.name),
          ),
        },
        started ? 'Healing' : 'Scaling',
      );
    }
  }

  // 2. Without a healthy quorum no membership change can commit: wait, then report.
  if (!hasQuorum) {
    const names = healthyVoters.map((m) => m.name).join(', ') || 'none';
    if (input.durations.noQuorumMs >= options.quorumLostAfterMs) {
      return done(
        {
          type: 'QuorumLost',
          message:
            `only ${healthyVoters.length} of ${voters.length} voting members are healthy (${names}), ${quorum} needed; ` +
            `if the others cannot be brought back, restore from a backup: ${restoreCommand(cluster)}`,
        },
        'QuorumLost',
      );
    }
    return done(
      wait(
        'NoQuorum',
        `${healthyVoters.length} of ${voters.length} voting members healthy, ${quorum} needed; waiting for members to recover`,
      ),
      'Degraded',
    );
  }

  // 3. Pods and claims of members etcd no longer lists: left over from a removal. Only trusted with a
  // healthy leader (the list is read from it), so a lagging member's view never deletes a fresh learner.
  if (leader) {
    for (const m of members) {
      if (m.etcd) continue;
      if (m.pod?.terminating && (!m.claim || m.claim.terminating)) continue;
      if (!m.pod && m.claim?.terminating) continue;
      return done(
        { type: 'DeleteMemberResources', member: m.name, message: `${m.name} is not a member of the etcd cluster` },
        phaseOfCleanup(voters.length, replicas),
      );
    }
  }

  // 4. A pod being deleted (restart, removal): let it go before the next change.
  const terminating = members.find((m) => m.pod?.terminating);
  if (terminating) return done(wait('PodTerminating', `waiting for pod ${terminating.name} to terminate`), 'Healing');

  // 5. Members whose data is gone (claim deleted) can never come back: remove them.
  for (const m of inEtcd) {
    if (m.etcd!.name === '' || m.pod || (m.claim && !m.claim.terminating)) continue;
    const removal = canRemove(m, voters, healthyVoters);
    if (removal)
      return done(
        { type: 'RemoveMember', member: m.name, id: m.etcd!.id, reason: 'DataLost', message: `${m.name} lost its data volume` },
        'Healing',
      );
  }

  // 6. NOSPACE: the cluster only serves reads and deletes until space is reclaimed and the alarm disarmed.
  if (input.etcd.alarms.some((a) => a.includes('NOSPACE'))) {
    const order = [...inEtcd.filter((m) => m.health?.healthy && m !== leader), ...(leader ? [leader] : [])].map((m) => m.name);
    return done({ type: 'RecoverNoSpace', members: order }, 'Degraded');
  }

  // 7. Learners: promote when caught up, drop when unwanted or stuck.
  for (const l of learners) {
    const wanted = voters.length < replicas;
    if (!wanted) {
      return done(
        {
          type: 'RemoveMember',
          member: l.name,
          id: l.etcd!.id,
          reason: 'Unwanted',
          message: `learner ${l.name} is not needed for ${replicas} members`,
        },
        'Scaling',
      );
    }
    const age = input.durations.learnerMs[l.name] ?? 0;
    if (caughtUp(l, leader)) return done({ type: 'PromoteLearner', member: l.name, id: l.etcd!.id }, 'Scaling');
    if (age >= options.learnerTimeoutMs) {
      return done(
        {
          type: 'RemoveMember',
          member: l.name,
          id: l.etcd!.id,
          reason: 'LearnerStuck',
          message: `learner ${l.name} did not catch up in ${Math.round(age / 1000)}s`,
        },
        'Healing',
      );
    }
    return done(wait('LearnerCatchingUp', `learner ${l.name} is catching up with the leader`), 'Scaling');
  }

  // 8. Started voters that stay unhealthy past the grace period are replaced (removed here, added back below).
  // Not a member whose disk is full: a new member would need the same space, and its data would be thrown away;
  // it comes back by itself once its volume has room (status says so: MemberDiskFull).
  for (const m of voters) {
    if (m.health?.healthy || unhealthyMs(m) < options.replaceUnhealthyAfterMs || m.pod?.diskFull) continue;
    if (!canRemove(m, voters, healthyVoters)) continue;
    return done(
      {
        type: 'RemoveMember',
        member: m.name,
        id: m.etcd!.id,
        reason: 'Replace',
        message: `${m.name} has been unhealthy for ${Math.round(unhealthyMs(m) / 1000)}s${m.health?.error ? ` (${m.health.error})` : ''}`,
      },
      'Healing',
    );
  }

  const allHealthy = healthyVoters.length === voters.length;

  // 9. Scale up: one learner at a time, only while every voter is healthy.
  if (voters.length < replicas) {
    if (!allHealthy)
      return done(
        wait('WaitingForHealthyMembers', `not adding a member while ${voters.length - healthyVoters.length} member(s) are unhealthy`),
        'Degraded',
      );
    const name = memberName(cluster, input.nextIndex);
    return done({ type: 'AddLearner', member: name, peerURL: memberPeerURL(cluster, name) }, 'Scaling');
  }

  // 10. Scale down: unhealthy first, then the newest follower; the leader last.
  if (voters.length > replicas) {
    const candidates = [...voters].sort((a, b) => rank(a) - rank(b) || b.index - a.index);
    for (const m of candidates) {
      if (canRemove(m, voters, healthyVoters)) {
        return done(
          {
            type: 'RemoveMember',
            member: m.name,
            id: m.etcd!.id,
            reason: 'ScaleDown',
            message: `scaling from ${voters.length} to ${replicas} members`,
          },
          'Scaling',
        );
      }
    }
    return done(wait('WaitingForHealthyMembers', `cannot remove a member from ${voters.length} without losing quorum`), 'Degraded');
  }

  if (!allHealthy) {
    const sick = voters.filter((m) => !m.health?.healthy).map((m) => m.name);
    return done(
      wait('MembersUnhealthy', `unhealthy: ${sick.join(', ')}; replaced after ${Math.round(options.replaceUnhealthyAfterMs / 1000)}s`),
      'Degraded',
    );
  }

  // 11. Rolling restarts (upgrade, certificate rotation): followers first, the leader last, one at a time.
  const notReady = voters.find((m) => !m.pod?.ready);
  const restartOrder = [...voters.filter((m) => m !== leader), ...(leader ? [leader] : [])];
  const outdated = restartOrder.find((m) => m.pod?.version && compareVersions(m.pod.version, version) !== 0);
  if (outdated) {
    if (notReady) return done(wait('WaitingForReadyPods', `pod ${notReady.name} is not ready yet`), 'Upgrading');
    return done(
      {
        type: 'RestartMember',
        member: outdated.name,
        reason: 'Upgrade',
        message: `upgrading ${outdated.name} from ${outdated.pod!.version} to ${version}`,
      },
      'Upgrading',
    );
  }
  const rotated = restartOrder.find((m) => {
    const want = input.desiredSecretHash[m.name];
    return want !== undefined && m.pod?.secretHash !== want;
  });
  if (rotated) {
    if (notReady) return done(wait('WaitingForReadyPods', `pod ${notReady.name} is not ready yet`), 'Healing');
    return done(
      {
        type: 'RestartMember',
        member: rotated.name,
        reason: 'CertificateRotation',
        message: `${rotated.name} mounts outdated certificates`,
      },
      'Healing',
    );
  }

  // 12. Defragmentation, followers before the leader.
  const fragmented = restartOrder.filter((m) => needsDefrag(m.health!, options));
  if (fragmented.length > 0) {
    const m = fragmented[0];
    return done(
      {
        type: 'Defragment',
        member: m.name,
        message: `${m.name}: ${mib(m.health!.dbSize - m.health!.dbSizeInUse)} of ${mib(m.health!.dbSize)} reclaimable`,
      },
      'Running',
    );
  }

  return done({ type: 'None' }, 'Running');
}

/**
 * A new cluster forms at its full size at once, as etcd's static bootstrap does: every member starts with the
 * same --initial-cluster. (Growing from one seed by learners waits for etcd's 5 s health interval before each
 * add, with one pod start after another: 16 s for 3 members where plain processes take under 1 s.) The set is
 * the one a created pod was started with, so a pass after a crash half-way creates the rest of the same set;
 * before any pod exists, the members with claims and then new names up to the size.
 */
function bootstrap(input: PlanInput, members: MemberView[], size: number, done: (a: Action, p: Phase) => Plan): Plan {
  const { cluster } = input;
  const started = members.find((m) => m.pod && !m.pod.terminating && m.pod.initialCluster?.length)?.pod?.initialCluster;
  let names = started ?? members.filter((m) => m.claim && !m.claim.terminating).map((m) => m.name);
  for (let i = input.nextIndex; names.length < size && !started; i++) names = [...names, memberName(cluster, i)];
  const byName = new Map(members.map((m) => [m.name, m]));
  const missing = names.filter((n) => !byName.get(n)?.pod && !byName.get(n)?.claim?.terminating);
  if (missing.length > 0) return done({ type: 'Bootstrap', members: missing, initialCluster: peers(cluster, names) }, 'Bootstrapping');
  return done(wait('Bootstrapping', `waiting for the members ${names.join(', ')} to form the cluster`), 'Bootstrapping');
}

function rank(m: MemberView): number {
  if (!m.health?.healthy) return 0;
  return m.health.isLeader ? 2 : 1;
}

/** Whether removing `m` keeps a healthy quorum of the smaller cluster. */
function canRemove(m: MemberView, voters: MemberView[], healthy: MemberView[]): boolean {
  if (m.etcd?.isLearner) return true;
  const remainingHealthy = healthy.filter((h) => h !== m).length;
  return remainingHealthy >= quorumOf(voters.length - 1) && voters.length > 1;
}

/** etcd refuses to promote a learner below 90% of the leader's progress; don't ask before that. */
function caughtUp(l: MemberView, leader: MemberView | undefined): boolean {
  if (!l.health?.healthy || !leader?.health) return false;
  return l.health.raftAppliedIndex >= Math.floor(leader.health.raftIndex * 0.9);
}

export function needsDefrag(h: MemberHealth, o: PlanOptions): boolean {
  const free = h.dbSize - h.dbSizeInUse;
  return h.dbSize > 0 && free >= o.defragMinReclaimBytes && free / h.dbSize >= o.defragMinRatio;
}

function runningVersions(members: MemberView[]): string[] {
  const vs = new Set<string>();
  for (const m of members) {
    const v = m.health?.version || m.pod?.version;
    if (v) vs.add(normalizeVersion(v));
  }
  return [...vs].sort(compareVersions);
}

function peers(cluster: ClusterRef, names: string[]): PeerRef[] {
  return [...new Set(names)]
    .sort((a, b) => (memberIndex(cluster, a) ?? 0) - (memberIndex(cluster, b) ?? 0))
    .map((name) => ({ name, peerURL: memberPeerURL(cluster, name) }));
}

function phaseOfCleanup(voters: number, replicas: number): Phase {
  return voters === replicas ? 'Healing' : 'Scaling';
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
