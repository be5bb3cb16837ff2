// `kokpit kubeconfig <cluster>`: the admin kubeconfig of a business cluster, written to a 0600 file.
// Key material goes to stdout only when asked for explicitly (`-o -`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../../api';
import { KUBECONFIG_KEY, names } from '../../operators/cluster/names';
import { makeObjectApi, readObject } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../../local/args';
import { environmentDir, runningEnvironment, DEFAULT_ENV_NAME } from '../../local/state';
import { EXIT, UsageError, type Command } from '../command';

type Cluster = KubernetesObject & { status?: { kubeconfigSecretName?: string; endpoint?: string } };

/** The admin kubeconfig YAML of a business cluster, read from its Secret in the meta cluster. */
export async function readAdminKubeconfig(kc: KubeConfig, name: string, namespace: string): Promise<{ yaml: string; endpoint?: string }> {
  const objects = makeObjectApi(kc);
  const bc = await readObject<Cluster>(objects, { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name, namespace } });
  if (!bc) throw new Error(`no BusinessCluster ${namespace}/${name}`);
  const secretName = bc.status?.kubeconfigSecretName ?? names.kubeconfig(name, 'admin');
  const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace } });
  const b64 = secret?.data?.[KUBECONFIG_KEY];
  if (!b64) throw new Error(`BusinessCluster ${namespace}/${name} has no admin kubeconfig yet (Secret ${secretName}); see \`kokpit status\``);
  return { yaml: Buffer.from(b64, 'base64').toString('utf8'), endpoint: bc.status?.endpoint };
}

/** Where kubeconfigs go by default: the running local environment's directory (removed by `kokpit down`), else ~/.config/kokpit. */
export function defaultKubeconfigPath(cluster: string, namespace: string, envName = DEFAULT_ENV_NAME, env: NodeJS.ProcessEnv = process.env): string {
  const local = runningEnvironment(envName);
  const dir = local
    ? path.join(environmentDir(envName), 'kubeconfigs')
    : path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'kokpit', 'kubeconfigs');
  return path.join(dir, `${namespace}-${cluster}.kubeconfig`);
}

/** Writes a secret-bearing file with mode 0600 (also when it already existed with a looser mode). */
export function writePrivateFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

export const kubeconfigCommand: Command = {
  name: 'kubeconfig',
  summary: 'Write the admin kubeconfig of a business cluster to a file (mode 0600) and print its path',
  usage:
    'kokpit kubeconfig <cluster> [-n NAMESPACE] [-o FILE|-] [--kubeconfig FILE] [--context NAME] [--name ENV]\n\n' +
    '-o FILE  where to write it (default: the local environment\'s directory, else ~/.config/kokpit/kubeconfigs/)\n' +
    '-o -     print it to stdout instead (it holds a client key: handle with care)',
  async run(argv, io) {
    const p = parseFlags(argv, [...META_FLAGS, { name: 'namespace', short: 'n', value: true }, { name: 'output', short: 'o', value: true }]);
    if (p.positionals.length !== 1) throw new UsageError('give exactly one business cluster name');
    const [cluster] = p.positionals;
    const namespace = str(p, 'namespace') ?? 'default';
    const { kc } = metaCluster(p);
    const { yaml, endpoint } = await readAdminKubeconfig(kc, cluster, namespace);
    const out = str(p, 'output');
    if (out === '-') {
      io.out(yaml);
      return EXIT.OK;
    }
    const file = path.resolve(io.cwd, out ?? defaultKubeconfigPath(cluster, namespace, str(p, 'name')));
    writePrivateFile(file, yaml);
    io.out(file);
    io.progress(`${namespace}/${cluster}${endpoint ? ` at ${endpoint}` : ''}: kubectl --kubeconfig ${file} get ns`);
    return EXIT.OK;
  },
};
