// Several meta clusters in one Fleet view (issue 21): the active one (the FleetController's connection, which the
// status bar, the palette actions and the reconcilers use) first, then every other kubeconfig context that holds a
// kokpit meta cluster (src/fleet/meta-discovery.ts), collapsed. Expanding one lists and watches its fleet on a
// connection of its own; collapsing it, or making it the active one, stops those watches. Switching is a connect of
// the FleetController: no window reload. Kubeconfigs are secrets: only context names and servers are logged.
import * as vscode from 'vscode';
import {
  discoverMetaClusters,
  metaClusterKey,
  type DiscoveredMetaCluster,
  type DiscoveryOptions,
  type MetaClusterCandidate,
} from '../../fleet/meta-discovery';
import { FleetConnection } from '../model/fleet-connection';
import { toFleetNodeView } from '../model/fleet-view';
import type { Runtime } from '../runtime';
import type { FleetController, FleetState } from './controller';
import type { FleetNodeView, FleetSource } from './source';

/** The same id the FleetModel gives its root, so a connection's tree hangs under the node the view already shows. */
export const metaRootId = (label: string): string => `meta:${label}`;

/** Nodes of a meta cluster that is not the active one match none of the active one's menus (package.json: `kokpit.<kind>`). */
export function inactiveContextValue(contextValue: string | undefined): string {
  return `kokpit.other.${(contextValue ?? 'node').replace(/^kokpit\./, '')}`;
}

interface Other {
  entry: DiscoveredMetaCluster;
  connection?: FleetConnection;
  /** Why its watches could not start (shown as its only child until it is collapsed and expanded again). */
  error?: string;
  subscription?: { dispose(): void };
}

