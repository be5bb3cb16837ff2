// "Inside" under each BusinessCluster node of the Fleet view: Nodes, Namespaces → Pods, Deployments, Services,
// Events of the business cluster, read through its admin kubeconfig. Wraps the fleet's FleetSource; a list is
// listed and watched when it is expanded (getChildren) and stopped when it is collapsed or its cluster goes.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { BusinessCluster } from '../../api';
import { itemView, listLabel, NAMESPACED_LISTS, type InsideList } from '../../fleet/inside';
import { businessKubeConfig, ListWatch } from '../../fleet/inside-watch';
import type { FleetNode } from '../../fleet/model';
import type { FleetStatus } from '../../fleet/model';
import { COMMANDS } from '../model/commands';
import type { FleetNodeView, FleetSource } from './source';

type Entry =
  | { type: 'group'; cluster: string }
  | { type: 'list'; cluster: string; list: InsideList }
  | { type: 'item'; cluster: string; listId: string; list: InsideList; name: string }
  | { type: 'more' | 'message'; cluster: string; listId: string };

interface Session {
  kc: Promise<KubeConfig> | undefined;
  lists: Map<string, ListWatch>;
}

/** What the Inside tree needs from the fleet connection. */
export interface InsideFleet {
  node(id: string): FleetNode | undefined;
  object(ref: { kind: string; namespace?: string; name: string }): KubernetesObject | undefined;
  readonly metaKubeConfig: KubeConfig | undefined;
}

const COALESCE_MS = 100;

const STATUS_COLOR: Partial<Record<FleetStatus, string>> = {
  ok: 'testing.iconPassed',
  warning: 'list.warningForeground',
  error: 'list.errorForeground',
};

