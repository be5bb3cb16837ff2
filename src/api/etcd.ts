// EtcdCluster and EtcdBackup: etcd clusters as resources, and snapshots of them.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { Conditions, CRON, DNS1123_LABEL, ETCD_VERSION, ObjectReference, QUANTITY, Resources } from './common';
import { DEFAULT_ETCD_VERSION } from './release-defaults';
import { IntegerEnum, ListMap, StringEnum, Struct } from './schema-helpers';

export const EtcdStorage = Struct(
  {
    size: Type.String({ pattern: QUANTITY, default: '1Gi', description: "Size of each member's volume, e.g. `8Gi`." }),
    storageClassName: Type.Optional(Type.String({ description: 'StorageClass of the member volumes; the cluster default when unset.' })),
  },
  { description: 'Persistent storage for each member.' },
);

export const BackupDestination = Struct(
  {
    type: StringEnum(['Local', 'PersistentVolumeClaim'] as const, {
      default: 'Local',
      description: "`Local`: a directory where the operator runs; `PersistentVolumeClaim`: a claim in the cluster's namespace.",
    }),
    path: Type.Optional(
      Type.String({
        description:
          'Directory for `Local` snapshots (default `~/.cache/kokpit/backups/<namespace>/<cluster>`), or sub-path inside the claim.',
      }),
    ),
    claimName: Type.Optional(Type.String({ pattern: DNS1123_LABEL, description: 'Claim for `PersistentVolumeClaim` snapshots.' })),
  },
  { description: 'Where snapshots are stored.' },
);

export const EtcdMemberCount = IntegerEnum([1, 3, 5] as const, {
  default: 3,
  description: 'Number of members: 1 (no fault tolerance), 3 (tolerates one failure) or 5 (tolerates two).',
});

export const EtcdClusterSpec = Struct(
  {
    replicas: EtcdMemberCount,
    version: Type.String({
      pattern: ETCD_VERSION,
      default: DEFAULT_ETCD_VERSION,
      description:
        'etcd version, 3.5.0 or newer, e.g. `3.5.35`. Upgrades go member by member, one minor at a time; downgrades are refused.',
    }),
    storage: Type.Optional(EtcdStorage),
    tls: Type.Optional(
      Struct(
        {
          mode: StringEnum(['Auto'] as const, {
            default: 'Auto',
            description: '`Auto`: kokpit runs a CA for this cluster and issues server, peer and client certificates.',
          }),
        },
        { description: 'Transport security for clients and peers.' },
      ),
    ),
    quotaBackendBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "Backend quota in bytes (`--quota-backend-bytes`); 0 means etcd's default of 2 GiB. Past it the cluster raises NOSPACE.",
      }),
    ),
    backup: Type.Optional(
      Struct(
        {
          schedule: Type.Optional(
            Type.String({
              pattern: CRON,
              description:
                'Cron schedule (5 fields, UTC) for periodic snapshots, e.g. `0 */6 * * *`; ' +
                'a missed slot is taken once when the cluster can be snapshotted again.',
            }),
          ),
          retain: Type.Integer({
            minimum: 1,
            default: 7,
            description: 'How many scheduled snapshots to keep; older ones (EtcdBackup and file) are pruned once the newest is verified.',
          }),
          destination: Type.Optional(BackupDestination),
        },
        { description: 'Periodic snapshots and their retention.' },
      ),
    ),
    restoreFrom: Type.Optional(
      Struct(
        {
          backupName: Type.String({
            pattern: DNS1123_LABEL,
            description:
              'An `EtcdBackup` in the same namespace; the cluster is created from its snapshot (sha256-verified) before any member serves.',
          }),
        },
        { description: 'Create this cluster from a snapshot.' },
      ),
    ),
    resources: Type.Optional(Resources),
  },
  { description: 'Desired state of an etcd cluster.' },
);

export const EtcdMemberStatus = Struct({
  name: Type.String({ description: 'Member name (also its pod name).' }),
  id: Type.Optional(Type.String({ description: 'etcd member ID in hex.' })),
  clientURL: Type.Optional(Type.String()),
  peerURL: Type.Optional(Type.String()),
  healthy: Type.Optional(Type.Boolean()),
  leader: Type.Optional(Type.Boolean()),
  learner: Type.Optional(Type.Boolean()),
  raftIndex: Type.Optional(Type.Integer()),
  dbSize: Type.Optional(Type.Integer({ description: 'Backend size in bytes.' })),
  dbSizeInUse: Type.Optional(Type.Integer({ description: 'Bytes in use; the rest is reclaimable by defragmentation.' })),
  version: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

export const EtcdClusterStatus = Struct({
  phase: Type.Optional(
    Type.String({
      description: 'Pending, Bootstrapping, Running, Scaling, Upgrading, Healing, Restoring, Degraded, QuorumLost or Deleting.',
    }),
  ),
  replicas: Type.Optional(Type.Integer()),
  readyMembers: Type.Optional(Type.Integer()),
  leader: Type.Optional(Type.String()),
  members: Type.Optional(ListMap(EtcdMemberStatus, 'name')),
  alarms: Type.Optional(Type.Array(Type.String())),
  currentVersion: Type.Optional(Type.String()),
  clientEndpoint: Type.Optional(Type.String({ description: 'In-cluster client URL (the client Service).' })),
  caSecretName: Type.Optional(Type.String({ description: 'Secret with the CA that signs client certificates.' })),
  lastBackup: Type.Optional(
    Struct({ name: Type.String(), time: Type.Optional(Type.String({ format: 'date-time' })), size: Type.Optional(Type.Integer()) }),
  ),
  lastScheduleTime: Type.Optional(
    Type.String({ format: 'date-time', description: 'The newest `spec.backup.schedule` slot a backup was taken for.' }),
  ),
  nextScheduleTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the next scheduled backup is due.' })),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export const EtcdBackupSpec = Struct(
  {
    etcdClusterRef: ObjectReference,
    destination: Type.Optional(BackupDestination),
  },
  { description: 'A one-off snapshot of an etcd cluster.' },
);

export const EtcdBackupStatus = Struct({
  phase: Type.Optional(StringEnum(['Pending', 'Running', 'Completed', 'Failed'] as const)),
  size: Type.Optional(Type.Integer({ description: 'Snapshot size in bytes.' })),
  sha256: Type.Optional(Type.String({ description: 'Hex sha256 of the snapshot file.' })),
  location: Type.Optional(Type.String({ description: 'Where the snapshot is stored.' })),
  etcdVersion: Type.Optional(Type.String()),
  revision: Type.Optional(Type.Integer()),
  completionTime: Type.Optional(Type.String({ format: 'date-time' })),
  message: Type.Optional(Type.String()),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export type EtcdClusterSpec = Static<typeof EtcdClusterSpec>;
export type EtcdClusterStatus = Static<typeof EtcdClusterStatus>;
export type EtcdMemberStatus = Static<typeof EtcdMemberStatus>;
export type EtcdBackupSpec = Static<typeof EtcdBackupSpec>;
export type EtcdBackupStatus = Static<typeof EtcdBackupStatus>;
