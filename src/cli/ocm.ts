// Whether the meta cluster serves the Open Cluster Management kinds a command needs: kokpit never installs OCM's CRDs
// behind a user's back (the hub does, with `kokpit up --with-ocm`), so a missing one is a message with that fix.
import type { KubeConfig } from '@kubernetes/client-node';
import { OCM_INSTALL_HINT, ocmApiVersion, ocmCrdName, type OcmKind } from '../api/ocm';
import { unservedResources } from '../kube/discovery';

/** Why these kinds cannot be used here, with the fix; undefined when the meta cluster serves them all. */
export async function ocmNotInstalled(kc: KubeConfig, kinds: readonly OcmKind[]): Promise<string | undefined> {
  const missing = await unservedResources(kc, kinds);
  if (missing.length === 0) return undefined;
  const unique = [...new Map(missing.map((k) => [k.kind, k])).values()];
  return (
    `the meta cluster does not serve ${unique.map((k) => `${k.kind} (${ocmApiVersion(k)})`).join(', ')}: ` +
    `Open Cluster Management is not installed there (missing CRD ${unique.map(ocmCrdName).join(', ')}); ${OCM_INSTALL_HINT}`
  );
}
