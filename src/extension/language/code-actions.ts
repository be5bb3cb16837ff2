// Quick fixes for kokpit's diagnostics (computed by src/language/quick-fixes.ts from the validator's findings, with
// the same options the diagnostics use, so a catalog version fix knows the connected meta cluster's catalog).
import * as vscode from 'vscode';
import { quickFixes, type QuickFix } from '../../language';
import { validateText, type ValidateOptions } from '../../validation';
import { shouldValidate } from '../model/documents';
import type { Runtime } from '../runtime';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { YAML_SELECTOR } from './selector';

export function codeActions(document: vscode.TextDocument, range: vscode.Range, options: ValidateOptions): vscode.CodeAction[] {
  const text = document.getText();
  if (!shouldValidate(document.languageId, text)) return [];
  const start = document.offsetAt(range.start);
  const end = document.offsetAt(range.end);
  const here = validateText(text, options).filter((d) => d.offset <= end && d.endOffset >= start);
  return quickFixes(text, here).map((fix) => toAction(document, fix));
}

function toAction(document: vscode.TextDocument, fix: QuickFix): vscode.CodeAction {
  const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
  const d = fix.diagnostic;
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(document.positionAt(d.offset), document.positionAt(d.endOffset)),
    d.message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = d.code;
  action.diagnostics = [diagnostic];
  action.isPreferred = fix.preferred;
  const range = new vscode.Range(document.positionAt(fix.edit.offset), document.positionAt(fix.edit.endOffset));
  const edit = new vscode.WorkspaceEdit();
  if (fix.snippet) {
    const snippet = new vscode.SnippetTextEdit(range, new vscode.SnippetString(fix.edit.newText));
    snippet.keepWhitespace = true; // the lines carry their own indentation
    edit.set(document.uri, [snippet]);
  } else edit.replace(document.uri, range, fix.edit.newText);
  action.edit = edit;
  return action;
}

export function registerCodeActions(context: vscode.ExtensionContext, runtime: Runtime, options: () => ValidateOptions): void {
  const provider: vscode.CodeActionProvider = {
    provideCodeActions(document, range) {
      try {
        return codeActions(document, range, options());
      } catch (e) {
        runtime.logger.error(`quick fixes in ${document.uri.fsPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return [];
      }
    },
  };
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(YAML_SELECTOR, provider, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
}
