// "Deploy to Clusters…" and `kokpit deploy`: a YAML file's objects become one Open Cluster Management
// ManifestWorkReplicaSet whose Placement picks the ManagedClusters by labels. Pure: the callers read the file and the
// ManagedClusters and apply what this returns. OCM's work webhook, where kokpit's hub runs it (only when installed with
// webhooks: operators/multicluster/render/hub.ts), judges the ManifestWorks the ManifestWorkReplicaSet controller makes
// later, not this request, so the checks it would make (a name on every manifest, no generateName, 500 KiB in all) are
// made here, with the ones OCM leaves to the agent's apply error.
import { parseAllDocuments } from 'yaml';
import { OCM_KINDS, OCM_MANIFEST_SIZE_LIMIT, ocmApiVersion, findOcmKind } from '../api/ocm';

export interface DeployObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface DeployRequest {
  /** The file's path or name: the default name derives from it. */
  fileName: string;
  text: string;
  /** matchLabels of the Placement; at least one label. */
  selector: Record<string, string>;
  /** The hub namespace of the Placement and the ManifestWorkReplicaSet (default `default`). */
  namespace?: string;
  name?: string;
  /** The ManagedClusterSet the namespace is bound to (default `global`, every cluster: OCM's DefaultClusterSet). */
  clusterSet?: string;
}

export interface Deployment {
  name: string;
  namespace: string;
  /** The manifests as the ManifestWorkReplicaSet carries them. */
  manifests: DeployObject[];
  /** Apply in this order: the ManagedClusterSetBinding, the Placement, the ManifestWorkReplicaSet. */
  objects: DeployObject[];
}

/** A request that cannot become a deployment; the message names the document and the fix. */
export class DeployError extends Error {}

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kokpit' };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REPLICA_SET_LABEL_MAX = 63;
/** Built-in cluster-scoped kinds: they keep no namespace; any other kind without one gets `default`, as kubectl does. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PersistentVolume',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
]);
/** Kinds that exist in the meta cluster only: a business cluster serves no such API, so its agent could never apply them. */
const HUB_ONLY_GROUPS = ['kokpit.dev'];
/** Deployment-like kinds whose replicas OCM's WellKnownStatus feedback reports back to the hub. */
const FEEDBACK = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs' } as Record<string, string>;

