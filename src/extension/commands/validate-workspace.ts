// Validates every kokpit manifest in the workspace, open or not, into the Problems view.
import * as vscode from 'vscode';
import { LIMITS, tooLargeMessage } from '../../validation';
import { COMMANDS } from '../model/commands';
import { KOKPIT_MARKERS, WORKSPACE_EXCLUDE_GLOB, WORKSPACE_YAML_GLOB } from '../model/documents';
import { summarizeValidation } from '../model/summary';
import type { CommandModule, CommandServices } from './types';

const MAX_FILES = 5000;

async function validateWorkspace({ runtime, diagnostics }: CommandServices): Promise<void> {
  const started = runtime.clock.now();
  const counts = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Kokpit: validating manifests' },
    async () => {
      const uris = await vscode.workspace.findFiles(WORKSPACE_YAML_GLOB, WORKSPACE_EXCLUDE_GLOB, MAX_FILES);
      const perFile: { errors: number; warnings: number }[] = [];
      const decoder = new TextDecoder();
      for (const uri of uris) {
        let text: string;
        try {
          // Regular files within the size bound only: a FIFO would never end, a huge file would fill the host.
          const info = await vscode.workspace.fs.stat(uri);
          if (!(info.type & vscode.FileType.File)) continue;
          if (info.size > LIMITS.maxChars) {
            runtime.logger.warn(`skipped ${uri.fsPath}: ${tooLargeMessage(info.size)}`);
            continue;
          }
          text = decoder.decode(await vscode.workspace.fs.readFile(uri));
        } catch (e) {
          runtime.logger.warn(`cannot read ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
          continue;
        }
        if (!KOKPIT_MARKERS.some((m) => text.includes(m))) continue;
        const found = diagnostics.publish(uri, text);
        perFile.push({
          errors: found.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length,
          warnings: found.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning).length,
        });
      }
      return perFile;
    },
  );
  const summary = summarizeValidation(counts);
  runtime.logger.info(`${summary.text} (${Math.round(runtime.clock.now() - started)} ms)`);
  if (summary.errors + summary.warnings === 0) {
    await vscode.window.showInformationMessage(`Kokpit: ${summary.text}`);
    return;
  }
  const open = 'Show Problems';
  const choice = await vscode.window.showWarningMessage(`Kokpit: ${summary.text}`, open);
  if (choice === open) await vscode.commands.executeCommand('workbench.actions.view.problems');
}

export const validateCommands: CommandModule = {
  [COMMANDS.validateWorkspace.id]: validateWorkspace,
};
