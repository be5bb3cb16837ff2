// The manager: every kokpit reconciler in one process, on shared informers, behind one leader lease.
// VS Code and a terminal may both start a manager against the same meta cluster; the Lease makes sure
// only one reconciles, and the other waits (and says who holds the lease).
import { KubernetesObjectApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { Controller } from '../controller/controller';
import { Informer } from '../controller/informer';
import { LeaderElector } from '../controller/leader-election';
import { keyOf, silentLogger, type Logger, type Reconciler } from '../controller/reconciler';

/** A resource type the manager watches. */
export interface WatchSpec {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  labelSelector?: string;
}

/** What a reconciler gets from the manager: the meta cluster and read access to the shared caches. */
export interface ManagerDeps {
  kc: KubeConfig;
  log: Logger;
  /** The shared informer cache of a watched type (any spec listed by any operator). */
  cache<T extends KubernetesObject = KubernetesObject>(spec: WatchSpec): Informer<T>;
  /** Queue a key of another operator (e.g. a BusinessCluster after its EtcdCluster changed). */
  enqueue(operator: string, key: string): void;
}

export interface OperatorDefinition {
  name: string;
  primary: WatchSpec;
  /** Child types whose events queue the owner named by their controller ownerReference. */
  owns?: WatchSpec[];
  /** Other types, with a mapping from an object to the primary keys it affects. */
  watches?: Array<{ source: WatchSpec; map: (obj: KubernetesObject, deps: ManagerDeps) => string[] }>;
  workers?: number;
  reconciler(deps: ManagerDeps): Reconciler;
}

/**
 * An operator that brings its own informers (the etcd and cluster operators wire their own watches):
 * started once the lease is held, stopped before it is released.
 */
export interface Runnable {
  name: string;
  start(deps: { kc: KubeConfig; log: Logger }): Promise<{ stop(): Promise<void> }>;
}

export interface ManagerOptions {
  kc: KubeConfig;
  operators?: OperatorDefinition[];
  runnables?: Runnable[];
  log?: Logger;
  /** Leader election; omit to reconcile without a lease (tests of a single reconciler). */
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationSec?: number; onWaiting?: (holder: string) => void };
  /** Re-queue every primary this often even without events (level-triggered safety net). */
  resyncMs?: number;
}

export function watchPath(spec: WatchSpec): string {
  const base = spec.apiVersion.includes('/') ? `/apis/${spec.apiVersion}` : `/api/${spec.apiVersion}`;
  return `${base}/${spec.plural}`;
}

const specId = (s: WatchSpec) => `${s.apiVersion}/${s.plural}?${s.labelSelector ?? ''}`;

export type ManagerState = 'idle' | 'waiting-for-lease' | 'running' | 'stopping' | 'stopped' | 'lost-lease';

