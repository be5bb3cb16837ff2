// "Render Preview": a read-only virtual document (scheme kokpit-render) with the meta-cluster objects the current
// file would produce, rendered offline. It follows the source: edits re-render it. From a CodeLens, the second
// argument is one document's index and the preview renders that document alone.
import * as vscode from 'vscode';
import { COMMANDS } from '../model/commands';
import {
  RENDER_SCHEME,
  documentOfRenderPreviewPath,
  renderPreviewPath,
  renderPreviewText,
  sourceOfRenderPreviewPath,
} from '../model/render-preview';
import { offlineValidationOptions } from '../model/validation-options';
import { currentDocument, documentName } from './active-document';
import type { CommandModule } from './types';

export class RenderPreviewProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** Open previews (the whole file's and single documents') by source URI. */
  private readonly previews = new Map<string, Map<string, vscode.Uri>>();

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const source = sourceOfRenderPreviewPath(uri.path);
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === source) ??
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(source)));
    if (!this.previews.has(source)) this.previews.set(source, new Map());
    this.previews.get(source)!.set(uri.toString(), uri);
    return renderPreviewText(doc.getText(), documentName(doc), offlineValidationOptions(), documentOfRenderPreviewPath(uri.path));
  }

  /** Re-renders the previews of `source`, if any are open. */
  sourceChanged(source: vscode.Uri): void {
    for (const preview of this.previews.get(source.toString())?.values() ?? []) this.changed.fire(preview);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerRenderPreview(context: vscode.ExtensionContext): RenderPreviewProvider {
  const provider = new RenderPreviewProvider();
  context.subscriptions.push(
    provider,
    vscode.workspace.registerTextDocumentContentProvider(RENDER_SCHEME, provider),
    vscode.workspace.onDidChangeTextDocument((e) => provider.sourceChanged(e.document.uri)),
  );
  return provider;
}

async function renderPreview(_services: unknown, arg?: unknown, document?: unknown): Promise<void> {
  const doc = await currentDocument(arg, 'preview what it renders');
  const only = typeof document === 'number' ? document : undefined;
  const uri = vscode.Uri.from({ scheme: RENDER_SCHEME, path: renderPreviewPath(doc.uri.toString(), only) });
  const preview = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(preview, 'yaml');
  await vscode.window.showTextDocument(preview, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

export const renderCommands: CommandModule = {
  [COMMANDS.renderPreview.id]: renderPreview,
};
