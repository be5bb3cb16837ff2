// Entry point, kept thin: build the runtime once, then let each feature register itself.
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerFleetView } from './fleet/tree';
import { registerCompletion } from './language/completion';
import { registerDiagnostics } from './language/diagnostics';
import { registerHover } from './language/hover';
import { createRuntime } from './runtime';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const runtime = createRuntime(context);

  const diagnostics = registerDiagnostics(context, runtime);
  registerCompletion(context, runtime);
  registerHover(context, runtime);
  registerFleetView(context, runtime);
  registerCommands(context, { runtime, diagnostics });

  runtime.logger.info(`activated in ${Math.round(performance.now() - started)} ms`);
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
