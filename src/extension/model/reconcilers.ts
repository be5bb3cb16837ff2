// The embedded reconcilers: kokpit's manager run in the extension host against the connected meta cluster,
// behind the same leader lease as a manager started from a terminal or in-cluster. If another one holds the
// lease this one waits and says who holds it. No vscode here; the manager comes in through a factory.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from './logger';
import { describeManagerLease, leaseHeld, managerSummary, type ManagerLease } from '../../fleet/manager-lease';

export type ReconcilerState =
  | { kind: 'stopped' }
  | { kind: 'waiting'; context: string; holder: string }
  | { kind: 'running'; context: string }
  | { kind: 'stopping' }
  | { kind: 'failed'; message: string };

/** What the service needs of a manager (src/manager/manager.ts's Manager has it). */
export interface ManagerHandle {
  start(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
  readonly finished: Promise<string>;
}

export type ManagerFactory = (kc: KubeConfig, log: Logger, onWaiting: (holder: string) => void) => ManagerHandle;

export class ReconcilerService {
  private manager: ManagerHandle | undefined;
  private current: ReconcilerState = { kind: 'stopped' };
  private readonly listeners = new Set<(s: ReconcilerState) => void>();

  constructor(
    private readonly factory: ManagerFactory,
    private readonly logger: Logger,
  ) {}

  get state(): ReconcilerState {
    return this.current;
  }

  onDidChange(listener: (s: ReconcilerState) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Starts the manager; resolves once it runs or waits for the lease (the wait itself continues in the background). */
  start(kc: KubeConfig, context: string): void {
    if (this.manager)
      throw new Error(`the reconcilers are already ${this.current.kind === 'waiting' ? 'waiting for the lease' : this.current.kind}`);
    const manager = this.factory(kc, this.logger, (holder) => {
      if (this.manager === manager) this.set({ kind: 'waiting', context, holder });
    });
    this.manager = manager;
    this.set({ kind: 'waiting', context, holder: '(checking)' });
    manager.start().then(
      () => {
        if (this.manager === manager) this.set({ kind: 'running', context });
      },
      (e: unknown) => {
        if (this.manager !== manager) return;
        // A stop while waiting for the lease ends the wait with an error: that is not a failure.
        if (this.current.kind === 'stopping') return;
        const message = e instanceof Error ? e.message : String(e);
        this.logger.error(`reconcilers failed to start: ${message}`);
        this.manager = undefined;
        void manager.stop().catch(() => undefined);
        this.set({ kind: 'failed', message });
      },
    );
    void manager.finished.then((final) => {
      if (this.manager !== manager) return;
      this.manager = undefined;
      if (final === 'lost-lease') this.set({ kind: 'failed', message: 'lost the leader lease to another manager' });
      else this.set({ kind: 'stopped' });
    });
  }

  /** Stops gracefully: passes in flight finish, watches stop, the lease is released. */
  async stop(graceMs = 10_000): Promise<void> {
    const manager = this.manager;
    if (!manager) return;
    this.set({ kind: 'stopping' });
    try {
      await manager.stop(graceMs);
    } finally {
      if (this.manager === manager) this.manager = undefined;
      this.set({ kind: 'stopped' });
    }
  }

  private set(state: ReconcilerState): void {
    this.current = state;
    for (const l of this.listeners) l(state);
  }
}

/** The status-bar text and tooltip for a reconciler state; `elsewhere`: a manager that is not this one holds the lease. */
export function reconcilerStatus(state: ReconcilerState, elsewhere?: ManagerLease): { text: string; tooltip: string } {
  if ((state.kind === 'stopped' || state.kind === 'failed') && elsewhere && leaseHeld(elsewhere)) {
    const s = managerSummary(elsewhere);
    return {
      text: `$(server-environment) ${s.text}`,
      tooltip: `Kokpit: the manager ${describeManagerLease(elsewhere)}. The editor does not start its own reconcilers while it does.`,
    };
  }
  switch (state.kind) {
    case 'running':
      return { text: '$(play-circle) reconcilers', tooltip: `Kokpit: reconcilers running against ${state.context}. Click to stop.` };
    case 'waiting':
      // The elector reports '?' when it could not read or write the lease at all (e.g. no kokpit-system namespace).
      return state.holder === '?'
        ? {
            text: '$(warning) reconcilers',
            tooltip: 'Kokpit: reconcilers waiting: the leader lease cannot be read or written (see the Kokpit log). Click to stop.',
          }
        : { text: '$(watch) reconcilers', tooltip: `Kokpit: reconcilers waiting: the lease is held by ${state.holder}. Click to stop.` };
    case 'stopping':
      return { text: '$(sync~spin) reconcilers', tooltip: 'Kokpit: stopping reconcilers' };
    case 'failed':
      return { text: '$(error) reconcilers', tooltip: `Kokpit: reconcilers stopped: ${state.message}. Click to start.` };
    default:
      return { text: '$(debug-stop) reconcilers', tooltip: 'Kokpit: reconcilers not running here. Click to start.' };
  }
}

/** Whether connecting should start the embedded reconcilers: the setting is on and they are not running already. */
export function shouldAutoStart(
  settings: { reconcilersAutoStart: boolean },
  fleet: { kind: string },
  reconcilers: ReconcilerState,
): boolean {
  return settings.reconcilersAutoStart && fleet.kind === 'connected' && (reconcilers.kind === 'stopped' || reconcilers.kind === 'failed');
}
