// Entry point, kept thin: build the runtime once, then let each feature register itself.
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerDashboard } from './dashboard/panel';
import { registerEventsDocuments } from './commands/cluster-actions';
import { createReconcilers } from './commands/reconcilers';
import { registerDiffDocuments } from './commands/manifest-diff';
import { registerRenderPreview } from './commands/render-preview';
import { FleetController } from './fleet/controller';
import { InsideTree, registerInside } from './fleet/inside';
import { MetaClusters, registerMetaClusters } from './fleet/meta-clusters';
import { registerPodLogs } from './fleet/pod-logs';
import { registerObjectDocuments } from './fleet/object-documents';
import { registerNotifications } from './fleet/notifications';
import { registerStatusBar } from './fleet/status-bar';
import { registerFleetView } from './fleet/tree';
import { registerCodeActions } from './language/code-actions';
import { registerCodeLens } from './language/code-lens';
import { registerCompletion } from './language/completion';
import { registerDiagnostics } from './language/diagnostics';
import { registerHover } from './language/hover';
import type { ReconcilerService } from './model/reconcilers';
import { createRuntime } from './runtime';
import { removeAllPrivateKubeconfigs } from './model/terminal-kubeconfig';

/** Kept for deactivate(), which must stop the reconcilers gracefully (release the lease) before the host exits. */
let reconcilers: ReconcilerService | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const runtime = createRuntime(context);

  const fleet = new FleetController(runtime, context.globalState);
  context.subscriptions.push(fleet);
  // Connected, a BusinessCluster at a version the meta cluster's catalog cannot run is warned about as it is typed.
  const diagnostics = registerDiagnostics(context, runtime, () => fleet.validationOptions());
  registerCompletion(context, runtime);
  registerHover(context, runtime);
  registerCodeLens(context, runtime);
  registerCodeActions(context, runtime, () => fleet.validationOptions());

  // Each BusinessCluster node gets an "Inside" group (its own objects, through its admin kubeconfig).
  // The other kubeconfig contexts that hold a meta cluster are top nodes beside the active one (issue 21).
  const metaClusters = new MetaClusters(runtime, fleet);
  const insideTree = new InsideTree(metaClusters.source, fleet);
  const fleetView = registerFleetView(context, runtime, fleet, insideTree.source);
  registerMetaClusters(context, metaClusters, fleetView);
  registerInside(context, insideTree, fleetView, fleet.onDidChangeState);
  const inside = { tree: insideTree, logs: registerPodLogs(context) };
  const dashboard = registerDashboard(context, fleet, fleetView);
  registerObjectDocuments(context, fleet);
  registerStatusBar(context, fleet);
  registerRenderPreview(context);
  registerEventsDocuments(context);
  registerDiffDocuments(context);
  registerNotifications(context, runtime, fleet);
  reconcilers = createReconcilers(context, runtime, fleet);
  registerCommands(context, { runtime, diagnostics, fleet, reconcilers, dashboard, inside, metaClusters });

  // The host's uptime shows how much of the wait before activation was VS Code starting, not kokpit.
  runtime.logger.info(
    `activated in ${Math.round(performance.now() - started)} ms (extension host up ${Math.round(process.uptime() * 1000)} ms)`,
  );
  // Connecting runs after activation returns: an unreachable cluster never slows the editor down.
  void fleet.autoConnect();
}

export async function deactivate(): Promise<void> {
  // Everything else is in context.subscriptions; VS Code disposes it. The reconcilers finish their passes first.
  const running = reconcilers;
  reconcilers = undefined;
  await running?.stop(5_000);
  removeAllPrivateKubeconfigs();
}
