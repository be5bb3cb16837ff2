// Live validation: a 'kokpit' DiagnosticCollection fed by the pure validation engine (src/validation).
// Open YAML documents that mention kokpit.dev/ or kind.x-k8s.io/ are validated on open and save at once,
// and on change after a pause in typing; closing a document clears its problems.
import * as vscode from 'vscode';
import { validateText, type Diagnostic as KokpitDiagnostic, type ValidateOptions } from '../../validation';
import { KeyedDebouncer } from '../model/debounce';
import { shouldValidate } from '../model/documents';
import { offlineValidationOptions } from '../model/validation-options';
import type { Runtime } from '../runtime';

export const DIAGNOSTIC_SOURCE = 'kokpit';
const CHANGE_DELAY_MS = 250;
const VALIDATED_SCHEMES = new Set(['file', 'untitled']);

export interface DiagnosticsService {
  /** Validates `text` as the content of `uri` and publishes the result; returns it for summaries. */
  publish(uri: vscode.Uri, text: string, languageId?: string): readonly vscode.Diagnostic[];
  clear(uri: vscode.Uri): void;
}

/** Converts engine diagnostics (offsets into `text`) to editor diagnostics. */
export function toVscodeDiagnostics(
  found: readonly KokpitDiagnostic[],
  positionAt: (offset: number) => vscode.Position,
): vscode.Diagnostic[] {
  return found.map((d) => {
    const range = new vscode.Range(positionAt(d.offset), positionAt(Math.max(d.offset, d.endOffset)));
    const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    const diagnostic = new vscode.Diagnostic(range, d.message, severity);
    diagnostic.source = DIAGNOSTIC_SOURCE;
    if (d.code) diagnostic.code = d.code;
    return diagnostic;
  });
}

/** `positionAt` for text that is not open in an editor (workspace validation reads files from disk). */
export function positionsOf(text: string): (offset: number) => vscode.Position {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  return (offset) => {
    const o = Math.min(Math.max(offset, 0), text.length);
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return new vscode.Position(lo, o - lineStarts[lo]);
  };
}

export function registerDiagnostics(
  context: vscode.ExtensionContext,
  runtime: Runtime,
  // Later, a connected meta cluster's catalog (versions, addons, components) replaces the offline defaults.
  options: () => ValidateOptions = offlineValidationOptions,
): DiagnosticsService {
  const collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  const debouncer = new KeyedDebouncer(runtime.clock, CHANGE_DELAY_MS);

  const run = (uri: vscode.Uri, text: string, languageId: string, positionAt: (offset: number) => vscode.Position) => {
    if (!shouldValidate(languageId, text)) {
      collection.delete(uri);
      return [];
    }
    const started = runtime.clock.now();
    let found: vscode.Diagnostic[];
    try {
      found = toVscodeDiagnostics(validateText(text, options()), positionAt);
    } catch (e) {
      // The engine should never throw on user text; if it does, say so rather than leave stale problems.
      runtime.logger.error(`validation of ${uri.fsPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      collection.delete(uri);
      return [];
    }
    collection.set(uri, found);
    runtime.logger.trace(`validated ${uri.fsPath}: ${found.length} problem(s) in ${(runtime.clock.now() - started).toFixed(1)} ms`);
    return found;
  };
  const validateDocument = (document: vscode.TextDocument) => {
    debouncer.cancel(document.uri.toString());
    // Files and unsaved editors only: read-only views of live objects (kokpit-object:, git:) are not manifests to fix.
    if (!VALIDATED_SCHEMES.has(document.uri.scheme)) return;
    run(document.uri, document.getText(), document.languageId, (o) => document.positionAt(o));
  };

  context.subscriptions.push(
    collection,
    { dispose: () => debouncer.dispose() },
    vscode.workspace.onDidOpenTextDocument(validateDocument),
    vscode.workspace.onDidSaveTextDocument(validateDocument),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0) return;
      const document = e.document;
      debouncer.schedule(document.uri.toString(), () => {
        if (!document.isClosed) validateDocument(document);
      });
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      debouncer.cancel(document.uri.toString());
      collection.delete(document.uri);
    }),
  );
  for (const document of vscode.workspace.textDocuments) validateDocument(document);

  return {
    publish: (uri, text, languageId = 'yaml') => {
      // An open document's live text wins over what is on disk.
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (open) {
        validateDocument(open);
        return collection.get(uri) ?? [];
      }
      return run(uri, text, languageId, positionsOf(text));
    },
    clear: (uri) => collection.delete(uri),
  };
}
