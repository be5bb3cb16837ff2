// Pure renderers: everything an EtcdCluster owns, as whole objects with a controller owner reference.
// No clock, no randomness: the same inputs always give the same objects, so server-side apply of an
// unchanged object is a no-op and golden tests can pin the output.
import { createHash } from 'node:crypto';
import type { V1OwnerReference, V1PersistentVolumeClaim, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { API_VERSION, type EtcdBackup, type EtcdCluster } from '../../api';
import {
  ANNOTATION_SCHEDULED_TIME,
  ANNOTATION_SECRET_HASH,
  ANNOTATION_VERSION,
  DATA_DIR,
  DATA_MOUNT,
  LABEL_BACKUP_SCHEDULED,
  LABEL_CLUSTER,
  ETCD_CLIENT_PORT,
  ETCD_METRICS_PORT,
  ETCD_PEER_PORT,
  PKI_MOUNT,
  RESTORE_MOUNT,
  type ClusterRef,
  caSecretName,
  clientSecretName,
  clientServiceName,
  clusterLabels,
  memberClaimName,
  memberClientURL,
  memberLabels,
  memberPeerURL,
  memberSecretName,
  peerServiceName,
} from './names';
import type { PeerRef } from './plan';
import { scheduledBackupName } from './schedule';
import { etcdImage, normalizeVersion } from './version';

export const refOf = (c: EtcdCluster): ClusterRef => ({ name: c.metadata.name!, namespace: c.metadata.namespace! });

export function ownerReference(c: EtcdCluster): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdCluster',
    name: c.metadata.name!,
    uid: c.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function meta(c: EtcdCluster, name: string, labels: Record<string, string>, annotations?: Record<string, string>) {
  return {
    name,
    namespace: c.metadata.namespace!,
    labels,
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReference(c)],
  };
}

/** Secret data as the API stores it (base64), keys sorted so the rendering is stable. */
function secretData(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(files)
      .sort()
      .map((k) => [k, Buffer.from(files[k], 'utf8').toString('base64')]),
  );
}

/** A stable hash of Secret contents: put on pods so changed certificates are noticed (and rolled). */
export function secretHash(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(files).sort()) h.update(k).update('\0').update(files[k]).update('\0');
  return h.digest('hex').slice(0, 16);
}

export interface MemberTLSFiles {
  'ca.crt': string;
  'server.crt': string;
  'server.key': string;
  'peer.crt': string;
  'peer.key': string;
}

export function renderCASecret(c: EtcdCluster, ca: { certPem: string; keyPem: string }): V1Secret {
  const ref = refOf(c);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(c, caSecretName(ref), clusterLabels(ref)),
    type: 'Opaque',
    data: secretData({ 'ca.crt': ca.certPem, 'ca.key': ca.keyPem }),
  };
}

export function renderMemberSecret(c: EtcdCluster, member: string, files: MemberTLSFiles): V1Secret {
  const ref = refOf(c);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(c, memberSecretName(member), memberLabels(ref, member)),
    type: 'Opaque',
    data: secretData({ ...files }),
  };
}

/** The client certificate other components (the cluster operator, backups) use to reach this etcd. */
export function renderClientSecret(c: EtcdCluster, files: { 'ca.crt': string; 'tls.crt': string; 'tls.key': string }): V1Secret {
  const ref = refOf(c);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(c, clientSecretName(ref), clusterLabels(ref)),
    type: 'kubernetes.io/tls',
    data: secretData({ ...files }),
  };
}

/** A Service of this cluster's members (owned by the cluster, selecting its pods). */
function memberService(c: EtcdCluster, name: string, spec: Omit<NonNullable<V1Service['spec']>, 'selector'>): V1Service {
  const ref = refOf(c);
  const { ports, ...rest } = spec; // selector before ports, as the objects have always been written
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c, name, clusterLabels(ref)),
    spec: { ...rest, selector: clusterLabels(ref), ports },
  };
}

const clientPort = { name: 'client', port: ETCD_CLIENT_PORT, targetPort: ETCD_CLIENT_PORT as never, protocol: 'TCP' };

/**
 * Headless Service for peer traffic and per-member DNS names; lists members before they are ready (peers must find each other to
 * become ready).
 */
export function renderPeerService(c: EtcdCluster): V1Service {
  return memberService(c, peerServiceName(refOf(c)), {
    clusterIP: 'None',
    publishNotReadyAddresses: true,
    ports: [{ name: 'peer', port: ETCD_PEER_PORT, targetPort: ETCD_PEER_PORT as never, protocol: 'TCP' }, clientPort],
  });
}

