import { COMMANDS } from '../model/commands';
import type { CommandModule } from './types';

export const logCommands: CommandModule = {
  [COMMANDS.showLogs.id]: ({ runtime }) => runtime.output.show(true),
};
