// Every command the extension contributes. package.json `contributes.commands` lists the same ids and titles
// (a unit test checks); src/extension/commands/ registers exactly one handler for each (checked at activation).
export const CATEGORY = 'Kokpit';

export const COMMANDS = {
  validateWorkspace: { id: 'kokpit.validateWorkspace', title: 'Validate Workspace Manifests' },
  showLogs: { id: 'kokpit.showLogs', title: 'Show Logs' },
  createLocalMetaCluster: { id: 'kokpit.createLocalMetaCluster', title: 'Create Local Meta Cluster' },
  connect: { id: 'kokpit.connect', title: 'Connect to Meta Cluster' },
  startSandbox: { id: 'kokpit.startSandbox', title: 'Start Sandbox' },
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandName]['id'];
