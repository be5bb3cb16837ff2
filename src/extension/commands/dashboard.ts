// Open Fleet Dashboard: the webview of every business cluster (src/extension/dashboard/).
import { COMMANDS } from '../model/commands';
import type { CommandModule } from './types';

export const dashboardCommands: CommandModule = {
  [COMMANDS.openDashboard.id]: ({ dashboard }) => {
    if (!dashboard) throw new Error('the Fleet dashboard is not available');
    dashboard.open();
  },
};
