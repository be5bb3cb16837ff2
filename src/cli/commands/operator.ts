// `kokpit operator`: the manager (every kokpit reconciler) against any meta cluster, in the foreground.
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, VersionApi } from '@kubernetes/client-node';
import { briefError, type Logger } from '../../controller/reconciler';
import { loadKubeConfig } from '../../kube';
import { Manager } from '../../manager/manager';
import { parseBindAddress } from '../../manager/endpoints';
import { kokpitOperators, type KokpitOperatorsOptions } from '../../manager/operators';
import { installCRDs } from '../../controlplane/crds';
import { packageDir } from '../../local/assets';
import { kindMachineProviders } from '../../local/kind-env';
import { podAgentsMulticluster } from '../../local/kind-ocm';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { parseFlags, str, type FlagSpec } from '../args';
import { KINDS } from '../../api/kinds';
import { GROUP, VERSION } from '../../api/common';

interface Args {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  leaderElect: boolean;
  installCRDs: boolean;
  verbose: boolean;
  leaseDurationSec: number;
  etcdAccess: 'pod-ip' | 'port-forward';
  metricsAddress?: string;
  metricsSecure?: { certDir?: string };
  probeAddress?: string;
  /** Operator names to run (`etcd`, `cluster`, `machine`, `rollout`, and `multicluster` when named); default the first four. */
  controllers: string[];
  /** BusinessCluster passes in flight at once; undefined: the cluster operator's default. */
  clusterWorkers?: number;
  /** `--kind-cluster`: the meta cluster is this kind cluster; its kind Machines are labelled as its and join through its node. */
  kindCluster?: string;
  /** `--backup-dir`: where `Local` etcd snapshots go (default ~/.cache/kokpit/backups). */
  backupDir?: string;
}

/** kube-controller-manager's `--controllers`, by operator: e.g. several managers, each running a part of kokpit. */
const CONTROLLERS = ['etcd', 'cluster', 'machine', 'rollout'];
/**
 * Run only when named: the multicluster operator needs the OCM hub (`kokpit up --with-ocm`) and grants the manager's
 * ClusterRole (config/rbac) does not hold. Its hosted agents are pods of the meta cluster: they reach each business
 * apiserver by its Service's in-cluster name (the sandbox, whose pods are local processes, runs it in `kokpit up`).
 */
const OPT_IN_CONTROLLERS = ['multicluster'];

const FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', value: true },
  { name: 'context', value: true },
  { name: 'namespace', short: 'n', value: true },
  // Leader election is on by default; --leader-elect (controller-runtime's name) says so explicitly.
  { name: 'leader-elect' },
  { name: 'no-leader-elect' },
  { name: 'install-crds' },
  { name: 'verbose', short: 'v' },
  { name: 'lease-duration', value: true },
  { name: 'etcd-access', value: true, oneOf: ['pod-ip', 'port-forward'] },
  // controller-runtime's flag names; "0" turns an endpoint off (the default: nothing listens).
  { name: 'metrics-bind-address', value: true },
  { name: 'health-probe-bind-address', value: true },
  // kubebuilder's names: HTTPS + TokenReview/SubjectAccessReview on /metrics (config/manager turns it on).
  { name: 'metrics-secure' },
  { name: 'metrics-cert-path', value: true },
  { name: 'controllers', value: true },
  // kube-controller-manager's --concurrent-<resource>-syncs: how many BusinessClusters are reconciled at once.
  { name: 'concurrent-cluster-syncs', value: true },
  // The manager as a pod of a kind meta cluster (`kokpit up --runtime kind --manager in-cluster`, src/local/kind-in-cluster.ts).
  { name: 'kind-cluster', value: true },
  { name: 'backup-dir', value: true },
];

