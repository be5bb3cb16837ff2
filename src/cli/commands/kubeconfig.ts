// `kokpit kubeconfig <cluster>`: the admin kubeconfig of a business cluster, written to a 0600 file.
// Key material goes to stdout only when asked for explicitly (`-o -`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { API_VERSION } from '../../api';
import { KUBECONFIG_KEY, names } from '../../operators/cluster/names';
import { makeObjectApi, readObject } from '../../kube';
import { environmentName, META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { environmentDir, runningEnvironment, DEFAULT_ENV_NAME } from '../../local/state';
import { writePrivateFile } from '../../pki/private-files';
import { EXIT, UsageError, type Command } from '../command';

type Cluster = KubernetesObject & { status?: { kubeconfigSecretName?: string; endpoint?: string } };

/** The admin kubeconfig YAML of a business cluster, read from its Secret in the meta cluster. */
export async function readAdminKubeconfig(kc: KubeConfig, name: string, namespace: string): Promise<{ yaml: string; endpoint?: string }> {
  const objects = makeObjectApi(kc);
  const bc = await readObject<Cluster>(objects, { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name, namespace } });
  if (!bc) throw new Error(`no BusinessCluster ${namespace}/${name}`);
  const secretName = bc.status?.kubeconfigSecretName ?? names.kubeconfig(name, 'admin');
  const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace },
  });
  const b64 = secret?.data?.[KUBECONFIG_KEY];
  if (!b64)
    throw new Error(`BusinessCluster ${namespace}/${name} has no admin kubeconfig yet (Secret ${secretName}); see \`kokpit status\``);
  return { yaml: Buffer.from(b64, 'base64').toString('utf8'), endpoint: bc.status?.endpoint };
}

/**
 * Where kubeconfigs go by default: the running local environment's directory (removed by `kokpit down`), else
 * ~/.config/kokpit; `<namespace>/<cluster>.kubeconfig`, since neither name can hold a `/` (a `<namespace>-<cluster>`
 * file would be shared by namespace `a-b` cluster `c` and namespace `a` cluster `b-c`).
 */
export function defaultKubeconfigPath(
  cluster: string,
  namespace: string,
  envName = DEFAULT_ENV_NAME,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const local = runningEnvironment(envName);
  const dir = local
    ? path.join(environmentDir(envName), 'kubeconfigs')
    : path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'kokpit', 'kubeconfigs');
  return path.join(dir, namespace, `${cluster}.kubeconfig`);
}

/** Secret-bearing files: atomic, mode 0600, never through a symlink (pki/private-files.ts). */
export { writePrivateFile };

type Named = { name: string; [k: string]: unknown };
/** A kubeconfig as plain data: only the lists we touch are typed; every other field is carried through. */
export interface KubeconfigDoc {
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [k: string]: unknown;
}

export type MergeOutcome = 'created' | 'updated' | 'unchanged';

/**
 * `kokpit/<namespace>/<cluster>`: the cluster, user and context names kokpit owns in a user's kubeconfig. `/`
 * cannot occur in either name, so two clusters never share an entry (as `kokpit-<namespace>-<cluster>` did).
 */
export const mergedEntryName = (cluster: string, namespace: string) => `kokpit/${namespace}/${cluster}`;

/**
 * Pure: `existing` with the current context of `incoming` (its cluster and user) added under `entryName`.
 * Entries with other names are never touched; entries named `entryName` are kokpit's and are replaced
 * when their content differs. current-context is kept unless `use` (or the file had none).
 */
