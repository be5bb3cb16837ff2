// The document a "current file" command acts on: its argument (a URI from an editor/title menu) or the active editor.
import * as vscode from 'vscode';

export async function currentDocument(arg: unknown, what: string): Promise<vscode.TextDocument> {
  if (arg instanceof vscode.Uri) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === arg.toString());
    return open ?? (await vscode.workspace.openTextDocument(arg));
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error(`open a kokpit YAML file to ${what}`);
  return editor.document;
}

/** A short name for messages: the workspace-relative path of a file, else the URI. */
export function documentName(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? vscode.workspace.asRelativePath(doc.uri, false) : doc.uri.toString();
}
