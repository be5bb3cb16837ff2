// The dedicated EtcdCluster of a cluster with `spec.etcd.managed`.
import { API_VERSION, type BusinessCluster, type EtcdCluster } from '../../../api';
import { names } from '../names';
import { ownedMeta } from './common';

export function renderManagedEtcd(c: BusinessCluster, recommendedVersion: string): EtcdCluster {
  const m = c.spec.etcd.managed;
  if (!m) throw new Error(`BusinessCluster ${c.metadata.name} does not ask for a managed etcd`);
  const version = (m.version ?? recommendedVersion).replace(/^v/, '');
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdCluster',
    metadata: ownedMeta(c, names.etcd(c.metadata.name), 'etcd'),
    spec: {
      replicas: m.replicas,
      version,
      ...(m.storage ? { storage: m.storage } : {}),
    },
  } as EtcdCluster;
}

/** Where the cluster's keys live: a dedicated etcd keeps the default prefix, a shared one gets one per cluster. */
export function etcdPrefix(c: BusinessCluster): string {
  return c.spec.etcd.managed ? '/registry' : `/kokpit/${c.metadata.namespace}/${c.metadata.name}`;
}
