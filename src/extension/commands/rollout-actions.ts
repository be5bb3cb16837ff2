// Pause, Resume and Retry on a FleetRollout, from its context menu or the palette (which asks for the rollout):
// the patch is the CLI's own (src/actions/rollout-actions.ts, as `kokpit rollout pause|resume|retry`), sent under
// the editor's field manager; the tree follows as the operator writes status.
import * as vscode from 'vscode';
import { controlRollout, type RolloutVerb } from '../../actions/rollout-actions';
import { EDITOR_FIELD_MANAGER } from '../../actions/fleet-requests';
import type { FleetNode } from '../../fleet/model';
import { COMMANDS } from '../model/commands';
import { pickNode } from './fleet';
import type { CommandModule, CommandServices } from './types';

/** Which rollouts the palette offers for a verb, by the node's context value (as the menus' `when` clauses). */
const OFFERED: Record<RolloutVerb, (contextValue: string) => boolean> = {
  pause: (v) => v.startsWith('kokpit.rollout.running'),
  resume: (v) => v.startsWith('kokpit.rollout.paused'),
  retry: (v) => v.endsWith('.retryable'),
};

function control(verb: RolloutVerb) {
  return async (services: CommandServices, arg?: unknown): Promise<void> => {
    const kc = services.fleet.metaKubeConfig;
    if (services.fleet.state.kind !== 'connected' || !kc)
      throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")');
    const node: FleetNode | undefined = await pickNode(
      services,
      arg,
      `${verb} a rollout`,
      (n) => n.ref?.kind === 'FleetRollout' && OFFERED[verb](n.contextValue),
    );
    if (!node) return;
    if (node.ref?.kind !== 'FleetRollout') throw new Error(`${node.label} is not a FleetRollout`);
    const message = await controlRollout(kc, node.ref.name, verb, EDITOR_FIELD_MANAGER);
    services.runtime.logger.info(`rollout ${verb}: ${message}`);
    void vscode.window.showInformationMessage(`Kokpit: ${message}`);
  };
}

export const rolloutActionCommands: CommandModule = {
  [COMMANDS.pauseRollout.id]: control('pause'),
  [COMMANDS.resumeRollout.id]: control('resume'),
  [COMMANDS.retryRollout.id]: control('retry'),
};
