// Stopping what an owner process started (a `kokpit up` environment, a sandbox, a kind environment's manager):
// SIGTERM to the owner, which stops its components in order; after a deadline SIGKILL; then any recorded
// component still running its binary is killed. `kokpit down` and `kokpit sandbox stop` share this.
import { isAlive, waitFor } from '../controlplane';
import { runsBinary } from '../controlplane/reaper';

/** Signals a process group when asked (falling back to the process itself); a process already gone is fine. */
export function signalProcess(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

export interface OwnedProcesses {
  pid: number;
  processGroup: boolean;
  components: Array<{ pid: number; bin: string }>;
}

export interface StopOptions {
  /** How the owner is named in the "did not stop" message. */
  label: string;
  timeoutMs: number;
  intervalMs: number;
  /** Wait for the components too (else only for the owner). */
  waitForComponents: boolean;
  /** Kill leftover components as process groups. */
  leftoverGroups: boolean;
  warn(line: string): void;
}

/** Stops the owner and its components; returns the pids still alive afterwards. */
export async function stopOwned(owned: OwnedProcesses, o: StopOptions): Promise<number[]> {
  const pids = o.waitForComponents ? [owned.pid, ...owned.components.map((c) => c.pid)] : [owned.pid];
  if (isAlive(owned.pid)) {
    signalProcess(owned.pid, 'SIGTERM', owned.processGroup);
    try {
      await waitFor(`${o.label} stopped`, async () => (pids.some(isAlive) ? undefined : true), {
        timeoutMs: o.timeoutMs,
        intervalMs: o.intervalMs,
      });
    } catch {
      o.warn(`${o.label} did not stop within ${Math.round(o.timeoutMs / 1000)} s; killing it`);
      signalProcess(owned.pid, 'SIGKILL', owned.processGroup);
    }
  }
  for (const c of owned.components) if (runsBinary(c.pid, c.bin)) signalProcess(c.pid, 'SIGKILL', o.leftoverGroups);
  return pids.filter(isAlive);
}
