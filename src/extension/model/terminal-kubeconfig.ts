// "Open Terminal" on a business cluster, the part that needs no editor: the admin kubeconfig goes to a file only
// the user can read (0600, in a private 0700 directory), and the terminal gets KUBECONFIG pointing at it.
// The content is a secret: it is written, never returned for logging.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { names } from '../../operators/cluster/names';

/** The Secret the cluster operator writes the admin kubeconfig to (status.kubeconfigSecretName when set). */
export function adminKubeconfigSecret(cluster: { metadata?: { name?: string }; status?: { kubeconfigSecretName?: string } }): string {
  const fromStatus = cluster.status?.kubeconfigSecretName;
  if (fromStatus) return fromStatus;
  if (!cluster.metadata?.name) throw new Error('business cluster without a name');
  return names.kubeconfig(cluster.metadata.name, 'admin');
}

// Files still on disk: removed when their terminal closes, else when the extension deactivates or the
// extension host exits (a terminal left open at shutdown must not leave admin credentials behind).
const writtenDirs = new Set<string>();
let exitHookInstalled = false;

/** Writes the kubeconfig to `<tmp>/kokpit-term-XXXX/<namespace>-<name>.kubeconfig` with mode 0600; returns the path. */
export function writePrivateKubeconfig(content: string, namespace: string, name: string, tmpDir = os.tmpdir()): string {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', removeAllPrivateKubeconfigs);
  }
  const dir = fs.mkdtempSync(path.join(tmpDir, 'kokpit-term-'));
  writtenDirs.add(dir);
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, `${namespace}-${name}.kubeconfig`.replace(/[^A-Za-z0-9._-]/g, '_'));
  // `wx` + mode: the file is created with 0600 and never existed with wider permissions.
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600); // in case a umask narrowed it differently; never wider
  return file;
}

/** Removes a file written by writePrivateKubeconfig and its directory. */
export function removePrivateKubeconfig(file: string): void {
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  writtenDirs.delete(path.dirname(file));
}

/** Removes every file writePrivateKubeconfig wrote that is still there. */
export function removeAllPrivateKubeconfigs(): void {
  for (const dir of [...writtenDirs]) {
    fs.rmSync(dir, { recursive: true, force: true });
    writtenDirs.delete(dir);
  }
}

/** The terminal's options: its name, and KUBECONFIG (only) added to the inherited environment. */
export function terminalOptions(namespace: string, name: string, kubeconfigPath: string): { name: string; env: Record<string, string> } {
  return { name: `kokpit: ${namespace}/${name}`, env: { KUBECONFIG: kubeconfigPath } };
}
