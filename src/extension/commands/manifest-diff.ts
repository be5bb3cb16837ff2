// "Diff Document with Meta Cluster": the live object beside what a server-side dry-run apply of one document
// (field manager 'kokpit', as Apply) would store, in VS Code's diff editor. Both sides are read-only virtual
// documents (scheme kokpit-diff); an object that does not exist yet diffs against an empty document.
import * as vscode from 'vscode';
import { dryRunDiff } from '../../actions/manifest-diff';
import { documentLenses, lensAt } from '../../language';
import { makeObjectApi } from '../../kube';
import { objectLabel, planDocument } from '../model/apply-plan';
import { COMMANDS } from '../model/commands';
import { offlineValidationOptions } from '../model/validation-options';
import { currentDocument, documentName } from './active-document';
import type { CommandModule, CommandServices } from './types';

export const DIFF_SCHEME = 'kokpit-diff';

/** The texts of open diff sides by URI; a new diff of the same object replaces them (and the editor follows). */
class DiffDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    const had = this.texts.has(uri.toString());
    this.texts.set(uri.toString(), text);
    if (had) this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.changed.dispose();
  }
}

const diffDocuments = new DiffDocuments();

export function registerDiffDocuments(context: vscode.ExtensionContext): void {
  context.subscriptions.push(diffDocuments, vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diffDocuments));
}

/** The document index: the CodeLens passes it; from the palette, the kokpit document under the cursor. */
function documentIndex(doc: vscode.TextDocument, arg: unknown): number {
  if (typeof arg === 'number') return arg;
  const editor = vscode.window.activeTextEditor;
  const offset = editor?.document === doc && editor.selection ? doc.offsetAt(editor.selection.active) : 0;
  const lens = lensAt(documentLenses(doc.getText()), offset);
  if (!lens) throw new Error(`${documentName(doc)} holds no kokpit document to diff`);
  return lens.document;
}

async function diffDocument({ fleet, runtime }: CommandServices, arg?: unknown, index?: unknown): Promise<void> {
  const doc = await currentDocument(arg, 'diff with the meta cluster');
  const file = documentName(doc);
  const obj = planDocument(doc.getText(), file, documentIndex(doc, index), offlineValidationOptions());
  const kc = fleet.metaKubeConfig;
  if (fleet.state.kind !== 'connected' || !kc) throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")');
  const what = objectLabel(obj);
  const diff = await runtime.progress.run(`dry-run apply of ${what}`, () => dryRunDiff(makeObjectApi(kc), obj));
  const base = `/${obj.kind}/${obj.metadata?.namespace ?? '_'}/${obj.metadata?.name}`;
  const left = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `${base}.live.yaml` });
  const right = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `${base}.dry-run.yaml` });
  diffDocuments.set(left, diff.live);
  diffDocuments.set(right, diff.applied);
  const state = !diff.exists ? 'new object' : diff.changed ? 'changes' : 'no change';
  runtime.logger.info(`diff ${file} ${what} on ${fleet.state.context}: ${state}`);
  const title = `${what}: ${diff.exists ? 'live' : '(does not exist)'} ↔ after apply (dry run, ${state})`;
  await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
}

export const manifestDiffCommands: CommandModule = {
  [COMMANDS.diffDocument.id]: diffDocument,
};
