// Open Cluster Management in the Fleet tree (issue 18), as pure nodes: under each business cluster its
// ManagedCluster (Joined, Available, lease) and the ManifestWorks in its hub namespace with each manifest's
// conditions and status feedback; a Placements group with each Placement's decisions; an Imported clusters group with
// each ManagedCluster that is no BusinessCluster's (`kokpit register`, or registered by other means) and its works.
// The model (model.ts) adds these only once the meta cluster serves OCM's kinds.
import type { FleetNode, FleetStatus } from './model';

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface ManagedCluster {
  apiVersion?: string;
  kind: 'ManagedCluster';
  metadata: Meta & { annotations?: Record<string, string> };
  spec?: { hubAcceptsClient?: boolean; leaseDurationSeconds?: number };
  status?: { conditions?: Cond[]; version?: { kubernetes?: string } };
}

export interface FeedbackValue {
  name: string;
  fieldValue?: { type?: string; integer?: number; string?: string; boolean?: boolean; jsonRaw?: string };
}
export interface ManifestCondition {
  resourceMeta?: {
    group?: string;
    version?: string;
    kind?: string;
    resource?: string;
    name?: string;
    namespace?: string;
    ordinal?: number;
  };
  conditions?: Cond[];
  statusFeedback?: { values?: FeedbackValue[] };
}
export interface ManifestWork {
  apiVersion?: string;
  kind: 'ManifestWork';
  metadata: Meta;
  spec?: { workload?: { manifests?: unknown[] } };
  status?: { conditions?: Cond[]; resourceStatus?: { manifests?: ManifestCondition[] } };
}

export interface Placement {
  apiVersion?: string;
  kind: 'Placement';
  metadata: Meta;
  spec?: { clusterSets?: string[]; numberOfClusters?: number };
  status?: { numberOfSelectedClusters?: number; conditions?: Cond[] };
}
export interface PlacementDecision {
  apiVersion?: string;
  kind: 'PlacementDecision';
  metadata: Meta;
  status?: { decisions?: { clusterName: string; reason?: string }[] };
}

export type OcmObject = ManagedCluster | ManifestWork | Placement | PlacementDecision;
export const OCM_FLEET_KINDS: readonly string[] = ['ManagedCluster', 'ManifestWork', 'Placement', 'PlacementDecision'];

/** The label OCM puts on a PlacementDecision naming its Placement. */
export const PLACEMENT_LABEL = 'cluster.open-cluster-management.io/placement';
/** OCM's hub marks a cluster Unknown after this many lease periods without a renewal (hub/lease/controller.go). */
const LEASE_GRACE_TIMES = 5;

const find = (cs: Cond[] | undefined, type: string) => cs?.find((c) => c.type === type);
const word = (c: Cond | undefined, name: string) =>
  c?.status === 'True' ? name : `${name}=${c?.status ?? 'Unknown'}${c?.reason && c.status !== 'True' ? ` (${c.reason})` : ''}`;
const condLines = (cs: Cond[] | undefined) =>
  (cs ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);

/** The kokpit BusinessCluster (`namespace/name`) a ManagedCluster stands for, from the labels kokpit puts on it. */
export function businessClusterOf(mc: ManagedCluster): string | undefined {
  const ns = mc.metadata.labels?.['kokpit.dev/namespace'];
  const name = mc.metadata.labels?.['kokpit.dev/cluster'];
  return ns && name ? `${ns}/${name}` : undefined;
}

/** Joined, Available and the lease of a business cluster's ManagedCluster. */
export function managedClusterNode(parentId: string, mc: ManagedCluster): FleetNode {
  const joined = find(mc.status?.conditions, 'ManagedClusterJoined');
  const available = find(mc.status?.conditions, 'ManagedClusterConditionAvailable');
  const lease = mc.spec?.leaseDurationSeconds;
  const status: FleetStatus =
    joined?.status !== 'True'
      ? 'progress'
      : available?.status === 'True'
        ? 'ok'
        : available?.status === 'False'
          ? 'error'
          : available
            ? 'warning'
            : 'progress';
  return {
    id: `${parentId}/managedCluster/${mc.metadata.name}`,
    parentId,
    kind: 'managedCluster',
    label: `ManagedCluster ${mc.metadata.name}`,
    description: [word(joined, 'Joined'), word(available, 'Available'), lease ? `lease ${lease}s` : undefined].filter(Boolean).join(' · '),
    tooltip: [
      `ManagedCluster ${mc.metadata.name} on the OCM hub`,
      ...condLines(mc.status?.conditions),
      ...(lease ? [`lease ${lease} s: Available=Unknown after ${LEASE_GRACE_TIMES * lease} s without a renewal`] : []),
      ...(mc.status?.version?.kubernetes ? [`Kubernetes ${mc.status.version.kubernetes}`] : []),
    ].join('\n'),
    status,
    contextValue: `kokpit.managedCluster.${status === 'ok' ? 'available' : status}`,
    ref: { kind: 'ManagedCluster', name: mc.metadata.name },
    children: [],
  };
}

/** On a ManagedCluster `kokpit register` made: its name, and the API server it points at (render/import.ts). */
const IMPORTED_LABEL = 'kokpit.dev/imported';
const IMPORTED_SERVER_ANNOTATION = 'kokpit.dev/imported-server';

