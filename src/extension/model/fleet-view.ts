// How a Fleet model node looks in the tree: icon by kind, coloured by status; collapsible state; click command.
// Pure, so the mapping is unit-tested without VS Code.
import type { FleetNode, FleetNodeKind, FleetStatus } from '../../fleet/model';
import type { FleetNodeView } from '../fleet/source';

const KIND_ICON: Record<FleetNodeKind, string> = {
  metaCluster: 'cloud',
  group: 'folder',
  etcdCluster: 'database',
  etcdMember: 'circle-filled',
  businessCluster: 'server-environment',
  controlPlaneComponent: 'gear',
  machine: 'vm',
  machineSet: 'layers',
  addon: 'extensions',
  condition: 'warning',
  version: 'versions',
  addonDefinition: 'package',
  rollout: 'rocket',
  rolloutWave: 'list-ordered',
  rolloutCluster: 'server',
  managedCluster: 'radio-tower',
  manifestWork: 'package',
  workManifest: 'file-code',
  placement: 'target',
  placementDecision: 'pass',
};

/** Theme colours that every VS Code theme defines. */
const STATUS_COLOR: Partial<Record<FleetStatus, string>> = {
  ok: 'testing.iconPassed',
  warning: 'list.warningForeground',
  error: 'list.errorForeground',
};

const STATUS_WORD: Record<FleetStatus, string> = {
  ok: 'ready',
  progress: 'in progress',
  warning: 'warning',
  error: 'error',
  unknown: 'unknown',
};

export function fleetIcon(node: Pick<FleetNode, 'kind' | 'status'>): string {
  if (node.kind === 'group') return KIND_ICON.group;
  // A spinning icon says "something is happening" better than any colour.
  if (node.status === 'progress') return 'sync~spin';
  const color = STATUS_COLOR[node.status];
  return color ? `${KIND_ICON[node.kind]}#${color}` : KIND_ICON[node.kind];
}

/** Groups and the meta cluster start open; everything else with children starts closed. */
function collapsible(node: FleetNode): FleetNodeView['collapsible'] {
  // Groups open by default are open even while empty: VS Code keeps a node's first state by id, so an empty group
  // shown collapsed stayed collapsed when its first rollout or cluster arrived (seen in test/ui/rollouts.test.ts).
  if (node.kind === 'group') return ['/etcd', '/clusters', '/rollouts'].some((g) => node.id.endsWith(g)) ? 'expanded' : 'collapsed';
  if (node.children.length === 0) return 'none';
  if (node.kind === 'metaCluster') return 'expanded';
  return 'collapsed';
}

export function toFleetNodeView(node: FleetNode): FleetNodeView {
  const description = node.kind === 'group' ? String(node.children.length) : node.description;
  const status = node.kind === 'group' ? undefined : `status: ${STATUS_WORD[node.status]}`;
  const tooltip = [node.tooltip ?? node.label, status].filter(Boolean).join('\n\n');
  return {
    id: node.id,
    label: node.label,
    description,
    tooltip,
    contextValue: node.contextValue,
    icon: fleetIcon(node),
    // No click command: a click expands; Open YAML is an inline action and a context-menu entry.
    collapsible: collapsible(node),
  };
}
