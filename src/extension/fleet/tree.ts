// The Fleet view: a thin TreeDataProvider over a FleetSource (the pure fleet model behind a FleetController).
import * as vscode from 'vscode';
import type { Runtime } from '../runtime';
import type { FleetController } from './controller';
import type { FleetNodeView, FleetSource } from './source';

export const FLEET_VIEW_ID = 'kokpit.fleet';

const COLLAPSIBLE: Record<FleetNodeView['collapsible'], vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export function toTreeItem(view: FleetNodeView): vscode.TreeItem {
  const item = new vscode.TreeItem(view.label, COLLAPSIBLE[view.collapsible]);
  item.id = view.id;
  if (view.description !== undefined) item.description = view.description;
  if (view.tooltip !== undefined) item.tooltip = view.tooltip;
  if (view.contextValue !== undefined) item.contextValue = view.contextValue;
  if (view.icon) {
    const [id, color] = view.icon.split('#');
    item.iconPath = new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
  }
  if (view.command) item.command = { command: view.command.id, title: view.command.title, arguments: view.command.args };
  return item;
}

export class FleetTreeProvider<N> implements vscode.TreeDataProvider<N>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<N[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly source: FleetSource<N>) {
    this.subscription = source.onDidChange((nodes) => this.changed.fire(nodes));
  }

  getTreeItem(node: N): vscode.TreeItem {
    return toTreeItem(this.source.view(node));
  }

  getChildren(node?: N): vscode.ProviderResult<N[]> {
    return node === undefined ? this.source.roots() : this.source.children(node);
  }

  getParent(node: N): vscode.ProviderResult<N> {
    return this.source.parent(node);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The view over the controller's source; its message line carries connection state and precise errors. */
export function registerFleetView(
  context: vscode.ExtensionContext,
  runtime: Runtime,
  fleet: FleetController,
  source: FleetSource<string> = fleet.source,
): vscode.TreeView<string> {
  const provider = new FleetTreeProvider(source);
  const view = vscode.window.createTreeView(FLEET_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const showState = () => {
    view.message = fleet.stateMessage();
  };
  showState();
  context.subscriptions.push(provider, view, fleet.onDidChangeState(showState));
  runtime.logger.debug('fleet view registered');
  return view;
}
