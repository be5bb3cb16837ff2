// A de-duplicating work queue with per-key exponential backoff, after controller-runtime's:
// - a key is queued at most once, and never processed by two workers at the same time;
// - a key added while it is being processed is re-queued once the current pass ends;
// - failures back off exponentially per key; success (or requeueAfter) resets the key's backoff.
// With `metrics`, it reports what client-go's queues report (depth, adds, queue and work durations, retries).
import type { QueueMetrics } from './metrics';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while processing: they go back to the queue when `done` is called. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; cancel(): void }>();
  private waiters: Array<() => void> = [];
  private shuttingDown = false;
  /** When each queued key was added, and when each key in processing was taken (for the durations). */
  private readonly addedAt = new Map<string, number>();
  private readonly takenAt = new Map<string, number>();

  constructor(
    private readonly backoff: BackoffOptions = { baseMs: 200, maxMs: 60_000 },
    private readonly clock: Clock = realClock,
    private readonly metrics?: QueueMetrics,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    if (this.metrics) {
      this.metrics.added();
      this.metrics.depth(this.queue.length);
      this.addedAt.set(key, this.clock.now());
    }
    this.wake();
  }

  /** Adds the key after `ms`; an earlier pending timer for the key wins (nothing is postponed). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, cancel: timer.cancel });
  }

  /** Re-queues the key after its next backoff delay, and returns that delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** n);
    this.metrics?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure count (after a successful pass). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; undefined once the queue is shut down and drained. */
  async get(): Promise<string | undefined> {
    for (;;) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        this.processing.add(key);
        if (this.metrics) {
          const now = this.clock.now();
          this.metrics.depth(this.queue.length);
          this.metrics.queued((now - (this.addedAt.get(key) ?? now)) / 1000);
          this.addedAt.delete(key);
          this.takenAt.set(key, now);
        }
        return key;
      }
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Marks a key's pass as finished; a key added meanwhile is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    const taken = this.takenAt.get(key);
    if (taken !== undefined && this.metrics) {
      this.metrics.worked((this.clock.now() - taken) / 1000);
      this.takenAt.delete(key);
    }
    if (this.dirty.delete(key)) this.add(key);
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.addedAt.clear();
    this.metrics?.depth(0);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