export function parseOperatorArgs(argv: string[]): Args {
  const p = parseFlags(argv, FLAGS);
  if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
  if (p.flags['leader-elect'] && p.flags['no-leader-elect'])
    throw new UsageError('--leader-elect and --no-leader-elect contradict each other');
  const leaseDurationSec = Number(str(p, 'lease-duration') ?? 15);
  if (!Number.isInteger(leaseDurationSec) || leaseDurationSec < 2)
    throw new UsageError('--lease-duration must be an integer number of seconds >= 2');
  const address = (flag: string) => {
    const value = str(p, flag) ?? '0';
    try {
      return parseBindAddress(value) ? value : undefined;
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  };
  return {
    kubeconfig: str(p, 'kubeconfig'),
    context: str(p, 'context'),
    // In a pod (config/manager), the lease lives in the pod's own namespace (the downward API's POD_NAMESPACE).
    namespace: str(p, 'namespace') ?? process.env.POD_NAMESPACE ?? 'kokpit-system',
    leaderElect: !p.flags['no-leader-elect'],
    installCRDs: !!p.flags['install-crds'],
    verbose: !!p.flags.verbose,
    leaseDurationSec,
    etcdAccess: (str(p, 'etcd-access') ?? 'pod-ip') as Args['etcdAccess'],
    metricsAddress: address('metrics-bind-address'),
    metricsSecure: metricsSecurity(p),
    probeAddress: address('health-probe-bind-address'),
    controllers: parseControllers(str(p, 'controllers')),
    clusterWorkers: concurrentSyncs(str(p, 'concurrent-cluster-syncs')),
    ...kindFlags(p),
  };
}

function kindFlags(p: ReturnType<typeof parseFlags>): Pick<Args, 'kindCluster' | 'backupDir'> {
  const kindCluster = str(p, 'kind-cluster');
  if (kindCluster !== undefined && !/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(kindCluster))
    throw new UsageError(`--kind-cluster must be a kind cluster name (lowercase letters, digits and dashes), got "${kindCluster}"`);
  const backupDir = str(p, 'backup-dir');
  if (backupDir !== undefined && !path.isAbsolute(backupDir))
    throw new UsageError(`--backup-dir must be an absolute path, got "${backupDir}"`);
  return { ...(kindCluster ? { kindCluster } : {}), ...(backupDir ? { backupDir } : {}) };
}

function concurrentSyncs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError('--concurrent-cluster-syncs must be an integer from 1 to 100');
  return n;
}

function parseControllers(value: string | undefined): string[] {
  if (value === undefined) return CONTROLLERS;
  const all = [...CONTROLLERS, ...OPT_IN_CONTROLLERS];
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length || !names.length || names.includes(''))
    throw new UsageError(
      `--controllers: ${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}a comma-separated list of ${all.join(', ')}`,
    );
  return all.filter((n) => names.includes(n));
}

function metricsSecurity(p: ReturnType<typeof parseFlags>): Args['metricsSecure'] {
  const certDir = str(p, 'metrics-cert-path');
  if (certDir && !p.flags['metrics-secure']) throw new UsageError('--metrics-cert-path needs --metrics-secure');
  return p.flags['metrics-secure'] ? { certDir } : undefined;
}

export function cliLogger(io: CliIO, verbose: boolean): Logger {
  const line = (level: string, msg: string) => io.err(`${new Date().toISOString().slice(11, 23)} ${level} ${msg}`);
  return {
    info: (m) => line('INFO ', m),
    warn: (m) => line('WARN ', m),
    error: (m) => line('ERROR', m),
    debug: (m) => verbose && line('DEBUG', m),
  };
}

/** Resolves on SIGINT/SIGTERM (or the given signal, for tests). */
function interrupted(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
    signal?.addEventListener('abort', on('abort'));
  });
}

/** What the flags make of the operators' options (`embed`'s own settings win where both say something). */
export function operatorOptions(args: Args, embed: KokpitOperatorsOptions = {}): KokpitOperatorsOptions {
  return {
    ...embed,
    etcd: { access: args.etcdAccess, ...(args.backupDir ? { backupRoot: args.backupDir } : {}), ...embed.etcd },
    ...(args.kindCluster && !embed.machine ? { machine: { providers: kindMachineProviders(args.kindCluster) } } : {}),
    // kind machines are containers outside the meta cluster's pod network: their `kubernetes` Service must lead to the
    // apiserver's NodePort on the meta node, not to its pod IP (which the business pod range may even overlap).
    ...(args.kindCluster ? { cluster: { nodesUseServiceEndpoint: true, ...embed.cluster } } : {}),
    ...(args.controllers.includes('multicluster') && !embed.multicluster ? { multicluster: podAgentsMulticluster() } : {}),
    clusterWorkers: args.clusterWorkers ?? embed.clusterWorkers,
  };
}

