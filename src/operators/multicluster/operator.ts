// Wiring: the multicluster operator watches BusinessClusters through the process's shared informer (the same
// watch as the cluster, machine and rollout operators). ManagedClusters are not watched: the hub may not be
// installed, and a watch of a kind nobody serves would keep the caches from syncing; a pass looks again while a
// cluster is not yet Available, and at the steady pace after. A second controller renews the tokens of the agents of
// imported clusters (imported-identity.ts): every `importRenewalMs` it lists their kubeconfig Secrets and looks at each.
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf, type Logger } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { kokpitUserAgent, withUserAgent } from '../../kube';
import { readManagedCRDs, readManagedRBAC } from './hub';
import { renewImportedCredential } from './imported-identity';
import { AGENT_NAMESPACE } from './names';
import { IMPORTED_LABEL } from './render/import';
import { MulticlusterReconciler, type MulticlusterRuntime } from './reconciler';

export interface MulticlusterOperatorOptions {
  /** The kokpit package or checkout root holding config/ocm (and schemas/ocm). */
  manifestsRoot: string;
  pollMs?: MulticlusterRuntime['pollMs'];
  detachTimeoutMs?: MulticlusterRuntime['detachTimeoutMs'];
  agentServer?: MulticlusterRuntime['agentServer'];
  controller?: ControllerOptions;
  /** How often imported clusters' agent tokens are looked at (default 10 min; a token lives a week). */
  importRenewalMs?: number;
  /** The clock the renewal decides by (tests move it on a few days). */
  now?: () => Date;
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
      // Its own User-Agent: the API server's audit log tells this operator's writes apart.
      const kc = withUserAgent(ctx.kc, kokpitUserAgent('multicluster-operator'));
      const reconciler = new MulticlusterReconciler({
        kc,
        managedCRDs: readManagedCRDs(opts.manifestsRoot),
        managedRBAC: readManagedRBAC(opts.manifestsRoot),
        log: ctx.log,
        pollMs: opts.pollMs,
        detachTimeoutMs: opts.detachTimeoutMs,
        agentServer: opts.agentServer,
      });
      const controller = ctx.controller('multicluster', (key) => reconciler.reconcile(key), opts.controller);
      clusters.onEvent((bc) => controller.enqueue(keyOf(bc)));
      const imports = ctx.controller('imported-credentials', async (name) => {
        const renewed = await renewImportedCredential(kc, name, opts.now?.());
        if (renewed) ctx.log.info(`imported cluster ${name}: OCM agent token renewed (${renewed})`);
      });
      const look = () =>
        kc
          .makeApiClient(CoreV1Api)
          .listNamespacedSecret({ namespace: AGENT_NAMESPACE, labelSelector: IMPORTED_LABEL })
          .then((l) => l.items.forEach((x) => imports.enqueue(x.metadata!.labels![IMPORTED_LABEL])))
          .catch(() => undefined); // no hub yet (no namespace): nothing imported
      void look();
      const timer = setInterval(() => void look(), opts.importRenewalMs ?? 600_000);
      ctx.onStop(() => clearInterval(timer));
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
