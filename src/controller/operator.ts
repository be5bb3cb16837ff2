// An operator as a definition: it asks the process's shared informers for the types it watches, adds its
// handlers, and registers its controllers. `Operators` runs any number of definitions over one
// SharedInformers (the manager runs kokpit's three; a test or benchmark may run one alone), so a type two
// operators watch costs one watch.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Controller, type ControllerOptions } from './controller';
import type { ControllerMetrics } from './metrics';
import type { Informer } from './informer';
import { briefError, silentLogger, type Logger, type Reconciler } from './reconciler';
import { SharedInformers, type WatchSpec } from './shared-informers';

export interface OperatorContext {
  kc: KubeConfig;
  log: Logger;
  /** The process's one informer of this type, shared with every other operator that asks for it. */
  informer<T extends KubernetesObject = KubernetesObject>(spec: WatchSpec): Informer<T>;
  /** A controller started once every cache has synced, and stopped (passes in flight finish) before them. */
  controller(name: string, reconcile: Reconciler, opts?: ControllerOptions): Controller;
  /** Runs at stop, after the controllers stopped and before the informers do. */
  onStop(fn: () => Promise<void> | void): void;
}

export interface OperatorDefinition<H = unknown> {
  name: string;
  /** Wires the operator and returns what tests may reach (its reconcilers, controllers). Runs before the caches start. */
  setup(ctx: OperatorContext): H;
}

export class Operators {
  readonly informers: SharedInformers;
  private readonly controllers: Controller[] = [];
  private readonly stops: Array<{ name: string; fn: () => Promise<void> | void }> = [];
  private readonly handles = new Map<string, unknown>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly definitions: OperatorDefinition[],
    private readonly log: Logger = silentLogger,
    private readonly metrics?: ControllerMetrics,
  ) {
    const names = definitions.map((d) => d.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new Error(`operator ${twice} registered twice`);
    this.informers = new SharedInformers(kc, log);
  }

  get names(): string[] {
    return this.definitions.map((d) => d.name);
  }

  /** What an operator's setup returned. */
  handle<H>(def: OperatorDefinition<H>): H {
    return this.handles.get(def.name) as H;
  }

  /** Sets every operator up, syncs the shared caches, then starts every controller. */
  async start(): Promise<void> {
    for (const def of this.definitions) this.handles.set(def.name, def.setup(this.context(def.name)));
    await this.informers.start();
    for (const c of this.controllers) c.start();
  }

  /** Finishes passes in flight (or aborts them after `graceMs`), runs the operators' stop hooks, stops the watches. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop(graceMs)));
    await Promise.all(
      this.stops.map(async (s) => {
        try {
          await s.fn();
        } catch (e) {
          this.log.error(`stopping ${s.name}: ${briefError(e)}`);
        }
      }),
    );
    await this.informers.stop();
  }

  private context(name: string): OperatorContext {
    return {
      kc: this.kc,
      log: this.log,
      informer: (spec) => this.informers.informer(spec),
      controller: (cname, reconcile, opts) => {
        const c = new Controller(cname, reconcile, { log: this.log, metrics: this.metrics, ...opts });
        this.controllers.push(c);
        return c;
      },
      onStop: (fn) => this.stops.push({ name, fn }),
    };
  }
}

/** One operator alone, on its own informers and without a lease (tests, benchmarks). */
export async function runOperator<H extends object>(
  kc: KubeConfig,
  def: OperatorDefinition<H>,
  log?: Logger,
): Promise<H & { stop(): Promise<void> }> {
  const ops = new Operators(kc, [def], log);
  await ops.start();
  return { ...ops.handle(def), stop: () => ops.stop() };
}
