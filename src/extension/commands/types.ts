// The contract of a command feature module: handlers keyed by command id, each given the shared services.
import type { FleetController } from '../fleet/controller';
import type { InsideTree } from '../fleet/inside';
import type { MetaClusters } from '../fleet/meta-clusters';
import type { PodLogDocuments } from '../fleet/pod-logs';
import type { DiagnosticsService } from '../language/diagnostics';
import type { CommandId } from '../model/commands';
import type { ReconcilerService } from '../model/reconcilers';
import type { Runtime } from '../runtime';

/** What command handlers may use. Later features (reconcilers) add their services here. */
export interface CommandServices {
  runtime: Runtime;
  diagnostics: DiagnosticsService;
  fleet: FleetController;
  reconcilers: ReconcilerService;
  /** The Fleet dashboard webview (absent in tests that do not need it). */
  dashboard?: { open(): void };
  /** Inside a business cluster: the tree's lists and the pod log documents (absent in tests that do not need it). */
  inside?: { tree: InsideTree; logs: PodLogDocuments };
  /** The other meta clusters of the Fleet view and switching between them (absent in tests that do not need it). */
  metaClusters?: MetaClusters;
}

export type CommandHandler = (services: CommandServices, ...args: unknown[]) => unknown;

/** One feature's commands. */
export type CommandModule = Partial<Record<CommandId, CommandHandler>>;
