// `kokpit sandbox start|stop|status`: a real control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler) on 127.0.0.1 with nodes simulated by kwok, for prototyping without Docker.
// State lives in $XDG_STATE_HOME/kokpit/sandbox/<name> (default ~/.local/state/…; KOKPIT_SANDBOX_DIR
// overrides the parent): sandbox.json (pids, server), kubeconfig (0600), run/ (certs, data, logs).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  controlPlaneBinaries,
  installCRDs,
  isAlive,
  isNodeReady,
  resolveBinaries,
  startControlPlane,
  tailFile,
  waitFor,
  type ControlPlane,
  type StartControlPlaneOptions,
} from '../../controlplane';
import { loadKubeConfig } from '../../kube';
import { runsBinary } from '../../controlplane/reaper';
import { signalProcess, stopOwned } from '../../local/stop';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { readSandboxState, sandboxDir, sandboxRoot, STATE_FILE, type SandboxState } from '../../local/sandbox-state';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
const SIMULATED_NOTE =
  'Nodes are simulated by kwok: no kubelet and no containers. Pods bound to them are reported Running, but nothing runs.';

export { readSandboxState, sandboxDir, sandboxRoot, type SandboxState } from '../../local/sandbox-state';

/** kokpit's generated CRDs, found from this file (sources or bundle) or the working directory. */
function crdDir(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let d = start; ; d = path.dirname(d)) {
      const c = path.join(d, 'config', 'crd');
      if (fs.existsSync(c) && fs.existsSync(path.join(d, 'package.json'))) return c;
      if (path.dirname(d) === d) break;
    }
  }
  throw new Error('cannot find config/crd (kokpit CRDs)');
}

interface StartArgs {
  name: string;
  version?: string;
  nodes: number;
  detach: boolean;
  /** Internal: run as the detached supervisor (output to the log file). */
  supervise: boolean;
}

function parseArgs(argv: string[]): { sub: string; name: string; start: StartArgs } {
  const [sub, ...rest] = argv;
  const start: StartArgs = { name: 'default', nodes: 3, detach: false, supervise: false };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--name') start.name = value();
    else if (flag === '--version' && sub === 'start') start.version = value();
    else if (flag === '--nodes' && sub === 'start') {
      const v = value();
      start.nodes = Number(v);
      if (!/^\d+$/.test(v) || start.nodes > 100) throw new UsageError(`--nodes must be a whole number from 0 to 100, got ${v}`);
    } else if (flag === '--detach' && sub === 'start') start.detach = true;
    else if (flag === '--supervise' && sub === 'start') start.supervise = true;
    else throw new UsageError(`unknown flag ${rest[i]} for "sandbox ${sub ?? ''}"`);
  }
  if (!NAME_RE.test(start.name)) throw new UsageError(`--name must be lowercase letters, digits and dashes (max 40), got "${start.name}"`);
  return { sub: sub ?? '', name: start.name, start };
}

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Run a local Kubernetes control plane with kwok-simulated nodes (no Docker needed)',
  usage:
    'kokpit sandbox start [--name N] [--version V] [--nodes N] [--detach]\n' +
    '       kokpit sandbox stop [--name N]\n' +
    '       kokpit sandbox status [--name N]\n\n' +
    'start   runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1 with N\n' +
    '        simulated nodes (default 3), installs the kokpit CRDs and writes a kubeconfig (mode 0600).\n' +
    '        Runs until Ctrl-C, or in the background with --detach.\n' +
    'stop    stops a sandbox and removes its state.\n' +
    'status  shows its components, pids and nodes.\n\n' +
    `State: ${sandboxRoot()}/<name> (override the parent with KOKPIT_SANDBOX_DIR).`,
  async run(argv, io) {
    const { sub, name, start } = parseArgs(argv);
    if (sub === 'start') return start.detach ? startDetached(start, io) : startForeground(start, io);
    if (sub === 'stop') return stop(name, io);
    if (sub === 'status') return status(name, io);
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand: start, stop or status');
  },
};

function controlPlaneOptions(a: StartArgs): StartControlPlaneOptions {
  return { kubernetesVersion: a.version, controllers: true, scheduler: true, kwokNodes: a.nodes };
}

