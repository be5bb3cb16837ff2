// The Open Cluster Management kinds kokpit knows (issue 18): what the CLI, the editor and the multicluster
// operator need to name them. Their schemas are OCM's own CRDs, copied by `npm run generate` into schemas/ocm/
// (scripts/ocm-schemas.ts) from the Go module hack/bins/ocm pins; this table is checked against those files by
// test/unit/validation/ocm-schemas.test.ts.

/** The Go module and release the CRDs (and the binaries, src/binaries/catalog.ts) come from. */
export const OCM_MODULE = 'open-cluster-management.io/ocm';
export const OCM_MODULE_VERSION = 'v1.0.0';
/** Where the hub's CRDs sit in that module. */
export const OCM_CRD_SOURCE_DIR = 'manifests/cluster-manager/hub';
/** Where `npm run generate` writes them, from the package root. */
export const OCM_SCHEMA_DIR = 'schemas/ocm';

export interface OcmKind {
  kind: string;
  group: string;
  /** The one served version in OCM v1.0.0. */
  version: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
  shortNames: readonly string[];
}

const CLUSTER = 'cluster.open-cluster-management.io';
const WORK = 'work.open-cluster-management.io';
const ADDON = 'addon.open-cluster-management.io';

export const OCM_KINDS: readonly OcmKind[] = [
  { kind: 'ManagedCluster', group: CLUSTER, version: 'v1', plural: 'managedclusters', scope: 'Cluster', shortNames: ['mcl', 'mcls'] },
  {
    kind: 'ManagedClusterSet',
    group: CLUSTER,
    version: 'v1beta2',
    plural: 'managedclustersets',
    scope: 'Cluster',
    shortNames: ['mclset', 'mclsets'],
  },
  {
    kind: 'ManagedClusterSetBinding',
    group: CLUSTER,
    version: 'v1beta2',
    plural: 'managedclustersetbindings',
    scope: 'Namespaced',
    shortNames: ['mclsetbinding', 'mclsetbindings'],
  },
  { kind: 'Placement', group: CLUSTER, version: 'v1beta1', plural: 'placements', scope: 'Namespaced', shortNames: [] },
  { kind: 'PlacementDecision', group: CLUSTER, version: 'v1beta1', plural: 'placementdecisions', scope: 'Namespaced', shortNames: [] },
  { kind: 'ManifestWork', group: WORK, version: 'v1', plural: 'manifestworks', scope: 'Namespaced', shortNames: [] },
  {
    kind: 'ManifestWorkReplicaSet',
    group: WORK,
    version: 'v1alpha1',
    plural: 'manifestworkreplicasets',
    scope: 'Namespaced',
    shortNames: ['mwrs'],
  },
  {
    kind: 'AddOnDeploymentConfig',
    group: ADDON,
    version: 'v1alpha1',
    plural: 'addondeploymentconfigs',
    scope: 'Namespaced',
    shortNames: [],
  },
  {
    kind: 'ClusterManagementAddOn',
    group: ADDON,
    version: 'v1alpha1',
    plural: 'clustermanagementaddons',
    scope: 'Cluster',
    shortNames: ['cma', 'cmas'],
  },
  {
    kind: 'ManagedClusterAddOn',
    group: ADDON,
    version: 'v1alpha1',
    plural: 'managedclusteraddons',
    scope: 'Namespaced',
    shortNames: ['mca', 'mcas'],
  },
];

export const OCM_GROUPS: readonly string[] = [CLUSTER, WORK, ADDON];

export function ocmApiVersion(k: OcmKind): string {
  return `${k.group}/${k.version}`;
}

/** The CRD's name, `<plural>.<group>`. */
export function ocmCrdName(k: OcmKind): string {
  return `${k.plural}.${k.group}`;
}

/** The file `npm run generate` writes the kind's CRD to, relative to OCM_SCHEMA_DIR. */
export function ocmSchemaFile(k: OcmKind): string {
  return `${k.group}_${k.plural}.yaml`;
}

export function findOcmKind(kind: string): OcmKind | undefined {
  return OCM_KINDS.find((k) => k.kind === kind);
}

/** OCM's limit on a ManifestWork's manifests together (pkg/work/webhook/common/validator.go: 500 KiB). */
export const OCM_MANIFEST_SIZE_LIMIT = 500 * 1024;

/** What to run when the meta cluster does not serve the OCM kinds. */
export const OCM_INSTALL_HINT = 'run kokpit up --with-ocm';
