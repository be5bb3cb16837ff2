// The versions kokpit ships with: the ones its test binaries and offline images are built for.
// Kept beside the API because schema defaults and the default catalog both read them.
export const DEFAULT_KUBERNETES_VERSION = 'v1.32.13';
export const SHIPPED_KUBERNETES_VERSIONS = ['v1.32.13', 'v1.33.13'] as const;
export const DEFAULT_ETCD_VERSION = '3.5.35';

/** Annotation on a KubernetesVersion saying why it has its state (shown by the CLI, the editor and CatalogValid). */
export const STATE_REASON_ANNOTATION = 'kokpit.dev/state-reason';
