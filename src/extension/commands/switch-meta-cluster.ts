// "Kokpit: Switch Meta Cluster" (issue 21): from the palette, a quick pick of the kubeconfig contexts that hold a kokpit
// meta cluster (asked afresh); from a meta-cluster node's context menu, that one. The FleetController connects to it,
// so the status bar, the palette actions and the reconcilers follow without a window reload.
import * as vscode from 'vscode';
import type { DiscoveredMetaCluster } from '../../fleet/meta-discovery';
import { COMMANDS, nodeIdArgument } from '../model/commands';
import type { CommandModule, CommandServices } from './types';

function pickItem(d: DiscoveredMetaCluster, activeKey: string | undefined) {
  const where = [d.server, d.origin].filter(Boolean).join(' · ');
  return {
    label: d.label,
    description: [d.key === activeKey ? 'active' : undefined, d.reachable ? undefined : 'unreachable', where].filter(Boolean).join(' · '),
    detail: d.reachable ? undefined : d.reason,
    entry: d,
  };
}

async function switchMetaCluster({ metaClusters }: CommandServices, arg?: unknown): Promise<void> {
  if (!metaClusters) throw new Error('the Fleet view is not ready');
  const id = nodeIdArgument(arg);
  let target = id ? metaClusters.entryOfRoot(id) : undefined;
  if (id && !target) throw new Error(`${id} is not a meta cluster the Fleet view found`);
  if (!target) {
    const found = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Kokpit: looking for meta clusters' },
      () => metaClusters.discover(),
    );
    if (found.length === 0) {
      void vscode.window.showInformationMessage("Kokpit: no kubeconfig context serves kokpit's CRDs (kokpit.dev/v1alpha1)");
      return;
    }
    const active = metaClusters.activeKey;
    const picked = await vscode.window.showQuickPick(
      found.map((d) => pickItem(d, active)),
      { title: 'Kokpit: switch the active meta cluster', placeHolder: 'the kubeconfig contexts that hold a kokpit meta cluster' },
    );
    if (!picked) return;
    target = picked.entry;
  }
  const state = await metaClusters.switchTo(target);
  if (state.kind === 'connected') void vscode.window.showInformationMessage(`Kokpit: the active meta cluster is now ${state.context}`);
}

export const switchMetaClusterCommands: CommandModule = {
  [COMMANDS.switchMetaCluster.id]: switchMetaCluster,
};
