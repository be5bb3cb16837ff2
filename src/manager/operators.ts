// The reconcilers kokpit ships, as the manager runs them: one list for the CLI, the extension and tests.
import { startClusterOperator } from '../operators/cluster/operator';
import type { ClusterRuntime } from '../operators/cluster/reconciler';
import { startEtcdOperator, type EtcdOperatorOptions } from '../operators/etcd/operator';
import { startMachineOperator, type MachineOperatorOptions } from '../operators/machine/operator';
import type { Runnable } from './manager';

export interface KokpitOperatorsOptions {
  etcd?: Omit<EtcdOperatorOptions, 'kc' | 'log'>;
  cluster?: Omit<ClusterRuntime, 'kc' | 'log'>;
  machine?: Omit<MachineOperatorOptions, 'kc' | 'log'>;
}

export function kokpitRunnables(opts: KokpitOperatorsOptions = {}): Runnable[] {
  return [
    { name: 'etcd-operator', start: ({ kc, log }) => startEtcdOperator({ ...opts.etcd, kc, log }) },
    { name: 'cluster-operator', start: ({ kc, log }) => startClusterOperator({ ...opts.cluster, kc, log }) },
    { name: 'machine-operator', start: ({ kc, log }) => startMachineOperator({ ...opts.machine, kc, log }) },
  ];
}