/**
 * `embed`: options for the operators from a program that embeds this command (a test build wraps the kwok provider
 * with its own fault injection and shortens the health intervals); the CLI passes none, and no flag reaches it.
 */
export async function runOperator(argv: string[], io: CliIO, stop?: AbortSignal, embed: KokpitOperatorsOptions = {}): Promise<number> {
  const args = parseOperatorArgs(argv);
  const log = cliLogger(io, args.verbose);
  const kc = loadKubeConfig({ kubeconfigPath: args.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0], context: args.context });
  const server = kc.getCurrentCluster()?.server;
  try {
    // /version: any authenticated client may read it, so the manager's ServiceAccount needs no grant for this.
    await kc.makeApiClient(VersionApi).getCode();
  } catch (e) {
    io.err(`kokpit operator: cannot reach the meta cluster at ${server}: ${briefError(e)}`);
    return EXIT.FAILED;
  }
  if (args.installCRDs) {
    log.info(`installing kokpit CRDs into ${server}`);
    await installCRDs(kc, packageDir('config/crd'));
  } else {
    // Discovery (no grant needed), not a read of the CRDs the manager's ServiceAccount may not read.
    const served = await kc
      .makeApiClient(CustomObjectsApi)
      .getAPIResources({ group: GROUP, version: VERSION })
      .then((l) => new Set(l.resources.map((r) => r.name)))
      .catch(() => new Set<string>());
    const missing = Object.values(KINDS)
      .filter((k) => k.crd && !served.has(k.plural))
      .map((k) => `${k.plural}.${GROUP}`);
    if (missing.length) {
      io.err(`kokpit operator: the meta cluster lacks kokpit CRDs (${missing.join(', ')}); rerun with --install-crds`);
      return EXIT.FAILED;
    }
  }
  // A pod's own namespace exists already (and its ServiceAccount may not create namespaces).
  if (args.leaderElect && args.namespace !== process.env.POD_NAMESPACE) {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: args.namespace } } }).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
    });
  }
  const manager = new Manager({
    kc,
    operators: kokpitOperators(operatorOptions(args, embed)).filter((o) => args.controllers.includes(o.name.replace(/-operator$/, ''))),
    log,
    leaderElection: args.leaderElect
      ? {
          namespace: args.namespace,
          // In a pod, the pod's name: `kokpit status` shows which replica holds the lease.
          identity: process.env.POD_NAME || undefined,
          leaseDurationSec: args.leaseDurationSec,
          onWaiting: (holder) =>
            log.info(`another manager (${holder}) holds the lease ${args.namespace}/kokpit-manager; waiting to take over`),
        }
      : undefined,
    metricsAddress: args.metricsAddress,
    metricsSecure: args.metricsSecure,
    probeAddress: args.probeAddress,
  });
  const signal = interrupted(stop);
  const started = manager.start();
  const first = await Promise.race([started.then(() => 'started'), signal]);
  if (first !== 'started') {
    log.info(`${first}: stopping before the lease was acquired`);
    await manager.stop();
    return EXIT.OK;
  }
  const end = await Promise.race([signal, manager.finished]);
  if (end === 'lost-lease') {
    io.err('kokpit operator: lost the leader lease to another manager; exiting so it can reconcile alone');
    return EXIT.FAILED;
  }
  log.info(`${end}: finishing reconciles in flight, then releasing the lease`);
  await manager.stop();
  log.info('stopped');
  return EXIT.OK;
}

export const operatorCommand: Command = {
  run: (argv, io) => runOperator(argv, io),
};
