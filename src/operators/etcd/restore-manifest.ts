// The EtcdCluster a restore creates (the CLI's `kokpit restore` and the editor's Restore both use it):
// a restore is a new cluster with spec.restoreFrom, which the operator honours at creation only.
import { API_VERSION, type EtcdBackup, type EtcdCluster } from '../../api';

export const RESTORED_FROM_LABEL = 'kokpit.dev/restored-from';

/** The new cluster: the backed-up cluster's shape (when it still exists), flags first. */
export function restoredClusterManifest(o: {
  name: string;
  namespace: string;
  backup: EtcdBackup;
  source?: EtcdCluster;
  replicas?: number;
  version?: string;
}): EtcdCluster {
  const s = o.source?.spec;
  const spec: Record<string, unknown> = {
    replicas: o.replicas ?? s?.replicas ?? 3,
    restoreFrom: { backupName: o.backup.metadata.name! },
  };
  // The snapshot's own etcd version is the safe floor: restoring into an older etcd is a downgrade.
  const version = o.version ?? s?.version ?? o.backup.status?.etcdVersion;
  if (version) spec.version = version;
  for (const k of ['storage', 'quotaBackendBytes', 'resources', 'tls'] as const) if (s?.[k] !== undefined) spec[k] = s[k];
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdCluster',
    metadata: { name: o.name, namespace: o.namespace, labels: { [RESTORED_FROM_LABEL]: o.backup.metadata.name! } },
    spec,
  } as unknown as EtcdCluster;
}
