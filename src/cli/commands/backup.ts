// `kokpit backup <etcd-cluster> [-n NS] [--wait]`: asks the etcd operator for a snapshot (an EtcdBackup)
// and, with --wait, follows it to Completed through a watch, with progress lines on stderr.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, KINDS, type EtcdBackup, type EtcdCluster } from '../../api';
import { Informer } from '../../controller/informer';
import { createObject, describeKubeError, makeObjectApi, readObject } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { LABEL_CLUSTER } from '../../operators/etcd/names';
import { EXIT, UsageError, type CliIO, type Command } from '../command';

/** `90s`, `10m`, `1h` or plain seconds. */
export function parseTimeout(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m || Number(m[1]) === 0) throw new UsageError(`--timeout must be a positive duration like 90s, 10m or 1h, got "${text}"`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

export type WatchVerdict<T> = { done: T } | { failed: string } | { progress?: string };

/**
 * Watches one kokpit object until `check` says done or failed, or the deadline passes. Each distinct
 * progress line is reported once. Resolves with the object, rejects with the failure or the timeout.
 */
export async function watchObject<T>(
  kc: KubeConfig,
  target: { kind: string; namespace: string; name: string },
  check: (obj: T | undefined) => WatchVerdict<T>,
  opts: { timeoutMs: number; progress: (line: string) => void },
): Promise<T> {
  const plural = KINDS.find((k) => k.kind === target.kind)?.plural;
  if (!plural) throw new Error(`${target.kind} is not a kokpit kind`);
  const objects = makeObjectApi(kc);
  const fieldSelector = `metadata.name=${target.name}`;
  const informer = new Informer<KubernetesObject>(kc, {
    path: `/apis/${API_VERSION}/namespaces/${target.namespace}/${plural}`,
    fieldSelector,
    list: async () =>
      (await objects.list(
        API_VERSION,
        target.kind,
        target.namespace,
        undefined,
        undefined,
        undefined,
        fieldSelector,
      )) as KubernetesListObject<KubernetesObject>,
  });
  let lastLine: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      const look = (obj: T | undefined) => {
        const v = check(obj);
        if ('done' in v) resolve(v.done);
        else if ('failed' in v) reject(new Error(v.failed));
        else if (v.progress && v.progress !== lastLine) {
          lastLine = v.progress;
          opts.progress(v.progress);
        }
      };
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${target.kind} ${target.namespace}/${target.name} not done ` +
                `after ${Math.round(opts.timeoutMs / 1000)}s${lastLine ? ` (last: ${lastLine})` : ''}`,
            ),
          ),
        opts.timeoutMs,
      );
      informer.onEvent((obj, kind) => look(kind === 'delete' ? undefined : (obj as unknown as T)));
      informer.start().then(
        () => {
          // The state before the first event: it may be done already.
          if (!informer.list(target.namespace).some((o) => o.metadata?.name === target.name)) look(undefined);
        },
        (e) => reject(e),
      );
    });
  } finally {
    clearTimeout(timer);
    await informer.stop();
  }
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Where a backup stands, for --wait. */
export function backupVerdict(b: EtcdBackup | undefined, name: string): WatchVerdict<EtcdBackup> {
  if (!b) return { failed: `EtcdBackup ${name} was deleted` };
  const s = b.status;
  if (s?.phase === 'Completed') return { done: b };
  if (s?.phase === 'Failed') return { failed: `backup ${name} failed: ${s.message ?? 'no message'}` };
  return { progress: `${s?.phase ?? 'Pending'}: ${s?.message ?? 'waiting for the etcd operator'}` };
}

export function describeBackup(b: EtcdBackup): string {
  const s = b.status!;
  return [
    `etcdbackup/${b.metadata.name} Completed: ${mb(s.size)} (${s.size} bytes), revision ${s.revision ?? '?'}, etcd ${s.etcdVersion ?? '?'}`,
    `  sha256   ${s.sha256}`,
    `  location ${s.location}`,
  ].join('\n');
}

const stamp = (now: number) => new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();

export const backupCommand: Command = {
  async run(argv, io: CliIO) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'namespace', short: 'n', value: true },
      { name: 'backup-name', value: true },
      { name: 'wait', short: 'w' },
      { name: 'timeout', value: true },
    ]);
    if (p.positionals.length !== 1) throw new UsageError('give the EtcdCluster to back up');
    const cluster = p.positionals[0];
    const namespace = str(p, 'namespace') ?? 'default';
    const name = str(p, 'backup-name') ?? `${cluster.slice(0, 40)}-manual-${stamp(Date.now())}`;
    const timeoutMs = parseTimeout(str(p, 'timeout'), 10 * 60_000);
    const { kc, source } = metaCluster(p);
    const objects = makeObjectApi(kc);
    try {
      const c = (await readObject<KubernetesObject>(objects, {
        apiVersion: API_VERSION,
        kind: 'EtcdCluster',
        metadata: { name: cluster, namespace },
      })) as EtcdCluster | undefined;
      if (!c) {
        io.err(`kokpit backup: EtcdCluster ${namespace}/${cluster} not found in the meta cluster (${source})`);
        return EXIT.FAILED;
      }
      const backup: EtcdBackup = {
        apiVersion: API_VERSION,
        kind: 'EtcdBackup',
        // The cluster label lists it with the cluster's other backups (and wakes the cluster's reconciler).
        metadata: { name, namespace, labels: { [LABEL_CLUSTER]: cluster } },
        spec: { etcdClusterRef: { name: cluster }, ...(c.spec.backup?.destination ? { destination: c.spec.backup.destination } : {}) },
      };
      await createObject(objects, backup as unknown as KubernetesObject);
    } catch (e) {
      io.err(`kokpit backup: cannot create EtcdBackup ${namespace}/${name} (${source}): ${describeKubeError(e)}`);
      return EXIT.FAILED;
    }
    if (!p.flags.wait) {
      io.out(`etcdbackup/${name} created; follow it with: kokpit get etcd -n ${namespace}, or re-run with --wait`);
      return EXIT.OK;
    }
    io.progress(`etcdbackup/${name} created; waiting for the etcd operator to take the snapshot`);
    const t0 = Date.now();
    try {
      const done = await watchObject<EtcdBackup>(kc, { kind: 'EtcdBackup', namespace, name }, (b) => backupVerdict(b, name), {
        timeoutMs,
        progress: (l) => io.progress(`  ${l}`),
      });
      io.out(describeBackup(done));
      io.progress(`done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      return EXIT.OK;
    } catch (e) {
      io.err(`kokpit backup: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT.FAILED;
    }
  },
};
