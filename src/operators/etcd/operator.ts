// Wiring: informers on EtcdClusters, EtcdBackups and the member pods, mapped to keys of two controllers.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../../api';
import { Controller } from '../../controller/controller';
import { Informer } from '../../controller/informer';
import { keyOf, type Logger, silentLogger } from '../../controller/reconciler';
import { makeObjectApi, toKubeApiError } from '../../kube';
import type { MemberResolver } from './access';
import { ForwardingResolver, apiServerTunnel } from './forward';
import { EtcdBackupReconciler } from './backup';
import { LABEL_CLUSTER } from './names';
import type { BinaryProvider } from '../../binaries/provider';
import type { PlanOptions } from './plan';
import { ETCD_BACKUP_PLURAL, ETCD_CLUSTER_PLURAL, EtcdClusterReconciler } from './reconciler';

export interface EtcdOperatorOptions {
  kc: KubeConfig;
  resolver?: MemberResolver;
  /**
   * How members are dialed when no resolver is given: `pod-ip` (inside the cluster network, the default)
   * or `port-forward` (from a host outside it, through the API server's pod port-forward).
   */
  access?: 'pod-ip' | 'port-forward';
  plan?: Partial<PlanOptions>;
  backupRoot?: string;
  unsafeNoFsync?: boolean;
  busyRequeueMs?: number;
  idleRequeueMs?: number;
  log?: Logger;
  workers?: number;
  finalBackupTimeoutMs?: number;
  /** The clock `spec.backup.schedule` is evaluated against (tests move it forward). */
  scheduleClock?: () => number;
  /** etcdutl for reading backups back: found, or built on demand. */
  binaries?: BinaryProvider;
}

export interface EtcdOperator {
  clusters: Controller;
  backups: Controller;
  clusterReconciler: EtcdClusterReconciler;
  stop(): Promise<void>;
}

export async function startEtcdOperator(o: EtcdOperatorOptions): Promise<EtcdOperator> {
  const objects = makeObjectApi(o.kc);
  const log = o.log ?? silentLogger;
  const forwards = !o.resolver && o.access === 'port-forward' ? new ForwardingResolver(apiServerTunnel(o.kc), (l) => log.debug(`etcd access: ${l}`)) : undefined;
  o = { ...o, resolver: o.resolver ?? forwards };
  const clusterReconciler = new EtcdClusterReconciler({
    kc: o.kc,
    objects,
    resolver: o.resolver,
    plan: o.plan,
    unsafeNoFsync: o.unsafeNoFsync,
    busyRequeueMs: o.busyRequeueMs,
    idleRequeueMs: o.idleRequeueMs,
    finalBackupTimeoutMs: o.finalBackupTimeoutMs,
    scheduleClock: o.scheduleClock,
  });
  const backupReconciler = new EtcdBackupReconciler({ kc: o.kc, objects, resolver: o.resolver, backupRoot: o.backupRoot, binaries: o.binaries });
  const clusters = new Controller('etcdcluster', clusterReconciler.reconcile, { workers: o.workers ?? 2, log, backoff: { baseMs: 500, maxMs: 15_000 } });
  const backups = new Controller('etcdbackup', backupReconciler.reconcile, { workers: 1, log, backoff: { baseMs: 500, maxMs: 15_000 } });

  const lister = <T extends KubernetesObject>(apiVersion: string, kind: string, labelSelector?: string) => async () => {
    try {
      return (await objects.list<T>(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, labelSelector)) as KubernetesListObject<T>;
    } catch (e) {
      throw toKubeApiError(e, `list ${kind}`);
    }
  };
  const clusterInformer = new Informer(o.kc, { path: `/apis/${API_VERSION}/${ETCD_CLUSTER_PLURAL}`, list: lister(API_VERSION, 'EtcdCluster'), log });
  const backupInformer = new Informer(o.kc, { path: `/apis/${API_VERSION}/${ETCD_BACKUP_PLURAL}`, list: lister(API_VERSION, 'EtcdBackup'), log });
  const podInformer = new Informer(o.kc, { path: '/api/v1/pods', list: lister('v1', 'Pod', LABEL_CLUSTER), labelSelector: LABEL_CLUSTER, log });

  clusterInformer.onEvent((obj) => clusters.enqueue(keyOf(obj)));
  podInformer.onEvent((pod) => {
    const cluster = pod.metadata?.labels?.[LABEL_CLUSTER];
    if (cluster && pod.metadata?.namespace) clusters.enqueue(`${pod.metadata.namespace}/${cluster}`);
  });
  backupInformer.onEvent((b) => {
    backups.enqueue(keyOf(b));
    // Its cluster reports it (lastBackup) and prunes older scheduled ones once it completes.
    const owner = b.metadata?.labels?.[LABEL_CLUSTER];
    if (owner && b.metadata?.namespace) clusters.enqueue(`${b.metadata.namespace}/${owner}`);
    // A cluster restoring from this backup waits for it to complete.
    for (const c of clusterInformer.list(b.metadata?.namespace)) {
      const spec = (c as unknown as { spec?: { restoreFrom?: { backupName?: string } } }).spec;
      if (spec?.restoreFrom?.backupName === b.metadata?.name) clusters.enqueue(keyOf(c));
    }
  });
  await Promise.all([clusterInformer.start(), backupInformer.start(), podInformer.start()]);
  clusters.start();
  backups.start();
  return {
    clusters,
    backups,
    clusterReconciler,
    async stop() {
      await Promise.all([clusterInformer.stop(), backupInformer.stop(), podInformer.stop()]);
      await Promise.all([clusters.stop(), backups.stop()]);
      clusterReconciler.close();
      forwards?.close();
    },
  };
}
