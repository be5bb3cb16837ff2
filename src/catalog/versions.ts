// The default version catalog: one KubernetesVersion per release kokpit's binaries and images are built for.
import { API_VERSION } from '../api/common';
import type { KubernetesVersion } from '../api/kinds';
import { DEFAULT_ETCD_VERSION, SHIPPED_KUBERNETES_VERSIONS } from '../api/release-defaults';

/** Oldest etcd the shipped Kubernetes releases accept (kubeadm's MinExternalEtcdVersion for 1.31+). */
export const MIN_ETCD_VERSION = '3.5.11';

/** A catalog entry for a release whose images live at registry.k8s.io under the usual names. */
export function kubernetesVersion(version: string, state: KubernetesVersion['spec']['state'] = 'Supported'): KubernetesVersion {
  return {
    apiVersion: API_VERSION,
    kind: 'KubernetesVersion',
    metadata: { name: version, labels: { 'app.kubernetes.io/managed-by': 'kokpit' } },
    spec: {
      version,
      images: {
        kubeAPIServer: `registry.k8s.io/kube-apiserver:${version}`,
        kubeControllerManager: `registry.k8s.io/kube-controller-manager:${version}`,
        kubeScheduler: `registry.k8s.io/kube-scheduler:${version}`,
        kubeProxy: `registry.k8s.io/kube-proxy:${version}`,
        coreDNS: 'registry.k8s.io/coredns/coredns:v1.11.3',
        pause: 'registry.k8s.io/pause:3.10',
      },
      nodeImage: `kindest/node:${version}`,
      etcd: { minVersion: MIN_ETCD_VERSION, recommendedVersion: DEFAULT_ETCD_VERSION },
      state,
    },
  };
}

/** The releases kokpit ships (oldest first). */
export function defaultKubernetesVersions(): KubernetesVersion[] {
  return SHIPPED_KUBERNETES_VERSIONS.map((v) => kubernetesVersion(v));
}
