// Status of an EtcdCluster from one pass's observations and plan. Pure: the clock comes in as `now`,
// and a condition keeps its lastTransitionTime while its status does not change.
import type { Condition, EtcdClusterStatus, EtcdMemberStatus } from '../../api';
import { type ClusterRef, caSecretName, clientEndpoint, memberClaimName, memberClientURL, memberPeerURL } from './names';
import { type MemberView, type Plan, quorumOf } from './plan';
import { compareVersions } from './version';
import { setCondition } from '../../kit';

export { setCondition } from '../../kit';

export interface StatusInputs {
  cluster: ClusterRef;
  generation: number;
  previous: EtcdClusterStatus | undefined;
  views: MemberView[];
  alarms: string[];
  plan: Plan;
  /** A short description of the action this pass carried out (or tried). */
  actionMessage?: string;
  /** The action failed with this error. */
  actionError?: string;
  now: string;
  /** The newest completed backup of the cluster. */
  lastBackup?: EtcdClusterStatus['lastBackup'];
  /** The scheduled-backup step's outcome (absent without `spec.backup.schedule`). */
  schedule?: {
    lastScheduleTime?: string;
    nextScheduleTime?: string;
    condition: Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>;
  };
}

const CONDITION_ORDER = ['Available', 'Progressing', 'Degraded', 'QuorumLost', 'BackupScheduled'];

/* eslint-disable-next-line max-lines-per-function -- one status object assembled from the same facts; every condition is derived beside
   the others */
