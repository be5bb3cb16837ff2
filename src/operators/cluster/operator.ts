// Wiring: watches BusinessClusters and what they depend on (through the process's shared informers), maps
// every event to a cluster key, and runs the reconciler on a de-duplicating work queue.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { BusinessCluster, EtcdCluster } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { ClusterReconciler, type ClusterRuntime } from './reconciler';

export interface ClusterOperator {
  reconciler: ClusterReconciler;
  controller: Controller;
  stop(): Promise<void>;
}

export function clusterOperator(
  rt: Omit<ClusterRuntime, 'kc' | 'log'>,
  opts: ControllerOptions = {},
): OperatorDefinition<Omit<ClusterOperator, 'stop'>> {
  return {
    name: 'cluster-operator',
    setup(ctx) {
      const reconciler = new ClusterReconciler({ ...rt, kc: ctx.kc, log: ctx.log });
      const controller = ctx.controller('businesscluster', (key) => reconciler.reconcile(key), opts);
      const clusters = ctx.informer<BusinessCluster & KubernetesObject>(kokpitWatch('BusinessCluster'));
      clusters.onEvent((obj) => controller.enqueue(keyOf(obj)));

      // Control-plane Deployments: their readiness moves status and upgrades along.
      const deployments = ctx.informer<V1Deployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        plural: 'deployments',
        labelSelector: 'kokpit.dev/cluster',
      });
      deployments.onEvent((d) => {
        const c = d.metadata?.labels?.['kokpit.dev/cluster'];
        if (c && d.metadata?.namespace) controller.enqueue(`${d.metadata.namespace}/${c}`);
      });

      // EtcdClusters: a cluster waiting for its etcd goes on as soon as it is Available.
      ctx.informer<EtcdCluster & KubernetesObject>(kokpitWatch('EtcdCluster')).onEvent((e) => {
        for (const c of clusters.list(e.metadata?.namespace)) {
          const ref = c.spec.etcd.clusterRef?.name ?? (c.spec.etcd.managed ? `${c.metadata.name}-etcd` : undefined);
          if (ref === e.metadata?.name) controller.enqueue(keyOf(c));
        }
      });
      return { reconciler, controller };
    },
  };
}

/** The cluster operator alone (tests, benchmarks): its own informers, no lease. */
export function startClusterOperator(rt: ClusterRuntime, opts: ControllerOptions = {}): Promise<ClusterOperator> {
  return runOperator(rt.kc, clusterOperator(rt, opts), rt.log);
}