export function mergeKubeconfig(
  existing: KubeconfigDoc | undefined,
  incoming: KubeconfigDoc,
  entryName: string,
  opts: { use?: boolean } = {},
): { doc: KubeconfigDoc; outcome: MergeOutcome } {
  const ctxName = incoming['current-context'];
  const ctx = incoming.contexts?.find((c) => c.name === ctxName) ?? incoming.contexts?.[0];
  const ctxBody = (ctx?.context ?? {}) as { cluster?: string; user?: string; namespace?: string };
  const cluster = incoming.clusters?.find((c) => c.name === ctxBody.cluster) ?? incoming.clusters?.[0];
  const user = incoming.users?.find((u) => u.name === ctxBody.user) ?? incoming.users?.[0];
  if (!cluster?.cluster || !user?.user) throw new Error("the business cluster's kubeconfig has no cluster or user to merge");
  const doc: KubeconfigDoc = structuredClone(existing ?? { apiVersion: 'v1', kind: 'Config', preferences: {} });
  doc.apiVersion ??= 'v1';
  doc.kind ??= 'Config';
  let created = false;
  let changed = false;
  const put = (list: 'clusters' | 'users' | 'contexts', key: string, body: unknown) => {
    const entries = (doc[list] ??= []);
    const i = entries.findIndex((e) => e.name === entryName);
    const entry = { name: entryName, [key]: body };
    if (i < 0) {
      entries.push(entry);
      created = true;
    } else if (JSON.stringify(entries[i]) !== JSON.stringify(entry)) {
      entries[i] = entry;
      changed = true;
    }
  };
  put('clusters', 'cluster', cluster.cluster);
  put('users', 'user', user.user);
  put('contexts', 'context', { cluster: entryName, user: entryName, ...(ctxBody.namespace ? { namespace: ctxBody.namespace } : {}) });
  if ((opts.use || !doc['current-context']) && doc['current-context'] !== entryName) {
    doc['current-context'] = entryName;
    changed = true;
  }
  return { doc, outcome: created ? 'created' : changed ? 'updated' : 'unchanged' };
}

/** The kubeconfig `--merge` writes to: the first path of $KUBECONFIG, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBECONFIG?.split(path.delimiter).filter(Boolean)[0] ?? path.join(os.homedir(), '.kube', 'config');
}

/**
 * `kokpit kubeconfig --merge` as a library call (the editor's "Merge Kubeconfig" uses it too): adds the
 * business cluster's admin context to `file` (default: the user's kubeconfig); writes only on a change.
 */
export async function mergeBusinessClusterKubeconfig(
  kc: KubeConfig,
  cluster: string,
  namespace: string,
  opts: { file?: string; use?: boolean } = {},
): Promise<{ file: string; context: string; outcome: MergeOutcome; current: boolean }> {
  const { yaml } = await readAdminKubeconfig(kc, cluster, namespace);
  const file = opts.file ?? userKubeconfigPath();
  const existing = fs.existsSync(file) ? ((parse(fs.readFileSync(file, 'utf8')) ?? undefined) as KubeconfigDoc | undefined) : undefined;
  const context = mergedEntryName(cluster, namespace);
  const { doc, outcome } = mergeKubeconfig(existing, parse(yaml) as KubeconfigDoc, context, { use: opts.use });
  if (outcome !== 'unchanged') writePrivateFile(file, stringify(doc));
  return { file, context, outcome, current: doc['current-context'] === context };
}

export const kubeconfigCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'namespace', short: 'n', value: true },
      { name: 'output', short: 'o', value: true },
      { name: 'merge' },
      { name: 'kubeconfig-out', value: true },
      { name: 'use' },
    ]);
    if (p.positionals.length !== 1) throw new UsageError('give exactly one business cluster name');
    const [cluster] = p.positionals;
    const namespace = str(p, 'namespace') ?? 'default';
    const merge = p.flags.merge === true;
    if (!merge && (str(p, 'kubeconfig-out') || p.flags.use)) throw new UsageError('--kubeconfig-out and --use go with --merge');
    if (merge && str(p, 'output')) throw new UsageError('-o and --merge exclude each other');
    const { kc } = metaCluster(p);
    if (merge) {
      const r = await mergeBusinessClusterKubeconfig(kc, cluster, namespace, {
        file: path.resolve(io.cwd, str(p, 'kubeconfig-out') ?? userKubeconfigPath()),
        use: p.flags.use === true,
      });
      io.out(`context ${r.context} ${r.outcome} in ${r.file}${r.current ? ' (current context)' : ''}`);
      return EXIT.OK;
    }
    const { yaml, endpoint } = await readAdminKubeconfig(kc, cluster, namespace);
    const out = str(p, 'output');
    if (out === '-') {
      io.out(yaml);
      return EXIT.OK;
    }
    const file = path.resolve(io.cwd, out ?? defaultKubeconfigPath(cluster, namespace, environmentName(p)));
    writePrivateFile(file, yaml);
    io.out(file);
    io.progress(`${namespace}/${cluster}${endpoint ? ` at ${endpoint}` : ''}: kubectl --kubeconfig ${file} get ns`);
    return EXIT.OK;
  },
};