/** Refuse to start over a running sandbox; clean up after one whose owner died. */
function checkNotRunning(name: string, io: CliIO): void {
  const s = readSandboxState(name);
  if (s && isAlive(s.pid)) {
    throw new Error(`sandbox "${name}" is already running (pid ${s.pid}, ${s.server}); stop it with: kokpit sandbox stop --name ${name}`);
  }
  if (fs.existsSync(sandboxDir(name))) {
    if (s) for (const c of s.components) if (runsBinary(c.pid, c.bin)) signalProcess(c.pid, 'SIGKILL', true);
    fs.rmSync(sandboxDir(name), { recursive: true, force: true });
    if (s) io.err(`cleaned up after sandbox "${name}" whose process ${s.pid} had died`);
  }
}

function printRunning(s: SandboxState, io: CliIO, how: string): void {
  io.out(
    [
      `Sandbox "${s.name}" is running: Kubernetes ${s.version} (${s.components.map((c) => c.name).join(', ')})`,
      `API server:  ${s.server}`,
      `Kubeconfig:  ${s.kubeconfig}`,
      `             kubectl --kubeconfig ${s.kubeconfig} get nodes`,
      `Nodes:       ${s.nodes.length} simulated (${s.nodes.join(', ') || 'none'})`,
      SIMULATED_NOTE,
      how,
    ].join('\n'),
  );
}

async function startForeground(a: StartArgs, io: CliIO): Promise<number> {
  // A supervisor runs in the dir its parent just checked and created (holding the log).
  if (!a.supervise) checkNotRunning(a.name, io);
  const dir = sandboxDir(a.name);
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true, mode: 0o700 });
  const say = (l: string) => (a.supervise ? io.err(l) : io.progress(l));

  // Our own handlers: a graceful stop (the control plane's handlers step back when the application has one).
  let stopping: Promise<void> | undefined;
  let cp: ControlPlane | undefined;
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      say(`${why}: stopping sandbox "${a.name}"…`);
      await cp?.stop().catch((e: Error) => io.err(`stopping: ${e.message}`));
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals) => void shutdown(sig).then(() => process.exit(0));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  try {
    cp = await startControlPlane({
      ...controlPlaneOptions(a),
      dir: path.join(dir, 'run'),
      clusterName: `kokpit-sandbox-${a.name}`,
      readyTimeoutMs: 120_000,
      log: say,
    });
    const crds = await installCRDs(cp.kubeConfig(), crdDir());
    say(`installed ${crds.length} kokpit CRDs`);
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, cp.kubeconfigYaml, { mode: 0o600 });
    const nodes = (await cp.kubeConfig().makeApiClient(CoreV1Api).listNode()).items.map((n) => n.metadata!.name!);
    const state: SandboxState = {
      name: a.name,
      pid: process.pid,
      processGroup: a.supervise,
      server: cp.server,
      version: cp.version,
      kubeconfig,
      nodes,
      components: cp.processes,
      startedAt: new Date().toISOString(),
    };
    // Written last and atomically: its presence means "ready" to a waiting `start --detach`.
    const tmp = path.join(dir, `.${STATE_FILE}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, STATE_FILE));
    if (!a.supervise) printRunning(state, io, 'Press Ctrl-C to stop.');
    else io.err(`sandbox "${a.name}" ready`);
  } catch (e) {
    await shutdown('start failed');
    throw e;
  }
  // Run until a signal (its handler exits the process); a component that dies takes the sandbox down.
  const running = cp;
  return new Promise<number>(() => {
    setInterval(() => {
      const dead = running.processes.find((p) => !isAlive(p.pid));
      if (dead && !stopping) {
        io.err(`${dead.name} (pid ${dead.pid}) exited; last lines of ${dead.logFile}:\n${tailFile(dead.logFile, 20)}`);
        void shutdown(`${dead.name} exited`).then(() => process.exit(EXIT.FAILED));
      }
    }, 2000);
  });
}

async function startDetached(a: StartArgs, io: CliIO): Promise<number> {
  checkNotRunning(a.name, io);
  // Build or find the binaries here, in the foreground, where progress and errors are seen.
  await resolveBinaries(controlPlaneBinaries(controlPlaneOptions(a)), { log: (l) => io.err(l) });
  const dir = sandboxDir(a.name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, 'sandbox.log');
  const fd = fs.openSync(logFile, 'w', 0o600);
  const args = ['sandbox', 'start', '--name', a.name, '--nodes', String(a.nodes), '--supervise'];
  if (a.version) args.push('--version', a.version);
  let child;
  try {
    child = spawn(process.execPath, [...process.execArgv, cliEntry(), ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: process.env,
    });
  } finally {
    fs.closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the sandbox process');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.unref();
  io.progress(`starting sandbox "${a.name}" in the background (pid ${pid}, log ${logFile})…`);
  let state: SandboxState;
  try {
    state = await waitFor(
      `sandbox "${a.name}" ready`,
      async () => {
        const s = readSandboxState(a.name);
        return s && s.pid === pid ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 200, abortIf: () => (exited ? `the sandbox process ${exited}` : undefined) },
    );
  } catch (e) {
    if (!exited) signalProcess(pid, 'SIGTERM', true);
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- last lines of ${logFile} ---\n${tailFile(logFile, 30)}`);
  }
  printRunning(state, io, `Running in the background (pid ${pid}). Stop it with: kokpit sandbox stop${a.name === 'default' ? '' : ` --name ${a.name}`}`);
  return EXIT.OK;
}

