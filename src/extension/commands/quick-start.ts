// "New Manifest": an untitled YAML document started from the snippet of the kind picked (or given), ready to fill
// in with tab stops; "Quick Actions": what the status-bar items open, the actions that fit the current state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { manifestTemplates, templateFor, type SnippetEntry } from '../../actions/new-manifest';
import { COMMANDS } from '../model/commands';
import { quickActions } from '../model/quick-actions';
import type { CommandModule, CommandServices } from './types';

/** The kinds offered first: the ones a fleet is built from. */
const FIRST = ['EtcdCluster', 'BusinessCluster', 'Machine', 'MachineSet'];

async function newManifest({ runtime }: CommandServices, arg?: unknown): Promise<void> {
  const file = path.join(runtime.extensionPath, 'snippets', 'kokpit.json');
  let templates;
  try {
    templates = manifestTemplates(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, SnippetEntry>);
  } catch (e) {
    throw new Error(`cannot read the manifest templates in ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let kind = typeof arg === 'string' ? arg : undefined;
  if (!kind) {
    const ordered = [...templates].sort((a, b) => rank(a.kind) - rank(b.kind));
    const picked = await vscode.window.showQuickPick(
      ordered.map((t) => ({ label: t.kind, description: t.description })),
      { title: 'Kokpit: new manifest', placeHolder: 'kind of the new object' },
    );
    if (!picked) return;
    kind = picked.label;
  }
  const template = templateFor(templates, kind);
  const document = await vscode.workspace.openTextDocument({ language: 'yaml' });
  const editor = await vscode.window.showTextDocument(document);
  await editor.insertSnippet(new vscode.SnippetString(template.body));
}

const rank = (kind: string) => (FIRST.includes(kind) ? FIRST.indexOf(kind) : FIRST.length);

async function showQuickActions({ fleet, reconcilers }: CommandServices): Promise<void> {
  const actions = quickActions(fleet.state, reconcilers.state, fleet.kubeconfigFile !== undefined);
  const where = fleet.state.kind === 'connected' ? `meta cluster ${fleet.state.context}` : 'no meta cluster';
  const picked = await vscode.window.showQuickPick(
    actions.map((a) => ({ label: a.label, command: a.command })),
    { title: `Kokpit: ${where}` },
  );
  if (picked) await vscode.commands.executeCommand(picked.command);
}

export const quickStartCommands: CommandModule = {
  [COMMANDS.newManifest.id]: newManifest,
  [COMMANDS.quickActions.id]: showQuickActions,
};