/** Client Service: ready members only. */
export function renderClientService(c: EtcdCluster): V1Service {
  return memberService(c, clientServiceName(refOf(c)), { type: 'ClusterIP', ports: [clientPort] });
}

export function renderMemberClaim(c: EtcdCluster, member: string): V1PersistentVolumeClaim {
  const ref = refOf(c);
  const storage = c.spec.storage;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(c, memberClaimName(member), memberLabels(ref, member)),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: storage?.size ?? '1Gi' } },
      ...(storage?.storageClassName ? { storageClassName: storage.storageClassName } : {}),
    },
  };
}

export interface RestoreSource {
  /** Directory on the node holding the snapshot (read-only hostPath; a `Local` backup destination). */
  hostDir: string;
  /** File name of the snapshot inside `hostDir`. */
  file: string;
}

export interface MemberPodInputs {
  member: string;
  version: string;
  /** Every member etcd lists, this one included (a seed lists only itself). */
  initialCluster: PeerRef[];
  /** `new` for the seed of a new cluster, `existing` for a member joining a running one. */
  state: 'new' | 'existing';
  secretHash: string;
  /** Seed of a restored cluster: restore this snapshot into the data dir before etcd starts. */
  restore?: RestoreSource;
  /** Run etcd without fsync (tests and benchmarks on throwaway data only). */
  unsafeNoFsync?: boolean;
}

export function initialClusterFlag(peers: PeerRef[]): string {
  return peers.map((p) => `${p.name}=${p.peerURL}`).join(',');
}

export function etcdArgs(c: EtcdCluster, p: MemberPodInputs): string[] {
  const ref = refOf(c);
  const pki = PKI_MOUNT;
  return [
    'etcd',
    `--name=${p.member}`,
    `--data-dir=${DATA_DIR}`,
    `--listen-client-urls=https://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=${memberClientURL(ref, p.member)}`,
    `--listen-peer-urls=https://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=${memberPeerURL(ref, p.member)}`,
    `--initial-cluster=${initialClusterFlag(p.initialCluster)}`,
    `--initial-cluster-state=${p.state}`,
    // The uid makes a re-created cluster of the same name a different cluster: stale members can't join it.
    `--initial-cluster-token=${ref.namespace}-${ref.name}-${c.metadata.uid}`,
    `--listen-metrics-urls=http://0.0.0.0:${ETCD_METRICS_PORT}`,
    `--cert-file=${pki}/server.crt`,
    `--key-file=${pki}/server.key`,
    `--trusted-ca-file=${pki}/ca.crt`,
    '--client-cert-auth=true',
    `--peer-cert-file=${pki}/peer.crt`,
    `--peer-key-file=${pki}/peer.key`,
    `--peer-trusted-ca-file=${pki}/ca.crt`,
    '--peer-client-cert-auth=true',
    // Refuse to start a member whose data does not match the cluster's (after a bad restore or a copy). etcd hashes
    // its whole keyspace for this before it serves, then compares with its peers (3.5's corrupt.go InitialCheck): the
    // lone member of a one-member cluster has none, so it would hash for nothing (100–250 ms per 100 MiB, on a
    // restore's critical path). Pods created once a cluster has more members (joins, upgrades, heals) check again.
    ...(c.spec.replicas === 1 && p.initialCluster.length === 1 ? [] : ['--experimental-initial-corrupt-check=true']),
    ...(c.spec.quotaBackendBytes ? [`--quota-backend-bytes=${c.spec.quotaBackendBytes}`] : []),
    ...(p.unsafeNoFsync ? ['--unsafe-no-fsync=true'] : []),
    '--logger=zap',
    '--log-level=warn',
  ];
}

/**
 * The restore init container: `etcdutl snapshot restore` into the data dir, only when the data dir is
 * still empty (a restarted pod must not restore over the data it has written since). The shell script is a
 * constant; the snapshot path and every flag reach etcdutl as arguments (`"$@"`), never as shell text.
 */
export const RESTORE_SCRIPT =
  `if [ -d ${DATA_DIR}/member ]; then echo "data dir already holds a member; not restoring"; exit 0; fi\n` +
  `exec etcdutl snapshot restore "$@"`;

/** File names a restore mounts and passes to etcdutl: what the backup reconciler writes (a DNS name, a uid prefix, `.db`). */
export const SNAPSHOT_FILE_NAME = /^[a-z0-9][a-z0-9.-]*\.db$/;

