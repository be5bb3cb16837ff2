// The manager: every kokpit reconciler in one process, on shared informers, behind one leader lease.
// VS Code and a terminal may both start a manager against the same meta cluster; the Lease makes sure
// only one reconciles, and the other waits (and says who holds the lease).
import type { KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { LeaderElector } from '../controller/leader-election';
import { Operators, type OperatorDefinition } from '../controller/operator';
import { silentLogger, type Logger } from '../controller/reconciler';

export type { OperatorContext, OperatorDefinition } from '../controller/operator';

export interface ManagerOptions {
  kc: KubeConfig;
  /** Run on one set of shared informers: a type several operators watch is watched once. */
  operators: OperatorDefinition[];
  log?: Logger;
  /** Leader election; omit to reconcile without a lease (tests of a single reconciler). */
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationSec?: number; onWaiting?: (holder: string) => void };
}

export type ManagerState = 'idle' | 'waiting-for-lease' | 'running' | 'stopping' | 'stopped' | 'lost-lease';

export class Manager {
  private readonly log: Logger;
  /** The operators and the process's shared informers, started once the lease is held. */
  readonly operators: Operators;
  private elector: LeaderElector | undefined;
  private stateValue: ManagerState = 'idle';
  private readonly done: Promise<ManagerState>;
  private resolveDone!: (s: ManagerState) => void;
  readonly identity: string;

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.log ?? silentLogger;
    this.identity = opts.leaderElection?.identity ?? `${hostname()}-${process.pid}`;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.operators = new Operators(opts.kc, opts.operators, this.log);
  }

  get state(): ManagerState {
    return this.stateValue;
  }

  /** Resolves when the manager stops for good (stopped, or lost its lease). */
  get finished(): Promise<ManagerState> {
    return this.done;
  }

  /** Acquires the lease (if configured), syncs the shared caches, then starts every controller. */
  async start(): Promise<void> {
    const le = this.opts.leaderElection;
    if (le) {
      this.stateValue = 'waiting-for-lease';
      this.elector = new LeaderElector(this.opts.kc, {
        namespace: le.namespace,
        name: le.name ?? 'kokpit-manager',
        identity: this.identity,
        leaseDurationSec: le.leaseDurationSec ?? 15,
        log: this.log,
        onWaiting: le.onWaiting,
      });
      await this.elector.acquire();
      // Like controller-runtime: a manager that lost its lease stops rather than fight the new leader.
      this.elector.onLost(() => {
        this.log.error('lost the leader lease; stopping reconcilers');
        void this.shutdown('lost-lease');
      });
    }
    await this.operators.start();
    this.stateValue = 'running';
    this.log.info(`manager running ${this.operators.names.join(', ') || 'no operators'} as ${this.identity}`);
  }

  /** Finishes passes in flight (or aborts them after `graceMs`), stops watches, releases the lease. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.shutdown('stopped', graceMs);
  }

  private async shutdown(final: ManagerState, graceMs = 10_000): Promise<void> {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || this.stateValue === 'lost-lease')
      return this.done.then(() => {});
    this.stateValue = 'stopping';
    await this.operators.stop(graceMs);
    // Release only after every pass finished, so the next leader never overlaps a write of ours.
    if (final === 'stopped') await this.elector?.release();
    this.stateValue = final;
    this.resolveDone(final);
  }
}
