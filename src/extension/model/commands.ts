// Every command the extension contributes. package.json `contributes.commands` lists the same ids and titles
// (a unit test checks); src/extension/commands/ registers exactly one handler for each (checked at activation).
export const CATEGORY = 'Kokpit';

export const COMMANDS = {
  validateWorkspace: { id: 'kokpit.validateWorkspace', title: 'Validate Workspace Manifests' },
  showLogs: { id: 'kokpit.showLogs', title: 'Show Logs' },
  createLocalMetaCluster: { id: 'kokpit.createLocalMetaCluster', title: 'Create Local Meta Cluster' },
  connect: { id: 'kokpit.connect', title: 'Connect to Meta Cluster' },
  startSandbox: { id: 'kokpit.startSandbox', title: 'Start Sandbox' },
  disconnect: { id: 'kokpit.disconnect', title: 'Disconnect from Meta Cluster' },
  refresh: { id: 'kokpit.refresh', title: 'Refresh Fleet' },
  openYaml: { id: 'kokpit.openYaml', title: 'Open YAML' },
  showStatus: { id: 'kokpit.showStatus', title: 'Show Status and Conditions' },
  copyKubeconfig: { id: 'kokpit.copyKubeconfig', title: 'Copy Business Cluster Kubeconfig' },
  applyCurrentFile: { id: 'kokpit.applyCurrentFile', title: 'Apply Current File' },
  renderPreview: { id: 'kokpit.renderPreview', title: 'Render Preview of Current File' },
  startReconcilers: { id: 'kokpit.startReconcilers', title: 'Start Reconcilers' },
  stopReconcilers: { id: 'kokpit.stopReconcilers', title: 'Stop Reconcilers' },
  openTerminal: { id: 'kokpit.openTerminal', title: 'Open Terminal with Business Cluster Kubeconfig' },
  deleteLocalMetaCluster: { id: 'kokpit.deleteLocalMetaCluster', title: 'Delete Local Meta Cluster' },
  upgradeCluster: { id: 'kokpit.upgradeCluster', title: 'Upgrade Business Cluster' },
  scaleEtcd: { id: 'kokpit.scaleEtcd', title: 'Scale etcd' },
  scaleMachineSet: { id: 'kokpit.scaleMachineSet', title: 'Scale MachineSet' },
  backupEtcd: { id: 'kokpit.backupEtcd', title: 'Back Up etcd Now' },
  restoreEtcd: { id: 'kokpit.restoreEtcd', title: 'Restore etcd from Backup' },
  showEvents: { id: 'kokpit.showEvents', title: 'Show Events' },
  copyEndpoint: { id: 'kokpit.copyEndpoint', title: 'Copy API Server Endpoint' },
  mergeKubeconfig: { id: 'kokpit.mergeKubeconfig', title: 'Merge Business Cluster Kubeconfig into Mine' },
  pauseRollout: { id: 'kokpit.pauseRollout', title: 'Pause Rollout' },
  resumeRollout: { id: 'kokpit.resumeRollout', title: 'Resume Rollout' },
  retryRollout: { id: 'kokpit.retryRollout', title: 'Retry Skipped and Failed Clusters of Rollout' },
  newManifest: { id: 'kokpit.newManifest', title: 'New Manifest (EtcdCluster, BusinessCluster, Machine, …)' },
  quickActions: { id: 'kokpit.quickActions', title: 'Quick Actions' },
  openDashboard: { id: 'kokpit.openDashboard', title: 'Open Fleet Dashboard' },
  diffDocument: { id: 'kokpit.diffDocument', title: 'Diff Document with Meta Cluster (Server-Side Dry Run)' },
  insideLoadMore: { id: 'kokpit.insideLoadMore', title: 'Load More (Inside a Business Cluster)' },
  showPodLogs: { id: 'kokpit.showPodLogs', title: 'Show Pod Logs' },
  showPodLogsPrevious: { id: 'kokpit.showPodLogsPrevious', title: 'Show Pod Logs (Previous Container)' },
  showControlPlaneLogs: { id: 'kokpit.showControlPlaneLogs', title: 'Show Control-Plane Pod Logs' },
  showControlPlaneEvents: { id: 'kokpit.showControlPlaneEvents', title: 'Show Control-Plane Pod Events' },
  deployToClusters: { id: 'kokpit.deployToClusters', title: 'Deploy to Clusters…' },
  switchMetaCluster: { id: 'kokpit.switchMetaCluster', title: 'Switch Meta Cluster' },
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandName]['id'];

/** Tree commands get the node id (from a context menu) or nothing (from the palette, which then asks). */
export function nodeIdArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  if (arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string') return (arg as { id: string }).id;
  return undefined;
}
