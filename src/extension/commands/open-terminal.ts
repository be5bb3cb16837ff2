// "Open Terminal" on a business cluster: its admin kubeconfig (the Secret the cluster operator writes) goes to a
// 0600 file, and a terminal opens with KUBECONFIG pointing at it. The user's own kubeconfig and context are untouched;
// the file is removed when the terminal closes. The content is never logged.
import * as vscode from 'vscode';
import { COMMANDS } from '../model/commands';
import { adminKubeconfigSecret, removePrivateKubeconfig, terminalOptions, writePrivateKubeconfig } from '../model/terminal-kubeconfig';
import { pickNode } from './fleet';
import type { CommandModule, CommandServices } from './types';

async function openTerminal(services: CommandServices, arg?: unknown): Promise<void> {
  const { fleet, runtime } = services;
  const node = await pickNode(services, arg, 'open a terminal for', (n) => n.ref?.kind === 'BusinessCluster');
  if (!node?.ref) return;
  if (node.ref.kind !== 'BusinessCluster') throw new Error(`${node.label} is not a business cluster`);
  const cluster = fleet.object(node.ref) as { metadata?: { name?: string }; status?: { kubeconfigSecretName?: string } } | undefined;
  if (!cluster) throw new Error(`${node.label} is no longer in the fleet`);
  const kc = fleet.metaKubeConfig;
  if (!kc) throw new Error('not connected to a meta cluster');
  const namespace = node.ref.namespace ?? 'default';
  const secretName = adminKubeconfigSecret(cluster);
  const content = await runtime.kube.businessClusterKubeconfig(kc, namespace, secretName);
  const file = writePrivateKubeconfig(content, namespace, node.ref.name);
  const terminal = vscode.window.createTerminal(terminalOptions(namespace, node.ref.name, file));
  const closed = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    removePrivateKubeconfig(file);
    closed.dispose();
  });
  terminal.show();
  runtime.logger.info(
    `opened a terminal for business cluster ${namespace}/${node.ref.name} (kubeconfig from Secret ${secretName} in ${file}, mode 0600)`,
  );
}

export const terminalCommands: CommandModule = {
  [COMMANDS.openTerminal.id]: openTerminal,
};
