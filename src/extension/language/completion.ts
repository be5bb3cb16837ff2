// Completion from the schema-driven engine (src/language): offsets there, positions here.
import * as vscode from 'vscode';
import { completionsAt } from '../../language';
import type { Runtime } from '../runtime';
import { assists, YAML_SELECTOR } from './selector';

type EngineItem = ReturnType<typeof completionsAt>[number];

const KIND: Record<EngineItem['kind'], vscode.CompletionItemKind> = {
  property: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.Value,
  snippet: vscode.CompletionItemKind.Snippet,
};

// What a key, a value or an apiVersion is made of: the text a completion replaces.
const WORD = /[A-Za-z0-9_./-]+/;

export function toCompletionItem(item: EngineItem, index: number, range: vscode.Range): vscode.CompletionItem {
  const out = new vscode.CompletionItem(item.label, KIND[item.kind]);
  out.insertText = item.kind === 'snippet' ? new vscode.SnippetString(item.insertText) : item.insertText;
  if (item.detail) out.detail = item.detail;
  if (item.documentation) out.documentation = new vscode.MarkdownString(item.documentation);
  // Keep the engine's order (it knows required fields come first).
  out.sortText = String(index).padStart(4, '0');
  out.range = range;
  return out;
}

export function registerCompletion(context: vscode.ExtensionContext, runtime: Runtime): void {
  const provider: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position, _token, completion) {
      if (!assists(document)) return undefined;
      // A space triggers only right after `key:` or `- `, not in the middle of a value.
      if (completion.triggerCharacter === ' ') {
        const before = document.lineAt(position.line).text.slice(0, position.character);
        if (!/(:|^\s*-)\s$/.test(before)) return undefined;
      }
      try {
        const items = completionsAt(document.getText(), document.offsetAt(position));
        // Replace what was typed of the word (not the editor's default word, which for YAML stops at `.` and `/`).
        const word = document.getWordRangeAtPosition(position, WORD);
        const range = new vscode.Range(word ? word.start : position, position);
        return items.map((item, i) => toCompletionItem(item, i, range));
      } catch (e) {
        runtime.logger.error(`completion in ${document.uri.fsPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return undefined;
      }
    },
  };
  context.subscriptions.push(vscode.languages.registerCompletionItemProvider(YAML_SELECTOR, provider, ' ', ':'));
}