export class InsideTree implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(ids: string[] | undefined) => void>();
  private readonly subscription: { dispose(): void };
  /** Lists changed since the last refresh: a burst of watch events becomes one tree refresh per list. */
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  readonly source: FleetSource<string>;

  constructor(
    private readonly base: FleetSource<string>,
    private readonly fleet: InsideFleet,
    private readonly pageSize?: number,
  ) {
    this.subscription = base.onDidChange((ids) => {
      this.dropGoneClusters();
      this.fire(ids);
    });
    this.source = {
      roots: () => base.roots(),
      children: (id) => this.children(id),
      parent: (id) => this.parentOf(id),
      view: (id) => this.view(id),
      onDidChange: (l) => {
        this.listeners.add(l);
        return { dispose: () => void this.listeners.delete(l) };
      },
    };
  }

  /** The object a pod (or other item) node stands for, with the business cluster it lives in. */
  item(id: string): { cluster: BusinessCluster; list: InsideList; obj: KubernetesObject } | undefined {
    const e = this.entries.get(id);
    if (e?.type !== 'item') return undefined;
    const obj = this.sessions.get(e.cluster)?.lists.get(e.listId)?.state.get(e.name);
    const cluster = this.cluster(e.cluster);
    return obj && cluster ? { cluster, list: e.list, obj } : undefined;
  }

  /** The admin kubeconfig of the cluster an Inside node belongs to. */
  kubeConfigOf(id: string): Promise<KubeConfig> {
    const e = this.entries.get(id);
    if (!e) throw new Error(`${id} is not inside a business cluster`);
    return this.kubeConfig(e.cluster);
  }

  /** "Load more…" (the next page) or a retry of a list that could not be read. */
  async loadMore(id: string): Promise<void> {
    const e = this.entries.get(id);
    const listId = e && 'listId' in e ? e.listId : id;
    await this.sessions
      .get(e?.cluster ?? '')
      ?.lists.get(listId)
      ?.loadMore();
  }

  /** A collapsed node stops the watches below it (in the Inside tree, or any fleet node above a cluster). */
  collapsed(id: string): void {
    for (const [cluster, s] of this.sessions) {
      const above = this.isAncestor(id, cluster);
      for (const [listId, lw] of s.lists) {
        if (above || listId === id || listId.startsWith(`${id}/`)) {
          lw.stop();
          s.lists.delete(listId);
        }
      }
    }
    this.fire([id]);
  }

  /** Active watches (one per expanded list), for tests and logs. */
  get activeLists(): string[] {
    return [...this.sessions.values()].flatMap((s) => [...s.lists.keys()]);
  }

  /** Stops every watch and forgets the kubeconfigs (a refresh lists again, e.g. after "not yet authorized"). */
  reset(): void {
    for (const s of this.sessions.values()) for (const lw of s.lists.values()) lw.stop();
    this.sessions.clear();
    this.entries.clear();
  }

  dispose(): void {
    this.reset();
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.listeners.clear();
  }

  private listChanged(id: string): void {
    this.pending.add(id);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const ids = [...this.pending];
      this.pending.clear();
      this.fire(ids);
    }, COALESCE_MS);
  }

  private fire(ids: string[] | undefined): void {
    for (const l of this.listeners) l(ids);
  }

  private cluster(id: string): BusinessCluster | undefined {
    const ref = this.fleet.node(id)?.ref;
    return ref ? (this.fleet.object(ref) as BusinessCluster | undefined) : undefined;
  }

  private kubeConfig(clusterId: string): Promise<KubeConfig> {
    const s = this.session(clusterId);
    if (!s.kc) {
      const meta = this.fleet.metaKubeConfig;
      const bc = this.cluster(clusterId);
      if (!meta) return Promise.reject(new Error('not connected to a meta cluster'));
      if (!bc) return Promise.reject(new Error('the business cluster is no longer in the fleet'));
      // A failure is not kept: the next expand or refresh reads the Secret again.
      s.kc = businessKubeConfig(meta, bc).catch((e) => {
        s.kc = undefined;
        throw e;
      });
    }
    return s.kc;
  }

  private session(clusterId: string): Session {
    let s = this.sessions.get(clusterId);
    if (!s) this.sessions.set(clusterId, (s = { kc: undefined, lists: new Map() }));
    return s;
  }

  /** Whether `id` is `node` or one of its parents in the fleet tree (the meta cluster, the clusters group). */
  private isAncestor(id: string, node: string): boolean {
    for (let n: string | undefined = node; n; n = this.base.parent(n)) if (n === id) return true;
    return false;
  }

  private dropGoneClusters(): void {
    for (const [cluster, s] of this.sessions) {
      if (this.fleet.node(cluster)) continue;
      for (const lw of s.lists.values()) lw.stop();
      this.sessions.delete(cluster);
    }
  }

  private put(id: string, e: Entry): string {
    this.entries.set(id, e);
    return id;
  }

  private async children(id: string): Promise<string[]> {
    const e = this.entries.get(id);
    if (!e) {
      const kids = await this.base.children(id);
      return this.fleet.node(id)?.kind === 'businessCluster' ? [...kids, this.put(`${id}/inside`, { type: 'group', cluster: id })] : kids;
    }
    if (e.type === 'group') {
      return (['nodes', 'namespaces'] as const).map((kind) =>
        this.put(`${id}/${kind}`, { type: 'list', cluster: e.cluster, list: { kind } }),
      );
    }
    if (e.type === 'item' && e.list.kind === 'namespaces') {
      return NAMESPACED_LISTS.map((kind) =>
        this.put(`${id}/${kind}`, { type: 'list', cluster: e.cluster, list: { kind, namespace: e.name } }),
      );
    }
    if (e.type !== 'list') return [];
    return this.listChildren(id, e.cluster, e.list);
  }

  private async listChildren(id: string, cluster: string, list: InsideList): Promise<string[]> {
    const s = this.session(cluster);
    let lw = s.lists.get(id);
    if (!lw) {
      lw = new ListWatch(() => this.kubeConfig(cluster), { list, pageSize: this.pageSize, onChange: () => this.listChanged(id) });
      s.lists.set(id, lw);
      await lw.start();
    }
    const st = lw.state;
    if (st.error !== undefined) return [this.put(`${id}/~message`, { type: 'message', cluster, listId: id })];
    const kids = st.sorted(list.kind).map((o) => {
      const name = o.metadata?.name ?? '';
      return this.put(`${id}/${name}`, { type: 'item', cluster, listId: id, list, name });
    });
    return st.continueToken ? [...kids, this.put(`${id}/~more`, { type: 'more', cluster, listId: id })] : kids;
  }

  private parentOf(id: string): string | undefined {
    const e = this.entries.get(id);
    if (!e) return this.base.parent(id);
    if (e.type === 'group') return e.cluster;
    return id.slice(0, id.lastIndexOf('/'));
  }

  private view(id: string): FleetNodeView {
    const e = this.entries.get(id);
    if (!e) {
      const v = this.base.view(id);
      // A cluster always has its Inside group, so it is always expandable.
      return this.fleet.node(id)?.kind === 'businessCluster' && v.collapsible === 'none' ? { ...v, collapsible: 'collapsed' } : v;
    }
    const lw = 'listId' in e ? this.sessions.get(e.cluster)?.lists.get(e.listId) : undefined;
    switch (e.type) {
      case 'group':
        return {
          id,
          label: 'Inside',
          description: 'admin kubeconfig',
          icon: 'telescope',
          collapsible: 'collapsed',
          contextValue: 'kokpit.inside',
        };
      case 'list': {
        const n = this.sessions.get(e.cluster)?.lists.get(id)?.state;
        const count = n?.loaded && n.error === undefined ? `${n.size}${n.continueToken ? '+' : ''}` : undefined;
        return {
          id,
          label: listLabel(e.list),
          description: count,
          icon: 'list-flat',
          collapsible: 'collapsed',
          contextValue: 'kokpit.inside.list',
        };
      }
      case 'more':
        return { id, label: 'Load more…', icon: 'ellipsis', collapsible: 'none', command: this.loadMoreCommand(id) };
      case 'message':
        return {
          id,
          label: lw?.state.error ?? 'unavailable',
          tooltip: `${lw?.state.error ?? ''}\n\nClick to retry.`,
          icon: 'warning#list.warningForeground',
          collapsible: 'none',
          command: this.loadMoreCommand(id),
        };
      case 'item': {
        const obj = lw?.state.get(e.name);
        if (!obj) return { id, label: e.name, description: '(gone)', collapsible: 'none' };
        const v = itemView(e.list.kind, obj);
        const color = STATUS_COLOR[v.status];
        return {
          id,
          label: v.label,
          description: v.description,
          tooltip: v.tooltip,
          contextValue: v.contextValue,
          icon: v.status === 'progress' ? 'sync~spin' : color ? `${v.icon}#${color}` : v.icon,
          collapsible: e.list.kind === 'namespaces' ? 'collapsed' : 'none',
        };
      }
    }
  }

  private loadMoreCommand(id: string): FleetNodeView['command'] {
    return { id: COMMANDS.insideLoadMore.id, title: 'Load more', args: [id] };
  }
}

/** Stops the watches of collapsed nodes and starts over on every (re)connect (Refresh retries "not yet authorized"). */
export function registerInside(
  context: vscode.ExtensionContext,
  inside: InsideTree,
  view: vscode.TreeView<string>,
  onDidChangeState: vscode.Event<{ kind: string }>,
): void {
  context.subscriptions.push(
    inside,
    view.onDidCollapseElement((e) => inside.collapsed(e.element)),
    onDidChangeState((s) => {
      if (s.kind !== 'connected') inside.reset();
    }),
  );
}
