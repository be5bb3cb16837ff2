// Wiring: watches BusinessClusters and what they depend on (through the process's shared informers), maps
// every event to a cluster key, and runs the reconciler on a de-duplicating work queue.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, EtcdCluster, KubernetesVersion } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { informerCache } from '../../controller/informer-cache';
import { API_VERSION } from '../../api';
import { withUserAgent } from '../../kube';
import { memberResolverFor } from '../../kit/etcd-forward';
import { CLUSTER_OPERATOR_AGENT, ClusterReconciler, type ClusterRuntime } from './reconciler';

export interface ClusterOperator {
  reconciler: ClusterReconciler;
  controller: Controller;
  stop(): Promise<void>;
}

/**
 * BusinessCluster passes in flight at once (controller-runtime's MaxConcurrentReconciles; `kokpit operator
 * --concurrent-cluster-syncs`). A pass mostly waits on the API server, so more than the 2 every other controller runs:
 * after a manager restart every cluster is passed once, and with 2 a thousand of them took minutes
 * (npm run bench -- fleet). Passes of one cluster never overlap whatever the number.
 */
export const DEFAULT_CLUSTER_WORKERS = 8;

export function clusterOperator(
  rt: Omit<ClusterRuntime, 'kc' | 'log'>,
  opts: ControllerOptions = {},
): OperatorDefinition<Omit<ClusterOperator, 'stop'>> {
  return {
    name: 'cluster-operator',
    setup(ctx) {
      const clusters = ctx.informer<BusinessCluster & KubernetesObject>(kokpitWatch('BusinessCluster'));
      const etcds = ctx.informer<EtcdCluster & KubernetesObject>(kokpitWatch('EtcdCluster'));
      // The catalog every pass checks the version against (the rollout operator watches it too: one watch in a manager).
      const versions = ctx.informer<KubernetesVersion & KubernetesObject>(kokpitWatch('KubernetesVersion'));
      const owned = (apiVersion: string, kind: string, plural: string) =>
        ctx.informer<KubernetesObject>({ apiVersion, kind, plural, labelSelector: 'kokpit.dev/cluster' });
      const [deployments, secrets, services] = [
        owned('apps/v1', 'Deployment', 'deployments'),
        owned('v1', 'Secret', 'secrets'),
        owned('v1', 'Service', 'services'),
      ];
      // A pass reads what these watch from their caches (a steady pass sends no request for them). Not the
      // BusinessCluster itself: its finalizers and status are written by merge patch and status compare, which must
      // start from the object as it is now, not as the watch last delivered it (one GET per pass).
      const cache = informerCache([
        { apiVersion: API_VERSION, kind: 'EtcdCluster', informer: etcds },
        { apiVersion: 'apps/v1', kind: 'Deployment', informer: deployments },
        { apiVersion: 'v1', kind: 'Secret', informer: secrets },
        { apiVersion: 'v1', kind: 'Service', informer: services },
      ]);
      // A shared etcd's members, reached as the etcd operator reaches them (forwards open only when a deletion needs them).
      const etcdAccess = memberResolverFor(
        withUserAgent(ctx.kc, CLUSTER_OPERATOR_AGENT),
        { resolver: rt.etcdResolver, access: rt.etcdAccess },
        (l) => ctx.log.debug(`etcd access: ${l}`),
      );
      ctx.onStop(() => etcdAccess.close());
      const catalog = () => (versions.hasSynced ? structuredClone([...versions.list()]) : undefined);
      const reconciler = new ClusterReconciler({ ...rt, etcdResolver: etcdAccess.resolver, cache, catalog, kc: ctx.kc, log: ctx.log });
      const controller = ctx.controller('businesscluster', (key) => reconciler.reconcile(key), {
        workers: DEFAULT_CLUSTER_WORKERS,
        ...opts,
      });
      clusters.onEvent((obj) => controller.enqueue(keyOf(obj)));
      const ownerKey = (o: KubernetesObject) => {
        const c = o.metadata?.labels?.['kokpit.dev/cluster'];
        return c && o.metadata?.namespace ? `${o.metadata.namespace}/${c}` : undefined;
      };
      // A PKI Secret or the apiserver Service deleted by someone is put back at once (their other events are this
      // operator's own writes, which need no second pass).
      for (const inf of [secrets, services])
        inf.onEvent((o, kind) => {
          const key = kind === 'delete' ? ownerKey(o) : undefined;
          if (key) controller.enqueue(key);
        });

      // Control-plane Deployments: their readiness moves status and upgrades along.
      deployments.onEvent((d) => {
        const c = d.metadata?.labels?.['kokpit.dev/cluster'];
        if (c && d.metadata?.namespace) controller.enqueue(`${d.metadata.namespace}/${c}`);
      });

      // The catalog comes from the watch: a version added, changed or withdrawn passes the clusters that name it again
      // (one added just before its cluster may reach this cache after the cluster's first pass refused it).
      versions.onEvent((v) => {
        for (const c of clusters.list()) if (c.spec.version === v.spec?.version) controller.enqueue(keyOf(c));
      });

      // EtcdClusters: a cluster waiting for its etcd goes on as soon as it is Available.
      etcds.onEvent((e) => {
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
