// `kokpit up --runtime kind --manager in-cluster`: what the manager's pods need on a kind meta cluster beyond what
// `kokpit install` gives any meta cluster. Cluster API's Docker provider (CAPD) sets the pattern: a kind Machine is a
// container of the host's Docker engine, so the pod that makes machines mounts the engine's socket, which the kind
// node gets from the host through an extraMount (kind config, kindInClusterMounts). The same goes for `Local` etcd
// backups: they are written to the environment's backups directory, which the node sees at the same path, so they
// outlive the manager's pods (an emptyDir would lose them when the leader's pod goes) and the restore pods' hostPath
// finds them whichever replica took the snapshot.
// hostPath volumes are outside the restricted (and baseline) Pod Security Standard, so on kind the namespace enforces
// `privileged` and warns/audits `restricted`; the container itself keeps the restricted settings (non-root, no
// capabilities, read-only root filesystem, RuntimeDefault seccomp) and reaches the socket through its group.
// `kokpit install` on any other meta cluster is unchanged (config/default). Pure: test/unit/local/kind-in-cluster.test.ts.
import type { KubernetesObject } from '@kubernetes/client-node';
import { INSTALL_NAMESPACE, MANAGER_DEPLOYMENT } from './install';

/** config/manager's runAsUser (distroless's nonroot). */
export const MANAGER_UID = 65532;

/** Where the Docker engine's socket is on the host, in the kind node and in the manager's container. */
export const DOCKER_SOCKET = '/var/run/docker.sock';

export interface KindInClusterInput {
  /** The kind cluster (meta cluster) name: `kokpit operator --kind-cluster`. */
  kindCluster: string;
  /** The environment's backups directory: a host path the kind node mounts at the same path. */
  backupDir: string;
  /** The group that owns the Docker socket on the host (and so in the node): the pod's supplemental group. */
  dockerSocketGid: number;
  /**
   * The non-root user the pods run as, owner of backupDir: the host user who ran `kokpit up` (their snapshots stay
   * theirs), or config/manager's 65532 when that is root (backupDir is then given to 65532).
   */
  runAs?: { uid: number; gid: number };
}

/** The kind node's extra mounts the in-cluster manager needs (kind config `nodes[].extraMounts`). */
export function kindInClusterMounts(): Array<{ hostPath: string; containerPath: string }> {
  return [{ hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET }];
}

interface PodSpecLike {
  securityContext?: Record<string, unknown>;
  volumes?: Array<Record<string, unknown>>;
  containers: Array<{ name: string; args?: string[]; volumeMounts?: Array<Record<string, unknown>> }>;
}

/** `objects` (renderInstall's) with the manager Deployment and its Namespace set up for a kind meta cluster. */
export function kindInClusterObjects(objects: KubernetesObject[], input: KindInClusterInput): KubernetesObject[] {
  if (!Number.isInteger(input.dockerSocketGid) || input.dockerSocketGid < 0)
    throw new Error(`the Docker socket's group must be a group id, got ${input.dockerSocketGid}`);
  let patched = 0;
  const out = objects.map((o) => {
    if (o.kind === 'Namespace' && o.metadata?.name === INSTALL_NAMESPACE) return namespaceForKind(o);
    if (o.kind !== 'Deployment' || o.metadata?.name !== MANAGER_DEPLOYMENT || o.metadata?.namespace !== INSTALL_NAMESPACE) return o;
    patched++;
    return deploymentForKind(o, input);
  });
  if (patched !== 1)
    throw new Error(`expected one Deployment ${INSTALL_NAMESPACE}/${MANAGER_DEPLOYMENT} to set up for kind, found ${patched}`);
  return out;
}

function namespaceForKind(o: KubernetesObject): KubernetesObject {
  const labels = { ...(o.metadata?.labels ?? {}) };
  labels['pod-security.kubernetes.io/enforce'] = 'privileged';
  labels['pod-security.kubernetes.io/warn'] = 'restricted';
  labels['pod-security.kubernetes.io/audit'] = 'restricted';
  return { ...o, metadata: { ...o.metadata, labels } };
}

function deploymentForKind(o: KubernetesObject, input: KindInClusterInput): KubernetesObject {
  const d = structuredClone(o) as KubernetesObject & { spec: { template: { spec: PodSpecLike } } };
  const pod = d.spec.template.spec;
  const manager = pod.containers.find((c) => c.name === 'manager');
  if (!manager) throw new Error(`Deployment ${MANAGER_DEPLOYMENT} has no container "manager"`);
  const groups = (pod.securityContext?.supplementalGroups as number[] | undefined) ?? [];
  const user = input.runAs && input.runAs.uid > 0 ? { runAsUser: input.runAs.uid, runAsGroup: input.runAs.gid } : {};
  pod.securityContext = { ...pod.securityContext, ...user, supplementalGroups: [...new Set([...groups, input.dockerSocketGid])] };
  pod.volumes = [
    ...(pod.volumes ?? []),
    { name: 'docker-socket', hostPath: { path: DOCKER_SOCKET, type: 'Socket' } },
    { name: 'backups', hostPath: { path: input.backupDir, type: 'Directory' } },
  ];
  manager.volumeMounts = [
    ...(manager.volumeMounts ?? []),
    { name: 'docker-socket', mountPath: DOCKER_SOCKET },
    // The same path as on the host and the node: EtcdBackup status.location and restore pods' hostPath agree.
    { name: 'backups', mountPath: input.backupDir },
  ];
  manager.args = [...(manager.args ?? []), `--kind-cluster=${input.kindCluster}`, `--backup-dir=${input.backupDir}`];
  return d;
}
