// The kind cluster configuration (`kind.x-k8s.io/v1alpha4`, `kind: Cluster`), validated offline like our own kinds.
// A small hand-written schema: kind's Go types are the reference (sigs.k8s.io/kind/pkg/apis/config/v1alpha4).
import type { JsonSchema } from './schema';

export const KIND_API_VERSION = 'kind.x-k8s.io/v1alpha4';
export const KIND_KIND = 'Cluster';

const str = (description: string): JsonSchema => ({ type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const port = (description: string, minimum = 0): JsonSchema => ({ type: 'integer', minimum, maximum: 65535, description });
const strings = (description: string): JsonSchema => ({ type: 'array', items: { type: 'string' }, description });
const closed = (description: string, properties: Record<string, JsonSchema>, required?: string[]): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  description,
  properties,
  ...(required ? { required } : {}),
});

const json6902Patches: JsonSchema = {
  type: 'array',
  description: 'RFC 6902 JSON patches applied to the generated kubeadm config, selected by group/version/kind (and name).',
  items: closed(
    'A JSON 6902 patch of one kubeadm config object.',
    {
      group: str('API group of the patched object, e.g. `kubeadm.k8s.io`.'),
      version: str('API version of the patched object, e.g. `v1beta3`.'),
      kind: str('Kind of the patched object, e.g. `ClusterConfiguration`.'),
      name: str('Name of the patched object.'),
      namespace: str('Namespace of the patched object.'),
      patch: str('The JSON 6902 patch, as YAML or JSON text.'),
    },
    ['group', 'version', 'kind', 'patch'],
  ),
};

const node = closed('One node container of the kind cluster.', {
  role: {
    type: 'string',
    enum: ['control-plane', 'worker'],
    default: 'control-plane',
    description: 'Node role: `control-plane` or `worker`.',
  },
  image: str("Node image, e.g. `kindest/node:v1.32.2@sha256:…`; kind's default image when unset."),
  labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Labels put on the node.' },
  extraMounts: {
    type: 'array',
    description: 'Host paths mounted into the node container.',
    items: closed(
      'A host path mounted into the node.',
      {
        hostPath: str('Path on the host.'),
        containerPath: str('Path inside the node container.'),
        readOnly: bool('Mount read-only.'),
        selinuxRelabel: bool('Relabel the mount for SELinux.'),
        propagation: { type: 'string', enum: ['None', 'HostToContainer', 'Bidirectional'], description: 'Mount propagation mode.' },
      },
      ['hostPath', 'containerPath'],
    ),
  },
  extraPortMappings: {
    type: 'array',
    description: 'Ports of the node container published on the host.',
    items: closed(
      'A port of the node published on the host.',
      {
        containerPort: port('Port inside the node container.', 1),
        hostPort: port('Port on the host (0: a random free port).'),
        listenAddress: str('Host address to listen on, e.g. `127.0.0.1`; all addresses when unset.'),
        protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'], default: 'TCP', description: 'Protocol: `TCP`, `UDP` or `SCTP`.' },
      },
      ['containerPort'],
    ),
  },
  kubeadmConfigPatches: strings('kubeadm config patches (strategic merge, as YAML text) for this node.'),
  kubeadmConfigPatchesJSON6902: json6902Patches,
});

export const KIND_CLUSTER_SCHEMA: JsonSchema = closed(
  'A kind cluster configuration (`kind create cluster --config`).',
  {
    apiVersion: { type: 'string', enum: [KIND_API_VERSION], description: `Always \`${KIND_API_VERSION}\`.` },
    kind: { type: 'string', enum: [KIND_KIND], description: 'A kind cluster configuration.' },
    name: {
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      description: 'Cluster name; `kind` when unset (`--name` overrides it).',
    },
    nodes: { type: 'array', items: node, description: 'Node containers; one control-plane node when unset.' },
    networking: closed('Cluster networking.', {
      ipFamily: { type: 'string', enum: ['ipv4', 'ipv6', 'dual'], default: 'ipv4', description: 'IP family: `ipv4`, `ipv6` or `dual`.' },
      apiServerAddress: str('Host address the API server is published on, e.g. `127.0.0.1`.'),
      apiServerPort: port('Host port of the API server (0: a random free port).'),
      podSubnet: str('Pod address range, e.g. `10.244.0.0/16`.'),
      serviceSubnet: str('Service address range, e.g. `10.96.0.0/16`.'),
      disableDefaultCNI: bool('Do not install kindnet (bring your own CNI).'),
      kubeProxyMode: {
        type: 'string',
        enum: ['iptables', 'ipvs', 'nftables', 'none'],
        description: 'kube-proxy mode: `iptables`, `ipvs`, `nftables` or `none`.',
      },
      dnsSearch: strings('DNS search domains of the nodes.'),
    }),
    featureGates: {
      type: 'object',
      additionalProperties: { type: 'boolean' },
      description: 'Kubernetes feature gates, e.g. `{InPlacePodVerticalScaling: true}`.',
    },
    runtimeConfig: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'kube-apiserver `--runtime-config` entries, e.g. `{"api/alpha": "false"}`.',
    },
    kubeadmConfigPatches: strings('kubeadm config patches (strategic merge, as YAML text) for every node.'),
    kubeadmConfigPatchesJSON6902: json6902Patches,
    containerdConfigPatches: strings('containerd config patches (TOML text) for every node.'),
    containerdConfigPatchesJSON6902: strings('RFC 6902 JSON patches of the containerd config for every node.'),
  },
  ['apiVersion', 'kind'],
);
