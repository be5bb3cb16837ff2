// Everything a renderer needs besides the BusinessCluster itself: facts the reconciler found out
// (etcd endpoint, Service type, certificate hashes) and the catalog entry each component runs.
import type { DefaultedBusinessCluster, KubernetesVersionSpec } from '../../../api';

export type ServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP';

export interface ControlPlaneInputs {
  /** The BusinessCluster as read from the API (uid set), with spec defaults applied (withDefaults). */
  cluster: DefaultedBusinessCluster;
  /** Catalog entry of the version each component runs in this pass (they differ during an upgrade). */
  releases: { apiServer: KubernetesVersionSpec; controllerManager: KubernetesVersionSpec; scheduler: KubernetesVersionSpec };
  etcd: { servers: string; prefix: string };
  serviceType: ServiceType;
  /** Content hash of every Secret the pods mount, by Secret name. */
  secretHashes: Record<string, string>;
  /**
   * The business cluster's `kubernetes` Service endpoint as nodes reach it (kind: a meta node's IP and the NodePort).
   * Set, the apiserver does not publish its pod IP there (`--endpoint-reconciler-type=none`) and the operator
   * writes this address instead (bootstrap objects).
   */
  kubernetesEndpoint?: { ip: string; port: number };
}
