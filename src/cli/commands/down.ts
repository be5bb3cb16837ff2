// `kokpit down`: stops a local environment — manager, pod runner (and every pod process it runs),
// control plane — and removes its state. Fails (exit 1) if any process it knew of is still alive.
// kind: stops the manager, then removes the kind cluster and every machine container labelled with it in
// parallel (no drains: the business clusters go with the meta cluster), and fails if Docker still lists one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags, str } from '../args';
import { DEFAULT_ENV_NAME, environmentDir, NAME_RE, readEnvironment, type EnvironmentState } from '../../local/state';
import { META_CLUSTER_LABEL } from '../../operators/machine/providers/kind';
import {
  deleteKindCluster,
  KindError,
  leftoverContainers,
  removeKindNetworkIfUnused,
  removeLabelledContainers,
} from '../../providers/kind/cluster';
import { kindCommand } from '../../providers/kind/preflight';
import { stopOwned } from '../../local/stop';
import { isAlive } from '../../controlplane';
import { EXIT, UsageError, type CliIO, type Command } from '../command';

export const downCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [{ name: 'name', value: true }]);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const name = str(p, 'name') ?? DEFAULT_ENV_NAME;
    if (!NAME_RE.test(name)) throw new UsageError(`invalid --name "${name}"`);
    const env = readEnvironment(name);
    const dir = environmentDir(name);
    if (env?.runtime === 'kind' || (!env && fs.existsSync(path.join(dir, 'kind-config.yaml')))) return kindDown(name, env, io);
    if (!env) {
      if (fs.existsSync(dir)) {
        fs.rmSync(dir, { recursive: true, force: true });
        io.out(`local environment "${name}" was not running; removed its leftover state`);
      } else {
        io.out(`no local environment "${name}"`);
      }
      await removeOrphanMachines(name, io);
      return EXIT.OK;
    }
    // The owner stops the manager, the pod runner (its pods' processes) and the control plane in order.
    const left = await stopOwned(env, {
      label: `local environment "${name}"`,
      timeoutMs: 45_000,
      intervalMs: 200,
      waitForComponents: true,
      leftoverGroups: false,
      warn: (l) => io.err(l),
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

async function kindDown(name: string, env: EnvironmentState | undefined, io: CliIO): Promise<number> {
  // Everything goes at once: the business clusters live in the meta cluster being deleted, so their Machines
  // are not drained or deleted one by one (that took ~3 min); the manager stops first so it cannot recreate
  // a container while they are removed (an in-cluster manager stops with the kind node, below).
  if (env && isAlive(env.pid)) {
    io.out(`stopping the manager (pid ${env.pid})…`);
    await stopOwned(
      { ...env, components: [] },
      {
        label: `the manager (pid ${env.pid})`,
        timeoutMs: 45_000,
        intervalMs: 200,
        waitForComponents: false,
        leftoverGroups: false,
        warn: (l) => io.err(l),
      },
    );
  }
  const cluster = env?.kind?.cluster ?? name;
  let left: string[];
  let network = '';
  try {
    const t0 = Date.now();
    io.out(
      `deleting kind cluster "${cluster}" and the machine containers of its business clusters ` +
        `(label ${META_CLUSTER_LABEL}=${cluster}), ${env?.managerPlacement === 'in-cluster' ? 'the node first' : 'in parallel'}…`,
    );
    // A manager in the cluster's own pods (--manager in-cluster) makes machines until its node goes: the node first.
    const [{ leftovers }, machineContainers] =
      env?.managerPlacement === 'in-cluster'
        ? await deleteKindCluster({ name: cluster, kind: kindCommand() }).then(
            async (d) => [d, await removeLabelledContainers(META_CLUSTER_LABEL, cluster)] as const,
          )
        : await Promise.all([
            deleteKindCluster({ name: cluster, kind: kindCommand() }),
            removeLabelledContainers(META_CLUSTER_LABEL, cluster),
          ]);
    const alsoMachines = machineContainers.length
      ? ` and ${machineContainers.length} machine containers (${machineContainers.join(', ')})`
      : '';
    io.out(`  removed the kind node${alsoMachines} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    left = [...leftovers, ...(await leftoverContainers(machineContainers))];
    if (!left.length) {
      const n = await removeKindNetworkIfUnused();
      network =
        n === 'removed'
          ? '; Docker network kind removed'
          : n === 'absent'
            ? ''
            : `; Docker network kind kept (${n.kept} containers of other kind clusters use it)`;
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

/**
 * Machine containers of a kind meta cluster of this name whose state is gone (its directory deleted, or another
 * KOKPIT_SANDBOX_DIR): they carry kokpit's label, so they are ours to remove; left, a later `kokpit up` of the same
 * name found them. No Docker, or an engine that does not answer: nothing to see, nothing said.
 */
async function removeOrphanMachines(name: string, io: CliIO): Promise<void> {
  try {
    const removed = await removeLabelledContainers(META_CLUSTER_LABEL, name);
    if (removed.length) io.out(`removed ${removed.length} machine containers left by kind cluster "${name}": ${removed.join(', ')}`);
  } catch (e) {
    if (!(e instanceof KindError)) throw e;
  }
}
