// `kokpit up --manager in-cluster`: the manager as a workload of the local meta cluster, exactly as `kokpit install`
// puts it into any meta cluster (config/default: two replicas of kokpit.dev/kokpit-manager:<version>, leader
// election). In the sandbox the pod runner runs the image as this kokpit (podrunner/images.ts) and the pods reach
// the API server as the kokpit-manager ServiceAccount (podrunner/in-cluster.ts).
// test/integration/manager/in-cluster.test.ts proves the pods, the lease and the hand-over.
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/wait';
import { INSTALL_NAMESPACE, installManager, MANAGER_DEPLOYMENT, renderInstall } from './install';

export type ManagerPlacement = 'host' | 'in-cluster';

/** What builds the manager's image on this machine (kind has no registry to pull it from). */
export const MANAGER_IMAGE_BUILD = '`sudo bash hack/offline-images/manager-image.sh` (Debian debootstrap + Docker; ~1 min)';

/** The image `kokpit install` deploys by default (config/manager: kokpit.dev/kokpit-manager:<version>). */
export function managerImage(): string {
  const d = renderInstall().find((o) => o.kind === 'Deployment' && o.metadata?.name === MANAGER_DEPLOYMENT) as
    { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } } | undefined;
  const image = d?.spec.template.spec.containers.find((c) => c.name === 'manager')?.image;
  if (!image) throw new Error(`config/manager has no Deployment ${MANAGER_DEPLOYMENT} with a container "manager"`);
  return image;
}

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
