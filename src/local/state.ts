// The one state format of a local environment (`kokpit up`, whichever runtime; `kokpit sandbox` is another name
// for `kokpit up --runtime sandbox`), and how other commands find it. Directory: sandbox-state.ts
// ($KOKPIT_SANDBOX_DIR or ~/.local/state/kokpit/sandbox/<name>): environment.json, kubeconfig (0600), run/, runner/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandboxDir } from './sandbox-state';
import { isAlive } from '../controlplane/reaper';

export const DEFAULT_ENV_NAME = 'kokpit';
export const ENV_FILE = 'environment.json';
export const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export interface StepTiming {
  step: string;
  ms: number;
}

export interface EnvironmentState {
  name: string;
  runtime: 'sandbox' | 'kind';
  /** The supervisor process: control plane owner, pod runner, manager (kind: the manager only). */
  pid: number;
  processGroup: boolean;
  server: string;
  version: string;
  kubeconfig: string;
  /** The meta node business clusters' pods run on (kind: the control-plane node container). */
  runnerNode: string;
  runnerHostIP: string;
  /** Sandbox: the pod runner's pod network (podrunner/pod-network.ts); absent: loopback (older state files). */
  podNetwork?: 'loopback' | 'netns';
  /** Control-plane processes (etcd, kube-apiserver, …) with pids (kind: none, they run in the node container). */
  components: Array<{ name: string; pid: number; bin: string; logFile: string }>;
  /** The lease holder when the environment came up: this process's identity, or (in-cluster) the leading pod's name. */
  managerIdentity: string;
  /** `kokpit up --manager`: absent means host (this process). */
  managerPlacement?: 'host' | 'in-cluster';
  /** The host manager's /metrics (loopback); `kokpit metrics` reads it. */
  metricsURL?: string;
  runnables: string[];
  machines: 'kwok' | 'kind' | 'unsupported';
  /** Sandbox `--nodes N`: kwok-simulated Nodes of the meta cluster itself (no kubelet; only pods that name one land there). */
  simulatedNodes?: string[];
  /** kind runtime: the kind cluster, its node image and the host ports reserved for business API servers. */
  kind?: { cluster: string; nodeImage: string; ports: Array<{ hostPort: number; nodePort: number }> };
  steps: StepTiming[];
  logFile?: string;
  startedAt: string;
}

export function environmentDir(name: string): string {
  return sandboxDir(name);
}

export function readEnvironment(name: string): EnvironmentState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(environmentDir(name), ENV_FILE), 'utf8')) as EnvironmentState;
  } catch {
    return undefined;
  }
}

export function runningEnvironment(name: string): EnvironmentState | undefined {
  const s = readEnvironment(name);
  return s && isAlive(s.pid) ? s : undefined;
}

/** Every local environment whose process is alive, by name. */
export function runningEnvironments(): EnvironmentState[] {
  const root = path.dirname(environmentDir('x'));
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => NAME_RE.test(n));
  } catch {
    return [];
  }
  return names
    .sort()
    .map(runningEnvironment)
    .filter((s): s is EnvironmentState => !!s);
}

/** Written atomically: its presence means "ready" to a waiting `up --detach`. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
