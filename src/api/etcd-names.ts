// The names an EtcdCluster's objects get, part of the API: other operators (a BusinessCluster on a shared
// etcd) find its CA Secret and client endpoint by them when the EtcdCluster's status does not say yet.

export const ETCD_CLIENT_PORT = 2379;

export interface ClusterRef {
  name: string;
  namespace: string;
}

export const clientServiceName = (c: ClusterRef) => `${c.name}-client`;
export const caSecretName = (c: ClusterRef) => `${c.name}-ca`;
export const clientEndpoint = (c: ClusterRef) => `https://${clientServiceName(c)}.${c.namespace}.svc:${ETCD_CLIENT_PORT}`;

/** On every member pod: its EtcdCluster's name (a BusinessCluster's finalizer finds a shared etcd's members by it). */
export const LABEL_CLUSTER = 'kokpit.dev/etcd-cluster';
export const LABEL_MEMBER = 'kokpit.dev/etcd-member';
export const peerServiceName = (c: ClusterRef) => `${c.name}-peers`;
/** The stable DNS name of a member (headless Service + pod hostname/subdomain), which its server certificate carries. */
export const memberHost = (c: ClusterRef, member: string) => `${member}.${peerServiceName(c)}.${c.namespace}.svc`;
