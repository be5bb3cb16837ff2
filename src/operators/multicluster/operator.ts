// Wiring: the multicluster operator watches BusinessClusters through the process's shared informer (the same
// watch as the cluster, machine and rollout operators). ManagedClusters are not watched: the hub may not be
// installed, and a watch of a kind nobody serves would keep the caches from syncing; a pass looks again while a
// cluster is not yet Available, and at the steady pace after.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf, type Logger } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { kokpitUserAgent, withUserAgent } from '../../kube';
import { readManagedCRDs, readManagedRBAC } from './hub';
import { MulticlusterReconciler, type MulticlusterRuntime } from './reconciler';

export interface MulticlusterOperatorOptions {
  /** The kokpit package or checkout root holding config/ocm (and schemas/ocm). */
  manifestsRoot: string;
  pollMs?: MulticlusterRuntime['pollMs'];
  detachTimeoutMs?: MulticlusterRuntime['detachTimeoutMs'];
  controller?: ControllerOptions;
}

export interface MulticlusterOperator {
  reconciler: MulticlusterReconciler;
  controller: Controller;
  stop(): Promise<void>;
}

export function multiclusterOperator(opts: MulticlusterOperatorOptions): OperatorDefinition<Omit<MulticlusterOperator, 'stop'>> {
  return {
    name: 'multicluster-operator',
    setup(ctx) {
      const clusters = ctx.informer<BusinessCluster & KubernetesObject>(kokpitWatch('BusinessCluster'));
      const reconciler = new MulticlusterReconciler({
        // Its own User-Agent: the API server's audit log tells this operator's writes apart.
        kc: withUserAgent(ctx.kc, kokpitUserAgent('multicluster-operator')),
        managedCRDs: readManagedCRDs(opts.manifestsRoot),
        managedRBAC: readManagedRBAC(opts.manifestsRoot),
        log: ctx.log,
        pollMs: opts.pollMs,
        detachTimeoutMs: opts.detachTimeoutMs,
      });
      const controller = ctx.controller('multicluster', (key) => reconciler.reconcile(key), opts.controller);
      clusters.onEvent((bc) => controller.enqueue(keyOf(bc)));
      return { reconciler, controller };
    },
  };
}

/** The multicluster operator alone (tests): its own informers, no lease. */
export function startMulticlusterOperator(
  opts: MulticlusterOperatorOptions & { kc: KubeConfig; log?: Logger },
): Promise<MulticlusterOperator> {
  return runOperator(opts.kc, multiclusterOperator(opts), opts.log);
}
