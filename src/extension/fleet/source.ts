// What the Fleet view shows, as plain data: the contract between the pure fleet model (src/fleet) and the
// vscode adapter in tree.ts. No vscode here.

/** How one node looks; the adapter turns it into a TreeItem. */
export interface FleetNodeView {
  /** Stable across refreshes (e.g. `etcdcluster/default/etcd`), so expansion and selection survive. */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** Namespaced, matched in menus with `viewItem =~ /…/`, e.g. `kokpit.etcdCluster.ready`. */
  contextValue?: string;
  /** A product icon id (`server`, `database`, …), optionally with a theme color id after a `#`. */
  icon?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  /** Command run on click. */
  command?: { id: string; title: string; args?: unknown[] };
}

export interface FleetSource<N> {
  roots(): N[] | Promise<N[]>;
  children(node: N): N[] | Promise<N[]>;
  parent(node: N): N | undefined;
  view(node: N): FleetNodeView;
  /** `nodes` undefined means "everything changed". */
  onDidChange(listener: (nodes: N[] | undefined) => void): { dispose(): void };
}

/** No meta cluster yet: no nodes, so the view shows its welcome content. */
export const emptyFleetSource: FleetSource<never> = {
  roots: () => [],
  children: () => [],
  parent: () => undefined,
  view: (node) => node,
  onDidChange: () => ({ dispose: () => undefined }),
};
