// Wiring: watches BusinessClusters and what they depend on, maps every event to a cluster key, and runs
// the reconciler on a de-duplicating work queue.
import { AppsV1Api, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import { API_VERSION, type BusinessCluster, type EtcdCluster } from '../../api';
import { Controller, type ControllerOptions } from '../../controller/controller';
import { Informer } from '../../controller/informer';
import { keyOf } from '../../controller/reconciler';
import { listObjects, makeObjectApi } from '../../kube';
import { ClusterReconciler, type ClusterRuntime } from './reconciler';

const API = API_VERSION;

export interface ClusterOperator {
  reconciler: ClusterReconciler;
  controller: Controller;
  stop(): Promise<void>;
}

export async function startClusterOperator(rt: ClusterRuntime, opts: ControllerOptions = {}): Promise<ClusterOperator> {
  const reconciler = new ClusterReconciler(rt);
  const controller = new Controller('businesscluster', (key) => reconciler.reconcile(key), { log: rt.log, ...opts });
  const objects = makeObjectApi(rt.kc);
  const apps = rt.kc.makeApiClient(AppsV1Api);

  const clusters = new Informer<BusinessCluster & KubernetesObject>(rt.kc, {
    path: '/apis/kokpit.dev/v1alpha1/businessclusters',
    list: async () => ({ apiVersion: API, kind: 'BusinessClusterList', metadata: {}, items: await listObjects<BusinessCluster & KubernetesObject>(objects, API, 'BusinessCluster') }) as never,
    log: rt.log,
  });
  clusters.onEvent((obj) => controller.enqueue(keyOf(obj)));

  // Control-plane Deployments: their readiness moves status and upgrades along.
  const deployments = new Informer<V1Deployment>(rt.kc, {
    path: '/apis/apps/v1/deployments',
    labelSelector: 'kokpit.dev/cluster',
    list: () => apps.listDeploymentForAllNamespaces({ labelSelector: 'kokpit.dev/cluster' }) as never,
    log: rt.log,
  });
  deployments.onEvent((d) => {
    const c = d.metadata?.labels?.['kokpit.dev/cluster'];
    if (c && d.metadata?.namespace) controller.enqueue(`${d.metadata.namespace}/${c}`);
  });

  // EtcdClusters: a cluster waiting for its etcd goes on as soon as it is Available.
  const etcds = new Informer<EtcdCluster & KubernetesObject>(rt.kc, {
    path: '/apis/kokpit.dev/v1alpha1/etcdclusters',
    list: async () => ({ apiVersion: API, kind: 'EtcdClusterList', metadata: {}, items: await listObjects<EtcdCluster & KubernetesObject>(objects, API, 'EtcdCluster') }) as never,
    log: rt.log,
  });
  etcds.onEvent((e) => {
    for (const c of clusters.list(e.metadata?.namespace)) {
      const ref = c.spec.etcd.clusterRef?.name ?? (c.spec.etcd.managed ? `${c.metadata.name}-etcd` : undefined);
      if (ref === e.metadata?.name) controller.enqueue(keyOf(c));
    }
  });

  await Promise.all([clusters.start(), deployments.start(), etcds.start()]);
  controller.start();
  return {
    reconciler,
    controller,
    async stop() {
      await controller.stop();
      await Promise.all([clusters.stop(), deployments.stop(), etcds.stop()]);
    },
  };
}
