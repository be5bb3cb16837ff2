// The operators kokpit ships, as the manager runs them: one list for the CLI, the extension and tests.
import { clusterOperator } from '../operators/cluster/operator';
import type { ClusterRuntime } from '../operators/cluster/reconciler';
import { etcdOperator, type EtcdOperatorOptions } from '../operators/etcd/operator';
import { machineOperator, type MachineOperatorOptions } from '../operators/machine/operator';
import { multiclusterOperator, type MulticlusterOperatorOptions } from '../operators/multicluster/operator';
import { rolloutOperator, type RolloutOperatorOptions } from '../operators/rollout/operator';
import type { OperatorDefinition } from '../controller/operator';
import { defaultBinaryProvider, type BinaryProvider } from '../binaries/provider';

export interface KokpitOperatorsOptions {
  etcd?: Omit<EtcdOperatorOptions, 'kc' | 'log'>;
  cluster?: Omit<ClusterRuntime, 'kc' | 'log'>;
  machine?: Omit<MachineOperatorOptions, 'kc' | 'log'>;
  rollout?: Omit<RolloutOperatorOptions, 'kc' | 'log'>;
  /** Registration with the OCM hub (`kokpit up --with-ocm`); off unless given, since it needs the hub installed. */
  multicluster?: MulticlusterOperatorOptions;
  binaries?: BinaryProvider;
  /** BusinessCluster passes in flight at once (default DEFAULT_CLUSTER_WORKERS). */
  clusterWorkers?: number;
}

/**
 * The four operators (etcd, cluster, machine, fleet rollout), and multicluster when asked for, to run on one manager's
 * shared informers. Binaries they need at run time (kwok, etcdutl) come from `binaries`: by default the binary cache,
 * built on demand when missing (one build at a time per process).
 */
export function kokpitOperators(opts: KokpitOperatorsOptions = {}): OperatorDefinition[] {
  const binaries = opts.binaries ?? defaultBinaryProvider();
  return [
    etcdOperator({ binaries, ...opts.etcd }),
    // The cluster operator reaches a shared etcd's members (a deleted cluster's keys) the way the etcd operator does.
    clusterOperator(
      { etcdResolver: opts.etcd?.resolver, etcdAccess: opts.etcd?.access, ...opts.cluster },
      opts.clusterWorkers ? { workers: opts.clusterWorkers } : {},
    ),
    machineOperator({ binaries, ...opts.machine }),
    rolloutOperator({ ...opts.rollout }),
    ...(opts.multicluster ? [multiclusterOperator(opts.multicluster)] : []),
  ];
}
