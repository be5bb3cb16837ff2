// A pod's API access, as a kubelet gives it. The ServiceAccount admission plugin adds the projected volume
// `kube-api-access-*` (a TokenRequest token bound to the pod, ca.crt, namespace), mounted at
// /var/run/secrets/kubernetes.io/serviceaccount; the runner writes it under the pod's directory (volumes.ts,
// refreshed at 80 % of the token's life) and every container gets KUBERNETES_SERVICE_HOST/PORT (runner.ts).
// A process cannot see that fixed path (the runner maps mount paths only in args and env), so a container
// that mounts it also gets KUBECONFIG: a kubeconfig equivalent to the in-cluster config — the same server,
// that ca.crt, the token by file (client-go's `tokenFile`, re-read as it rotates; kokpit's loadKubeConfig
// honours it too) and the pod's namespace. A client that honours KUBECONFIG (kubectl, controller-runtime,
// kokpit) thus reaches the API server as the pod's ServiceAccount, as it would in a cluster. A container
// that sets KUBECONFIG itself keeps its own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { MountMapping } from './rewrite';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterTarget {
  /** KUBERNETES_SERVICE_HOST / _PORT as the container sees them. */
  host: string;
  port: string;
  namespace: string;
  serviceAccount: string;
}

/** The kubeconfig text for a ServiceAccount volume held in `saDir`. */
export function inClusterKubeconfig(saDir: string, t: InClusterTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const user = `system:serviceaccount:${t.namespace}:${t.serviceAccount}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'in-cluster', cluster: { server: `https://${host}:${t.port}`, 'certificate-authority': path.join(saDir, 'ca.crt') } },
    ],
    users: [{ name: user, user: { tokenFile: path.join(saDir, 'token') } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user, namespace: t.namespace } }],
    'current-context': 'in-cluster',
  });
}

/**
 * Writes the container's in-cluster kubeconfig under `podDir` when it mounts the ServiceAccount volume and
 * returns its path (for KUBECONFIG); undefined when it has no such mount.
 */
export function writeInClusterKubeconfig(podDir: string, container: string, mounts: readonly MountMapping[], t: InClusterTarget) {
  const sa = mounts.find((m) => m.mountPath.replace(/\/+$/, '') === SERVICE_ACCOUNT_DIR);
  if (!sa) return undefined;
  const file = path.join(podDir, 'in-cluster', `${container}.kubeconfig`);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, inClusterKubeconfig(sa.hostPath, t), { mode: 0o600 });
  return file;
}
