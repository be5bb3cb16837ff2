// Time as the extension sees it: injected so debouncing and timing can be tested with a fake clock.
export interface TimerHandle {
  readonly __timer: unique symbol;
}

export interface Clock {
  /** Milliseconds, monotonic (performance.now in production). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
