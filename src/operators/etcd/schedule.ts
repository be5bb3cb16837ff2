// Scheduled backups (`spec.backup.schedule`): which slot is due, and which snapshots retention prunes.
// Pure, with the clock passed in. Like a CronJob: the newest fire time at or before now that has not
// been taken yet is taken once (missed slots collapse into one), never while the previous scheduled
// backup is still running, and the next pass is due at the next fire time.
import { type CronSchedule, nextCronTime, previousCronTime } from './cron';

export interface ScheduleInput {
  schedule: CronSchedule;
  now: number;
  /** The newest slot already taken (status.lastScheduleTime, or the newest scheduled EtcdBackup). */
  lastScheduleTime?: number;
  /** Slots before the cluster existed are not owed (its creationTimestamp). */
  createdAt: number;
  /** A scheduled backup is still Pending or Running. */
  inFlight: boolean;
  /** The cluster has quorum, so a snapshot can be taken now. */
  canSnapshot: boolean;
}

export type ScheduleDecision = {
  /** The slot to take a backup for now. */
  take?: number;
  /** A slot is due but waits: why. */
  blocked?: string;
  /** The fire time after now (undefined: the expression never fires again). */
  next?: number;
  /** When the reconciler must look again for the next slot. */
  requeueAfterMs?: number;
};

export function decideSchedule(i: ScheduleInput): ScheduleDecision {
  const since = Math.max(i.lastScheduleTime ?? -Infinity, i.createdAt);
  const latest = previousCronTime(i.schedule, i.now);
  const due = latest !== undefined && latest > since ? latest : undefined;
  const next = nextCronTime(i.schedule, i.now);
  const requeueAfterMs = next !== undefined ? Math.max(1, next - i.now) : undefined;
  if (due === undefined) return { next, requeueAfterMs };
  if (i.inFlight) return { blocked: 'the previous scheduled backup is still running', next, requeueAfterMs };
  if (!i.canSnapshot) return { blocked: 'the cluster has no quorum to take a snapshot from', next, requeueAfterMs };
  return { take: due, next, requeueAfterMs };
}

export interface ScheduledBackupFacts {
  name: string;
  /** The slot it was taken for. */
  scheduledTime: number;
  phase?: 'Pending' | 'Running' | 'Completed' | 'Failed';
}

export interface RetentionPlan {
  /** The newest completed scheduled backup: it must verify before `prune` goes. */
  newest?: ScheduledBackupFacts;
  /** Completed backups beyond `retain`, oldest first. */
  prune: ScheduledBackupFacts[];
  /** Failed backups that go without any check (they hold no file), oldest first. */
  pruneFailed: ScheduledBackupFacts[];
}

/**
 * Keep the `retain` newest completed scheduled backups; older completed ones go. Failed ones go when
 * older than the newest completed, and beyond the `retain` newest failed ones (a schedule that keeps
 * failing must not pile them up; the newest stay to show why). Running ones are never touched.
 */
export function planRetention(backups: ScheduledBackupFacts[], retain: number): RetentionPlan {
  const newestFirst = (a: ScheduledBackupFacts, b: ScheduledBackupFacts) => b.scheduledTime - a.scheduledTime;
  const oldestFirst = (a: ScheduledBackupFacts, b: ScheduledBackupFacts) => a.scheduledTime - b.scheduledTime;
  const keep = Math.max(1, retain);
  const completed = backups.filter((b) => b.phase === 'Completed').sort(newestFirst);
  const failed = backups.filter((b) => b.phase === 'Failed').sort(newestFirst);
  const newest = completed[0];
  const pruneFailed = failed
    .filter((b, i) => i >= keep || (newest !== undefined && b.scheduledTime < newest.scheduledTime))
    .sort(oldestFirst);
  return { newest, prune: completed.slice(keep).sort(oldestFirst), pruneFailed };
}

/** `<cluster>-YYYYMMDD-HHMM` (UTC): one name per slot, so creating it twice is harmless. */
export function scheduledBackupName(cluster: string, slot: number): string {
  const iso = new Date(slot).toISOString(); // 2026-01-02T03:04:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  // Leave room for the stamp inside a 63-character label (restoreFrom.backupName is one).
  return `${cluster.slice(0, 63 - stamp.length - 1).replace(/-+$/, '')}-${stamp}`;
}