/** The contexts of the user's kubeconfig and the running local environments (`kokpit up`) to ask. */
async function defaultCandidates(runtime: Runtime): Promise<MetaClusterCandidate[]> {
  const { kube, logger } = runtime;
  const out: MetaClusterCandidate[] = [];
  try {
    for (const name of kube.contexts().names) out.push({ context: name, kubeConfig: () => kube.load(name) });
  } catch (e) {
    logger.debug(`meta clusters: no kubeconfig contexts: ${e instanceof Error ? e.message : String(e)}`);
  }
  // A require (not import()) so it resolves alike in the bundle and under tsx, as commands/meta-cluster.ts does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const local = require('../../actions/local-environment') as typeof import('../../actions/local-environment');
  for (const env of local.listLocalEnvironments().filter((e) => e.running)) {
    try {
      const file = local.environmentKubeconfig(env.name);
      const kc = kube.load(undefined, file);
      out.push({ context: kc.getCurrentContext(), file, origin: `local environment "${env.name}"`, kubeConfig: () => kc });
    } catch (e) {
      logger.debug(`meta clusters: local environment "${env.name}": ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

export class MetaClusters implements vscode.Disposable {
  private found: DiscoveredMetaCluster[] = [];
  /** The meta clusters that are not the active one, by root id. */
  private readonly others = new Map<string, Other>();
  private readonly listeners = new Set<(ids: string[] | undefined) => void>();
  private readonly subscriptions: { dispose(): void }[];
  private discovering: Promise<DiscoveredMetaCluster[]> | undefined;
  private asked = false;
  readonly source: FleetSource<string>;

  constructor(
    private readonly runtime: Runtime,
    private readonly fleet: FleetController,
    private readonly candidates: () => Promise<MetaClusterCandidate[]> = () => defaultCandidates(runtime),
    private readonly discovery: DiscoveryOptions = {},
  ) {
    const base = fleet.source;
    this.subscriptions = [base.onDidChange((ids) => this.fire(ids)), fleet.onDidChangeState((s) => this.activeChanged(s))];
    this.source = {
      roots: async () => {
        const active = await base.roots();
        return [...active, ...this.visibleOthers().filter((id) => !active.includes(id))];
      },
      children: (id) =>
        this.otherAt(id) ? this.rootChildren(id) : (this.ownerOf(id)?.connection?.model.get(id)?.children ?? base.children(id)),
      parent: (id) => {
        if (this.otherAt(id)) return undefined;
        if (id.endsWith('/~error') && this.otherAt(id.slice(0, -'/~error'.length))) return id.slice(0, -'/~error'.length);
        const owner = this.ownerOf(id);
        return owner ? owner.connection?.model.get(id)?.parentId : base.parent(id);
      },
      view: (id) => this.view(id) ?? base.view(id),
      onDidChange: (l) => {
        this.listeners.add(l);
        return { dispose: () => void this.listeners.delete(l) };
      },
    };
  }

  /** What the last discovery found: the meta clusters and the contexts that could not be asked. */
  get discovered(): readonly DiscoveredMetaCluster[] {
    return this.found;
  }

  /** The key of the active meta cluster (while connecting or connected). */
  get activeKey(): string | undefined {
    const s = this.fleet.state;
    return s.kind === 'connected' || s.kind === 'connecting' ? metaClusterKey(s.context, this.fleet.kubeconfigFile) : undefined;
  }

  /** The discovered meta cluster a tree node stands for (a top node), if any. */
  entryOfRoot(id: string): DiscoveredMetaCluster | undefined {
    return this.others.get(id)?.entry ?? this.found.find((d) => metaRootId(d.label) === id);
  }

  /** Contexts whose meta clusters currently have watches of their own (for tests and logs). */
  get watching(): string[] {
    return [...this.others.values()].filter((o) => o.connection).map((o) => o.entry.label);
  }

  /** Asks every context (one at a time is never waited on: all in parallel, each with a short deadline). */
  discover(): Promise<DiscoveredMetaCluster[]> {
    this.asked = true;
    this.discovering ??= (async () => {
      try {
        const found = await discoverMetaClusters(await this.candidates(), this.discovery);
        this.setFound(found);
        return found;
      } catch (e) {
        this.runtime.logger.warn(`looking for meta clusters: ${e instanceof Error ? e.message : String(e)}`);
        return this.found;
      } finally {
        this.discovering = undefined;
      }
    })();
    return this.discovering;
  }

  /** Makes `entry` the active meta cluster (its own watches stop first; the FleetController connects). */
  async switchTo(entry: DiscoveredMetaCluster): Promise<FleetState> {
    const other = this.others.get(metaRootId(entry.label));
    if (other) await this.stopOther(other);
    this.runtime.logger.info(`switching the active meta cluster to '${entry.context}'${entry.origin ? ` (${entry.origin})` : ''}`);
    return this.fleet.connect(entry.context, { kubeconfigFile: entry.file });
  }

  /** A collapsed top node stops its watches; the next expand lists again. */
  collapsed(id: string): void {
    const other = this.others.get(id);
    if (!other || (!other.connection && !other.error)) return;
    other.error = undefined;
    void this.stopOther(other).then(() => this.fire([id]));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const o of this.others.values()) void this.stopOther(o);
    this.others.clear();
    this.listeners.clear();
  }

  /** The top node `id` when it is not the active meta cluster (the active one is the FleetController's). */
  private otherAt(id: string): Other | undefined {
    const other = this.others.get(id);
    return other && other.entry.key !== this.activeKey ? other : undefined;
  }

  /** In discovery's order (the kubeconfig's), whatever order they were first found in. */
  private visibleOthers(): string[] {
    return this.found.map((d) => metaRootId(d.label)).filter((id) => this.otherAt(id));
  }

  private setFound(found: DiscoveredMetaCluster[]): void {
    this.found = found;
    const next = new Map(found.map((d) => [metaRootId(d.label), d]));
    for (const [id, o] of this.others) {
      if (next.get(id)?.key === o.entry.key && next.get(id)?.reachable === o.entry.reachable) continue;
      void this.stopOther(o);
      this.others.delete(id);
    }
    for (const [id, entry] of next) if (!this.others.has(id)) this.others.set(id, { entry });
    const unreachable = found.filter((d) => !d.reachable);
    this.runtime.logger.info(
      `meta clusters found: ${
        found
          .filter((d) => d.reachable)
          .map((d) => d.label)
          .join(', ') || 'none'
      }` + (unreachable.length ? `; unreachable: ${unreachable.map((d) => `${d.label} (${d.reason})`).join('; ')}` : ''),
    );
    this.fire(undefined);
  }

  private activeChanged(state: FleetState): void {
    // The active one's watches are the FleetController's; a second set on the same cluster would only double them.
    // Every context is asked first when one meta cluster was (autoConnect, Connect): the editor never talks to
    // clusters on its own before that; afterwards on "Switch Meta Cluster" and "Refresh Fleet".
    if (!this.asked && (state.kind === 'connected' || state.kind === 'failed')) void this.discover();
    const active = this.activeKey;
    if (state.kind === 'connecting' || state.kind === 'connected')
      for (const o of this.others.values()) if (o.entry.key === active) void this.stopOther(o);
    this.fire(undefined);
  }

  /** A top node's children: its fleet's groups once its watches listed everything, or why they could not. */
  private async rootChildren(id: string): Promise<string[]> {
    const other = this.otherAt(id)!;
    if (!other.entry.reachable) return [];
    if (other.error) return [`${id}/~error`];
    if (!other.connection) await this.startOther(other);
    if (other.error) return [`${id}/~error`];
    return other.connection?.model.get(id)?.children ?? [];
  }

  private async startOther(other: Other): Promise<void> {
    const { kube, clock, logger } = this.runtime;
    const { entry } = other;
    let connection: FleetConnection | undefined;
    try {
      const kc = kube.load(entry.context, entry.file);
      const ocmServed = kube.ocmServed && (() => kube.ocmServed!(kc));
      const started = new FleetConnection({ name: entry.label, streams: (k) => kube.stream(kc, k), ocmServed, clock, logger });
      connection = started;
      other.connection = started;
      other.subscription = started.onDidChange((ids) => this.fire(ids.filter((i) => started.model.get(i))));
      await started.start();
      logger.info(`watching meta cluster '${entry.label}' (not the active one): ${started.model.size} fleet nodes`);
    } catch (e) {
      // Collapsed or switched to while listing: stopping it was the point, not a failure.
      if (connection && other.connection !== connection) return;
      other.error = e instanceof Error ? e.message : String(e);
      logger.warn(`meta cluster '${entry.label}': ${other.error}`);
      await this.stopOther(other, true);
    }
  }

  private async stopOther(other: Other, keepError = false): Promise<void> {
    const connection = other.connection;
    other.connection = undefined;
    other.subscription?.dispose();
    other.subscription = undefined;
    if (!keepError) other.error = undefined;
    if (connection) {
      await connection.stop();
      this.runtime.logger.debug(`stopped the watches of meta cluster '${other.entry.label}'`);
    }
  }

  /** The other meta cluster whose tree holds `id`. */
  private ownerOf(id: string): Other | undefined {
    for (const [root, o] of this.others)
      if (o.connection && (id === root || id.startsWith(`${root}/`)) && o.connection.model.get(id)) return o;
    return undefined;
  }

  private view(id: string): FleetNodeView | undefined {
    const other = this.otherAt(id);
    if (other) return this.rootView(id, other);
    if (id.endsWith('/~error')) {
      const o = this.others.get(id.slice(0, -'/~error'.length));
      if (o)
        return {
          id,
          label: o.error ?? 'unavailable',
          tooltip: `${o.error ?? ''}\n\nCollapse and expand to retry.`,
          icon: 'warning#list.warningForeground',
          collapsible: 'none',
        };
    }
    const node = this.ownerOf(id)?.connection?.model.get(id);
    return node ? { ...toFleetNodeView(node), contextValue: inactiveContextValue(node.contextValue) } : undefined;
  }

  private rootView(id: string, { entry, connection }: Other): FleetNodeView {
    const where = [entry.server, entry.origin].filter(Boolean).join(' · ');
    if (!entry.reachable) {
      return {
        id,
        label: entry.label,
        description: 'unreachable',
        tooltip: `${entry.context}${where ? ` (${where})` : ''}: ${entry.reason}`,
        icon: 'debug-disconnect#list.warningForeground',
        contextValue: 'kokpit.other.metaCluster.unreachable',
        collapsible: 'none',
      };
    }
    const node = connection?.model.get(id);
    const base = node ? toFleetNodeView(node) : { id, label: entry.label, icon: 'cloud' };
    return {
      ...base,
      description: 'meta cluster (not active)',
      tooltip:
        `${entry.context}${where ? ` (${where})` : ''}\n\nNot the active meta cluster: "Switch Meta Cluster" makes it the one ` +
        'the status bar, the actions and the reconcilers use.',
      contextValue: 'kokpit.other.metaCluster',
      collapsible: 'collapsed',
    };
  }

  private fire(ids: string[] | undefined): void {
    if (ids && ids.length === 0) return;
    for (const l of this.listeners) l(ids);
  }
}

/** Stops a top node's watches when it is collapsed. */
export function registerMetaClusters(context: vscode.ExtensionContext, metaClusters: MetaClusters, view: vscode.TreeView<string>): void {
  context.subscriptions.push(
    metaClusters,
    view.onDidCollapseElement((e) => metaClusters.collapsed(e.element)),
  );
}
