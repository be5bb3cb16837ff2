// Create, start (sandbox) and delete a local meta cluster from the editor. They run kokpit's own CLI — `kokpit up
// --detach` and `kokpit down` — so the editor and a terminal share one environment that outlives the editor. Its
// output lines stream to the Kokpit log and the progress notification; Cancel stops the CLI and removes what it
// started. When up finishes, the Fleet view connects to the environment's kubeconfig (the user's is not touched).
import * as vscode from 'vscode';
import { COMMANDS } from '../model/commands';
import type { CommandHandler, CommandModule, CommandServices } from './types';

/**
 * The plain logic loads on first use: it reaches into the CLI's local-environment code, which activation never needs.
 * A require (not import()) so it resolves alike in the bundle and under tsx in the unit tests.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const local = async (): Promise<typeof import('../../actions/local-environment')> => require('../../actions/local-environment');

interface CliRun {
  exitCode: number;
  output: string;
  cancelled: boolean;
}

/** Runs `kokpit <args>`, each output line to the log and (when worth it) to the progress message. */
async function runCli(services: CommandServices, args: string[], step: (message: string) => void, signal: AbortSignal): Promise<CliRun> {
  const { LineSplitter, progressMessage } = await local();
  const { runtime } = services;
  const cli = runtime.cli.command();
  runtime.logger.info(`running: kokpit ${args.join(' ')}`);
  const splitter = new LineSplitter((line) => {
    if (!line.trim()) return;
    // The CLI never prints key material unless asked with `-o -`, which the editor never does.
    runtime.logger.info(`kokpit ${args[0]}: ${line}`);
    const message = progressMessage(line);
    if (message) step(message);
  });
  const result = await runtime.processes.run(cli.file, [...cli.args, ...args], {
    env: { ...process.env, ...cli.env },
    signal,
    onOutput: (chunk) => splitter.push(chunk),
  });
  splitter.end();
  return { exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}`, cancelled: signal.aborted };
}

const createLocal =
  (runtimeChoice: 'sandbox' | undefined): CommandHandler =>
  async (services) => {
    const {
      checkEnvironmentName,
      upArguments,
      downArguments,
      environmentKubeconfig,
      failureDetail,
      listLocalEnvironments,
      stopSupervisor,
      supervisorPid,
    } = await local();
    const sandbox = runtimeChoice === 'sandbox';
    const name = await vscode.window.showInputBox({
      title: sandbox ? 'Kokpit: start a sandbox meta cluster (no Docker)' : 'Kokpit: create a local meta cluster',
      prompt: 'Name of the local meta cluster (an existing one with this name is reused)',
      value: 'kokpit',
      validateInput: (v) => checkEnvironmentName(v),
    });
    if (!name) return;
    const sample = await vscode.window.showQuickPick(
      [
        { label: 'Meta cluster only', withSample: false },
        {
          label: 'With a sample business cluster',
          description: 'managed etcd, control plane, two machines; waits until Ready',
          withSample: true,
        },
      ],
      { title: `Kokpit: local meta cluster "${name}"` },
    );
    if (!sample) return;
    const args = upArguments({ name, runtime: runtimeChoice, withSample: sample.withSample });
    const { runtime, fleet } = services;
    // Reused, not created: a cancel must then leave it running.
    const existed = listLocalEnvironments().some((e) => e.name === name && e.running);
    runtime.output.show(true);
    const run = await runtime.progress.run(
      `${sandbox ? 'starting sandbox' : 'creating local meta cluster'} "${name}"`,
      async (step, signal) => {
        const result = await runCli(services, args, step, signal);
        if (result.cancelled && !existed) {
          // Killing the CLI leaves its detached supervisor starting: stop it, then let `kokpit down` remove the state.
          step('cancelled: stopping what was started…');
          const pid = supervisorPid(result.output);
          if (pid !== undefined && !(await stopSupervisor(pid)))
            runtime.logger.warn(`the local environment process ${pid} did not stop within 45 s`);
          await runCli(services, downArguments(name), step, new AbortController().signal);
        }
        return result;
      },
    );
    if (run.cancelled) {
      const what = existed ? `the running "${name}" was left as it was` : 'nothing is left running';
      runtime.logger.info(`creating local meta cluster "${name}" was cancelled; ${what}`);
      void vscode.window.showInformationMessage(`Kokpit: creating local meta cluster "${name}" was cancelled; ${what}`);
      return;
    }
    if (run.exitCode !== 0) throw new Error(`\`kokpit ${args.join(' ')}\` failed (exit ${run.exitCode}): ${failureDetail(run.output)}`);
    const kubeconfig = environmentKubeconfig(name);
    const state = await fleet.connect(undefined, { kubeconfigFile: kubeconfig });
    if (state.kind !== 'connected') return; // the controller showed why
    void vscode.window.showInformationMessage(`Kokpit: local meta cluster "${name}" is running; connected to ${state.context}`);
    await vscode.commands.executeCommand('kokpit.fleet.focus');
  };

async function deleteLocal(services: CommandServices): Promise<void> {
  const { downArguments, failureDetail, isEnvironmentKubeconfig, listLocalEnvironments } = await local();
  const { runtime, fleet, reconcilers } = services;
  const envs = listLocalEnvironments();
  // From the tree (or while connected to one): the environment the Fleet view shows; else the user picks.
  let name = envs.find((e) => isEnvironmentKubeconfig(fleet.kubeconfigFile, e.name))?.name;
  if (!name) {
    if (envs.length === 0) {
      void vscode.window.showInformationMessage('Kokpit: there is no local meta cluster to delete');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      envs.map((e) => ({
        label: e.name,
        description: e.running ? `running · ${e.state?.server ?? ''}` : 'not running (state left behind)',
        name: e.name,
      })),
      { title: 'Kokpit: delete a local meta cluster' },
    );
    if (!picked) return;
    name = picked.name;
  }
  const confirm = 'Delete';
  const answer = await vscode.window.showWarningMessage(
    `Delete local meta cluster "${name}"? Its control plane, reconcilers and every business cluster in it stop, and its state is removed.`,
    { modal: true },
    confirm,
  );
  if (answer !== confirm) return;
  if (isEnvironmentKubeconfig(fleet.kubeconfigFile, name)) {
    // Reconcilers and watches against a cluster about to vanish would only log errors.
    await reconcilers.stop();
    await fleet.disconnect();
  }
  const args = downArguments(name);
  const run = await runtime.progress.run(`deleting local meta cluster "${name}"`, (step, signal) => runCli(services, args, step, signal));
  if (run.cancelled)
    throw new Error(`deleting local meta cluster "${name}" was cancelled; run "Kokpit: Delete Local Meta Cluster" again to finish`);
  if (run.exitCode !== 0) throw new Error(`\`kokpit ${args.join(' ')}\` failed (exit ${run.exitCode}): ${failureDetail(run.output)}`);
  void vscode.window.showInformationMessage(`Kokpit: local meta cluster "${name}" deleted`);
}

export const metaClusterCommands: CommandModule = {
  [COMMANDS.createLocalMetaCluster.id]: createLocal(undefined),
  [COMMANDS.startSandbox.id]: createLocal('sandbox'),
  [COMMANDS.deleteLocalMetaCluster.id]: deleteLocal,
};
