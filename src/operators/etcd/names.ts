// Names, labels and URLs of everything an EtcdCluster owns. Pure: one place decides them all, so the
// renderers, the planner and the tests can never disagree about what a member is called.

import {
  clientServiceName,
  ETCD_CLIENT_PORT,
  LABEL_CLUSTER,
  LABEL_MEMBER,
  memberHost,
  peerServiceName,
  type ClusterRef,
} from '../../api/etcd-names';

export {
  caSecretName,
  clientEndpoint,
  clientServiceName,
  ETCD_CLIENT_PORT,
  LABEL_CLUSTER,
  LABEL_MEMBER,
  memberHost,
  peerServiceName,
  type ClusterRef,
} from '../../api/etcd-names';

export const ETCD_PEER_PORT = 2380;
/** Plain-HTTP listener for /metrics, /health, /livez and /readyz (probes need no client certificate). */
export const ETCD_METRICS_PORT = 2381;

export const LABEL_BACKUP_SCHEDULED = 'kokpit.dev/scheduled-backup';
/** On a scheduled EtcdBackup: the schedule slot (RFC 3339) it was taken for. */
export const ANNOTATION_SCHEDULED_TIME = 'kokpit.dev/scheduled-time';
export const ANNOTATION_SECRET_HASH = 'kokpit.dev/secret-hash';
export const ANNOTATION_VERSION = 'kokpit.dev/etcd-version';
export const FINALIZER_FINAL_BACKUP = 'kokpit.dev/etcd-final-backup';
export const LABEL_FINAL_BACKUP = 'kokpit.dev/final-backup';
export { FIELD_MANAGER } from '../../kit';

export const ETCD_CLUSTER_PLURAL = 'etcdclusters';
export const ETCD_BACKUP_PLURAL = 'etcdbackups';

/** Paths inside the member container. */
export const DATA_MOUNT = '/var/lib/etcd';
export const DATA_DIR = `${DATA_MOUNT}/data`;
export const PKI_MOUNT = '/etc/etcd/pki';
export const RESTORE_MOUNT = '/var/lib/etcd-restore';

export const clientSecretName = (c: ClusterRef) => `${c.name}-client`;
export const memberName = (c: ClusterRef, index: number) => `${c.name}-${index}`;
export const memberSecretName = (member: string) => `${member}-tls`;
export const memberClaimName = (member: string) => `${member}-data`;

/** `<cluster>-<n>` → n, or undefined for names that are not members of this cluster. */
export function memberIndex(c: ClusterRef, name: string): number | undefined {
  const prefix = `${c.name}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export const memberPeerURL = (c: ClusterRef, member: string) => `https://${memberHost(c, member)}:${ETCD_PEER_PORT}`;
export const memberClientURL = (c: ClusterRef, member: string) => `https://${memberHost(c, member)}:${ETCD_CLIENT_PORT}`;

/** A member's name from one of its peer URLs (unstarted learners have no name yet, only peer URLs). */
export function memberNameFromPeerURL(c: ClusterRef, url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const suffix = `.${peerServiceName(c)}.${c.namespace}.svc`;
  if (!host.endsWith(suffix)) return undefined;
  const name = host.slice(0, -suffix.length);
  return memberIndex(c, name) === undefined ? undefined : name;
}

export function clusterLabels(c: ClusterRef): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'etcd',
    'app.kubernetes.io/instance': c.name,
    'app.kubernetes.io/managed-by': 'kokpit',
    [LABEL_CLUSTER]: c.name,
  };
}

export function memberLabels(c: ClusterRef, member: string): Record<string, string> {
  return { ...clusterLabels(c), [LABEL_MEMBER]: member };
}

/** The DNS names a member's server certificate must carry (pod, peer Service and client Service forms). */
export function memberServerDNSNames(c: ClusterRef, member: string): string[] {
  const peers = peerServiceName(c);
  const client = clientServiceName(c);
  return [
    member,
    `${member}.${peers}`,
    `${member}.${peers}.${c.namespace}.svc`,
    `${member}.${peers}.${c.namespace}.svc.cluster.local`,
    client,
    `${client}.${c.namespace}`,
    `${client}.${c.namespace}.svc`,
    `${client}.${c.namespace}.svc.cluster.local`,
    'localhost',
  ];
}

export function memberPeerDNSNames(c: ClusterRef, member: string): string[] {
  const peers = peerServiceName(c);
  return [`${member}.${peers}`, `${member}.${peers}.${c.namespace}.svc`, `${member}.${peers}.${c.namespace}.svc.cluster.local`];
}

/**
 * IP SANs of member certificates. Loopback is there for two reasons: whoever reaches a member through a
 * forwarded port (`kubectl port-forward` style) dials 127.0.0.1; and under the process pod runner every
 * pod is a 127.0.0.x address whose outgoing connections leave from 127.0.0.1, which etcd's peer SAN check
 * (`--peer-client-cert-auth`) compares against the peer certificate's IPs before it tries DNS names. In a
 * real cluster the pod's DNS name still matches its pod IP, so the extra IP only widens nothing that the
 * per-cluster CA does not already gate.
 */
export const MEMBER_IP_SANS = ['127.0.0.1', '::1'];
