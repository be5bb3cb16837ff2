// `kokpit restore <backup> --into <new-etcd-cluster>`: creates a new EtcdCluster with
// `spec.restoreFrom.backupName` (the operator verifies the snapshot's sha256 before any member serves).
// Never touches an existing cluster. Shape defaults come from the backed-up cluster when it still exists.
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, type EtcdBackup, type EtcdCluster } from '../../api';
import { createObject, describeKubeError, makeObjectApi, readObject } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { parseTimeout, watchObject, type WatchVerdict } from './backup';
import { restoredClusterManifest } from '../../operators/etcd/restore-manifest';

export { restoredClusterManifest };

/** Degraded reasons of a restore that no waiting fixes (see the etcd planner's restore facts). */
const RESTORE_REFUSALS = ['BackupNotFound', 'BackupFailed', 'BackupMissing', 'BackupCorrupt'];

/** Where a restoring cluster stands, for --wait. */
export function restoreVerdict(c: EtcdCluster | undefined, name: string): WatchVerdict<EtcdCluster> {
  if (!c) return { failed: `EtcdCluster ${name} was deleted` };
  const s = c.status;
  const cond = (t: string) => s?.conditions?.find((x) => x.type === t);
  const degraded = cond('Degraded');
  if (degraded?.status === 'True' && RESTORE_REFUSALS.includes(degraded.reason ?? ''))
    return { failed: `restore refused (${degraded.reason}): ${degraded.message}` };
  const available = cond('Available');
  const want = c.spec.replicas ?? 3;
  if (available?.status === 'True' && s?.observedGeneration === c.metadata.generation && (s?.readyMembers ?? 0) === want)
    return { done: c };
  const progressing = cond('Progressing');
  const detail = progressing?.status === 'True' ? progressing.message : (available?.message ?? 'waiting for the etcd operator');
  return { progress: `${s?.phase ?? 'Pending'} ${s?.readyMembers ?? 0}/${want} ready: ${detail}` };
}

export const restoreCommand: Command = {
  async run(argv, io: CliIO) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'namespace', short: 'n', value: true },
      { name: 'into', value: true },
      { name: 'replicas', value: true, oneOf: ['1', '3', '5'] },
      { name: 'version', value: true },
      { name: 'wait', short: 'w' },
      { name: 'timeout', value: true },
    ]);
    if (p.positionals.length !== 1) throw new UsageError('give the EtcdBackup to restore from');
    const into = str(p, 'into');
    if (!into) throw new UsageError('--into <new-etcd-cluster> is required: a restore always creates a new cluster');
    const backupName = p.positionals[0];
    const namespace = str(p, 'namespace') ?? 'default';
    const timeoutMs = parseTimeout(str(p, 'timeout'), 10 * 60_000);
    const { kc, source } = metaCluster(p);
    const objects = makeObjectApi(kc);
    const read = async <T>(kind: string, name: string) =>
      (await readObject<KubernetesObject>(objects, { apiVersion: API_VERSION, kind, metadata: { name, namespace } })) as T | undefined;
    try {
      const backup = await read<EtcdBackup>('EtcdBackup', backupName);
      if (!backup) {
        io.err(`kokpit restore: EtcdBackup ${namespace}/${backupName} not found in the meta cluster (${source}); nothing created`);
        return EXIT.FAILED;
      }
      if (backup.status?.phase === 'Failed') {
        io.err(`kokpit restore: EtcdBackup ${namespace}/${backupName} failed (${backup.status.message ?? 'no message'}); nothing created`);
        return EXIT.FAILED;
      }
      if (await read<EtcdCluster>('EtcdCluster', into)) {
        io.err(
          `kokpit restore: EtcdCluster ${namespace}/${into} already exists; a restore creates a new cluster (pick another ` +
            `name); nothing changed`,
        );
        return EXIT.FAILED;
      }
      if (backup.status?.phase !== 'Completed')
        io.progress(`EtcdBackup ${backupName} is ${backup.status?.phase ?? 'Pending'}; the new cluster waits for it`);
      const sourceCluster = await read<EtcdCluster>('EtcdCluster', backup.spec.etcdClusterRef.name);
      const manifest = restoredClusterManifest({
        name: into,
        namespace,
        backup,
        source: sourceCluster,
        replicas: str(p, 'replicas') ? Number(str(p, 'replicas')) : undefined,
        version: str(p, 'version'),
      });
      await createObject(objects, manifest as unknown as KubernetesObject);
    } catch (e) {
      io.err(`kokpit restore: cannot create EtcdCluster ${namespace}/${into} (${source}): ${describeKubeError(e)}`);
      return EXIT.FAILED;
    }
    if (!p.flags.wait) {
      io.out(
        `etcdcluster/${into} created from backup ${backupName}; follow it with: kokpit get etcd -n ${namespace}, or re-run with --wait`,
      );
      return EXIT.OK;
    }
    io.progress(`etcdcluster/${into} created from backup ${backupName}; waiting until it is Available`);
    const t0 = Date.now();
    try {
      const c = await watchObject<EtcdCluster>(kc, { kind: 'EtcdCluster', namespace, name: into }, (x) => restoreVerdict(x, into), {
        timeoutMs,
        progress: (l) => io.progress(`  ${l}`),
      });
      io.out(
        `etcdcluster/${into} Available: ${c.status?.readyMembers}/${c.spec.replicas} members, etcd ${c.status?.currentVersion ?? '?'}, ` +
          `restored from ${backupName} in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
      );
      return EXIT.OK;
    } catch (e) {
      io.err(`kokpit restore: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT.FAILED;
    }
  },
};
