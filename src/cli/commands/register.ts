// `kokpit register NAME --kubeconfig FILE` and `kokpit deregister NAME`: a cluster kokpit did not create joins the
// OCM hub in the meta cluster as a ManagedCluster with its agent hosted there (operators/multicluster/import.ts).
// Here --kubeconfig is the imported cluster's; the meta cluster is --meta-kubeconfig, $KUBECONFIG or the local
// environment (--name), as other commands find it with --kubeconfig. The kubeconfig's contents are never printed, and
// it only sets up the agent's own identity there (a ServiceAccount token): the agent never gets it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { kokpitUserAgent, withUserAgent } from '../../kube';
import { packageDir } from '../../local/assets';
import { readManagedCRDs, readManagedRBAC } from '../../operators/multicluster/hub';
import { deregisterCluster, ImportError, readImportKubeconfig, registerCluster, waitJoined } from '../../operators/multicluster/import';
import { clusterNameProblem, parseLabels } from '../../operators/multicluster/render/import';
import { metaCluster, parseFlags, str, type FlagSpec, type Parsed } from '../args';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { parseTimeout } from './backup';

/** The User-Agent of these commands' requests (the API server's audit log tells their writes apart). */
export const REGISTER_USER_AGENT = kokpitUserAgent('register');

const META: FlagSpec[] = [
  { name: 'meta-kubeconfig', value: true },
  { name: 'meta-context', value: true },
  { name: 'name', value: true },
];

/** The meta cluster from --meta-kubeconfig/--meta-context/--name, the way every other command reads its meta flags. */
function meta(p: Parsed): KubeConfig {
  const flags: Parsed['flags'] = { ...(p.flags.name ? { name: p.flags.name } : {}) };
  const file = str(p, 'meta-kubeconfig');
  if (file && !fs.existsSync(file)) throw new UsageError(`--meta-kubeconfig names ${file}, which does not exist`);
  if (file) flags.kubeconfig = file;
  if (p.flags['meta-context']) flags.context = p.flags['meta-context'];
  return withUserAgent(metaCluster({ flags, positionals: [] }).kc, REGISTER_USER_AGENT);
}

function clusterName(p: Parsed, command: string): string {
  if (p.positionals.length !== 1) throw new UsageError(`give the cluster's name: kokpit ${command} NAME`);
  const problem = clusterNameProblem(p.positionals[0]);
  if (problem) throw new UsageError(problem);
  return p.positionals[0];
}

export interface RegisterArgs {
  name: string;
  kubeconfig: string;
  context?: string;
  labels: Record<string, string>;
  wait: boolean;
  timeoutMs: number;
  leaseDurationSeconds?: number;
}

/** The flags of `kokpit register`, checked before anything is read or sent. */
export function registerArgs(p: Parsed): RegisterArgs {
  const name = clusterName(p, 'register');
  const kubeconfig = str(p, 'kubeconfig');
  if (!kubeconfig) throw new UsageError(`give the kubeconfig of the cluster to register: kokpit register ${name} --kubeconfig FILE`);
  let labels: Record<string, string>;
  try {
    labels = parseLabels(str(p, 'labels'));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const lease = str(p, 'lease-duration');
  if (lease !== undefined && !(/^\d+$/.test(lease) && Number(lease) >= 1 && Number(lease) <= 3600))
    throw new UsageError(`--lease-duration takes seconds from 1 to 3600 (the ManagedCluster's leaseDurationSeconds), got "${lease}"`);
  return {
    name,
    kubeconfig,
    ...(lease ? { leaseDurationSeconds: Number(lease) } : {}),
    context: str(p, 'context'),
    labels,
    wait: !p.flags['no-wait'],
    timeoutMs: parseTimeout(str(p, 'timeout'), 300_000),
  };
}

/** A refusal: its reason first, for scripts that read stderr. */
const refused = (io: CliIO, command: string, e: ImportError) => {
  io.err(`kokpit ${command}: ${e.reason}: ${e.message}`);
  return EXIT.FAILED;
};

export const registerCommand: Command = {
  async run(argv, io: CliIO) {
    const p = parseFlags(argv, [
      ...META,
      { name: 'kubeconfig', value: true },
      { name: 'context', value: true },
      { name: 'labels', short: 'l', value: true },
      { name: 'timeout', value: true },
      { name: 'lease-duration', value: true },
      { name: 'no-wait' },
    ]);
    const a = registerArgs(p);
    const kc = meta(p);
    try {
      const kubeconfig = readImportKubeconfig(path.resolve(io.cwd, a.kubeconfig), a.context);
      kubeconfig.kc = withUserAgent(kubeconfig.kc, REGISTER_USER_AGENT); // in the imported cluster's audit log too
      const root = path.dirname(path.dirname(packageDir('config/ocm')));
      await registerCluster(kc, {
        name: a.name,
        labels: a.labels,
        kubeconfig,
        managedCRDs: readManagedCRDs(root),
        managedRBAC: readManagedRBAC(root),
        leaseDurationSeconds: a.leaseDurationSeconds,
      });
      io.out(`managedcluster/${a.name} registered (cluster at ${kubeconfig.server}; agent hosted in the meta cluster)`);
      if (!a.wait) return EXIT.OK;
      await waitJoined(kc, a.name, a.timeoutMs, (l) => io.progress(l));
      io.out(`managedcluster/${a.name} Joined and Available`);
      return EXIT.OK;
    } catch (e) {
      if (e instanceof ImportError) return refused(io, 'register', e);
      throw e;
    }
  },
};

export const deregisterCommand: Command = {
  async run(argv, io: CliIO) {
    const p = parseFlags(argv, [...META, { name: 'timeout', value: true }, { name: 'ignore-not-found' }, { name: 'force' }]);
    const name = clusterName(p, 'deregister');
    const timeoutMs = parseTimeout(str(p, 'timeout'), 300_000);
    const kc = meta(p);
    try {
      await deregisterCluster(kc, name, { timeoutMs, force: !!p.flags.force, progress: (l) => io.progress(l) });
      io.out(`managedcluster/${name} deregistered (ManagedCluster, hub namespace, agent and credentials removed)`);
      return EXIT.OK;
    } catch (e) {
      if (e instanceof ImportError && e.reason === 'NotRegistered' && p.flags['ignore-not-found']) return EXIT.OK;
      if (e instanceof ImportError) return refused(io, 'deregister', e);
      throw e;
    }
  },
};
