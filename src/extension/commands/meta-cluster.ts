// Placeholders for the Fleet view's welcome buttons; the real flows come with the CLI's `kokpit up`.
import * as vscode from 'vscode';
import { COMMANDS } from '../model/commands';
import type { CommandHandler, CommandModule } from './types';

const arrivesWithCli =
  (what: string): CommandHandler =>
  ({ runtime }) => {
    runtime.logger.info(`${what}: not available yet`);
    return vscode.window.showInformationMessage(`Kokpit: ${what} arrives with the CLI's \`kokpit up\`.`);
  };

export const metaClusterCommands: CommandModule = {
  [COMMANDS.createLocalMetaCluster.id]: arrivesWithCli('creating a local meta cluster'),
  [COMMANDS.startSandbox.id]: arrivesWithCli('the sandbox'),
};