/** The default name: the file's base name without .yaml/.yml, as a DNS label (`My App.v2.yaml` → `my-app-v2`). */
export function deployNameFromFile(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base
    .replace(/\.ya?ml$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** `env=dev,tier=web` as matchLabels; a message for anything else. */
export function parseLabelSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^((?:[a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]*)=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.exec(part);
    if (!m) throw new DeployError(`the selector takes key=value[,key=value…] (label syntax), got "${part}"`);
    out[m[1]] = m[2] ?? '';
  }
  return out;
}

export const formatSelector = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function hubOnly(o: DeployObject): string | undefined {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const ocm = findOcmKind(o.kind);
  const scope = ocm?.scope === 'Cluster' ? 'cluster-scoped' : 'namespaced';
  if (ocm && ocmApiVersion(ocm).startsWith(`${group}/`))
    return `${o.kind} is an Open Cluster Management hub kind (${scope}, meta cluster only)`;
  if (HUB_ONLY_GROUPS.some((g) => group === g || group.endsWith(`.${g}`)))
    return `${o.kind} (${o.apiVersion}) is a kokpit meta-cluster kind`;
  return undefined;
}

/** The file's objects, checked: each a named object a business cluster can take; `kind: List` items flattened. */
export function deployManifests(fileName: string, text: string): DeployObject[] {
  const out: DeployObject[] = [];
  const docs = parseAllDocuments(text);
  for (const [i, doc] of docs.entries()) {
    const where = `${fileName}: document ${i + 1}`;
    if (doc.errors.length) throw new DeployError(`${where}: not valid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const items = isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const item of items) out.push(checked(item, where));
  }
  if (!out.length) throw new DeployError(`${fileName} holds no Kubernetes object: nothing to deploy (an empty file or only comments)`);
  const seen = new Set<string>();
  for (const o of out) {
    const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) throw new DeployError(`${fileName}: ${o.kind} ${o.metadata.name} appears twice; OCM applies each object once`);
    seen.add(key);
  }
  const size = Buffer.byteLength(JSON.stringify(out));
  if (size > OCM_MANIFEST_SIZE_LIMIT)
    throw new DeployError(
      `${fileName}: the manifests are ${size} bytes, over OCM's limit of ${OCM_MANIFEST_SIZE_LIMIT} for one ManifestWork; split the file`,
    );
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checked(value: unknown, where: string): DeployObject {
  if (!isObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string')
    throw new DeployError(`${where}: not a Kubernetes object (apiVersion and kind are required)`);
  const meta = isObject(value.metadata) ? value.metadata : {};
  const what = `${where} (${value.kind})`;
  if (typeof meta.generateName === 'string')
    throw new DeployError(`${what}: generateName is not allowed in a ManifestWork; give metadata.name`);
  if (typeof meta.name !== 'string' || !meta.name) throw new DeployError(`${what}: metadata.name is required`);
  const o = { ...value, metadata: { ...meta } } as DeployObject;
  const refused = hubOnly(o);
  if (refused)
    throw new DeployError(`${what} ${o.metadata.name}: ${refused}; a business cluster has no such API, so OCM cannot apply it there`);
  if (!o.metadata.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = 'default';
  if (CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace)
    throw new DeployError(`${what} ${o.metadata.name}: ${o.kind} is cluster-scoped; remove metadata.namespace`);
  return o;
}

/** The Placement, its namespace's ManagedClusterSetBinding and the ManifestWorkReplicaSet for a request. */
export function buildDeployment(r: DeployRequest): Deployment {
  const namespace = r.namespace ?? 'default';
  const name = r.name ?? deployNameFromFile(r.fileName);
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) throw new DeployError(`namespace "${namespace}" is not a valid DNS label`);
  if (!name) throw new DeployError(`no name can be derived from "${r.fileName}"; give one`);
  if (!DNS_LABEL.test(name)) throw new DeployError(`name "${name}" is not a valid DNS label (lowercase letters, digits and "-")`);
  // OCM labels each ManifestWork with `<namespace>.<name>` of its replica set, and a label value holds 63 characters.
  const max = REPLICA_SET_LABEL_MAX - namespace.length - 1;
  if (name.length > max)
    throw new DeployError(
      `name "${name}" is ${name.length} characters; in namespace ${namespace} at most ${max} fit OCM's label; give a shorter one`,
    );
  if (!Object.keys(r.selector).length)
    throw new DeployError('give at least one label to select clusters (an empty selector would pick every cluster)');
  const manifests = deployManifests(r.fileName, r.text);
  const clusterSet = r.clusterSet ?? 'global';
  const kind = (k: string) => OCM_KINDS.find((x) => x.kind === k)!;
  const binding: DeployObject = {
    apiVersion: ocmApiVersion(kind('ManagedClusterSetBinding')),
    kind: 'ManagedClusterSetBinding',
    // OCM requires the binding's name to be the set's.
    metadata: { name: clusterSet, namespace, labels: MANAGED_BY },
    spec: { clusterSet },
  };
  const placement: DeployObject = {
    apiVersion: ocmApiVersion(kind('Placement')),
    kind: 'Placement',
    metadata: { name, namespace, labels: MANAGED_BY },
    spec: { clusterSets: [clusterSet], predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: r.selector } } }] },
  };
  const manifestConfigs = manifests
    .filter((m) => FEEDBACK[m.kind] && /^apps\/|^batch\//.test(m.apiVersion))
    .map((m) => ({
      resourceIdentifier: {
        group: m.apiVersion.split('/')[0],
        resource: FEEDBACK[m.kind],
        name: m.metadata.name,
        namespace: m.metadata.namespace,
      },
      feedbackRules: [{ type: 'WellKnownStatus' }],
    }));
  const replicaSet: DeployObject = {
    apiVersion: ocmApiVersion(kind('ManifestWorkReplicaSet')),
    kind: 'ManifestWorkReplicaSet',
    metadata: { name, namespace, labels: MANAGED_BY },
    spec: {
      placementRefs: [{ name, rolloutStrategy: { type: 'All' } }],
      manifestWorkTemplate: { workload: { manifests }, ...(manifestConfigs.length ? { manifestConfigs } : {}) },
    },
  };
  return { name, namespace, manifests, objects: [binding, placement, replicaSet] };
}

export interface LabelledCluster {
  name: string;
  labels: Record<string, string>;
}

export const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The labels on the clusters, each `key=value` with how many clusters carry it, most common first (OCM's own labels last). */
export function labelChoices(clusters: LabelledCluster[]): { label: string; key: string; value: string; clusters: string[] }[] {
  const by = new Map<string, { label: string; key: string; value: string; clusters: string[] }>();
  for (const c of clusters)
    for (const [key, value] of Object.entries(c.labels)) {
      const label = `${key}=${value}`;
      const entry = by.get(label) ?? { label, key, value, clusters: [] };
      entry.clusters.push(c.name);
      by.set(label, entry);
    }
  const ocm = (k: string) => (/open-cluster-management\.io\//.test(k) ? 1 : 0);
  return [...by.values()].sort(
    (a, b) => ocm(a.key) - ocm(b.key) || b.clusters.length - a.clusters.length || a.label.localeCompare(b.label),
  );
}

/** Undefined when the selector picks a cluster; otherwise what to say, before anything is created. */
export function noMatchMessage(selector: Record<string, string>, clusters: LabelledCluster[]): string | undefined {
  if (clusters.some((c) => selects(selector, c.labels))) return undefined;
  if (!clusters.length) return 'the hub has no ManagedCluster yet: nothing to deploy to';
  const near = labelChoices(clusters)
    .filter((c) => c.key in selector)
    .map((c) => `${c.label} (${c.clusters.length})`);
  return (
    `no ManagedCluster has ${formatSelector(selector)} (of ${clusters.length}: ${clusters.map((c) => c.name).join(', ')})` +
    (near.length ? `; present: ${near.join(', ')}` : '')
  );
}

/** What a deployment did, in the words the CLI prints and the editor shows. */
export function deployedMessage(d: Deployment, file: string, clusters: string[], selector: Record<string, string>): string {
  const n = d.manifests.length;
  return (
    `${n} object${n === 1 ? '' : 's'} of ${file} go to ${clusters.join(', ')} (${formatSelector(selector)}) ` +
    `as ManifestWorkReplicaSet ${d.namespace}/${d.name}`
  );
}
