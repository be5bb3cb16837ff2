// What `kubeadm join` expects to find inside a cluster, rendered for the business cluster:
// kube-public/cluster-info, the kubeadm-config and kubelet-config ConfigMaps, and the RBAC that lets
// bootstrap tokens join nodes and have their certificates approved automatically.
import { stringify } from 'yaml';
import type { DefaultedBusinessCluster } from '../../../api';
import type { KubeObject } from './common';

/** Group every kokpit bootstrap token authenticates as (kubeadm's default, so kubeadm join works unchanged). */
export { BOOTSTRAP_GROUP } from '../../../pki/bootstrap-tokens';
import { BOOTSTRAP_GROUP } from '../../../pki/bootstrap-tokens';
import { CLUSTER_ADMINS_GROUP } from './pki';

export interface BootstrapInputs {
  cluster: DefaultedBusinessCluster;
  /** The version the control plane runs. */
  version: string;
  /** https://host:port reachable by nodes. */
  endpoint: string;
  /** See ControlPlaneInputs.kubernetesEndpoint. */
  kubernetesEndpoint?: { ip: string; port: number };
  caPem: string;
  dnsServiceIP: string;
  etcdServers: string;
}

const labels = { 'app.kubernetes.io/managed-by': 'kokpit' };
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), labels });
const rbac = 'rbac.authorization.k8s.io/v1';
const group = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });

function clusterInfoKubeconfig(endpoint: string, caPem: string): string {
  // No user: cluster-info only tells a joining node where the API is and which CA to trust.
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: '', cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server: endpoint } }],
      contexts: [],
      'current-context': '',
      preferences: {},
      users: [],
    },
    { lineWidth: 0 },
  );
}

function getConfigMapRole(name: string, namespace: string, configMap: string, subjects: object[]): KubeObject[] {
  return [
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: meta(name, namespace),
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [configMap], verbs: ['get'] }],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: meta(name, namespace),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    },
  ];
}

function clusterRoleBinding(name: string, clusterRole: string, subject: object): KubeObject {
  return {
    apiVersion: rbac,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [subject],
  };
}

/**
 * The `kubernetes` Service's endpoints when the apiserver does not publish them (its pod IP is not reachable
 * from the nodes): the node-facing address, as the apiserver's own reconciler would write it.
 */
export function renderKubernetesEndpoints(ep: { ip: string; port: number }): KubeObject[] {
  const port = { name: 'https', port: ep.port, protocol: 'TCP' };
  const m = meta('kubernetes', 'default');
  return [
    // skip-mirror: the EndpointSlice below is the one kube-proxy reads; the mirroring controller must not add another.
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...m, labels: { ...m.labels, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: ep.ip }], ports: [port] }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...m, labels: { ...m.labels, 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ep.ip], conditions: { ready: true } }],
      ports: [port],
    },
  ];
}

export function renderBootstrapObjects(inputs: BootstrapInputs): KubeObject[] {
  const c = inputs.cluster;
  const net = c.spec.network;
  const endpoint = new URL(inputs.endpoint);
  const clusterConfiguration = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    clusterName: c.metadata.name,
    kubernetesVersion: inputs.version,
    controlPlaneEndpoint: endpoint.host,
    certificatesDir: '/etc/kubernetes/pki',
    imageRepository: 'registry.k8s.io',
    etcd: { external: { endpoints: inputs.etcdServers.split(',') } },
    networking: { dnsDomain: net.dnsDomain, serviceSubnet: net.serviceCIDR, podSubnet: net.podCIDR },
  };
  const kubeletConfiguration = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'systemd',
    clusterDNS: [inputs.dnsServiceIP],
    clusterDomain: net.dnsDomain,
    rotateCertificates: true,
    staticPodPath: '/etc/kubernetes/manifests',
  };
  const joiners = [group(BOOTSTRAP_GROUP), group('system:nodes')];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('cluster-info', 'kube-public'),
      data: { kubeconfig: clusterInfoKubeconfig(inputs.endpoint, inputs.caPem) },
    },
    ...getConfigMapRole('kubeadm:bootstrap-signer-clusterinfo', 'kube-public', 'cluster-info', [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' },
    ]),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('kubeadm-config', 'kube-system'),
      data: { ClusterConfiguration: stringify(clusterConfiguration, { lineWidth: 0 }) },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('kubelet-config', 'kube-system'),
      data: { kubelet: stringify(kubeletConfiguration, { lineWidth: 0 }) },
    },
    ...getConfigMapRole('kubeadm:nodes-kubeadm-config', 'kube-system', 'kubeadm-config', joiners),
    ...getConfigMapRole('kubeadm:kubelet-config', 'kube-system', 'kubelet-config', joiners),
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: meta('kubeadm:get-nodes'),
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
    },
    // What the admin kubeconfig may do (render/pki.ts: its certificate names this group, not system:masters).
    clusterRoleBinding(CLUSTER_ADMINS_GROUP, 'cluster-admin', group(CLUSTER_ADMINS_GROUP)),
    clusterRoleBinding('kubeadm:get-nodes', 'kubeadm:get-nodes', group(BOOTSTRAP_GROUP)),
    clusterRoleBinding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', group(BOOTSTRAP_GROUP)),
    clusterRoleBinding(
      'kubeadm:node-autoapprove-bootstrap',
      'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
      group(BOOTSTRAP_GROUP),
    ),
    clusterRoleBinding(
      'kubeadm:node-autoapprove-certificate-rotation',
      'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      group('system:nodes'),
    ),
    ...(inputs.kubernetesEndpoint ? renderKubernetesEndpoints(inputs.kubernetesEndpoint) : []),
  ];
}
