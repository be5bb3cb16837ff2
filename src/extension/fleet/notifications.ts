// Notifications that matter: a business or etcd cluster turning Degraded, an upgrade or rollout failing — once per
// transition (src/fleet/notifications.ts decides), from the Fleet view's own watches, with "Show Reason" (the
// object's YAML, its conditions) and "Show Events". `kokpit.notifications.enabled` turns them off; the detector
// keeps following the fleet meanwhile, so turning them on again does not replay old problems.
// The manager's lease is polled by the reconcilers' lease watch (commands/reconcilers.ts), which notifies its lapses.
import * as vscode from 'vscode';
import { TransitionDetector, type FleetNotification } from '../../fleet/notifications';
import { COMMANDS } from '../model/commands';
import type { Runtime } from '../runtime';
import type { FleetController } from './controller';

export const SHOW_REASON = 'Show Reason';
export const SHOW_EVENTS = 'Show Events';

export function registerNotifications(context: vscode.ExtensionContext, runtime: Runtime, fleet: FleetController): void {
  const detector = new TransitionDetector();
  const notify = async (n: FleetNotification) => {
    runtime.logger.warn(`notification: ${n.message}`);
    const show = n.severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const answer = await show(`Kokpit: ${n.message}`, SHOW_REASON, SHOW_EVENTS);
    if (!answer) return;
    const node = fleet
      .objectNodes()
      .find((x) => x.ref?.kind === n.ref.kind && x.ref.namespace === n.ref.namespace && x.ref.name === n.ref.name);
    if (!node) return void vscode.window.showInformationMessage(`Kokpit: ${n.ref.kind} ${n.ref.name} is no longer in the fleet`);
    await vscode.commands.executeCommand(answer === SHOW_REASON ? COMMANDS.openYaml.id : COMMANDS.showEvents.id, node.id);
  };
  context.subscriptions.push(
    // A new connection lists every object again: what is wrong then is a baseline, not a transition.
    fleet.onDidChangeState((s) => s.kind !== 'connected' && detector.reset()),
    fleet.onDidChangeObject((ref) => {
      const obj = fleet.object(ref);
      const found = obj
        ? detector.observe(obj)
        : detector.observe({ kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, 'delete');
      if (!runtime.settings.current().notificationsEnabled) return;
      for (const n of found) void notify(n);
    }),
  );
}