/** A ManagedCluster with no BusinessCluster behind it, as the Imported clusters group shows it (its works go under it). */
export function importedClusterNode(id: string, parentId: string, mc: ManagedCluster): FleetNode {
  const base = managedClusterNode(parentId, mc);
  const imported = mc.metadata.labels?.[IMPORTED_LABEL] === mc.metadata.name;
  const server = mc.metadata.annotations?.[IMPORTED_SERVER_ANNOTATION];
  return {
    ...base,
    id,
    label: mc.metadata.name,
    description: `${imported ? 'imported' : 'not kokpit’s'} · ${base.description}`,
    tooltip: [
      base.tooltip,
      imported
        ? `imported by kokpit register${server ? ` (cluster at ${server})` : ''}`
        : 'registered with the hub by other means than kokpit',
    ].join('\n'),
  };
}

/** A status feedback value as text: `readyReplicas=2`. */
export function feedbackText(v: FeedbackValue): string {
  const f = v.fieldValue ?? {};
  const value = f.integer ?? f.string ?? f.boolean ?? f.jsonRaw;
  return `${v.name}=${value === undefined ? '?' : String(value)}`;
}

function conditionsStatus(cs: Cond[] | undefined, good: string[]): FleetStatus {
  if (find(cs, 'Degraded')?.status === 'True') return 'error';
  const found = good.map((t) => find(cs, t));
  if (found.every((c) => c?.status === 'True')) return 'ok';
  return found.some((c) => c?.status === 'False') ? 'warning' : 'progress';
}

/** One ManifestWork and its manifests (ordinal order), each with its conditions and status feedback. */
export function workNodes(parentId: string, w: ManifestWork): { node: FleetNode; kids: FleetNode[] } {
  const id = `${parentId}/work/${w.metadata.name}`;
  const cs = w.status?.conditions;
  const status = conditionsStatus(cs, ['Applied', 'Available']);
  const manifests = [...(w.status?.resourceStatus?.manifests ?? [])].sort(
    (a, b) => (a.resourceMeta?.ordinal ?? 0) - (b.resourceMeta?.ordinal ?? 0),
  );
  const count = w.spec?.workload?.manifests?.length ?? manifests.length;
  const node: FleetNode = {
    id,
    parentId,
    kind: 'manifestWork',
    label: `ManifestWork ${w.metadata.name}`,
    description: [
      word(find(cs, 'Applied'), 'Applied'),
      word(find(cs, 'Available'), 'Available'),
      `${count} manifest${count === 1 ? '' : 's'}`,
    ].join(' · '),
    tooltip: [`ManifestWork ${w.metadata.namespace}/${w.metadata.name}`, ...condLines(cs)].join('\n'),
    status,
    contextValue: `kokpit.manifestWork.${status}`,
    ref: { kind: 'ManifestWork', namespace: w.metadata.namespace, name: w.metadata.name },
    children: [],
  };
  return { node, kids: manifests.map((m, i) => manifestNode(id, m, i)) };
}

function manifestNode(parentId: string, m: ManifestCondition, i: number): FleetNode {
  const r = m.resourceMeta ?? {};
  const feedback = (m.statusFeedback?.values ?? []).map(feedbackText);
  const status = conditionsStatus(m.conditions, ['Applied', 'Available']);
  return {
    id: `${parentId}/manifest/${r.ordinal ?? i}`,
    parentId,
    kind: 'workManifest',
    label: `${r.kind ?? r.resource ?? '?'} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? ''}`,
    description: [word(find(m.conditions, 'Applied'), 'Applied'), word(find(m.conditions, 'Available'), 'Available'), ...feedback].join(
      ' · ',
    ),
    tooltip: [...condLines(m.conditions), ...(feedback.length ? [`status feedback: ${feedback.join(', ')}`] : [])].join('\n'),
    status,
    contextValue: 'kokpit.workManifest',
    children: [],
  };
}

/** One Placement and the clusters its PlacementDecisions chose (those labelled with its name in its namespace). */
export function placementNodes(
  id: string,
  parentId: string,
  p: Placement,
  decisions: PlacementDecision[],
): { node: FleetNode; kids: FleetNode[] } {
  const chosen = decisions
    .filter((d) => d.metadata.namespace === p.metadata.namespace && d.metadata.labels?.[PLACEMENT_LABEL] === p.metadata.name)
    .flatMap((d) => d.status?.decisions ?? [])
    .sort((a, b) => a.clusterName.localeCompare(b.clusterName));
  const satisfied = find(p.status?.conditions, 'PlacementSatisfied');
  const misconfigured = find(p.status?.conditions, 'PlacementMisconfigured')?.status === 'True';
  const status: FleetStatus = misconfigured ? 'error' : satisfied?.status === 'True' ? 'ok' : satisfied ? 'warning' : 'progress';
  const selected = p.status?.numberOfSelectedClusters ?? chosen.length;
  const node: FleetNode = {
    id,
    parentId,
    kind: 'placement',
    label: p.metadata.name,
    description: [p.metadata.namespace, `${selected} selected`, word(satisfied, 'Satisfied')].filter(Boolean).join(' · '),
    tooltip: [`Placement ${p.metadata.namespace}/${p.metadata.name}`, ...condLines(p.status?.conditions)].join('\n'),
    status,
    contextValue: `kokpit.placement.${status}`,
    ref: { kind: 'Placement', namespace: p.metadata.namespace, name: p.metadata.name },
    children: [],
  };
  const kids = chosen.map<FleetNode>((d) => ({
    id: `${id}/decision/${d.clusterName}`,
    parentId: id,
    kind: 'placementDecision',
    label: d.clusterName,
    description: d.reason,
    status: 'ok',
    contextValue: 'kokpit.placementDecision',
    children: [],
  }));
  return { node, kids };
}
