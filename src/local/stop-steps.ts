// An environment's shutdown, one component after the other, each bounded: a component that does not stop within its
// limit (a reconcile pass that ignores its abort signal, a watch that never ends) is left to the process's exit, and
// the next one still stops. Without bounds one stuck step kept the pods and the meta cluster running until `kokpit
// down` killed the whole environment at its 45 s deadline and exited 1 (seen once in CI's first-run check, 2026-12-07,
// with no line saying which step it was: each step now says so when it is slow or stuck).
import { briefError, type Logger } from '../controller/reconciler';

export interface StopStep {
  /** "the manager", "the pod runner": how log lines name it. */
  what: string;
  stop: (() => Promise<void>) | undefined;
  limitMs: number;
}

/** A step that takes longer than this is reported even when it ends within its limit. */
const SLOW_MS = 2000;

export async function stopInOrder(steps: StopStep[], log: Logger): Promise<void> {
  for (const s of steps) {
    if (!s.stop) continue;
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      s.stop().then(
        () => 'stopped' as const,
        (e: unknown) => {
          log.error(`stopping ${s.what}: ${briefError(e)}`);
          return 'failed' as const;
        },
      ),
      new Promise<'stuck'>((resolve) => {
        timer = setTimeout(() => resolve('stuck'), s.limitMs);
      }),
    ]);
    clearTimeout(timer);
    const ms = Date.now() - t0;
    if (outcome === 'stuck') log.warn(`stopping ${s.what}: not done after ${Math.round(s.limitMs / 1000)} s; going on without it`);
    else if (ms > SLOW_MS) log.info(`stopping ${s.what} took ${(ms / 1000).toFixed(1)} s`);
  }
}
