// Wiring: the process's shared informers on EtcdClusters, EtcdBackups and the member pods, mapped to keys
// of two controllers.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Controller } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf, type Logger } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { kokpitUserAgent, makeObjectApi, withUserAgent } from '../../kube';
import type { MemberResolver } from '../../kit/etcd-access';
import { memberResolverFor } from '../../kit/etcd-forward';
import { EtcdBackupReconciler } from './backup';
import { LABEL_CLUSTER } from './names';
import type { BinaryProvider } from '../../binaries/provider';
import type { PlanOptions } from './plan';
import { EtcdClusterReconciler } from './reconciler';

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

const BACKOFF = { baseMs: 500, maxMs: 15_000 };

export function etcdOperator(o: Omit<EtcdOperatorOptions, 'kc' | 'log'>): OperatorDefinition<Omit<EtcdOperator, 'stop'>> {
  return {
    name: 'etcd-operator',
    setup(ctx) {
      const { log } = ctx;
      // Its own User-Agent: the API server's audit log tells this operator's writes apart.
      const kc = withUserAgent(ctx.kc, kokpitUserAgent('etcd-operator'));
      const objects = makeObjectApi(kc);
      const access = memberResolverFor(kc, o, (l) => log.debug(`etcd access: ${l}`));
      const resolver = access.resolver;
      const clusterReconciler = new EtcdClusterReconciler({
        kc,
        objects,
        resolver,
        plan: o.plan,
        unsafeNoFsync: o.unsafeNoFsync,
        busyRequeueMs: o.busyRequeueMs,
        idleRequeueMs: o.idleRequeueMs,
        finalBackupTimeoutMs: o.finalBackupTimeoutMs,
        scheduleClock: o.scheduleClock,
        backupRoot: o.backupRoot,
        enqueue: (key) => clusters.enqueue(key),
      });
      const backupReconciler = new EtcdBackupReconciler({ kc, objects, resolver, backupRoot: o.backupRoot, binaries: o.binaries });
      const clusters = ctx.controller('etcdcluster', clusterReconciler.reconcile, { workers: o.workers ?? 2, backoff: BACKOFF });
      const backups = ctx.controller('etcdbackup', backupReconciler.reconcile, { workers: 1, backoff: BACKOFF });
      ctx.onStop(() => {
        clusterReconciler.close();
        access.close();
      });

      const clusterInformer = ctx.informer(kokpitWatch('EtcdCluster'));
      clusterInformer.onEvent((obj) => clusters.enqueue(keyOf(obj)));
      ctx.informer({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', labelSelector: LABEL_CLUSTER }).onEvent((pod) => {
        const cluster = pod.metadata?.labels?.[LABEL_CLUSTER];
        if (cluster && pod.metadata?.namespace) clusters.enqueue(`${pod.metadata.namespace}/${cluster}`);
      });
      ctx.informer(kokpitWatch('EtcdBackup')).onEvent((b) => {
        backups.enqueue(keyOf(b));
        // Its cluster reports it (lastBackup) and prunes older scheduled ones once it completes.
        const owner = b.metadata?.labels?.[LABEL_CLUSTER];
        if (owner && b.metadata?.namespace) clusters.enqueue(`${b.metadata.namespace}/${owner}`);
        // A cluster restoring from this backup waits for it to complete.
        for (const c of clusterInformer.list(b.metadata?.namespace)) {
          const spec = (c as KubernetesObject & { spec?: { restoreFrom?: { backupName?: string } } }).spec;
          if (spec?.restoreFrom?.backupName === b.metadata?.name) clusters.enqueue(keyOf(c));
        }
      });
      return { clusters, backups, clusterReconciler };
    },
  };
}

/** The etcd operator alone (tests): its own informers, no lease. */
export function startEtcdOperator(o: EtcdOperatorOptions): Promise<EtcdOperator> {
  return runOperator(o.kc, etcdOperator(o), o.log);
}
