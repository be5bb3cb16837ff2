// Per-key debouncing: the last call for a key within `delayMs` wins (one validation per document per pause in typing).
import type { Clock, TimerHandle } from './clock';

export class KeyedDebouncer {
  private readonly pending = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
  ) {}

  /** Runs `action` once `delayMs` has passed without another `schedule` for the same key. */
  schedule(key: string, action: () => void): void {
    this.cancel(key);
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(key);
      action();
    }, this.delayMs);
    this.pending.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.pending.get(key);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }

  dispose(): void {
    for (const handle of this.pending.values()) this.clock.clearTimeout(handle);
    this.pending.clear();
  }
}
