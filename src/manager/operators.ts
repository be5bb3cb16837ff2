// The reconcilers kokpit ships, as the manager runs them: one list for the CLI, the extension and tests.
import { startClusterOperator } from '../operators/cluster/operator';
import type { ClusterRuntime } from '../operators/cluster/reconciler';
import { startEtcdOperator, type EtcdOperatorOptions } from '../operators/etcd/operator';
import { startMachineOperator, type MachineOperatorOptions } from '../operators/machine/operator';
import type { Runnable } from './manager';
import { defaultBinaryProvider, type BinaryProvider } from '../binaries/provider';

export interface KokpitOperatorsOptions {
  etcd?: Omit<EtcdOperatorOptions, 'kc' | 'log'>;
  cluster?: Omit<ClusterRuntime, 'kc' | 'log'>;
  machine?: Omit<MachineOperatorOptions, 'kc' | 'log'>;
  binaries?: BinaryProvider;
}

/**
 * The three operators. Binaries they need at run time (kwok, etcdutl) come from `binaries`: by default the
 * binary cache, built on demand when missing (one build at a time per process).
 */
export function kokpitRunnables(opts: KokpitOperatorsOptions = {}): Runnable[] {
  const binaries = opts.binaries ?? defaultBinaryProvider();
  return [
    { name: 'etcd-operator', start: ({ kc, log }) => startEtcdOperator({ binaries, ...opts.etcd, kc, log }) },
    { name: 'cluster-operator', start: ({ kc, log }) => startClusterOperator({ ...opts.cluster, kc, log }) },
    { name: 'machine-operator', start: ({ kc, log }) => startMachineOperator({ binaries, ...opts.machine, kc, log }) },
  ];
}
