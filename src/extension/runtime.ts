// The one object `activate()` builds and hands to every feature: logger, settings, clock, kube client factory,
// process runner and progress sink. Features take what they need from it instead of reaching for globals or
// constructing clients themselves, so tests and the CLI can supply their own (the CLI builds its own runtime).
import type { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { systemClock, type Clock } from './model/clock';
import type { FleetKind, ObjectStream } from './model/fleet-connection';
import { filteredLogger, type Logger } from './model/logger';
import {
  informerStream,
  kubeconfigContexts,
  kubeconfigFiles,
  loadMetaKubeConfig,
  ocmServed,
  probeMetaCluster,
  readBusinessClusterKubeconfig,
} from './model/meta-cluster';
import { readSettings, SETTINGS_SECTION, type KokpitSettings } from './model/settings';

export interface SettingsReader {
  /** Current values (read on each call, so they are never stale). */
  current(): KokpitSettings;
  onDidChange: vscode.Event<KokpitSettings>;
}

/** Everything kokpit does against a Kubernetes API goes through here. */
export interface KubeFactory {
  /** Kubeconfig files in effect (setting, else $KUBECONFIG, else ~/.kube/config). */
  files(): string[];
  contexts(): { names: string[]; current?: string };
  /** An in-memory kubeconfig with `context` (default: current-context) selected; never writes the files. `file` overrides files(). */
  load(context?: string, file?: string): KubeConfig;
  probe(kc: KubeConfig): Promise<void>;
  stream(kc: KubeConfig, kind: FleetKind): ObjectStream;
  /** Whether the meta cluster serves OCM's kinds (the Fleet view then shows them); absent: never. */
  ocmServed?(kc: KubeConfig): Promise<boolean>;
  /** A business cluster's kubeconfig (a secret: never log it). */
  businessClusterKubeconfig(kc: KubeConfig, namespace: string, secretName: string): Promise<string>;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs kind, docker and kokpit's own CLI; output is returned, never logged here (it may hold secrets). */
export interface ProcessRunner {
  run(
    file: string,
    args: readonly string[],
    options?: {
      cwd?: string;
      env?: NodeJS.ProcessEnv;
      signal?: AbortSignal;
      input?: string;
      onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
    },
  ): Promise<ProcessResult>;
}

/** How to run kokpit's own CLI (`kokpit up`, `kokpit down`) from the extension host. */
export interface CliLocator {
  /** The executable and the arguments that come before kokpit's own; env to add. */
  command(): { file: string; args: string[]; env: NodeJS.ProcessEnv };
}

/** Long operations report steps and can be cancelled. */
export interface ProgressSink {
  run<T>(title: string, task: (step: (message: string) => void, signal: AbortSignal) => Promise<T>): Promise<T>;
}

export interface Runtime {
  logger: Logger;
  settings: SettingsReader;
  clock: Clock;
  kube: KubeFactory;
  processes: ProcessRunner;
  cli: CliLocator;
  progress: ProgressSink;
  /** Where the extension's own files are (snippets, media). */
  extensionPath: string;
  /** The "Kokpit" output channel itself, for commands that reveal it. */
  output: vscode.LogOutputChannel;
}

export function createRuntime(context: vscode.ExtensionContext): Runtime {
  const output = vscode.window.createOutputChannel('Kokpit', { log: true });
  const changed = new vscode.EventEmitter<KokpitSettings>();
  const current = () => readSettings((key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get(key));
  context.subscriptions.push(
    output,
    changed,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) changed.fire(current());
    }),
  );
  // The channel also honours VS Code's own log level ("Developer: Set Log Level…"); kokpit.logLevel filters first.
  const logger = filteredLogger(output, () => current().logLevel);
  const clock = systemClock;
  const files = () => kubeconfigFiles(current().kubeconfig);

  const kube: KubeFactory = {
    files,
    contexts: () => kubeconfigContexts(files()),
    load: (ctx, file) => loadMetaKubeConfig(file ? [file] : files(), ctx),
    probe: (kc) => probeMetaCluster(kc, clock),
    stream: (kc, kind) => informerStream(kc, kind, logger),
    ocmServed,
    businessClusterKubeconfig: readBusinessClusterKubeconfig,
  };

  const processes: ProcessRunner = {
    run: (file, args, options = {}) =>
      new Promise((resolve, reject) => {
        // No shell: arguments are passed as they are, never re-parsed.
        const child = spawn(file, [...args], { cwd: options.cwd, env: options.env ?? process.env, signal: options.signal, stdio: 'pipe' });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => {
          out.push(b);
          options.onOutput?.(b.toString('utf8'), 'stdout');
        });
        child.stderr.on('data', (b: Buffer) => {
          err.push(b);
          options.onOutput?.(b.toString('utf8'), 'stderr');
        });
        child.on('error', (e) =>
          options.signal?.aborted
            ? resolve({ exitCode: -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
            : reject(e),
        );
        child.on('close', (code) =>
          resolve({ exitCode: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
        );
        child.stdin.end(options.input ?? '');
      }),
  };

  const progress: ProgressSink = {
    run: async (title, task) =>
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kokpit: ${title}`, cancellable: true },
        (report, token) => {
          const abort = new AbortController();
          const cancelled = token.onCancellationRequested(() => abort.abort());
          return task((message) => report.report({ message }), abort.signal).finally(() => cancelled.dispose());
        },
      ),
  };

  const cli: CliLocator = { command: () => locateCli(context) };

  return {
    logger,
    settings: { current, onDidChange: changed.event },
    clock,
    kube,
    processes,
    cli,
    progress,
    output,
    extensionPath: context.extensionPath,
  };
}

/**
 * The CLI that ships with the extension: a source checkout's bin/kokpit.js, else the bundled dist/cli.js through a
 * launcher script (the bundle exports main() and `kokpit up --detach` re-runs process.argv[1] as its supervisor).
 * $KOKPIT_CLI (a script run with node) overrides both. The extension host's executable runs it as plain Node.
 */
function locateCli(context: vscode.ExtensionContext): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ELECTRON_RUN_AS_NODE: '1' };
  const override = process.env.KOKPIT_CLI;
  if (override) return { file: process.execPath, args: [override], env };
  const source = path.join(context.extensionPath, 'bin', 'kokpit.js');
  if (fs.existsSync(source)) return { file: process.execPath, args: [source], env };
  const bundle = path.join(context.extensionPath, 'dist', 'cli.js');
  if (!fs.existsSync(bundle)) throw new Error(`the kokpit CLI is missing from the extension (${bundle})`);
  const dir = context.globalStorageUri.fsPath;
  fs.mkdirSync(dir, { recursive: true });
  const launcher = path.join(dir, 'kokpit-cli.js');
  const text = `// Written by the kokpit extension: runs its bundled CLI.\nrequire(${JSON.stringify(bundle)}).main();\n`;
  if (!fs.existsSync(launcher) || fs.readFileSync(launcher, 'utf8') !== text) fs.writeFileSync(launcher, text);
  return { file: process.execPath, args: [launcher], env };
}
