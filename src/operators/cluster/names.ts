// Names of everything a business cluster owns. One place, so renderers, steps and tests agree.

export { FIELD_MANAGER } from '../../kit';
export const FINALIZER = 'kokpit.dev/etcd-prefix-cleanup';
/**
 * Finalizers that need the business control plane running while they work, so deletion waits for them before it
 * stops it: the multicluster operator's detach (its OCM agent removes what ManifestWorks applied in the cluster).
 */
export const DETACH_FINALIZERS = ['kokpit.dev/multicluster'];
/** Annotation that asks for every certificate of the cluster to be re-issued (any new value). */
export const ROTATE_ANNOTATION = 'kokpit.dev/rotate-certificates';

export type CertPurpose =
  | 'ca'
  | 'apiserver-serving'
  | 'apiserver-kubelet-client'
  | 'front-proxy-ca'
  | 'front-proxy-client'
  // Not `etcd-client`: `<cluster>-etcd-client` is the managed EtcdCluster `<cluster>-etcd`'s own client Secret.
  | 'apiserver-etcd-client';

// `superadmin`, not kubeadm's `super-admin`: `<c>-super-admin-kubeconfig` would also be cluster `<c>-super`'s admin Secret.
export type KubeconfigPurpose = 'admin' | 'superadmin' | 'controller-manager' | 'scheduler';

export const names = {
  apiServer: (c: string) => `${c}-apiserver`,
  controllerManager: (c: string) => `${c}-controller-manager`,
  scheduler: (c: string) => `${c}-scheduler`,
  etcd: (c: string) => `${c}-etcd`,
  cert: (c: string, purpose: CertPurpose) => `${c}-${purpose}`,
  serviceAccountKeys: (c: string) => `${c}-sa`,
  kubeconfig: (c: string, purpose: KubeconfigPurpose) => `${c}-${purpose}-kubeconfig`,
};

/** Key under which kubeconfig Secrets hold the file (as the API documents for kubeconfigSecretName). */
export const KUBECONFIG_KEY = 'value';
export const APISERVER_PORT = 6443;
/** Label the Deployments carry with the Kubernetes version their pods run. */
export const VERSION_LABEL = 'kokpit.dev/version';
/** Annotation on a certificate Secret: the rotation request (ROTATE_ANNOTATION value) it was issued for. */
export const ROTATED_FOR_ANNOTATION = 'kokpit.dev/rotated-for';
