// The table of kokpit kinds: everything generated (CRDs, editor schemas, docs) is derived from it.
import { type Static, type TSchema } from '@sinclair/typebox';
import { Type } from './typebox';
import { API_VERSION, DNS1123_LABEL, DNS1123_SUBDOMAIN, ObjectMeta } from './common';
import { EtcdBackupSpec, EtcdBackupStatus, EtcdClusterSpec, EtcdClusterStatus } from './etcd';
import { BusinessClusterSpec, BusinessClusterStatus, type DefaultedBusinessClusterSpec } from './business-cluster';
import { AddonSpec, AddonStatus, KubernetesVersionSpec, KubernetesVersionStatus } from './catalog';
import { ComponentSpec, ComponentStatus, MachineSetSpec, MachineSetStatus, MachineSpec, MachineStatus } from './machines';
import { LocalEnvironmentSpec } from './local-environment';
import { FleetRolloutSpec, FleetRolloutStatus } from './rollout';
import { Struct } from './schema-helpers';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface KindInfo {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  /** Whether the kind is served by the meta cluster (LocalEnvironment is a file format only). */
  crd: boolean;
  description: string;
  spec: TSchema;
  status?: TSchema;
  /** Names become parts of other names (`<cluster>-controller-manager`, `<etcd>-client`): the longest that still fits a 63-char label. */
  maxNameLength: number;
  namePattern: string;
  columns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const ready = (t = 'Ready'): PrinterColumn => ({ name: t, type: 'string', jsonPath: `.status.conditions[?(@.type=="${t}")].status` });

export const KINDS: KindInfo[] = [
  {
    kind: 'EtcdCluster',
    plural: 'etcdclusters',
    shortNames: ['etcd', 'ec'],
    scope: 'Namespaced',
    crd: true,
    description: 'An etcd cluster of 1, 3 or 5 members with TLS, backups and healing.',
    spec: EtcdClusterSpec,
    status: EtcdClusterStatus,
    maxNameLength: 50,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyMembers' },
      { name: 'Version', type: 'string', jsonPath: '.status.currentVersion' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Leader', type: 'string', jsonPath: '.status.leader', priority: 1 },
      age,
    ],
  },
  {
    kind: 'EtcdBackup',
    plural: 'etcdbackups',
    shortNames: ['eb'],
    scope: 'Namespaced',
    crd: true,
    description: 'A snapshot of an etcd cluster.',
    spec: EtcdBackupSpec,
    status: EtcdBackupStatus,
    maxNameLength: 63,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.etcdClusterRef.name' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Size', type: 'integer', jsonPath: '.status.size' },
      { name: 'Location', type: 'string', jsonPath: '.status.location', priority: 1 },
      age,
    ],
  },
  {
    kind: 'BusinessCluster',
    plural: 'businessclusters',
    shortNames: ['bc'],
    scope: 'Namespaced',
    crd: true,
    description: 'A Kubernetes control plane run as workloads of the meta cluster.',
    spec: BusinessClusterSpec,
    status: BusinessClusterStatus,
    maxNameLength: 40,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      ready(),
      { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
      { name: 'Current', type: 'string', jsonPath: '.status.version', priority: 1 },
      age,
    ],
  },
  {
    kind: 'KubernetesVersion',
    plural: 'kubernetesversions',
    shortNames: ['kv'],
    scope: 'Cluster',
    crd: true,
    description: 'A Kubernetes release in the catalog of versions business clusters may use.',
    spec: KubernetesVersionSpec,
    status: KubernetesVersionStatus,
    maxNameLength: 63,
    namePattern: DNS1123_SUBDOMAIN,
    columns: [
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'State', type: 'string', jsonPath: '.spec.state' },
      { name: 'Etcd', type: 'string', jsonPath: '.spec.etcd.recommendedVersion' },
      age,
    ],
  },
  {
    kind: 'Addon',
    plural: 'addons',
    shortNames: [],
    scope: 'Cluster',
    crd: true,
    description: 'An addon definition (coredns, kube-proxy, …) rendered into business clusters.',
    spec: AddonSpec,
    status: AddonStatus,
    maxNameLength: 63,
    // Dots allowed, as the API server allows them: one version of an addon is named like `coredns-1.12.1`. The name is
    // never part of another object's name; a dotted one must say its addon in spec.name (rules/addon.ts).
    namePattern: DNS1123_SUBDOMAIN,
    columns: [{ name: 'Version', type: 'string', jsonPath: '.spec.version' }, age],
  },
  {
    kind: 'Component',
    plural: 'components',
    shortNames: ['comp'],
    scope: 'Cluster',
    crd: true,
    description: 'On-host software (containerd, kubelet, …) with install, upgrade, health and repair steps.',
    spec: ComponentSpec,
    status: ComponentStatus,
    maxNameLength: 63,
    namePattern: DNS1123_LABEL,
    columns: [{ name: 'Version', type: 'string', jsonPath: '.spec.version' }, age],
  },
  {
    kind: 'Machine',
    plural: 'machines',
    shortNames: ['ma'],
    scope: 'Namespaced',
    crd: true,
    description: 'A node of a business cluster and the components it runs.',
    spec: MachineSpec,
    status: MachineStatus,
    maxNameLength: 63,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Node', type: 'string', jsonPath: '.status.nodeName' },
      { name: 'Kubelet', type: 'string', jsonPath: '.status.kubeletVersion', priority: 1 },
      age,
    ],
  },
  {
    kind: 'MachineSet',
    plural: 'machinesets',
    shortNames: ['ms'],
    scope: 'Namespaced',
    crd: true,
    description: 'A group of identical machines whose template changes roll out in phases.',
    spec: MachineSetSpec,
    status: MachineSetStatus,
    maxNameLength: 57,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Updated', type: 'integer', jsonPath: '.status.updatedReplicas' },
      age,
    ],
  },
  {
    kind: 'FleetRollout',
    plural: 'fleetrollouts',
    shortNames: ['fro'],
    scope: 'Cluster',
    crd: true,
    description: 'Moves many business clusters to one target version in waves, with a soak per cluster and a failure budget.',
    spec: FleetRolloutSpec,
    status: FleetRolloutStatus,
    maxNameLength: 63,
    namePattern: DNS1123_LABEL,
    columns: [
      { name: 'Target', type: 'string', jsonPath: '.spec.target.kubernetesVersion' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Wave', type: 'string', jsonPath: '.status.currentWave' },
      { name: 'Done', type: 'integer', jsonPath: '.status.counts.succeeded' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.counts.failed' },
      { name: 'Total', type: 'integer', jsonPath: '.status.counts.total' },
      age,
    ],
  },
  {
    kind: 'LocalEnvironment',
    plural: 'localenvironments',
    shortNames: [],
    scope: 'Cluster',
    crd: false,
    description: 'A local Kube-on-Kube environment (`kokpit.yaml`), read by `kokpit up --config`.',
    spec: LocalEnvironmentSpec,
    maxNameLength: 63,
    namePattern: DNS1123_LABEL,
    columns: [],
  },
];

export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** The whole document schema of one kind, as the editor validates it. */
export function documentSchema(info: KindInfo): TSchema {
  return Struct(
    {
      apiVersion: Type.Literal(API_VERSION, { description: `Always \`${API_VERSION}\`.` }),
      kind: Type.Literal(info.kind, { description: info.description }),
      metadata: ObjectMeta,
      spec: info.spec,
      ...(info.status ? { status: Type.Optional(info.status) } : {}),
    },
    { description: info.description, $id: `https://kokpit.dev/schemas/${info.kind.toLowerCase()}.json`, title: info.kind },
  );
}

// Object types as a reconciler sees them (defaults applied).
interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string | Date;
  creationTimestamp?: string | Date;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
}
export interface KokpitObject<K extends string, S, St = unknown> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Meta;
  spec: S;
  status?: St;
}
export type EtcdCluster = KokpitObject<'EtcdCluster', Static<typeof EtcdClusterSpec>, Static<typeof EtcdClusterStatus>>;
export type EtcdBackup = KokpitObject<'EtcdBackup', Static<typeof EtcdBackupSpec>, Static<typeof EtcdBackupStatus>>;
export type BusinessCluster = KokpitObject<'BusinessCluster', Static<typeof BusinessClusterSpec>, Static<typeof BusinessClusterStatus>>;
/** A BusinessCluster after withDefaults: what the cluster reconciler and its renderers work on. */
export type DefaultedBusinessCluster = KokpitObject<'BusinessCluster', DefaultedBusinessClusterSpec, Static<typeof BusinessClusterStatus>>;
export type KubernetesVersion = KokpitObject<'KubernetesVersion', Static<typeof KubernetesVersionSpec>>;
export type Addon = KokpitObject<'Addon', Static<typeof AddonSpec>>;
export type Component = KokpitObject<'Component', Static<typeof ComponentSpec>>;
export type Machine = KokpitObject<'Machine', Static<typeof MachineSpec>, Static<typeof MachineStatus>>;
export type MachineSet = KokpitObject<'MachineSet', Static<typeof MachineSetSpec>, Static<typeof MachineSetStatus>>;
export type FleetRollout = KokpitObject<'FleetRollout', Static<typeof FleetRolloutSpec>, Static<typeof FleetRolloutStatus>>;
export type LocalEnvironment = KokpitObject<'LocalEnvironment', Static<typeof LocalEnvironmentSpec>>;