/** `/bin/sh -ec RESTORE_SCRIPT restore <snapshot> <flags…>` (the word after the script is the shell's $0). */
export function restoreCommand(c: EtcdCluster, p: MemberPodInputs): string[] {
  const ref = refOf(c);
  const r = p.restore!;
  // The snapshot file name comes from the backup's status: only names the backup reconciler writes.
  if (!SNAPSHOT_FILE_NAME.test(r.file)) throw new Error(`refusing to restore from snapshot file name ${JSON.stringify(r.file)}`);
  return [
    '/bin/sh',
    '-ec',
    RESTORE_SCRIPT,
    'restore',
    `${RESTORE_MOUNT}/${r.file}`,
    `--data-dir=${DATA_DIR}`,
    `--name=${p.member}`,
    `--initial-cluster=${initialClusterFlag(p.initialCluster)}`,
    `--initial-advertise-peer-urls=${memberPeerURL(ref, p.member)}`,
    `--initial-cluster-token=${ref.namespace}-${ref.name}-${c.metadata.uid}`,
  ];
}

export function renderMemberPod(c: EtcdCluster, p: MemberPodInputs): V1Pod {
  const ref = refOf(c);
  const image = etcdImage(p.version);
  const resources = c.spec.resources;
  const volumeMounts = [
    { name: 'data', mountPath: DATA_MOUNT },
    { name: 'tls', mountPath: PKI_MOUNT, readOnly: true },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(c, p.member, memberLabels(ref, p.member), {
      [ANNOTATION_SECRET_HASH]: p.secretHash,
      [ANNOTATION_VERSION]: normalizeVersion(p.version),
    }),
    spec: {
      // hostname + subdomain: the headless Service publishes <member>.<peers>.<ns>.svc for this pod.
      hostname: p.member,
      subdomain: peerServiceName(ref),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      ...(p.restore
        ? {
            initContainers: [
              {
                name: 'restore',
                image,
                command: restoreCommand(c, p),
                volumeMounts: [...volumeMounts, { name: 'restore', mountPath: RESTORE_MOUNT, readOnly: true }],
              },
            ],
          }
        : {}),
      containers: [
        {
          name: 'etcd',
          image,
          command: etcdArgs(c, p),
          // etcd's last log lines become the termination message when it exits with an error: how the operator
          // learns why a member stopped (its data volume full: disk.ts) from the pod status alone.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          ports: [
            { name: 'client', containerPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
            { name: 'peer', containerPort: ETCD_PEER_PORT, protocol: 'TCP' },
            { name: 'metrics', containerPort: ETCD_METRICS_PORT, protocol: 'TCP' },
          ],
          // Serializable: a member answers from its own data, so a learner or a member of a cluster
          // briefly without leader is not killed for it (only the client Service drops it).
          readinessProbe: {
            httpGet: { path: '/health?serializable=true', port: ETCD_METRICS_PORT as never, scheme: 'HTTP' },
            periodSeconds: 2,
            failureThreshold: 3,
            timeoutSeconds: 2,
          },
          livenessProbe: {
            httpGet: { path: '/health?serializable=true', port: ETCD_METRICS_PORT as never, scheme: 'HTTP' },
            initialDelaySeconds: 15,
            periodSeconds: 10,
            failureThreshold: 8,
            timeoutSeconds: 5,
          },
          volumeMounts,
          ...(resources ? { resources: resources as never } : {}),
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: memberClaimName(p.member) } },
        { name: 'tls', secret: { secretName: memberSecretName(p.member), defaultMode: 0o400 } },
        ...(p.restore ? [{ name: 'restore', hostPath: { path: p.restore.hostDir, type: 'Directory' } }] : []),
      ],
    },
  };
}

/**
 * The EtcdBackup of one `spec.backup.schedule` slot. Owned by the cluster (it goes with it; the final
 * backup is the one that outlives a deleted cluster) and named after the slot, so it is created once.
 */
export function renderScheduledBackup(c: EtcdCluster, slotMs: number): EtcdBackup {
  const destination = c.spec.backup?.destination;
  return {
    apiVersion: API_VERSION,
    kind: 'EtcdBackup',
    metadata: {
      ...meta(
        c,
        scheduledBackupName(c.metadata.name!, slotMs),
        { [LABEL_CLUSTER]: c.metadata.name!, [LABEL_BACKUP_SCHEDULED]: 'true' },
        {
          [ANNOTATION_SCHEDULED_TIME]: new Date(slotMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ),
    },
    spec: { etcdClusterRef: { name: c.metadata.name! }, ...(destination ? { destination } : {}) },
  };
}
