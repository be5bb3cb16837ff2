// What kokpit installs into a meta cluster so business clusters can be created: the versions it ships
// and the addon definitions coredns, kube-proxy and kokpit-cni (the pod network of kind machines). Users add more at run time.
import type { Addon, KubernetesVersion } from '../api';
import { coreDNSAddon } from './addons/coredns';
import { kokpitCNIAddon } from './addons/kokpit-cni';
import { konnectivityAgentAddon } from './addons/konnectivity-agent';
import { kubeProxyAddon } from './addons/kube-proxy';
import { defaultKubernetesVersions } from './versions';

export { kubernetesVersion, defaultKubernetesVersions, MIN_ETCD_VERSION } from './versions';

export function defaultAddons(): Addon[] {
  // konnectivity-agent: what clusters with spec.apiServer.egress Konnectivity run (added to their addons by the operator).
  return [
    structuredClone(coreDNSAddon),
    structuredClone(kubeProxyAddon),
    structuredClone(kokpitCNIAddon),
    structuredClone(konnectivityAgentAddon),
  ];
}

/** Every catalog object, in the order they are applied. */
export function defaultCatalog(): Array<KubernetesVersion | Addon> {
  return [...defaultKubernetesVersions(), ...defaultAddons()];
}
