// Registers every command from its feature module. Add a feature: write `<feature>.ts` exporting a
// CommandModule, list it in MODULES, and add its id to model/commands.ts (package.json follows; a test checks).
import * as vscode from 'vscode';
import { COMMANDS, type CommandId } from '../model/commands';
import { applyCommands } from './apply-current-file';
import { clusterActionCommands } from './cluster-actions';
import { dashboardCommands } from './dashboard';
import { deployToClustersCommands } from './deploy-to-clusters';
import { manifestDiffCommands } from './manifest-diff';
import { quickStartCommands } from './quick-start';
import { fleetCommands } from './fleet';
import { insideCommands } from './inside';
import { terminalCommands } from './open-terminal';
import { reconcilerCommands } from './reconcilers';
import { renderCommands } from './render-preview';
import { rolloutActionCommands } from './rollout-actions';
import { logCommands } from './show-logs';
import { metaClusterCommands } from './meta-cluster';
import { switchMetaClusterCommands } from './switch-meta-cluster';
import type { CommandHandler, CommandModule, CommandServices } from './types';
import { validateCommands } from './validate-workspace';

const MODULES: readonly CommandModule[] = [
  validateCommands,
  logCommands,
  metaClusterCommands,
  fleetCommands,
  applyCommands,
  renderCommands,
  reconcilerCommands,
  terminalCommands,
  clusterActionCommands,
  rolloutActionCommands,
  quickStartCommands,
  dashboardCommands,
  manifestDiffCommands,
  insideCommands,
  deployToClustersCommands,
  switchMetaClusterCommands,
];

/** Every contributed command mapped to exactly one handler; throws on a gap or a duplicate (a programming error). */
export function commandTable(modules: readonly CommandModule[] = MODULES): Map<CommandId, CommandHandler> {
  const table = new Map<CommandId, CommandHandler>();
  for (const module of modules) {
    for (const [id, handler] of Object.entries(module) as [CommandId, CommandHandler][]) {
      if (table.has(id)) throw new Error(`command ${id} is registered twice`);
      table.set(id, handler);
    }
  }
  const missing = Object.values(COMMANDS).filter((c) => !table.has(c.id));
  if (missing.length) throw new Error(`commands without a handler: ${missing.map((c) => c.id).join(', ')}`);
  return table;
}

export function registerCommands(context: vscode.ExtensionContext, services: CommandServices): void {
  for (const [id, handler] of commandTable()) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(services, ...args);
        } catch (e) {
          services.runtime.logger.error(`${id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          void vscode.window.showErrorMessage(`Kokpit: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        }
      }),
    );
  }
}