/** The script that runs this CLI (bin/kokpit.js), to start the detached supervisor the same way. */
function cliEntry(): string {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell how this CLI was started (no process.argv[1])');
  return path.resolve(entry);
}

async function stop(name: string, io: CliIO): Promise<number> {
  const s = readSandboxState(name);
  const dir = sandboxDir(name);
  if (!s) {
    if (fs.existsSync(dir)) {
      fs.rmSync(dir, { recursive: true, force: true });
      io.out(`sandbox "${name}" was not running; removed its leftover state`);
    } else {
      io.out(`no sandbox "${name}"`);
    }
    return EXIT.OK;
  }
  // The owner stops its components gracefully (SIGTERM, then SIGKILL) and removes the state.
  const left = await stopOwned(s, {
    label: `sandbox "${name}"`, timeoutMs: 20_000, intervalMs: 100, waitForComponents: true, leftoverGroups: true, warn: (l) => io.err(l),
  });
  fs.rmSync(dir, { recursive: true, force: true });
  if (left.length) {
    io.err(`sandbox "${name}": processes still running: ${left.join(', ')}`);
    return EXIT.FAILED;
  }
  io.out(`sandbox "${name}" stopped`);
  return EXIT.OK;
}

async function status(name: string, io: CliIO): Promise<number> {
  const s = readSandboxState(name);
  if (!s) {
    io.out(`sandbox "${name}": not running`);
    return EXIT.FAILED;
  }
  const alive = isAlive(s.pid);
  const lines = [
    `sandbox "${name}": ${alive ? 'running' : `not running (process ${s.pid} is gone; 'kokpit sandbox stop --name ${name}' cleans up)`}`,
    `Kubernetes:  ${s.version}`,
    `API server:  ${s.server}`,
    `Kubeconfig:  ${s.kubeconfig}`,
    `Started:     ${s.startedAt} (pid ${s.pid})`,
    'Components:',
    ...s.components.map((c) => `  ${c.name.padEnd(24)} pid ${String(c.pid).padEnd(8)} ${isAlive(c.pid) ? 'running' : 'NOT RUNNING'}  log ${c.logFile}`),
  ];
  let ok = alive && s.components.every((c) => isAlive(c.pid));
  if (alive) {
    try {
      const nodes = (await loadKubeConfig({ kubeconfigPath: s.kubeconfig }).makeApiClient(CoreV1Api).listNode()).items;
      lines.push(`Nodes (simulated by kwok): ${nodes.length}`);
      for (const n of nodes) lines.push(`  ${n.metadata?.name?.padEnd(24)} ${isNodeReady(n) ? 'Ready' : 'NotReady'}`);
    } catch (e) {
      ok = false;
      lines.push(`Nodes: cannot list (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  io.out(lines.join('\n'));
  return ok ? EXIT.OK : EXIT.FAILED;
}
