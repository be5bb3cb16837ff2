// Names and labels of the multicluster operator: the OCM hub's namespaces and images, and how a BusinessCluster
// (namespaced) becomes a ManagedCluster (cluster-scoped; its name is also the hub namespace of the cluster).
import { createHash } from 'node:crypto';

export const OCM_VERSION = 'v1.0.0';
export const OCM_IMAGES = {
  registration: `quay.io/open-cluster-management/registration:${OCM_VERSION}`,
  placement: `quay.io/open-cluster-management/placement:${OCM_VERSION}`,
  work: `quay.io/open-cluster-management/work:${OCM_VERSION}`,
  agent: `quay.io/open-cluster-management/registration-operator:${OCM_VERSION}`,
} as const;

export const HUB_NAMESPACE = 'open-cluster-management-hub';
/** Every hosted agent runs here: the agent finds its namespace from the pod's ServiceAccount files, or this default. */
export const AGENT_NAMESPACE = 'open-cluster-management-agent';
/** One ServiceAccount for every hosted agent; its token is also the bootstrap identity the hub auto-approves. */
export const AGENT_SERVICE_ACCOUNT = 'klusterlet-agent';
export const AGENT_USER = `system:serviceaccount:${AGENT_NAMESPACE}:${AGENT_SERVICE_ACCOUNT}`;
/** The ConfigMap (in the hub and agent namespaces) with a kubeconfig for the meta cluster that reads the pod's token. */
export const META_KUBECONFIG_CONFIGMAP = 'kokpit-ocm-meta-kubeconfig';

export const FINALIZER = 'kokpit.dev/multicluster';
export const FIELD_MANAGER = 'kokpit-multicluster';
export const CONDITION = 'ManagedCluster';

export const LABELS = {
  namespace: 'kokpit.dev/namespace',
  cluster: 'kokpit.dev/cluster',
  kubernetesVersion: 'kokpit.dev/kubernetes-version',
  clusterSet: 'cluster.open-cluster-management.io/clusterset',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

const MAX = 63;

/**
 * The ManagedCluster name of a BusinessCluster: `<namespace>-<name>` when that cannot be another pair's name
 * (a namespace without `-` splits back unambiguously) and fits a DNS label; otherwise a prefix of it and a
 * hash of `namespace/name` (`team-a` + `x` and `team` + `a-x` both read `team-a-x`, so both get a hash).
 */
export function managedClusterName(namespace: string, name: string): string {
  const plain = `${namespace}-${name}`;
  if (!namespace.includes('-') && plain.length <= MAX) return plain;
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 8);
  return `${plain.slice(0, MAX - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

export const agentNames = (mc: string) => ({
  deployment: `klusterlet-${mc}`,
  hubKubeconfigSecret: `${mc}-hub-kubeconfig`,
  bootstrapSecret: `${mc}-bootstrap-hub-kubeconfig`,
  managedKubeconfigSecret: `${mc}-managed-kubeconfig`,
});
