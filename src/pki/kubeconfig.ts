// A kubeconfig with everything inline (*-data fields), so it can be handed around as one string or Secret.
import { stringify } from 'yaml';

interface KubeconfigBase {
  clusterName: string;
  /** https://host:port */
  server: string;
  caPem: string;
  /** User entry name, e.g. `kubernetes-admin`. */
  user: string;
  /** Context name (default `<user>@<clusterName>`, as kubeadm names it). */
  contextName?: string;
  namespace?: string;
}

export type KubeconfigOptions = KubeconfigBase &
  ({ clientCertPem: string; clientKeyPem: string; token?: undefined } | { token: string; clientCertPem?: undefined });

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function buildKubeconfig(opts: KubeconfigOptions): string {
  if (!/^https:\/\//.test(opts.server)) throw new Error(`kubeconfig server must be an https:// URL, got ${opts.server}`);
  const contextName = opts.contextName ?? `${opts.user}@${opts.clusterName}`;
  const user =
    opts.token !== undefined
      ? { token: opts.token }
      : { 'client-certificate-data': b64(opts.clientCertPem), 'client-key-data': b64(opts.clientKeyPem) };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.clusterName, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } }],
    users: [{ name: opts.user, user }],
    contexts: [
      {
        name: contextName,
        context: { cluster: opts.clusterName, user: opts.user, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': contextName,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}
