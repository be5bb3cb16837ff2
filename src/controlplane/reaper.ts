// Leftovers of a control plane whose owner died without running any handler (SIGKILL, OOM, a crashed
// runner): each control-plane dir records its owner pid and its processes, and the next start reaps
// dirs whose owner is gone. A pid is only killed if it still runs the binary that was recorded, so a
// reused pid is never hit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const OWNER_FILE = 'kokpit-owner.json';
export const TEMP_DIR_PREFIX = 'kokpit-testenv-';

export interface OwnerRecord {
  ownerPid: number;
  processes: Array<{ name: string; pid: number; bin: string }>;
}

export function writeOwnerRecord(dir: string, record: OwnerRecord): void {
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(record), { mode: 0o600 });
}

export function readOwnerRecord(dir: string): OwnerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is alive and runs `bin` (Linux /proc; elsewhere only liveness is known, so: no). */
export function runsBinary(pid: number, bin: string): boolean {
  try {
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    return exe === fs.realpathSync(bin) || exe === `${fs.realpathSync(bin)} (deleted)`;
  } catch {
    return false;
  }
}

/** Kill the recorded processes of dead owners' control-plane dirs under `root`, and remove those dirs. */
export function reapStaleControlPlanes(root = os.tmpdir(), log: (line: string) => void = () => {}): number {
  let reaped = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync(root).filter((e) => e.startsWith(TEMP_DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const e of entries) {
    const dir = path.join(root, e);
    const rec = readOwnerRecord(dir);
    if (!rec || rec.ownerPid === process.pid || isAlive(rec.ownerPid)) continue;
    for (const p of rec.processes) {
      if (!runsBinary(p.pid, p.bin)) continue;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    log(`reaped a control plane left by dead process ${rec.ownerPid} (${dir})`);
    reaped++;
  }
  return reaped;
}
