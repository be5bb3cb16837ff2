// `kokpit down`: stops a local environment — manager, pod runner (and every pod process it runs),
// control plane — and removes its state. Fails (exit 1) if any process it knew of is still alive.
// kind: deletes the Machines while the manager still runs (their finalizers remove the machine containers),
// stops the manager, runs `kind delete cluster`, and fails if Docker still lists a container of either.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_VERSION, type Machine } from '../../api';
import { deleteObject, listObjects, loadKubeConfig, makeObjectApi } from '../../kube';
import { parseFlags, str } from '../../local/args';
import { DEFAULT_ENV_NAME, environmentDir, NAME_RE, readEnvironment, type EnvironmentState } from '../../local/state';
import { containerNameOf, META_CLUSTER_LABEL } from '../../operators/machine/providers/kind';
import { deleteKindCluster, KindError, leftoverContainers, removeKindNetworkIfUnused, removeLabelledContainers } from '../../providers/kind/cluster';
import { stopOwned } from '../../local/stop';
import { isAlive, waitFor } from '../../testenv';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { readSandboxState } from './sandbox';

export const downCommand: Command = {
  name: 'down',
  summary: 'Stop a local environment started by `kokpit up` (manager, pod runner processes, control plane)',
  usage: 'kokpit down [--name N]\n\nExit code 0 when everything stopped, 1 when a process is left running.',
  async run(argv, io) {
    const p = parseFlags(argv, [{ name: 'name', value: true }]);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const name = str(p, 'name') ?? DEFAULT_ENV_NAME;
    if (!NAME_RE.test(name)) throw new UsageError(`invalid --name "${name}"`);
    const env = readEnvironment(name);
    const dir = environmentDir(name);
    if (env?.runtime === 'kind' || (!env && fs.existsSync(path.join(dir, 'kind-config.yaml')))) return kindDown(name, env, io);
    if (!env) {
      if (readSandboxState(name)) throw new Error(`"${name}" is a plain sandbox, not a \`kokpit up\` environment; stop it with \`kokpit sandbox stop --name ${name}\``);
      if (fs.existsSync(dir)) {
        fs.rmSync(dir, { recursive: true, force: true });
        io.out(`local environment "${name}" was not running; removed its leftover state`);
      } else {
        io.out(`no local environment "${name}"`);
      }
      return EXIT.OK;
    }
    // The owner stops the manager, the pod runner (its pods' processes) and the control plane in order.
    const left = await stopOwned(env, {
      label: `local environment "${name}"`, timeoutMs: 45_000, intervalMs: 200, waitForComponents: true, leftoverGroups: false, warn: (l) => io.err(l),
    });
    fs.rmSync(dir, { recursive: true, force: true });
    if (left.length) {
      io.err(`local environment "${name}": processes still running: ${left.join(', ')}`);
      return EXIT.FAILED;
    }
    io.out(`local environment "${name}" stopped`);
    return EXIT.OK;
  },
};

/** Deletes every kind Machine while the manager runs, so its finalizer removes the container; returns their container names. */
async function deleteKindMachines(env: EnvironmentState, io: CliIO): Promise<string[]> {
  const objects = makeObjectApi(loadKubeConfig({ kubeconfigPath: env.kubeconfig }));
  const kindMachines = async () => ((await listObjects(objects, API_VERSION, 'Machine')) as unknown as Machine[]).filter((m) => m.spec.provider === 'kind');
  const machines = await kindMachines();
  if (!machines.length) return [];
  io.out(`deleting ${machines.length} kind Machines (their containers go with them)…`);
  for (const m of machines) await deleteObject(objects, { apiVersion: API_VERSION, kind: 'Machine', metadata: { name: m.metadata.name, namespace: m.metadata.namespace } });
  try {
    await waitFor('kind Machines deleted', async () => ((await kindMachines()).length ? undefined : true), { timeoutMs: 180_000, intervalMs: 1000 });
  } catch {
    io.err('kind Machines were not deleted within 180 s; their containers may be left');
  }
  return machines.map(containerNameOf);
}

async function kindDown(name: string, env: EnvironmentState | undefined, io: CliIO): Promise<number> {
  let machineContainers: string[] = [];
  if (env && isAlive(env.pid)) {
    try {
      machineContainers = await deleteKindMachines(env, io);
    } catch (e) {
      io.err(`could not delete the Machines first (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); deleting the kind cluster anyway`);
    }
    // Only the manager runs on the host; the kind cluster goes below.
    await stopOwned({ ...env, components: [] }, {
      label: `the manager (pid ${env.pid})`, timeoutMs: 45_000, intervalMs: 200, waitForComponents: false, leftoverGroups: false, warn: (l) => io.err(l),
    });
  }
  const cluster = env?.kind?.cluster ?? name;
  let left: string[];
  let network = '';
  try {
    const { leftovers } = await deleteKindCluster({ name: cluster });
    // Machine containers the manager did not delete (it had died, or a finalizer did not finish): removed here.
    const forced = await removeLabelledContainers(META_CLUSTER_LABEL, cluster);
    if (forced.length) io.err(`removed ${forced.length} machine containers the manager had not deleted: ${forced.join(', ')}`);
    left = [...leftovers, ...(await leftoverContainers(machineContainers))];
    if (!left.length) {
      const n = await removeKindNetworkIfUnused();
      network = n === 'removed' ? '; Docker network kind removed' : n === 'absent' ? '' : `; Docker network kind kept (${n.kept} containers of other kind clusters use it)`;
    }
  } catch (e) {
    if (!(e instanceof KindError)) throw e;
    io.err(`kokpit down: ${e.message}\n  fix: ${e.fix}`);
    return EXIT.FAILED;
  }
  fs.rmSync(environmentDir(name), { recursive: true, force: true });
  const problems = [
    ...(left.length ? [`containers still present: ${left.join(', ')} (remove with \`docker rm -f ${left.join(' ')}\`)`] : []),
    ...(env && isAlive(env.pid) ? [`the manager (pid ${env.pid}) is still running`] : []),
  ];
  if (problems.length) {
    io.err(`local environment "${name}" (kind): ${problems.join('; ')}`);
    return EXIT.FAILED;
  }
  io.out(`local environment "${name}" stopped; kind cluster "${cluster}" deleted${network}`);
  return EXIT.OK;
}
