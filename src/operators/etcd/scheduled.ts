// The scheduled-backup step of an EtcdCluster pass: create the EtcdBackup of a due slot (the EtcdBackup
// reconciler takes the snapshot), and prune old scheduled backups, file first, once the newest one is
// verified (its file still has the recorded sha256 and etcdutl reads it as a snapshot).
import * as fs from 'node:fs';
import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { API_VERSION, type Condition, type EtcdBackup, type EtcdCluster } from '../../api';
import type { Logger } from '../../controller/reconciler';
import { applyObject, deleteObject } from '../../kube';
import { shortError } from './access';
import { snapshotStatus } from './backup';
import { CronError, parseCron } from './cron';
import { ANNOTATION_SCHEDULED_TIME, LABEL_BACKUP_SCHEDULED } from './names';
import { renderScheduledBackup } from './render';
import { type ScheduledBackupFacts, decideSchedule, planRetention } from './schedule';

export interface ScheduleStepInput {
  objects: KubernetesObjectApi;
  cluster: EtcdCluster;
  /** Every EtcdBackup in the cluster's namespace (read once per pass). */
  backups: EtcdBackup[];
  now: number;
  canSnapshot: boolean;
  /** Verification results by `<uid>/<sha256>`, kept across passes so a file is hashed once. */
  verified: Set<string>;
  /** Checks a snapshot file against its recorded sha256 (sha256File of the reconciler). */
  sha256File: (file: string) => Promise<string>;
  log: Logger;
}

