// Fleet commands: connect/disconnect/refresh, and actions on a node (from its context menu, or from the palette
// with a quick pick of fleet objects): open its YAML, show status and conditions, copy a business cluster's kubeconfig.
import * as vscode from 'vscode';
import type { FleetNode } from '../../fleet/model';
import { COMMANDS, nodeIdArgument } from '../model/commands';
import { OBJECT_SCHEME, objectViewPath, type ObjectView } from '../model/object-documents';
import type { CommandModule, CommandServices } from './types';

async function connect({ fleet, runtime }: CommandServices, arg?: unknown): Promise<void> {
  let context = typeof arg === 'string' ? arg : undefined;
  if (!context) {
    let contexts: { names: string[]; current?: string };
    try {
      contexts = runtime.kube.contexts();
    } catch (e) {
      const open = 'Open Settings';
      const choice = await vscode.window.showErrorMessage(`Kokpit: ${e instanceof Error ? e.message : String(e)}`, open);
      if (choice === open) await vscode.commands.executeCommand('workbench.action.openSettings', 'kokpit.kubeconfig');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      contexts.names.map((name) => ({ label: name, description: name === contexts.current ? 'current context' : undefined })),
      { title: 'Kokpit: connect to a meta cluster', placeHolder: `a context of ${runtime.kube.files().join(', ')}` },
    );
    if (!picked) return;
    context = picked.label;
  }
  const state = await fleet.connect(context);
  if (state.kind === 'connected') {
    void vscode.window.showInformationMessage(`Kokpit: connected to ${state.context}`);
    await vscode.commands.executeCommand('kokpit.fleet.focus');
  }
}

/** The node a tree command acts on: its argument, or the user's pick among fleet objects. */
export async function pickNode(
  { fleet }: CommandServices,
  arg: unknown,
  what: string,
  accept: (n: FleetNode) => boolean,
): Promise<FleetNode | undefined> {
  const id = nodeIdArgument(arg);
  if (id) {
    const node = fleet.node(id);
    if (!node) throw new Error(`${id} is no longer in the fleet`);
    return node;
  }
  if (fleet.state.kind !== 'connected') throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")');
  const candidates = fleet.objectNodes().filter(accept);
  if (candidates.length === 0) throw new Error(`no ${what} in the fleet`);
  const picked = await vscode.window.showQuickPick(
    candidates.map((n) => ({
      label: n.label,
      description: `${n.ref!.kind}${n.ref!.namespace ? ` · ${n.ref!.namespace}` : ''}`,
      detail: n.description,
      node: n,
    })),
    { title: `Kokpit: ${what}`, matchOnDescription: true },
  );
  return picked?.node;
}

async function openView(services: CommandServices, arg: unknown, view: ObjectView): Promise<void> {
  const withStatus = (n: FleetNode) => view === 'yaml' || ['EtcdCluster', 'BusinessCluster', 'Machine', 'MachineSet'].includes(n.ref!.kind);
  const node = await pickNode(services, arg, view === 'yaml' ? 'open the YAML of' : 'show the status of', (n) => !!n.ref && withStatus(n));
  if (!node) return;
  if (!node.ref) throw new Error(`${node.label} is not an API object`);
  const uri = vscode.Uri.from({ scheme: OBJECT_SCHEME, path: objectViewPath(view, node.ref) });
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(document, 'yaml');
  await vscode.window.showTextDocument(document, { preview: true });
}

async function copyKubeconfig(services: CommandServices, arg?: unknown): Promise<void> {
  const { fleet, runtime } = services;
  const node = await pickNode(services, arg, 'copy the kubeconfig of', (n) => n.ref?.kind === 'BusinessCluster');
  if (!node?.ref) return;
  if (node.ref.kind !== 'BusinessCluster') throw new Error(`${node.label} is not a business cluster`);
  const cluster = fleet.object(node.ref) as { status?: { kubeconfigSecretName?: string } } | undefined;
  const secretName = cluster?.status?.kubeconfigSecretName;
  if (!secretName) throw new Error(`business cluster ${node.label} has no kubeconfig yet (status.kubeconfigSecretName is empty)`);
  const kc = fleet.metaKubeConfig;
  if (!kc) throw new Error('not connected to a meta cluster');
  const text = await runtime.kube.businessClusterKubeconfig(kc, node.ref.namespace ?? 'default', secretName);
  await vscode.env.clipboard.writeText(text);
  // The kubeconfig itself is a secret: only where it came from is logged.
  runtime.logger.info(`copied the kubeconfig of ${node.ref.namespace}/${node.ref.name} (Secret ${secretName}) to the clipboard`);
  void vscode.window.showInformationMessage(`Kokpit: kubeconfig of ${node.label} copied to the clipboard`);
}

export const fleetCommands: CommandModule = {
  [COMMANDS.connect.id]: connect,
  [COMMANDS.disconnect.id]: ({ fleet }) => fleet.disconnect(),
  [COMMANDS.refresh.id]: async ({ fleet, metaClusters }) => {
    // The other meta clusters are looked for again too (issue 21), in the background.
    void metaClusters?.discover();
    if (fleet.state.kind === 'disconnected') return vscode.commands.executeCommand(COMMANDS.connect.id);
    return fleet.refresh();
  },
  [COMMANDS.openYaml.id]: (s, arg) => openView(s, arg, 'yaml'),
  [COMMANDS.showStatus.id]: (s, arg) => openView(s, arg, 'status'),
  [COMMANDS.copyKubeconfig.id]: copyKubeconfig,
};
