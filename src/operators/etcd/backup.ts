// The EtcdBackup reconciler: a one-off snapshot through the maintenance API of one healthy member
// (a follower when there is one, so the leader keeps its time for writes), written to the destination
// and described on status with size, sha256, location, revision and completion time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type KubeConfig,
  type KubernetesObject,
  type KubernetesObjectApi,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { API_VERSION, withDefaults, type Condition, type EtcdBackup, type EtcdBackupStatus, type EtcdCluster } from '../../api';
import { type ReconcileContext, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { ETCD_VERSION, binaryPath } from '../../binaries/build';
import { execaRunner, tail } from '../../binaries/processes';
import type { BinaryProvider } from '../../binaries/provider';
import { applyStatus } from '../../kit';
import { isNotFound, listObjects, readObject } from '../../kube';
import { EtcdMembers, type MemberResolver, podIPResolver, shortError } from './access';
import { ETCD_BACKUP_PLURAL, LABEL_CLUSTER, clientSecretName } from './names';
import { setCondition } from './status';

export interface EtcdBackupReconcilerOptions {
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  resolver?: MemberResolver;
  /** Root of `Local` destinations without a path (default `~/.cache/kokpit/backups`). */
  backupRoot?: string;
  now?: () => number;
  /** etcdutl for reading a snapshot back: found, or built on demand (without it, the check is skipped with a warning). */
  binaries?: BinaryProvider;
}

export function defaultBackupRoot(): string {
  return path.join(os.homedir(), '.cache', 'kokpit', 'backups');
}

/** Directory of a `Local` destination. */
export function localBackupDir(root: string, namespace: string, cluster: string, destinationPath?: string): string {
  return destinationPath ? path.resolve(destinationPath) : path.join(root, namespace, cluster);
}

export class EtcdBackupReconciler {
  private readonly now: () => number;

  constructor(private readonly o: EtcdBackupReconcilerOptions) {
    this.now = o.now ?? Date.now;
  }

  // eslint-disable-next-line max-lines-per-function -- the backup lifecycle (validate, snapshot, verify, record) in order; each stage ends the pass early
  readonly reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const backup = (await readObject<KubernetesObject>(this.o.objects, { apiVersion: API_VERSION, kind: 'EtcdBackup', metadata: { name, namespace } })) as
      | EtcdBackup
      | undefined;
    if (!backup || backup.metadata.deletionTimestamp) return;
    const st = backup.status;
    // One-off: a finished backup is never taken again (its file is what a restore verifies against).
    if (st?.phase === 'Completed' || st?.phase === 'Failed') return;

    const clusterName = backup.spec.etcdClusterRef.name;
    const raw = (await readObject<KubernetesObject>(this.o.objects, { apiVersion: API_VERSION, kind: 'EtcdCluster', metadata: { name: clusterName, namespace } })) as
      | EtcdCluster
      | undefined;
    if (!raw) {
      await this.writeStatus(backup, { phase: 'Pending', message: `EtcdCluster ${clusterName} does not exist` }, 'ClusterNotFound');
      return { requeueAfterMs: 10_000 };
    }
    const cluster = withDefaults(raw);
    const destination = backup.spec.destination ?? cluster.spec.backup?.destination ?? { type: 'Local' as const };
    if (destination.type !== 'Local') {
      await this.writeStatus(
        backup,
        { phase: 'Failed', message: `destination type ${destination.type} is not supported yet; use Local` },
        'UnsupportedDestination',
      );
      return;
    }
    const dir = localBackupDir(this.o.backupRoot ?? defaultBackupRoot(), namespace!, clusterName, destination.path);
    const file = path.join(dir, `${name}-${(backup.metadata.uid ?? '').slice(0, 8)}.db`);

    const secret = await readObject<V1Secret>(this.o.objects, { apiVersion: 'v1', kind: 'Secret', metadata: { name: clientSecretName({ name: clusterName, namespace: namespace! }), namespace } });
    const files = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    if (!files['tls.crt']) {
      await this.writeStatus(backup, { phase: 'Pending', message: `waiting for the client certificate of EtcdCluster ${clusterName}` }, 'ClusterNotReady');
      return { requeueAfterMs: 2000 };
    }
    const members = new EtcdMembers({ name: clusterName, namespace: namespace! }, this.o.resolver ?? podIPResolver, {
      caPem: files['ca.crt'],
      certPem: files['tls.crt'],
      keyPem: files['tls.key'],
    });
    try {
      const pods = (await listObjects<V1Pod>(this.o.objects, 'v1', 'Pod', { namespace, labelSelector: `${LABEL_CLUSTER}=${clusterName}` })).filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
      const healths = await Promise.all(pods.map(async (p) => ({ pod: p, h: await members.health(p.metadata!.name!, p) })));
      const usable = healths.filter((x) => x.h.healthy && !x.h.isLearner).sort((a, b) => Number(a.h.isLeader) - Number(b.h.isLeader));
      if (usable.length === 0) {
        await this.writeStatus(backup, { phase: 'Pending', message: `no healthy member of EtcdCluster ${clusterName} to take a snapshot from` }, 'ClusterNotReady');
        return { requeueAfterMs: 2000 };
      }
      const from = usable[0];
      const memberName = from.pod.metadata!.name!;
      await this.writeStatus(backup, { phase: 'Running', message: `taking a snapshot from ${memberName}` }, 'SnapshotRunning');
      const t0 = this.now();
      const snap = await members.snapshot(memberName, from.pod, file);
      // etcdutl reads the file back: proof it is a usable snapshot, and its exact revision.
      const etcdutl = await this.o.binaries?.ensure('etcdutl', ETCD_VERSION).catch((e: unknown) => {
        ctx.log.warn(`etcd backup ${key}: snapshot not read back (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        return undefined;
      });
      const checked = await snapshotStatus(file, etcdutl);
      if (checked) snap.revision = checked.revision;
      const seconds = (this.now() - t0) / 1000;
      ctx.log.info(`etcd backup ${key}: ${snap.size} bytes from ${memberName} in ${seconds.toFixed(1)}s to ${snap.file}`);
      await this.writeStatus(
        backup,
        {
          phase: 'Completed',
          size: snap.size,
          sha256: snap.sha256,
          location: snap.file,
          etcdVersion: from.h.version,
          revision: snap.revision,
          completionTime: iso(this.now()),
          message: `snapshot of revision ${snap.revision} from ${memberName}`,
        },
        'SnapshotSaved',
      );
    } catch (e) {
      const msg = shortError(e);
      await this.writeStatus(backup, { phase: 'Running', message: `snapshot failed, retrying: ${msg}` }, 'SnapshotFailed');
      throw new Error(`snapshot of ${clusterName}: ${msg}`);
    } finally {
      members.close();
    }
  };

  private async writeStatus(backup: EtcdBackup, fields: EtcdBackupStatus, reason: string): Promise<void> {
    const now = iso(this.now());
    const g = backup.metadata.generation ?? 0;
    const done = fields.phase === 'Completed';
    const failed = fields.phase === 'Failed';
    const condition: Condition = setCondition(
      backup.status?.conditions,
      { type: 'Complete', status: done ? 'True' : 'False', reason, message: fields.message, observedGeneration: g },
      now,
    );
    const status: EtcdBackupStatus = { ...fields, conditions: [condition, ...(failed ? [setCondition(backup.status?.conditions, { type: 'Failed', status: 'True', reason, message: fields.message, observedGeneration: g }, now)] : [])], observedGeneration: g };
    try {
      await applyStatus(this.o.kc, { apiVersion: API_VERSION, kind: 'EtcdBackup', metadata: { name: backup.metadata.name!, namespace: backup.metadata.namespace } }, ETCD_BACKUP_PLURAL, status);
      backup.status = status;
    } catch (e) {
      if (isNotFound(e)) return; // deleted during the pass: nothing left to report on
      throw e;
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `etcdutl snapshot status` of a file (undefined when etcdutl is not built here); throws on a bad snapshot. */
export async function snapshotStatus(file: string, etcdutl?: string): Promise<{ revision: number; totalKey: number; totalSize: number } | undefined> {
  const bin = etcdutl ?? binaryPath('etcdutl', ETCD_VERSION);
  if (!fs.existsSync(bin)) return undefined;
  const r = await execaRunner.run(bin, ['snapshot', 'status', file, '--write-out=json'], { timeoutMs: 120_000 });
  if (r.exitCode !== 0 || r.timedOut) throw new Error(`etcdutl snapshot status ${file}: ${r.timedOut ? 'timed out' : tail(r.stderr, 3) || `exit ${r.exitCode}`}`);
  const j = JSON.parse(r.stdout) as { revision: number; totalKey: number; totalSize: number };
  return { revision: j.revision, totalKey: j.totalKey, totalSize: j.totalSize };
}
