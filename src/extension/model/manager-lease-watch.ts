// Polls the manager's leader lease while the editor is connected, one reading at a time (a slow API server never
// piles requests up), and hands each reading on with the one before it. A GET every few seconds is cheaper than a
// watch on a Lease that is rewritten every renewal. No vscode here.
import type { ManagerLease } from '../../fleet/manager-lease';
import type { Clock, TimerHandle } from './clock';

export const LEASE_POLL_MS = 5_000;

export class ManagerLeaseWatch {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private last: ManagerLease | undefined;

  constructor(
    private readonly read: () => Promise<ManagerLease>,
    private readonly clock: Clock,
    private readonly onReading: (next: ManagerLease, prev: ManagerLease | undefined) => void,
    private readonly intervalMs = LEASE_POLL_MS,
  ) {}

  /** The latest reading (undefined before the first). */
  get current(): ManagerLease | undefined {
    return this.last;
  }

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    let next: ManagerLease;
    try {
      next = await this.read();
    } catch (e) {
      next = { state: 'unknown', error: e instanceof Error ? e.message : String(e) };
    }
    if (this.stopped) return;
    const prev = this.last;
    this.last = next;
    this.onReading(next, prev);
    this.timer = this.clock.setTimeout(() => void this.poll(), this.intervalMs);
  }
}
