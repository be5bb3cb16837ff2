// `kokpit up --manager in-cluster`: the manager as a workload of the local meta cluster, exactly as `kokpit install`
// puts it into any meta cluster (config/default: two replicas of kokpit.dev/kokpit-manager:<version>, leader
// election). In the sandbox the pod runner runs the image as this kokpit (podrunner/images.ts) and the pods reach
// the API server as the kokpit-manager ServiceAccount (podrunner/in-cluster.ts).
// test/integration/manager/in-cluster.test.ts proves the pods, the lease and the hand-over.
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/wait';
import { INSTALL_NAMESPACE, installManager, renderInstall } from './install';

export type ManagerPlacement = 'host' | 'in-cluster';

/** Installs the manager and waits until one of its pods holds the lease; returns that pod's name. */
export async function installInClusterManager(kc: KubeConfig, log: (line: string) => void, timeoutMs = 300_000): Promise<string> {
  await installManager(kc, renderInstall(), log);
  const core = kc.makeApiClient(CoreV1Api);
  const leases = kc.makeApiClient(CoordinationV1Api);
  return waitFor(
    `a ${INSTALL_NAMESPACE}/kokpit-manager pod holding the lease`,
    async (state) => {
      const pods = await core.listNamespacedPod({ namespace: INSTALL_NAMESPACE, labelSelector: 'app.kubernetes.io/component=manager' });
      state.lastReason = pods.items
        .map((p) => {
          const c = p.status?.containerStatuses?.[0]?.state;
          const why = c?.waiting ? ` (${c.waiting.reason}: ${c.waiting.message ?? ''})` : '';
          return `${p.metadata?.name} ${p.status?.phase ?? 'Pending'}${why}`;
        })
        .join('; ');
      const holder = await leases
        .readNamespacedLease({ name: 'kokpit-manager', namespace: INSTALL_NAMESPACE })
        .then((l) => l.spec?.holderIdentity)
        .catch(() => undefined);
      return holder && pods.items.some((p) => p.metadata?.name === holder) ? holder : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}