export class Manager {
  private readonly log: Logger;
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private readonly controllers = new Map<string, Controller>();
  private readonly running: Array<{ name: string; handle: { stop(): Promise<void> } }> = [];
  private elector: LeaderElector | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stateValue: ManagerState = 'idle';
  private readonly done: Promise<ManagerState>;
  private resolveDone!: (s: ManagerState) => void;
  readonly identity: string;

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.log ?? silentLogger;
    this.identity = opts.leaderElection?.identity ?? `${hostname()}-${process.pid}`;
    this.done = new Promise((r) => (this.resolveDone = r));
    const names = new Set<string>();
    for (const op of [...(opts.operators ?? []), ...(opts.runnables ?? [])]) {
      if (names.has(op.name)) throw new Error(`operator ${op.name} registered twice`);
      names.add(op.name);
    }
  }

  private get operators(): OperatorDefinition[] {
    return this.opts.operators ?? [];
  }

  get state(): ManagerState {
    return this.stateValue;
  }

  /** Resolves when the manager stops for good (stopped, or lost its lease). */
  get finished(): Promise<ManagerState> {
    return this.done;
  }

  stats(): Record<string, { reconciles: number; errors: number; queued: number }> {
    const out: Record<string, { reconciles: number; errors: number; queued: number }> = {};
    for (const [name, c] of this.controllers) out[name] = { ...c.stats, queued: c.queue.length };
    return out;
  }

  /** Acquires the lease (if configured), syncs the caches, then starts every controller. */
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
    const deps = this.deps();
    for (const op of this.operators) {
      const ctrl = new Controller(op.name, op.reconciler(deps), { workers: op.workers ?? 2, log: this.log });
      this.controllers.set(op.name, ctrl);
    }
    for (const op of this.operators) {
      const ctrl = this.controllers.get(op.name)!;
      this.informer(op.primary).onEvent((obj) => ctrl.enqueue(keyOf(obj)));
      for (const child of op.owns ?? []) {
        this.informer(child).onEvent((obj) => {
          const owner = obj.metadata?.ownerReferences?.find((r) => r.controller && r.kind === op.primary.kind);
          if (owner) ctrl.enqueue(op.primary.namespaced && obj.metadata?.namespace ? `${obj.metadata.namespace}/${owner.name}` : owner.name);
        });
      }
      for (const w of op.watches ?? []) {
        this.informer(w.source).onEvent((obj) => w.map(obj, deps).forEach((k) => ctrl.enqueue(k)));
      }
    }
    await Promise.all([...this.informers.values()].map((i) => i.start()));
    for (const c of this.controllers.values()) c.start();
    for (const r of this.opts.runnables ?? []) {
      this.log.info(`starting ${r.name}`);
      this.running.push({ name: r.name, handle: await r.start({ kc: this.opts.kc, log: this.log }) });
    }
    this.stateValue = 'running';
    const names = [...this.operators, ...(this.opts.runnables ?? [])].map((o) => o.name);
    this.log.info(`manager running ${names.join(', ') || 'no operators'} as ${this.identity}`);
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
      this.resyncTimer.unref?.();
    }
  }

  /** Finishes passes in flight (or aborts them after `graceMs`), stops watches, releases the lease. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.shutdown('stopped', graceMs);
  }

  private async shutdown(final: ManagerState, graceMs = 10_000): Promise<void> {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || this.stateValue === 'lost-lease') return this.done.then(() => {});
    this.stateValue = 'stopping';
    clearInterval(this.resyncTimer);
    await Promise.all([...this.controllers.values()].map((c) => c.stop(graceMs)));
    await Promise.all(this.running.map((r) => r.handle.stop().catch((e) => this.log.error(`stopping ${r.name}: ${e instanceof Error ? e.message : String(e)}`))));
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    // Release only after every pass finished, so the next leader never overlaps a write of ours.
    if (final === 'stopped') await this.elector?.release();
    this.stateValue = final;
    this.resolveDone(final);
  }

  private resync(): void {
    for (const op of this.operators) {
      const ctrl = this.controllers.get(op.name);
      for (const obj of this.informer(op.primary).list()) ctrl?.enqueue(keyOf(obj));
    }
  }

  private deps(): ManagerDeps {
    return {
      kc: this.opts.kc,
      log: this.log,
      cache: <T extends KubernetesObject>(spec: WatchSpec) => this.informer(spec) as unknown as Informer<T>,
      enqueue: (operator, key) => {
        const c = this.controllers.get(operator);
        if (!c) throw new Error(`no operator ${operator}`);
        c.enqueue(key);
      },
    };
  }

  private informer(spec: WatchSpec): Informer<KubernetesObject> {
    const id = specId(spec);
    let inf = this.informers.get(id);
    if (!inf) {
      const api = this.opts.kc.makeApiClient(KubernetesObjectApi);
      inf = new Informer<KubernetesObject>(this.opts.kc, {
        path: watchPath(spec),
        labelSelector: spec.labelSelector,
        log: this.log,
        list: async () =>
          (await api.list(spec.apiVersion, spec.kind, undefined, undefined, undefined, undefined, undefined, spec.labelSelector)) as KubernetesListObject<KubernetesObject>,
      });
      this.informers.set(id, inf);
      // A cache asked for after start() (by a reconciler) starts on demand.
      if (this.stateValue === 'running') void inf.start();
    }
    return inf;
  }
}
