// The EtcdBackup reconciler: a one-off snapshot through the maintenance API of one healthy member
// (a follower when there is one, so the leader keeps its time for writes), written to the destination
// and described on status with size, sha256, location, revision and completion time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type KubeConfig, type KubernetesObject, type KubernetesObjectApi, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { API_VERSION, withDefaults, type Condition, type EtcdBackup, type EtcdBackupStatus, type EtcdCluster } from '../../api';
import { type ReconcileContext, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { ETCD_VERSION, binaryPath } from '../../binaries/build';
import { execaRunner, tail } from '../../binaries/processes';
import type { BinaryProvider } from '../../binaries/provider';
import { applyStatus } from '../../kit';
import { isNotFound, listObjects, readObject } from '../../kube';
import { EtcdMembers, type MemberResolver, podIPResolver, shortError } from './access';
import { ETCD_BACKUP_PLURAL, LABEL_CLUSTER, clientSecretName } from './names';
import { SNAPSHOT_FILE_NAME } from './render';
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

/**
 * Where an EtcdBackup's snapshot is written: its destination (else its cluster's) and `<backup>-<uid8>.db`. A
 * restore reads this path, never `status.location` as such (status is only a report, and anyone allowed to
 * write it could point a restore, and the hostPath mount behind it, anywhere on the host).
 */
export function backupFilePath(
  root: string,
  backup: EtcdBackup,
  cluster: Pick<EtcdCluster, 'spec'> | undefined,
): { dir: string; file: string } | undefined {
  const destination = backup.spec.destination ?? cluster?.spec.backup?.destination ?? { type: 'Local' as const };
  if (destination.type !== 'Local') return undefined;
  const dir = localBackupDir(root, backup.metadata.namespace ?? 'default', backup.spec.etcdClusterRef.name, destination.path);
  return { dir, file: path.join(dir, `${backup.metadata.name}-${(backup.metadata.uid ?? '').slice(0, 8)}.db`) };
}

/**
 * The snapshot a restore may use: `location` must be exactly where backupFilePath puts this backup, a regular
 * file (not a symlink) whose real path is inside the real backup directory. Returns the real directory to
 * mount and the file name, or why not.
 */
export function confineSnapshot(
  location: string,
  expected: { dir: string; file: string },
): { hostDir: string; file: string } | { problem: string; missing?: true } {
  if (path.resolve(location) !== path.resolve(expected.file))
    return { problem: `status.location ${location} is not where this backup is written (${expected.file})` };
  const name = path.basename(expected.file);
  if (!SNAPSHOT_FILE_NAME.test(name)) return { problem: `snapshot file name ${name} is not one the operator writes` };
  let hostDir: string;
  let st: fs.Stats;
  try {
    hostDir = fs.realpathSync(expected.dir);
    st = fs.lstatSync(path.join(hostDir, name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { problem: `snapshot file ${location} is missing`, missing: true }
      : { problem: `snapshot ${location}: ${code ?? String(e)}` };
  }
  if (!st.isFile()) return { problem: `snapshot ${location} is not a regular file (a symbolic link or another kind of file)` };
  return { hostDir, file: name };
}

export class EtcdBackupReconciler {
  private readonly now: () => number;

  constructor(private readonly o: EtcdBackupReconcilerOptions) {
    this.now = o.now ?? Date.now;
  }

  /* eslint-disable-next-line max-lines-per-function -- the backup lifecycle (validate, snapshot, verify, record) in order; each stage
     ends the pass early */
  readonly reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const backup = (await readObject<KubernetesObject>(this.o.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdBackup',
      metadata: { name, namespace },
    })) as EtcdBackup | undefined;
    if (!backup || backup.metadata.deletionTimestamp) return;
    const st = backup.status;
    // One-off: a finished backup is never taken again (its file is what a restore verifies against).
    if (st?.phase === 'Completed' || st?.phase === 'Failed') return;

    const clusterName = backup.spec.etcdClusterRef.name;
    const raw = (await readObject<KubernetesObject>(this.o.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: clusterName, namespace },
    })) as EtcdCluster | undefined;
    if (!raw) {
      await this.writeStatus(backup, { phase: 'Pending', message: `EtcdCluster ${clusterName} does not exist` }, 'ClusterNotFound');
      return { requeueAfterMs: 10_000 };
    }
    const cluster = withDefaults(raw);
    const where = backupFilePath(this.o.backupRoot ?? defaultBackupRoot(), backup, cluster);
    if (!where) {
      const type = (backup.spec.destination ?? cluster.spec.backup?.destination)?.type;
      await this.writeStatus(
        backup,
        { phase: 'Failed', message: `destination type ${type} is not supported yet; use Local` },
        'UnsupportedDestination',
      );
      return;
    }
    const { file } = where;

    const secret = await readObject<V1Secret>(this.o.objects, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: clientSecretName({ name: clusterName, namespace: namespace! }), namespace },
    });
    const files = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    if (!files['tls.crt']) {
      await this.writeStatus(
        backup,
        { phase: 'Pending', message: `waiting for the client certificate of EtcdCluster ${clusterName}` },
        'ClusterNotReady',
      );
      return { requeueAfterMs: 2000 };
    }
    const members = new EtcdMembers({ name: clusterName, namespace: namespace! }, this.o.resolver ?? podIPResolver, {
      caPem: files['ca.crt'],
      certPem: files['tls.crt'],
      keyPem: files['tls.key'],
    });
    try {
      const pods = (
        await listObjects<V1Pod>(this.o.objects, 'v1', 'Pod', { namespace, labelSelector: `${LABEL_CLUSTER}=${clusterName}` })
      ).filter((p) => !p.metadata?.deletionTimestamp);
      const healths = await Promise.all(pods.map(async (p) => ({ pod: p, h: await members.health(p.metadata!.name!, p) })));
      const usable = healths.filter((x) => x.h.healthy && !x.h.isLearner).sort((a, b) => Number(a.h.isLeader) - Number(b.h.isLeader));
      if (usable.length === 0) {
        await this.writeStatus(
          backup,
          { phase: 'Pending', message: `no healthy member of EtcdCluster ${clusterName} to take a snapshot from` },
          'ClusterNotReady',
        );
        return { requeueAfterMs: 2000 };
      }
      const from = usable[0];
      const memberName = from.pod.metadata!.name!;
      const t0 = this.now();
      // Running is reported while the snapshot streams (one API round trip less before the first byte); it
      // lands before any later status (a failure report, Completed).
      const running = this.writeStatus(backup, { phase: 'Running', message: `taking a snapshot from ${memberName}` }, 'SnapshotRunning');
      running.catch(() => {}); // awaited below, whichever way the snapshot ends
      const snap = await members.snapshot(memberName, from.pod, file).catch(async (e: unknown) => {
        await running.catch(() => {});
        throw e;
      });
      await running;
      const streamed = this.now();
      // etcdutl reads the file back: proof it is a usable snapshot, and its exact revision.
      const etcdutl = await this.o.binaries?.ensure('etcdutl', ETCD_VERSION).catch((e: unknown) => {
        ctx.log.warn(`etcd backup ${key}: snapshot not read back (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        return undefined;
      });
      const checked = await snapshotStatus(file, etcdutl);
      if (checked) snap.revision = checked.revision;
      const [seconds, readBack] = [(this.now() - t0) / 1000, (this.now() - streamed) / 1000];
      const took = `${seconds.toFixed(1)}s (read back ${readBack.toFixed(1)}s)`;
      ctx.log.info(`etcd backup ${key}: ${snap.size} bytes from ${memberName} in ${took} to ${snap.file}`);
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
      throw new Error(`snapshot of ${clusterName}: ${msg}`, { cause: e });
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
    const status: EtcdBackupStatus = {
      ...fields,
      conditions: [
        condition,
        ...(failed
          ? [
              setCondition(
                backup.status?.conditions,
                { type: 'Failed', status: 'True', reason, message: fields.message, observedGeneration: g },
                now,
              ),
            ]
          : []),
      ],
      observedGeneration: g,
    };
    try {
      await applyStatus(
        this.o.kc,
        { apiVersion: API_VERSION, kind: 'EtcdBackup', metadata: { name: backup.metadata.name!, namespace: backup.metadata.namespace } },
        ETCD_BACKUP_PLURAL,
        status,
      );
      backup.status = status;
    } catch (e) {
      if (isNotFound(e)) return; // deleted during the pass: nothing left to report on
      throw e;
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `etcdutl snapshot status` of a file (undefined when etcdutl is not built here); throws on a bad snapshot. */
export async function snapshotStatus(
  file: string,
  etcdutl?: string,
): Promise<{ revision: number; totalKey: number; totalSize: number } | undefined> {
  const bin = etcdutl ?? binaryPath('etcdutl', ETCD_VERSION);
  if (!fs.existsSync(bin)) return undefined;
  const r = await execaRunner.run(bin, ['snapshot', 'status', file, '--write-out=json'], { timeoutMs: 120_000 });
  if (r.exitCode !== 0 || r.timedOut)
    throw new Error(`etcdutl snapshot status ${file}: ${r.timedOut ? 'timed out' : tail(r.stderr, 3) || `exit ${r.exitCode}`}`);
  const j = JSON.parse(r.stdout) as { revision: number; totalKey: number; totalSize: number };
  return { revision: j.revision, totalKey: j.totalKey, totalSize: j.totalSize };
}
