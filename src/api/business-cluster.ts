// BusinessCluster: a Kubernetes control plane that runs as workloads of the meta cluster.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import {
  Conditions,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  DNS_NAME_OR_IP,
  ETCD_VERSION,
  ExtraArgs,
  KUBERNETES_VERSION,
  ObjectReference,
  Resources,
} from './common';
import { EtcdMemberCount, EtcdStorage } from './etcd';
import { MaintenanceSpec, MaintenanceStatus } from './maintenance';
import { FreeForm, ListMap, StringEnum, Struct, withCel } from './schema-helpers';

export const ManagedEtcd = Struct(
  {
    replicas: { ...EtcdMemberCount, default: 1 },
    version: Type.Optional(
      Type.String({
        pattern: ETCD_VERSION,
        description: "etcd version; the catalog's recommended version for this Kubernetes version when unset.",
      }),
    ),
    storage: Type.Optional(EtcdStorage),
  },
  { description: 'A dedicated EtcdCluster named `<cluster>-etcd`, owned by this business cluster.' },
);

export const EtcdBinding = withCel(
  Struct(
    {
      clusterRef: Type.Optional({
        ...ObjectReference,
        description: "Share an existing EtcdCluster in the same namespace; this cluster's keys live under their own `--etcd-prefix`.",
      }),
      managed: Type.Optional(ManagedEtcd),
    },
    { description: 'Where this cluster keeps its state: exactly one of `clusterRef` (shared) or `managed` (dedicated).' },
  ),
  [{ rule: 'has(self.clusterRef) != has(self.managed)', message: 'set exactly one of etcd.clusterRef or etcd.managed' }],
);

export const ServiceSpec = Struct(
  {
    type: StringEnum(['Auto', 'LoadBalancer', 'NodePort', 'ClusterIP'] as const, {
      default: 'Auto',
      description: '`Auto` uses a LoadBalancer where the meta cluster assigns addresses, else a NodePort.',
    }),
    nodePort: Type.Optional(
      Type.Integer({
        minimum: 30000,
        maximum: 32767,
        description: 'Fixed node port (30000–32767) for `NodePort`; assigned by the meta cluster when unset.',
      }),
    ),
  },
  { description: 'How the API server is exposed.' },
);

export const APIServerSpec = Struct(
  {
    replicas: Type.Integer({ minimum: 1, maximum: 9, default: 1, description: 'kube-apiserver replicas.' }),
    service: Type.Optional({ ...ServiceSpec, default: {} }),
    certSANs: Type.Optional(
      Type.Array(Type.String({ pattern: DNS_NAME_OR_IP, maxLength: 253 }), {
        description: 'Extra DNS names and IPs for the serving certificate.',
      }),
    ),
    extraArgs: Type.Optional(ExtraArgs),
    resources: Type.Optional(Resources),
    egress: Type.Optional(
      StringEnum(['Direct', 'Konnectivity'] as const, {
        description:
          'How the API server reaches pods, Services and nodes of its cluster (pods/proxy, webhooks, aggregated APIs). ' +
          '`Direct` (unset): from its own pod. `Konnectivity`: through a konnectivity-server sidecar and the ' +
          '`konnectivity-agent` addon in the cluster, for when the meta cluster has no route to the business networks.',
      }),
    ),
  },
  { description: 'kube-apiserver settings.' },
);

const ComponentSpec = (what: string) =>
  Struct(
    {
      replicas: Type.Integer({ minimum: 1, maximum: 9, default: 1, description: `${what} replicas (leader-elected).` }),
      extraArgs: Type.Optional(ExtraArgs),
      resources: Type.Optional(Resources),
    },
    { description: `${what} settings.` },
  );

export const NetworkSpec = Struct(
  {
    serviceCIDR: Type.String({ default: '10.96.0.0/12', description: 'Service ClusterIP range; must not overlap `podCIDR`.' }),
    podCIDR: Type.String({ default: '10.244.0.0/16', description: 'Pod address range; must not overlap `serviceCIDR`.' }),
    dnsDomain: Type.String({
      pattern: DNS1123_SUBDOMAIN,
      maxLength: 253,
      default: 'cluster.local',
      description: 'Cluster DNS domain (a DNS-1123 subdomain).',
    }),
  },
  { description: 'Cluster networking.' },
);

export const AddonRef = Struct({
  name: Type.String({ pattern: DNS1123_LABEL, description: 'Name of an `Addon` definition, e.g. `coredns`.' }),
  version: Type.Optional(
    Type.String({
      description: "Pinned version of the addon (an Addon's `spec.version`); the addon's default version when unset.",
    }),
  ),
  parameters: Type.Optional(FreeForm({ description: "Values for the addon's declared parameters." })),
});

