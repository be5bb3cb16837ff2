// A kubeconfig with everything inline (*-data fields), so it can be handed around as one string or Secret.
import { parse, stringify } from 'yaml';
import { memoized } from './memo';

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

/** What a kubeconfig's first cluster and user hold (PEM decoded), for checking one this module built; throws if not YAML. */
export interface KubeconfigParts {
  server?: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
}

export function kubeconfigParts(text: string): KubeconfigParts {
  // Remembered by the text: the YAML parse of a kubeconfig costs a few ms, and the cluster operator checks four of
  // them on every pass of every cluster. A copy: callers may change what they get.
  return { ...memoized('kubeconfigParts', [text], () => readKubeconfigParts(text)) };
}

function readKubeconfigParts(text: string): KubeconfigParts {
  const doc = parse(text) as {
    clusters?: Array<{ cluster?: { server?: string; 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
  } | null;
  const cluster = doc?.clusters?.[0]?.cluster;
  const user = doc?.users?.[0]?.user;
  const fromB64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  return {
    server: cluster?.server,
    caPem: fromB64(cluster?.['certificate-authority-data']),
    clientCertPem: fromB64(user?.['client-certificate-data']),
    clientKeyPem: fromB64(user?.['client-key-data']),
  };
}
