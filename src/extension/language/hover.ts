// Hover documentation from the schema-driven engine (src/language).
import * as vscode from 'vscode';
import { hoverAt } from '../../language';
import type { Runtime } from '../runtime';
import { assists, YAML_SELECTOR } from './selector';

export function registerHover(context: vscode.ExtensionContext, runtime: Runtime): void {
  const provider: vscode.HoverProvider = {
    provideHover(document, position) {
      if (!assists(document)) return undefined;
      try {
        const found = hoverAt(document.getText(), document.offsetAt(position));
        if (!found) return undefined;
        const range = new vscode.Range(document.positionAt(found.range.offset), document.positionAt(found.range.endOffset));
        return new vscode.Hover(new vscode.MarkdownString(found.markdown), range);
      } catch (e) {
        runtime.logger.error(`hover in ${document.uri.fsPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return undefined;
      }
    },
  };
  context.subscriptions.push(vscode.languages.registerHoverProvider(YAML_SELECTOR, provider));
}