/** Registration with the Open Cluster Management hub in the meta cluster (operators/multicluster). */
export const MulticlusterSpec = Struct(
  {
    register: Type.Boolean({
      default: true,
      description: 'Register the cluster as an OCM ManagedCluster, its agent hosted in the meta cluster.',
    }),
    clusterSet: Type.Optional(
      Type.String({
        pattern: DNS1123_LABEL,
        description: 'ManagedClusterSet the ManagedCluster joins (label cluster.open-cluster-management.io/clusterset).',
      }),
    ),
    leaseDurationSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description: "Lease period of the cluster's agent; the hub marks the cluster Unknown after a few missed renewals.",
    }),
  },
  { description: 'Open Cluster Management registration of this cluster.' },
);

export const BusinessClusterSpec = Struct(
  {
    version: Type.String({
      pattern: KUBERNETES_VERSION,
      description:
        'Kubernetes version, e.g. `v1.32.13`; must be in the version catalog (`kokpit get versions`). Upgrades go one minor at a time; ' +
        'downgrades are refused.',
    }),
    etcd: EtcdBinding,
    // Sections default to `{}` so their fields' defaults apply to a spec that omits them (CRD defaulting and
    // withDefaults both fill nested defaults only below an object that exists).
    apiServer: Type.Optional({ ...APIServerSpec, default: {} }),
    controllerManager: Type.Optional({ ...ComponentSpec('kube-controller-manager'), default: {} }),
    scheduler: Type.Optional({ ...ComponentSpec('kube-scheduler'), default: {} }),
    network: Type.Optional({ ...NetworkSpec, default: {} }),
    addons: Type.Optional(
      ListMap(AddonRef, 'name', { description: 'Addons applied into the cluster, rendered from their `Addon` definitions.' }),
    ),
    paused: Type.Optional(Type.Boolean({ default: false, description: 'Stop reconciling this cluster (nothing is changed or deleted).' })),
    multicluster: Type.Optional(MulticlusterSpec),
    maintenance: Type.Optional(MaintenanceSpec),
  },
  { description: "Desired state of a business cluster's control plane." },
);

export const BusinessClusterStatus = Struct({
  phase: Type.Optional(StringEnum(['Pending', 'Provisioning', 'Running', 'Upgrading', 'Degraded', 'Deleting'] as const)),
  version: Type.Optional(Type.String({ description: 'Version the whole control plane runs.' })),
  endpoint: Type.Optional(Type.String({ description: 'API endpoint reachable from the host.' })),
  kubeconfigSecretName: Type.Optional(Type.String({ description: 'Secret with the admin kubeconfig (key `value`).' })),
  etcdPrefix: Type.Optional(Type.String()),
  components: Type.Optional(
    ListMap(
      Struct({
        name: Type.String(),
        replicas: Type.Optional(Type.Integer()),
        readyReplicas: Type.Optional(Type.Integer()),
        version: Type.Optional(Type.String()),
      }),
      'name',
    ),
  ),
  addons: Type.Optional(
    ListMap(
      Struct({
        name: Type.String(),
        version: Type.Optional(Type.String()),
        ready: Type.Optional(Type.Boolean()),
        message: Type.Optional(Type.String()),
      }),
      'name',
    ),
  ),
  upgrade: Type.Optional(Struct({ from: Type.String(), to: Type.String(), step: Type.Optional(Type.String()) })),
  maintenance: Type.Optional(MaintenanceStatus),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export type BusinessClusterSpec = Static<typeof BusinessClusterSpec>;

type Present<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };
/** The spec after defaulting (withDefaults, or the apiserver's): the sections that default to `{}` are there. */
export type DefaultedBusinessClusterSpec = Present<BusinessClusterSpec, 'controllerManager' | 'scheduler' | 'network'> & {
  apiServer: Present<NonNullable<BusinessClusterSpec['apiServer']>, 'service'>;
};
export type BusinessClusterStatus = Static<typeof BusinessClusterStatus>;

/** Reasons the cluster operator gives when only a change of the spec or the catalog helps: waiting never fixes them. */
export const TERMINAL_CLUSTER_REASONS: ReadonlySet<string> = new Set([
  'DowngradeRefused',
  'NoIntermediateVersion',
  'VersionNotInCatalog',
  'VersionNotUsable',
  'InvalidNetwork',
  'EtcdVersionTooOld',
]);

/** The first condition that failed for good at the object's current generation (read by `kokpit upgrade` and rollouts). */
export function terminalClusterCondition<C extends { status?: string; reason?: string; observedGeneration?: number }>(
  conditions: readonly C[] | undefined,
  generation: number,
): C | undefined {
  return conditions?.find(
    (c) => c.status === 'False' && TERMINAL_CLUSTER_REASONS.has(c.reason ?? '') && (c.observedGeneration ?? 0) >= generation,
  );
}
