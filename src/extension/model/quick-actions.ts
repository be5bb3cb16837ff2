// The status-bar item's quick actions: what makes sense in the current connection and reconciler state.
import { COMMANDS, type CommandId } from './commands';

export interface QuickAction {
  label: string;
  command: CommandId;
}

export function quickActions(fleet: { kind: string }, reconcilers: { kind: string }, local: boolean): QuickAction[] {
  const a = (icon: string, c: { id: CommandId; title: string }): QuickAction => ({ label: `$(${icon}) ${c.title}`, command: c.id });
  if (fleet.kind !== 'connected') {
    return [
      a('plug', COMMANDS.connect),
      a('add', COMMANDS.createLocalMetaCluster),
      a('beaker', COMMANDS.startSandbox),
      ...(fleet.kind === 'failed' ? [a('refresh', COMMANDS.refresh)] : []),
      a('output', COMMANDS.showLogs),
    ];
  }
  const running = reconcilers.kind === 'running' || reconcilers.kind === 'waiting';
  return [
    a('refresh', COMMANDS.refresh),
    running ? a('debug-stop', COMMANDS.stopReconcilers) : a('play', COMMANDS.startReconcilers),
    a('cloud-upload', COMMANDS.applyCurrentFile),
    a('new-file', COMMANDS.newManifest),
    a('output', COMMANDS.showLogs),
    a('plug', COMMANDS.connect),
    a('arrow-swap', COMMANDS.switchMetaCluster),
    a('debug-disconnect', COMMANDS.disconnect),
    ...(local ? [a('trash', COMMANDS.deleteLocalMetaCluster)] : []),
  ];
}
