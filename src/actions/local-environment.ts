// Creating and deleting a local meta cluster from the editor: the same `kokpit up --detach` / `kokpit down` as in a
// terminal (so both see one environment, and it outlives the editor), run as a child process whose output lines
// become progress steps. Plain logic here (no vscode): arguments, progress lines, which environments exist.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../controlplane/reaper';
import { environmentDir, NAME_RE, readEnvironment, runningEnvironment, type EnvironmentState } from '../local/state';

export interface UpRequest {
  name: string;
  /** undefined: the CLI chooses (kind when it can create clusters, else the sandbox) and says why. */
  runtime?: 'sandbox' | 'kind';
  withSample: boolean;
}

export function checkEnvironmentName(name: string): string | undefined {
  return NAME_RE.test(name) ? undefined : 'lowercase letters, digits and dashes, at most 40 characters';
}

/** `kokpit up` arguments: detached, so the meta cluster keeps running when the editor closes. */
export function upArguments(r: UpRequest): string[] {
  const problem = checkEnvironmentName(r.name);
  if (problem) throw new Error(`invalid local meta cluster name "${r.name}": ${problem}`);
  return ['up', '--detach', '--name', r.name, ...(r.runtime ? ['--runtime', r.runtime] : []), ...(r.withSample ? ['--with-sample'] : [])];
}

export function downArguments(name: string): string[] {
  const problem = checkEnvironmentName(name);
  if (problem) throw new Error(`invalid local meta cluster name "${name}": ${problem}`);
  return ['down', '--name', name];
}

/** A CLI output line as a progress message (undefined: not worth showing, e.g. blank or a command hint). */
export function progressMessage(line: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes are exactly what this strips
  const text = line.replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (!text || text.startsWith('kubectl ')) return undefined;
  return text.replace(/^✓\s*/, '✓ ');
}

/** Splits a stream of chunks into whole lines. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.rest + chunk).split(/\r?\n/);
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.onLine(p);
  }
  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}

export interface LocalEnvironment {
  name: string;
  running: boolean;
  state?: EnvironmentState;
}

/** Local environments with state on disk (running or left behind), by name. */
export function listLocalEnvironments(): LocalEnvironment[] {
  const root = path.dirname(environmentDir('x'));
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => NAME_RE.test(n) && fs.existsSync(path.join(root, n, 'environment.json')));
  } catch {
    return [];
  }
  return names.sort().map((name) => {
    const running = runningEnvironment(name);
    return { name, running: !!running, state: running ?? readEnvironment(name) };
  });
}

/** The kubeconfig of a running environment, or why there is none. */
export function environmentKubeconfig(name: string): string {
  const state = runningEnvironment(name);
  if (!state) throw new Error(`local meta cluster "${name}" is not running (no live process in ${environmentDir(name)})`);
  if (!fs.existsSync(state.kubeconfig)) throw new Error(`local meta cluster "${name}" has no kubeconfig at ${state.kubeconfig}`);
  return state.kubeconfig;
}

/** Whether a kubeconfig file belongs to the environment `name` (so deleting it must disconnect the editor first). */
export function isEnvironmentKubeconfig(file: string | undefined, name: string): boolean {
  if (!file) return false;
  const dir = path.resolve(environmentDir(name));
  return path.resolve(file).startsWith(dir + path.sep);
}

/** The last lines of a failed command's output: its own error message is there. */
export function failureDetail(output: string, lines = 6): string {
  const kept = output
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(Boolean);
  return kept.slice(-lines).join('\n');
}

/** The detached supervisor's pid, once `kokpit up --detach` has printed it. */
export function supervisorPid(output: string): number | undefined {
  const m = /in the background \(pid (\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}

/**
 * Stops a supervisor that a cancelled `kokpit up --detach` left starting: SIGTERM to its process group (it stops
 * the control plane and pods it started), then waits until it is gone. Returns whether it stopped in time.
 */
export async function stopSupervisor(pid: number, timeoutMs = 45_000): Promise<boolean> {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return !isAlive(pid);
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}