export interface ScheduleStepResult {
  lastScheduleTime?: string;
  nextScheduleTime?: string;
  condition: Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>;
  requeueAfterMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const parseTime = (s: string | undefined) => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** The scheduled EtcdBackups of this cluster (owned by it and labelled), with their slots. */
export function scheduledBackupsOf(cluster: EtcdCluster, backups: EtcdBackup[]): Array<ScheduledBackupFacts & { backup: EtcdBackup }> {
  return backups
    .filter(
      (b) =>
        b.metadata.labels?.[LABEL_BACKUP_SCHEDULED] === 'true' && b.metadata.ownerReferences?.some((o) => o.uid === cluster.metadata.uid),
    )
    .flatMap((b) => {
      const slot = parseTime(b.metadata.annotations?.[ANNOTATION_SCHEDULED_TIME]);
      return slot === undefined ? [] : [{ name: b.metadata.name!, scheduledTime: slot, phase: b.status?.phase, backup: b }];
    });
}

/** Undefined when the cluster has no schedule. */
// eslint-disable-next-line max-lines-per-function -- the schedule decisions in order (due slot, create, retention) over one list of backups
export async function reconcileBackupSchedule(i: ScheduleStepInput): Promise<ScheduleStepResult | undefined> {
  const { cluster } = i;
  const expr = cluster.spec.backup?.schedule;
  if (!expr) return undefined;
  let schedule;
  try {
    schedule = parseCron(expr);
  } catch (e) {
    if (!(e instanceof CronError)) throw e;
    return {
      condition: {
        type: 'BackupScheduled',
        status: 'False',
        reason: 'InvalidSchedule',
        message: `spec.backup.schedule "${expr}": ${e.message}`,
      },
    };
  }
  const retain = cluster.spec.backup?.retain ?? 7;
  const ours = scheduledBackupsOf(cluster, i.backups);
  const newestSlot = Math.max(-Infinity, ...ours.map((b) => b.scheduledTime));
  const recorded = parseTime(cluster.status?.lastScheduleTime);
  // Status can lag (a failed status write) and backups can be pruned; either one proves a slot was taken.
  let last = Math.max(recorded ?? -Infinity, newestSlot);
  const decision = decideSchedule({
    schedule,
    now: i.now,
    lastScheduleTime: Number.isFinite(last) ? last : undefined,
    createdAt: parseTime(cluster.metadata.creationTimestamp as unknown as string) ?? i.now,
    inFlight: ours.some((b) => b.phase !== 'Completed' && b.phase !== 'Failed'),
    canSnapshot: i.canSnapshot,
  });
  if (decision.take !== undefined) {
    const b = renderScheduledBackup(cluster, decision.take);
    await applyObject(i.objects, b as unknown as KubernetesObject);
    i.log.info(
      `etcd ${cluster.metadata.namespace}/${cluster.metadata.name}: scheduled backup ${b.metadata.name} for ${iso(decision.take)}`,
    );
    last = decision.take;
  }

  const kept = ours.filter((b) => b.phase === 'Completed').length;
  let condition: ScheduleStepResult['condition'] = decision.blocked
    ? {
        type: 'BackupScheduled',
        status: 'False',
        reason: 'BackupDelayed',
        message: `a scheduled backup is due but waits: ${decision.blocked}`,
      }
    : {
        type: 'BackupScheduled',
        status: 'True',
        reason: 'Scheduled',
        message:
          `${decision.next !== undefined ? `next backup at ${iso(decision.next)}` : 'the schedule fires no more'}; ` +
          `${kept} kept of ${retain}`,
      };

  const retention = planRetention(ours, retain);
  for (const old of retention.pruneFailed) {
    await pruneBackup(i.objects, ours.find((x) => x.name === old.name)!.backup);
    i.log.info(`etcd ${cluster.metadata.namespace}/${cluster.metadata.name}: pruned failed backup ${old.name}`);
  }
  // The newest scheduled backup failed: say so (the next slot tries again).
  const latest = [...ours].sort((a, b) => b.scheduledTime - a.scheduledTime)[0];
  if (latest?.phase === 'Failed' && !decision.blocked) {
    condition = {
      type: 'BackupScheduled',
      status: 'False',
      reason: 'BackupFailed',
      message: `scheduled backup ${latest.name} failed: ${latest.backup.status?.message ?? 'no message'}`,
    };
  }
  if (retention.prune.length && retention.newest) {
    const newest = ours.find((b) => b.name === retention.newest!.name)!.backup;
    const problem = await verifyBackup(newest, i);
    if (problem) {
      condition = {
        type: 'BackupScheduled',
        status: 'False',
        reason: 'BackupUnverified',
        message: `not pruning older backups: newest backup ${newest.metadata.name} ${problem}`,
      };
    } else {
      for (const old of retention.prune) {
        const b = ours.find((x) => x.name === old.name)!.backup;
        await pruneBackup(i.objects, b);
        i.log.info(`etcd ${cluster.metadata.namespace}/${cluster.metadata.name}: pruned backup ${b.metadata.name} (retain ${retain})`);
      }
    }
  }
  return {
    ...(Number.isFinite(last) ? { lastScheduleTime: iso(last) } : {}),
    ...(decision.next !== undefined ? { nextScheduleTime: iso(decision.next) } : {}),
    condition,
    requeueAfterMs: decision.requeueAfterMs,
  };
}

/** Undefined when the backup's file is intact and a readable snapshot; else what is wrong with it. */
async function verifyBackup(b: EtcdBackup, i: ScheduleStepInput): Promise<string | undefined> {
  const st = b.status;
  if (!st?.location || !st.sha256) return 'has no recorded location or sha256';
  const key = `${b.metadata.uid}/${st.sha256}`;
  if (i.verified.has(key)) return undefined;
  let problem: string | undefined;
  if (!fs.existsSync(st.location)) problem = `has no file at ${st.location}`;
  else {
    const sha = await i.sha256File(st.location);
    if (sha !== st.sha256) problem = `file ${st.location} has sha256 ${sha}, recorded ${st.sha256}`;
    else {
      try {
        await snapshotStatus(st.location);
      } catch (e) {
        problem = `file ${st.location} is not a readable snapshot: ${shortError(e)}`;
      }
    }
  }
  // A missing file may come back (a remounted volume): only success is remembered for good.
  if (!problem) i.verified.add(key);
  return problem;
}

async function pruneBackup(objects: KubernetesObjectApi, b: EtcdBackup): Promise<void> {
  // The file first: if deleting the object fails, the next pass retries and nothing leaks.
  const file = b.status?.location;
  if (file && file.endsWith('.db')) fs.rmSync(file, { force: true });
  await deleteObject(objects, {
    apiVersion: API_VERSION,
    kind: 'EtcdBackup',
    metadata: { name: b.metadata.name, namespace: b.metadata.namespace },
  });
}
