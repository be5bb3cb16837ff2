// Where a sandbox (and a `kokpit up` environment, which shares the directory) keeps its state:
// $XDG_STATE_HOME/kokpit/sandbox/<name> (default ~/.local/state/…; KOKPIT_SANDBOX_DIR overrides the parent),
// with sandbox.json (pids, server) and the kubeconfig (0600).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const STATE_FILE = 'sandbox.json';

export interface SandboxState {
  name: string;
  /** The process that owns the control plane (it stops it on SIGTERM/SIGINT). */
  pid: number;
  /** Whether `pid` leads its own process group (detached), so the whole group can be signalled. */
  processGroup: boolean;
  server: string;
  version: string;
  kubeconfig: string;
  nodes: string[];
  components: Array<{ name: string; pid: number; bin: string; logFile: string }>;
  startedAt: string;
}

export function sandboxRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KOKPIT_SANDBOX_DIR) return env.KOKPIT_SANDBOX_DIR;
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'kokpit', 'sandbox');
}

export function sandboxDir(name: string): string {
  return path.join(sandboxRoot(), name);
}

export function readSandboxState(name: string): SandboxState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(sandboxDir(name), STATE_FILE), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}
