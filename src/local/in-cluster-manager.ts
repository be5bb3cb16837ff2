// `kokpit up --manager in-cluster`: the manager as a workload of the local meta cluster, exactly as `kokpit install`
// puts it into any meta cluster (config/default: two replicas of kokpit.dev/kokpit-manager:<version>, leader
// election). In the sandbox the pod runner runs the image as this kokpit (podrunner/images.ts) and the pods reach
// the API server as the kokpit-manager ServiceAccount (podrunner/in-cluster.ts).
// test/integration/manager/in-cluster.test.ts proves the pods, the lease and the hand-over.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { INSTALL_NAMESPACE, installManager, MANAGER_DEPLOYMENT, renderInstall } from './install';
import { waitForManager } from './install-wait';

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

/**
 * Installs the manager and waits as `kokpit install` does (install-wait.ts): its Deployment rolled out and one of its
 * pods holding the lease, stopping at once with the precise fault (an image the node cannot get, a crash loop) instead
 * of waiting out the timeout. Returns the lease holder's pod name.
 */
export async function installInClusterManager(
  kc: KubeConfig,
  log: (line: string) => void,
  timeoutMs = 300_000,
  objects: KubernetesObject[] = renderInstall(),
): Promise<string> {
  await installManager(kc, objects, log);
  const holder = await waitForManager(kc, { timeoutMs, log });
  if (!holder) throw new Error(`no ${INSTALL_NAMESPACE}/${MANAGER_DEPLOYMENT} pod holds the lease (the Deployment has no replicas)`);
  return holder;
}
