// A status-bar item with the meta cluster and its connection state; click for the quick actions that fit it. A second
// one shows the progress of the FleetRollouts at work (issue 17), hidden when none is.
import * as vscode from 'vscode';
import type { FleetRollout } from '../../api';
import { activeRolloutsStatus } from '../../fleet/rollouts';
import { COMMANDS } from '../model/commands';
import type { FleetController, FleetState } from './controller';

export function statusBarText(state: FleetState): { text: string; tooltip: string; command: string } {
  switch (state.kind) {
    case 'connected':
      return {
        text: `$(cloud) ${state.context}`,
        tooltip: `Kokpit: meta cluster ${state.context} (${state.server}). Click for actions.`,
        command: COMMANDS.quickActions.id,
      };
    case 'connecting':
      return { text: `$(sync~spin) ${state.context}`, tooltip: `Kokpit: connecting to ${state.context}`, command: COMMANDS.showLogs.id };
    case 'failed':
      return { text: `$(error) kokpit`, tooltip: `Kokpit: ${state.message}. Click for actions.`, command: COMMANDS.quickActions.id };
    default:
      return {
        text: `$(debug-disconnect) kokpit`,
        tooltip: 'Kokpit: no meta cluster. Click to connect or create one.',
        command: COMMANDS.quickActions.id,
      };
  }
}

export function registerStatusBar(context: vscode.ExtensionContext, fleet: FleetController): void {
  const item = vscode.window.createStatusBarItem('kokpit.metaCluster', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Kokpit meta cluster';
  const show = () => {
    const s = statusBarText(fleet.state);
    item.text = s.text;
    item.tooltip = s.tooltip;
    item.command = s.command;
    item.show();
  };
  show();
  context.subscriptions.push(item, fleet.onDidChangeState(show));
  registerRolloutStatusBar(context, fleet);
}

/** A second item while a FleetRollout is at work: its progress (or how many run); click to reveal the Fleet view. */
function registerRolloutStatusBar(context: vscode.ExtensionContext, fleet: FleetController): void {
  const item = vscode.window.createStatusBarItem('kokpit.rollouts', vscode.StatusBarAlignment.Left, 9.5);
  item.name = 'Kokpit rollouts';
  item.command = 'kokpit.fleet.focus';
  const show = () => {
    const s = fleet.state.kind === 'connected' ? activeRolloutsStatus(fleet.objectsOfKind('FleetRollout') as FleetRollout[]) : undefined;
    if (!s) return item.hide();
    item.text = s.text;
    item.tooltip = s.tooltip;
    item.show();
  };
  show();
  context.subscriptions.push(
    item,
    fleet.onDidChangeState(show),
    fleet.onDidChangeObject((ref) => ref.kind === 'FleetRollout' && show()),
  );
}
