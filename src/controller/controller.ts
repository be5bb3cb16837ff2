// Runs one reconciler over a work queue: one pass in flight per key, backoff on error,
// requeue-after on request, graceful stop (in-flight passes finish or see their signal aborted).
import { WorkQueue, type BackoffOptions, type Clock, realClock } from './workqueue';
import { TerminalError, type Logger, type Reconciler, silentLogger } from './reconciler';
import type { ControllerMetrics, ReconcileResultLabel } from './metrics';

export interface ControllerOptions {
  workers?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  log?: Logger;
  /** The manager's metrics (controller-runtime's names); none when unset. */
  metrics?: ControllerMetrics;
}

export interface ControllerStats {
  reconciles: number;
  errors: number;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly stats: ControllerStats = { reconciles: 0, errors: 0 };
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly reconcile: Reconciler,
    private readonly opts: ControllerOptions = {},
  ) {
    this.queue = new WorkQueue(opts.backoff, opts.clock ?? realClock, opts.metrics?.queue(name));
    this.log = opts.log ?? silentLogger;
    opts.metrics?.register(name, opts.workers ?? 2);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Queues the key in `ms` unless it is queued sooner: events within that time make one pass (batching). */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  start(): void {
    const n = this.opts.workers ?? 2;
    for (let i = 0; i < n; i++) this.workers.push(this.work());
  }

  /** Stops taking keys; waits up to `graceMs` for passes in flight, then aborts their signal and waits for them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.queue.shutDown();
    const all = Promise.all(this.workers);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.abort.abort(new Error(`${this.name}: shutting down`));
      await all;
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const m = this.opts.metrics;
      const labels = { controller: this.name };
      const endTimer = m?.reconcileTime.startTimer(labels);
      m?.activeWorkers.inc(labels);
      let result: ReconcileResultLabel = 'success';
      try {
        this.stats.reconciles++;
        const res = await this.reconcile(key, { signal: this.abort.signal, log: this.log });
        this.queue.forget(key);
        if (res?.requeueAfterMs !== undefined) {
          result = 'requeue_after';
          this.queue.addAfter(key, res.requeueAfterMs);
        }
      } catch (e) {
        result = 'error';
        m?.reconcileErrors.inc(labels);
        this.stats.errors++;
        if (e instanceof TerminalError) {
          // Retrying can't help; the next change to the object queues it again.
          this.queue.forget(key);
          this.log.warn(`${this.name} ${key}: ${e.message}`);
        } else if (!this.abort.signal.aborted) {
          const delay = this.queue.addRateLimited(key);
          this.log.warn(`${this.name} ${key}: ${e instanceof Error ? e.message : String(e)} (retry in ${delay} ms)`);
        }
      } finally {
        endTimer?.();
        m?.activeWorkers.dec(labels);
        m?.reconcileTotal.inc({ ...labels, result });
        this.queue.done(key);
      }
    }
  }
}
