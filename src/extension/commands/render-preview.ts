// "Render Preview": a read-only virtual document (scheme kokpit-render) with the meta-cluster objects the current
// file would produce, rendered offline. It follows the source: edits re-render it.
import * as vscode from 'vscode';
import { COMMANDS } from '../model/commands';
import { RENDER_SCHEME, renderPreviewPath, renderPreviewText, sourceOfRenderPreviewPath } from '../model/render-preview';
import { offlineValidationOptions } from '../model/validation-options';
import { currentDocument, documentName } from './active-document';
import type { CommandModule } from './types';

export class RenderPreviewProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** Open previews by source URI. */
  private readonly previews = new Map<string, vscode.Uri>();

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const source = sourceOfRenderPreviewPath(uri.path);
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === source) ??
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(source)));
    this.previews.set(source, uri);
    return renderPreviewText(doc.getText(), documentName(doc), offlineValidationOptions());
  }

  /** Re-renders the preview of `source`, if one is open. */
  sourceChanged(source: vscode.Uri): void {
    const preview = this.previews.get(source.toString());
    if (preview) this.changed.fire(preview);
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

async function renderPreview(_services: unknown, arg?: unknown): Promise<void> {
  const doc = await currentDocument(arg, 'preview what it renders');
  const uri = vscode.Uri.from({ scheme: RENDER_SCHEME, path: renderPreviewPath(doc.uri.toString()) });
  const preview = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(preview, 'yaml');
  await vscode.window.showTextDocument(preview, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

export const renderCommands: CommandModule = {
  [COMMANDS.renderPreview.id]: renderPreview,
};
