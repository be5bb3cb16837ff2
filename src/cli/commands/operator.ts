// `kokpit operator`: the manager (every kokpit reconciler) against any meta cluster, in the foreground.
import { ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { briefError, type Logger } from '../../controller/reconciler';
import { loadKubeConfig } from '../../kube';
import { Manager } from '../../manager/manager';
import { parseBindAddress } from '../../manager/endpoints';
import { kokpitOperators } from '../../manager/operators';
import { installCRDs } from '../../controlplane/crds';
import { packageDir } from '../../local/assets';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { parseFlags, str, type FlagSpec } from '../args';
import { KINDS } from '../../api/kinds';

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
  probeAddress?: string;
}

const FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', value: true },
  { name: 'context', value: true },
  { name: 'namespace', short: 'n', value: true },
  { name: 'no-leader-elect' },
  { name: 'install-crds' },
  { name: 'verbose', short: 'v' },
  { name: 'lease-duration', value: true },
  { name: 'etcd-access', value: true, oneOf: ['pod-ip', 'port-forward'] },
  // controller-runtime's flag names; "0" turns an endpoint off (the default: nothing listens).
  { name: 'metrics-bind-address', value: true },
  { name: 'health-probe-bind-address', value: true },
];

function parseOperatorArgs(argv: string[]): Args {
  const p = parseFlags(argv, FLAGS);
  if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
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
    namespace: str(p, 'namespace') ?? 'kokpit-system',
    leaderElect: !p.flags['no-leader-elect'],
    installCRDs: !!p.flags['install-crds'],
    verbose: !!p.flags.verbose,
    leaseDurationSec,
    etcdAccess: (str(p, 'etcd-access') ?? 'pod-ip') as Args['etcdAccess'],
    metricsAddress: address('metrics-bind-address'),
    probeAddress: address('health-probe-bind-address'),
  };
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

export async function runOperator(argv: string[], io: CliIO, stop?: AbortSignal): Promise<number> {
  const args = parseOperatorArgs(argv);
  const log = cliLogger(io, args.verbose);
  const kc = loadKubeConfig({ kubeconfigPath: args.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0], context: args.context });
  const server = kc.getCurrentCluster()?.server;
  try {
    await kc.makeApiClient(CoreV1Api).listNamespace({ limit: 1 });
  } catch (e) {
    io.err(`kokpit operator: cannot reach the meta cluster at ${server}: ${briefError(e)}`);
    return EXIT.FAILED;
  }
  if (args.installCRDs) {
    log.info(`installing kokpit CRDs into ${server}`);
    await installCRDs(kc, packageDir('config/crd'));
  } else {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const missing: string[] = [];
    for (const k of Object.values(KINDS).filter((k) => k.crd)) {
      try {
        await ext.readCustomResourceDefinition({ name: `${k.plural}.kokpit.dev` });
      } catch {
        missing.push(`${k.plural}.kokpit.dev`);
      }
    }
    if (missing.length) {
      io.err(`kokpit operator: the meta cluster lacks kokpit CRDs (${missing.join(', ')}); rerun with --install-crds`);
      return EXIT.FAILED;
    }
  }
  if (args.leaderElect) {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: args.namespace } } }).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
    });
  }
  const manager = new Manager({
    kc,
    operators: kokpitOperators({ etcd: { access: args.etcdAccess } }),
    log,
    leaderElection: args.leaderElect
      ? {
          namespace: args.namespace,
          leaseDurationSec: args.leaseDurationSec,
          onWaiting: (holder) =>
            log.info(`another manager (${holder}) holds the lease ${args.namespace}/kokpit-manager; waiting to take over`),
        }
      : undefined,
    metricsAddress: args.metricsAddress,
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
