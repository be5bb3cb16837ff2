// The Fleet dashboard webview, kept thin: a DashboardModel (src/fleet/dashboard.ts) fed by the same watches as the
// Fleet tree (the controller's object events), all rows posted once, then the feed's small updates in batches.
// The model lives as long as the extension, so the etcd DB size sparklines have history when the panel opens.
// While the panel is open, the rows the webview shows get their business apiserver's request rate
// (src/fleet/api-rate.ts): the webview says which rows are in its window, the sampler reads only those.
// While it is open, the BusinessClusters' Events are watched too (src/fleet/cluster-events.ts) for "Last event".
import * as vscode from 'vscode';
import type { BusinessCluster } from '../../api';
import { ApiRateSampler, metricsReader } from '../../fleet/api-rate';
import { ClusterEventsWatch } from '../../fleet/cluster-events';
import { DashboardFeed, DashboardModel, type DashboardObject } from '../../fleet/dashboard';
import type { FleetController } from '../fleet/controller';
import type { ObjectRef } from '../model/fleet-connection';
import { dashboardHtml, makeNonce } from './html';

/** Changes inside this window go out as one message (the initial list fires one event per object). */
const BATCH_MS = 20;

type FromWebview = { type: 'ready' } | { type: 'reveal'; id: string } | { type: 'visible'; ids: string[] };

/** At most this many shown rows are read per round (a tall window shows ~60). */
const MAX_SAMPLED_ROWS = 100;

export class FleetDashboard implements vscode.Disposable {
  private model: DashboardModel;
  private feed: DashboardFeed;
  private panel: vscode.WebviewPanel | undefined;
  private readonly pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: vscode.Disposable[];
  private sampler: ApiRateSampler | undefined;
  private events: ClusterEventsWatch | undefined;
  private visible: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly fleet: FleetController,
    private readonly tree: vscode.TreeView<string>,
  ) {
    this.model = DashboardModel.of((k) => fleet.objectsOfKind(k));
    this.feed = new DashboardFeed(this.model);
    this.subscriptions = [fleet.onDidChangeObject((ref) => this.changed(ref)), fleet.onDidChangeState(() => this.reload())];
  }

  open(): void {
    if (this.panel) return this.panel.reveal();
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('kokpit.dashboard', 'Fleet Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      // 1,000 rows are cheaper kept than rebuilt each time the tab comes back.
      retainContextWhenHidden: true,
    });
    const uri = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(media, file)).toString();
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: uri('dashboard.js'),
      styleUri: uri('dashboard.css'),
    });
    panel.webview.onDidReceiveMessage((m: FromWebview) => this.received(m));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.stopWatching();
    });
    this.panel = panel;
    this.startWatching();
  }

  dispose(): void {
    this.stopWatching();
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.panel?.dispose();
  }

  private received(m: FromWebview): void {
    if (m.type === 'ready') this.postAll();
    else if (m.type === 'reveal') void this.reveal(m.id);
    else if (m.type === 'visible') this.visible = m.ids.slice(0, MAX_SAMPLED_ROWS);
  }

  /**
   * While the panel is open and connected (a new connection restarts both): the shown rows' API request rates,
   * and the clusters' Events.
   */
  private startWatching(): void {
    const meta = this.fleet.metaKubeConfig;
    if (!this.panel || !meta) return;
    this.events = new ClusterEventsWatch(meta, (ev, removed) => this.markChanged(this.model.recordEvent(ev, removed)));
    void this.events.start();
    const reader = metricsReader(meta);
    this.sampler = new ApiRateSampler({
      clusters: () =>
        this.visible.flatMap((id) => {
          const [namespace, name] = id.split('/');
          const bc = this.fleet.object({ kind: 'BusinessCluster', namespace, name }) as BusinessCluster | undefined;
          return bc?.status?.kubeconfigSecretName ? [{ id, bc }] : [];
        }),
      read: (bc) => reader.read(bc),
      onSample: (id, t, total) => this.markChanged(this.model.recordApiRequests(id, t, total)),
    });
    this.sampler.start();
  }

  private stopWatching(): void {
    this.sampler?.stop();
    this.sampler = undefined;
    void this.events?.stop();
    this.events = undefined;
  }

  private postAll(): void {
    const state = this.fleet.state;
    const message = state.kind === 'connected' ? undefined : 'Not connected to a meta cluster (Kokpit: Connect to Meta Cluster).';
    this.pending.clear();
    void this.panel?.webview.postMessage({ type: 'rows', rows: this.feed.full(), message });
  }

  /** A new connection (or none): a new model, every row again. */
  private reload(): void {
    this.model = DashboardModel.of((k) => this.fleet.objectsOfKind(k));
    this.feed = new DashboardFeed(this.model);
    this.stopWatching();
    this.startWatching();
    if (this.panel) this.postAll();
  }

  private changed(ref: ObjectRef): void {
    const obj = this.fleet.object(ref);
    this.markChanged(obj ? this.model.upsert(obj as DashboardObject) : this.model.remove(ref));
  }

  private markChanged(ids: string[]): void {
    if (!this.panel || ids.length === 0) return;
    for (const id of ids) this.pending.add(id);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const updates = this.feed.updates(this.pending);
    this.pending.clear();
    if (updates.length) void this.panel?.webview.postMessage({ type: 'update', updates });
  }

  /** Shows the cluster's node in the Fleet view (`id` is `namespace/name`). */
  private async reveal(id: string): Promise<void> {
    const node = this.fleet
      .objectNodes()
      .find((n) => n.ref?.kind === 'BusinessCluster' && `${n.ref.namespace ?? 'default'}/${n.ref.name}` === id);
    if (!node) return void vscode.window.showWarningMessage(`Kokpit: ${id} is no longer in the fleet`);
    await this.tree.reveal(node.id, { select: true, focus: true, expand: true });
  }
}

export function registerDashboard(context: vscode.ExtensionContext, fleet: FleetController, tree: vscode.TreeView<string>): FleetDashboard {
  const dashboard = new FleetDashboard(context.extensionUri, fleet, tree);
  context.subscriptions.push(dashboard);
  return dashboard;
}
