// Apply, Diff and Render above each kokpit document of a YAML file (positions from src/language/code-lens.ts).
// Each lens runs the file command with the document's index, so it acts on that document alone.
import * as vscode from 'vscode';
import { documentLenses } from '../../language';
import { COMMANDS } from '../model/commands';
import { shouldValidate } from '../model/documents';
import type { Runtime } from '../runtime';
import { YAML_SELECTOR } from './selector';

export function codeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
  if (!shouldValidate(document.languageId, document.getText())) return [];
  return documentLenses(document.getText()).flatMap((l) => {
    const at = document.positionAt(l.offset);
    const range = new vscode.Range(at, at);
    const args = [document.uri, l.document];
    const what = `${l.kind}${l.name ? ` ${l.name}` : ''}`;
    const lens = (title: string, command: string, tooltip: string) =>
      new vscode.CodeLens(range, { title, command, arguments: args, tooltip });
    return [
      lens('Apply', COMMANDS.applyCurrentFile.id, `Server-side apply ${what} to the connected meta cluster`),
      lens('Diff', COMMANDS.diffDocument.id, `What applying ${what} would change (server-side dry run)`),
      ...(l.renderable ? [lens('Render', COMMANDS.renderPreview.id, `The meta-cluster objects ${what} renders to`)] : []),
    ];
  });
}

export function registerCodeLens(context: vscode.ExtensionContext, runtime: Runtime): void {
  const provider: vscode.CodeLensProvider = {
    provideCodeLenses(document) {
      try {
        return codeLenses(document);
      } catch (e) {
        runtime.logger.error(`code lenses of ${document.uri.fsPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return [];
      }
    },
  };
  context.subscriptions.push(vscode.languages.registerCodeLensProvider(YAML_SELECTOR, provider));
}