export function computeStatus(i: StatusInputs): EtcdClusterStatus {
  const { cluster, views, plan } = i;
  const inEtcd = views.filter((v) => v.etcd);
  const voters = inEtcd.filter((v) => !v.etcd!.isLearner);
  const healthyVoters = voters.filter((v) => v.health?.healthy);
  const leader = voters.find((v) => v.health?.healthy && v.health.isLeader);
  const available = voters.length > 0 && healthyVoters.length >= quorumOf(voters.length) && !!leader;

  const members: EtcdMemberStatus[] = views
    .filter((v) => v.etcd || v.pod)
    .map((v) => {
      const h = v.health;
      const m: EtcdMemberStatus = {
        name: v.name,
        clientURL: memberClientURL(cluster, v.name),
        peerURL: memberPeerURL(cluster, v.name),
        healthy: !!h?.healthy,
        leader: !!h?.healthy && !!h.isLeader,
        learner: v.etcd ? v.etcd.isLearner : false,
      };
      if (v.etcd) m.id = v.etcd.id;
      if (h && h.version) {
        // Sizes move with every write the cluster takes: status follows them in steps of 10 % (or when a size
        // first appears), so a steady cluster costs no status write. The raft index moves on every write and is
        // not published at all (metrics and `etcdctl endpoint status` have it live).
        const before = i.previous?.members?.find((p) => p.name === v.name);
        const sizes = { dbSize: h.dbSize, dbSizeInUse: h.dbSizeInUse };
        const settled = before && !movedByTenPercent(before.dbSize, h.dbSize) && !movedByTenPercent(before.dbSizeInUse, h.dbSizeInUse);
        m.dbSize = settled ? before.dbSize : sizes.dbSize;
        m.dbSizeInUse = settled ? before.dbSizeInUse : sizes.dbSizeInUse;
        m.version = h.version;
      }
      const full = !h?.healthy ? v.pod?.diskFull : undefined;
      const message = !v.etcd ? 'not a member of the etcd cluster' : full ? `data volume full: ${full}` : h?.error;
      if (message) m.message = message;
      return m;
    });

  if (inEtcd.length === 0) keepLastKnown(members, i.previous?.members);

  const versions = voters.map((v) => v.health?.version).filter((x): x is string => !!x);
  // The cluster runs at the version of its oldest member (etcd's cluster version works the same way).
  const currentVersion = versions.length ? [...versions].sort(compareVersions)[0] : i.previous?.currentVersion;

  const g = i.generation;
  const cond = (c: Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>) =>
    setCondition(i.previous?.conditions, { ...c, observedGeneration: g }, i.now);
  const a = plan.action;
  const noSpace = i.alarms.filter((x) => x.startsWith('NOSPACE'));
  const sick = voters.filter((v) => !v.health?.healthy).map((v) => v.name);
  const full = inEtcd.filter((v) => !v.health?.healthy && v.pod?.diskFull);

  const conditions: Condition[] = [];
  conditions.push(
    available
      ? cond({
          type: 'Available',
          status: 'True',
          reason: 'QuorumHealthy',
          message: `${healthyVoters.length} of ${voters.length} voting members healthy, leader ${leader!.name}`,
        })
      : cond({
          type: 'Available',
          status: 'False',
          reason: voters.length === 0 ? (plan.phase === 'Restoring' ? 'Restoring' : 'Bootstrapping') : 'NoQuorum',
          message:
            voters.length === 0
              ? 'no member has formed the cluster yet'
              : `${healthyVoters.length} of ${voters.length} voting members healthy, ${quorumOf(voters.length)} needed`,
        }),
  );
  const progressing =
    a.type !== 'None' &&
    a.type !== 'QuorumLost' &&
    !(
      a.type === 'Wait' && ['MembersUnhealthy', 'NoQuorum', 'MembersUnreachable', ...plan.problems.map((p) => p.reason)].includes(a.reason)
    );
  conditions.push(
    progressing
      ? cond({
          type: 'Progressing',
          status: 'True',
          reason: a.type === 'Wait' ? a.reason : a.type,
          message: i.actionError
            ? `${i.actionMessage ?? a.type} failed: ${i.actionError}`
            : (i.actionMessage ?? (a.type === 'Wait' ? a.message : a.type)),
        })
      : cond({ type: 'Progressing', status: 'False', reason: 'Stable', message: plan.phase }),
  );
  const degradedReason =
    plan.problems[0]?.reason ??
    (noSpace.length ? 'NoSpace' : full.length ? 'MemberDiskFull' : sick.length ? 'MembersUnhealthy' : undefined);
  conditions.push(
    degradedReason
      ? cond({
          type: 'Degraded',
          status: 'True',
          reason: degradedReason,
          message:
            plan.problems[0]?.message ??
            (noSpace.length
              ? `alarms: ${noSpace.join(', ')}; compacting and defragmenting`
              : full.length
                ? diskFullMessage(full)
                : `unhealthy: ${sick.join(', ')}`),
        })
      : cond({ type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'all members healthy' }),
  );
  conditions.push(
    a.type === 'QuorumLost'
      ? cond({ type: 'QuorumLost', status: 'True', reason: 'QuorumLost', message: a.message })
      : cond({
          type: 'QuorumLost',
          status: 'False',
          reason: available || voters.length === 0 ? 'QuorumHealthy' : 'Recovering',
          message: available ? 'quorum healthy' : 'waiting for members',
        }),
  );
  if (i.schedule) conditions.push(cond(i.schedule.condition));
  conditions.sort((x, y) => CONDITION_ORDER.indexOf(x.type) - CONDITION_ORDER.indexOf(y.type));

  const status: EtcdClusterStatus = {
    phase: plan.phase,
    replicas: voters.length,
    readyMembers: healthyVoters.length,
    members,
    alarms: i.alarms,
    clientEndpoint: clientEndpoint(cluster),
    caSecretName: caSecretName(cluster),
    conditions,
    observedGeneration: g,
  };
  if (leader) status.leader = leader.name;
  if (currentVersion) status.currentVersion = currentVersion;
  if (i.lastBackup) status.lastBackup = i.lastBackup;
  if (i.schedule?.lastScheduleTime) status.lastScheduleTime = i.schedule.lastScheduleTime;
  if (i.schedule?.nextScheduleTime) status.nextScheduleTime = i.schedule.nextScheduleTime;
  return status;
}

/** Which members' volumes are full, etcd's words, and what happens next (nothing automatic: space must be freed). */
function diskFullMessage(full: MemberView[]): string {
  const each = full.map((v) => `${v.name}: data volume (claim ${memberClaimName(v.name)}) full: ${v.pod!.diskFull}`);
  return (
    `${each.join('; ')}; free space on the volume or expand the claim: the member restarts by itself and catches up ` +
    `(not replaced: a new member would need the same space)`
  );
}

/** Whether a size moved by 10 % or more since it was last published (a size not published yet has moved). */
function movedByTenPercent(published: number | undefined, now: number): boolean {
  if (published === undefined) return true;
  return Math.abs(now - published) >= Math.max(1, published) * 0.1;
}

/**
 * No member answers (every pod gone, or none up yet): the members etcd last listed keep their names and IDs in status,
 * unhealthy. Status is how the next pass knows the cluster was formed; without them a cluster that lost every member's
 * data would report QuorumLost once and then bootstrap an empty cluster (or restore its restoreFrom again) under its name.
 */
function keepLastKnown(members: EtcdMemberStatus[], previous: EtcdMemberStatus[] | undefined): void {
  for (const p of previous ?? []) {
    if (!p.id) continue;
    const m = members.find((x) => x.name === p.name);
    if (m) m.id ??= p.id;
    else members.push({ ...p, healthy: false, leader: false, message: 'no pod, and no member answers' });
  }
  members.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}
