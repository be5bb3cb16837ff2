// kokpit's process runner, for everything except the pod runner's containers (podrunner/processes.ts adds
// what only a container needs: per-pod /etc/hosts, a death signal, records to reap a dead runner's children).
// - Long-running upstream binaries (control planes, kwok): `startProcess`, each in its own process group (so
//   stopping it also stops anything it forked), output to a log file, and a register of every live one so an
//   interrupted run still leaves nothing behind.
// - Commands that run and exit (docker, kind, kubeadm through docker exec, etcdutl, go version): a
//   `CommandRunner`, without a shell; `execaRunner` is the real one, and callers take one as an option so tests
//   can pin every argv.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Settles when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Every started process that has not exited yet, for the exit handlers. */
const live = new Set<ManagedProcess>();
/** Directories to remove on exit (the control planes' temp dirs). */
const liveDirs = new Set<string>();

export function startProcess(
  name: string,
  bin: string,
  args: string[],
  opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  installExitHandlers();
  const fd = fs.openSync(opts.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      // Own process group: kill(-pid) reaches everything the process started.
      detached: true,
    });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) {
    // spawn reports ENOENT/EACCES asynchronously, but a missing pid already means it failed.
    throw new Error(`${name}: could not start ${bin}`);
  }
  // Do not keep the test runner alive for a forgotten process: the exit handler kills it.
  child.unref();

  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(proc);
      resolve({ code, signal });
    });
    child.once('error', () => {
      running = false;
      live.delete(proc);
      resolve({ code: null, signal: null });
    });
  });

  const proc: ManagedProcess = {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 5000) {
      if (!running) return;
      signalGroup(child.pid!, 'SIGTERM');
      if (await settlesWithin(exited, graceMs)) return;
      signalGroup(child.pid!, 'SIGKILL');
      if (!(await settlesWithin(exited, 5000))) throw new Error(`${name} (pid ${child.pid}) did not exit after SIGKILL`);
    },
  };
  live.add(proc);
  return proc;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tailFile(file: string, lines = 30): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n') || '(empty log)';
  } catch {
    return '(no log)';
  }
}

export function registerTempDir(dir: string): void {
  installExitHandlers();
  liveDirs.add(dir);
}

export function unregisterTempDir(dir: string): void {
  liveDirs.delete(dir);
}

/** Synchronous last-resort cleanup: kill every live process group and remove registered dirs. */
export function killAllNow(): void {
  for (const p of live) signalGroup(p.pid, 'SIGKILL');
  live.clear();
  for (const d of liveDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
  liveDirs.clear();
}

/** Pids of processes started here that are still running (for tests and diagnostics). */
export function livePids(): number[] {
  return [...live].map((p) => p.pid);
}

let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // An application with its own handler (the sandbox) owns a graceful shutdown; the 'exit'
      // handler stays the backstop. Otherwise kill now and die of the signal as the default would.
      if (process.listenerCount(sig) > 1) return;
      killAllNow();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export interface CommandOptions {
  /** Written to stdin (how secrets reach a container: never in argv, where `ps` shows them). */
  input?: string;
  timeoutMs?: number;
  /** The environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface CommandRunner {
  /** Resolves with the exit code; rejects with CommandNotFoundError when `file` cannot be executed at all. */
  run(file: string, args: readonly string[], opts?: CommandOptions): Promise<CommandResult>;
}

export class CommandNotFoundError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'CommandNotFoundError';
  }
}

export const execaRunner: CommandRunner = {
  async run(file, args, opts = {}) {
    // execa is ESM-only: loaded on first use (the CommonJS build cannot require it).
    const { execa } = await import('execa');
    const r = await execa(file, [...args], {
      reject: false,
      input: opts.input ?? '',
      timeout: opts.timeoutMs,
      stripFinalNewline: true,
      all: false,
      ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
    });
    if (r.exitCode === undefined && !r.timedOut) {
      // The process never started (ENOENT, EACCES).
      throw new CommandNotFoundError(file, String((r as { code?: string }).code ?? r.shortMessage ?? 'cannot be started'));
    }
    return {
      exitCode: r.exitCode ?? -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      ...(r.timedOut ? { timedOut: true } : {}),
    };
  },
};

/** Last `lines` non-empty lines of command output, for condition messages. */
export function tail(text: string, lines = 5): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join('\n');
}
