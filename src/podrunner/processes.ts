// Container processes: each runs in its own process group (so a stop reaches its children), with
// stdout/stderr appended to a log file, inside a private mount namespace where the pod's hosts file is
// bind-mounted over /etc/hosts. Every live process is recorded in the state dir, so a runner that
// starts again after a crash kills what the previous one left behind instead of adopting it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * How a process gets its own /etc/hosts:
 * - `mount-ns`: `unshare --mount` (root);
 * - `user-mount-ns`: `unshare --map-root-user --mount` (unprivileged users, where user namespaces are allowed);
 * - `none`: the host's /etc/hosts (Service and pod names will not resolve).
 */
export type IsolationMode = 'mount-ns' | 'user-mount-ns' | 'none';

// $0 is the hosts file, "$@" the command: bind-mount, then exec so the pid stays the container's.
const BIND_HOSTS = 'mount --bind "$0" /etc/hosts || { echo "kokpit: cannot bind-mount $0 over /etc/hosts" >&2; exit 126; }; exec "$@"';

function unshareArgs(mode: IsolationMode): string[] {
  return mode === 'mount-ns' ? ['--mount', '--propagation', 'private'] : ['--map-root-user', '--mount', '--propagation', 'private'];
}

/** Command line that runs `file args` with `hostsFile` as its /etc/hosts. */
export function isolatedCommand(
  mode: IsolationMode,
  hostsFile: string,
  file: string,
  args: readonly string[],
): { file: string; args: string[] } {
  if (mode === 'none') return { file, args: [...args] };
  return { file: 'unshare', args: [...unshareArgs(mode), '--', '/bin/sh', '-c', BIND_HOSTS, hostsFile, file, ...args] };
}

/** The command run inside a network namespace (`nsenter` execs in place: the pid stays the container's); none: as is. */
export function inNetworkNamespace(netnsPath: string | undefined, cmd: { file: string; args: string[] }): { file: string; args: string[] } {
  return netnsPath ? { file: 'nsenter', args: [`--net=${netnsPath}`, '--', cmd.file, ...cmd.args] } : cmd;
}

/** Finds the strongest isolation that works here, by trying it on a scratch hosts file. */
export function detectIsolation(): { mode: IsolationMode; detail: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-isolation-'));
  try {
    const hosts = path.join(dir, 'hosts');
    fs.writeFileSync(hosts, '127.0.0.1 kokpit-isolation-check\n');
    const isRoot = process.getuid?.() === 0;
    const modes: IsolationMode[] = isRoot ? ['mount-ns', 'user-mount-ns'] : ['user-mount-ns'];
    const failures: string[] = [];
    for (const mode of modes) {
      const cmd = isolatedCommand(mode, hosts, '/bin/sh', ['-c', 'grep -q kokpit-isolation-check /etc/hosts']);
      const r = spawnSync(cmd.file, cmd.args, { encoding: 'utf8', timeout: 10_000 });
      if (r.status === 0) return { mode, detail: `${cmd.file} ${unshareArgs(mode).join(' ')}` };
      failures.push(`${mode}: ${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)}`);
    }
    return { mode: 'none', detail: failures.join('; ') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Exit code as the kubelet reports it: a signal n becomes 128+n. */
export function exitCodeOf(exit: Pick<Exit, 'code' | 'signal'>): number {
  if (exit.code !== null) return exit.code;
  const n = exit.signal ? os.constants.signals[exit.signal] : undefined;
  return n ? 128 + n : 255;
}

export interface SpawnSpec {
  file: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /** Appended with stdout and stderr; omitted: output is discarded (or captured with `capture`). */
  logFile?: string;
  capture?: boolean;
  hostsFile?: string;
  label: string;
}

export class ManagedProcess {
  readonly startedAt = Date.now();
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  output = '';

  constructor(
    readonly pid: number,
    private readonly child: ChildProcess,
    readonly label: string,
    onExit: (p: ManagedProcess) => void,
  ) {
    if (child.stdout) child.stdout.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-10_000)));
    if (child.stderr) child.stderr.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-10_000)));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        onExit(this);
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Signals the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        /* gone */
      }
    }
  }

  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the process has exited. */
  async terminate(graceMs: number): Promise<Exit> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), Math.max(0, graceMs));
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** /proc start time of a pid (clock ticks since boot), to tell a recorded process from a recycled pid. */
function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const HAS_SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => fs.existsSync(p));

export class ProcessTable {
  private readonly live = new Set<ManagedProcess>();
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'processes');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Kills the process groups a previous runner recorded and that still run; returns how many. */
  killLeftovers(): number {
    let killed = 0;
    for (const f of fs.readdirSync(this.dir)) {
      const pid = Number(f);
      const file = path.join(this.dir, f);
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { startTime?: string };
        if (pid > 0 && rec.startTime && procStartTime(pid) === rec.startTime) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            process.kill(pid, 'SIGKILL');
          }
          killed++;
        }
      } catch {
        /* unreadable record or already gone */
      }
      fs.rmSync(file, { force: true });
    }
    return killed;
  }

  spawn(spec: SpawnSpec): ManagedProcess {
    let fd: number | undefined;
    if (spec.logFile) fd = fs.openSync(spec.logFile, 'a', 0o600);
    const out = fd ?? (spec.capture ? 'pipe' : 'ignore');
    let child: ChildProcess;
    // The kernel kills the container when the runner dies, even by SIGKILL: no orphans holding pod IPs.
    const [file, args] = HAS_SETPRIV ? ['setpriv', ['--pdeathsig', 'KILL', '--', spec.file, ...spec.args]] : [spec.file, spec.args];
    try {
      child = spawn(file, args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', out, out],
        detached: true, // own session and process group
      });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    // Failures like ENOENT also arrive as an 'error' event; without a listener they would crash the runner.
    child.on('error', () => {});
    if (child.pid === undefined) {
      // spawn reports ENOENT and friends asynchronously; surface them now as a failed start.
      throw new Error(`cannot start ${spec.file}`);
    }
    const record = path.join(this.dir, String(child.pid));
    fs.writeFileSync(record, JSON.stringify({ startTime: procStartTime(child.pid), label: spec.label, file: spec.file }));
    const proc = new ManagedProcess(child.pid, child, spec.label, (p) => {
      this.live.delete(p);
      fs.rmSync(record, { force: true });
    });
    this.live.add(proc);
    return proc;
  }

  get size(): number {
    return this.live.size;
  }

  /** Terminates every live process (runner stop). */
  async terminateAll(graceMs: number): Promise<void> {
    await Promise.all([...this.live].map((p) => p.terminate(graceMs)));
  }
}
