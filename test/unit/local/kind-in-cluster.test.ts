// The in-cluster manager on a kind meta cluster (src/local/kind-in-cluster.ts): `kokpit install`'s objects with the
// Docker socket and the backups directory mounted, as CAPD's controller mounts the socket. Pure; the real run is the
// kind e2e (test/e2e/kind.e2e.test.ts, step 8).
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { renderInstall } from '../../../src/local/install';
import { DOCKER_SOCKET, kindInClusterMounts, kindInClusterObjects, MANAGER_UID } from '../../../src/local/kind-in-cluster';

type Pod = {
  securityContext: Record<string, unknown>;
  volumes: Array<{ name: string; hostPath?: { path: string; type: string }; emptyDir?: object }>;
  containers: Array<{
    name: string;
    args: string[];
    securityContext: Record<string, unknown>;
    volumeMounts: Array<{ name: string; mountPath: string }>;
  }>;
};
const podOf = (objs: KubernetesObject[]) =>
  (objs.find((o) => o.kind === 'Deployment') as KubernetesObject & { spec: { template: { spec: Pod } } }).spec.template.spec;
const nsOf = (objs: KubernetesObject[]) => objs.find((o) => o.kind === 'Namespace')!;
const INPUT = { kindCluster: 'kokpit-e2e', backupDir: '/home/dev/.local/state/kokpit/kokpit-e2e/backups', dockerSocketGid: 998 };

describe('the in-cluster manager on kind (CAPD pattern)', () => {
  it('mounts the Docker socket and the backups directory at their host paths and tells the operator about them', () => {
    const pod = podOf(kindInClusterObjects(renderInstall(), INPUT));
    assert.deepEqual(
      pod.volumes.filter((v) => v.hostPath),
      [
        { name: 'docker-socket', hostPath: { path: DOCKER_SOCKET, type: 'Socket' } },
        { name: 'backups', hostPath: { path: INPUT.backupDir, type: 'Directory' } },
      ],
    );
    assert.ok(
      pod.volumes.some((v) => v.name === 'tmp' && v.emptyDir),
      'the writable /tmp stays',
    );
    const c = pod.containers[0];
    assert.deepEqual(
      c.volumeMounts.map((m) => `${m.name}:${m.mountPath}`),
      ['tmp:/tmp', `docker-socket:${DOCKER_SOCKET}`, `backups:${INPUT.backupDir}`],
    );
    assert.deepEqual(c.args.slice(-2), ['--kind-cluster=kokpit-e2e', `--backup-dir=${INPUT.backupDir}`]);
    assert.deepEqual(pod.securityContext.supplementalGroups, [998], "the socket's group, so a non-root user reaches it");
  });

  it('keeps the restricted container settings; only the namespace enforces privileged (hostPath), warning on restricted', () => {
    const objs = kindInClusterObjects(renderInstall(), INPUT);
    const pod = podOf(objs);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, MANAGER_UID, 'config/manager user unless told');
    assert.deepEqual(pod.containers[0].securityContext, podOf(renderInstall()).containers[0].securityContext);
    const labels = nsOf(objs).metadata!.labels!;
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
    assert.equal(labels['pod-security.kubernetes.io/audit'], 'restricted');
    assert.equal(nsOf(renderInstall()).metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted', 'install unchanged');
  });

  it('runs as the host user who owns the backups, never as root', () => {
    const user = podOf(kindInClusterObjects(renderInstall(), { ...INPUT, runAs: { uid: 1000, gid: 1000 } })).securityContext;
    assert.equal(user.runAsUser, 1000);
    assert.equal(user.runAsGroup, 1000);
    const root = podOf(kindInClusterObjects(renderInstall(), { ...INPUT, runAs: { uid: 0, gid: 0 } })).securityContext;
    assert.equal(root.runAsUser, MANAGER_UID, 'uid 0 is not taken over: config/manager keeps its non-root user');
  });

  it('refuses objects without the manager Deployment and a group that is not an id', () => {
    const noDeployment = renderInstall().filter((o) => o.kind !== 'Deployment');
    assert.throws(() => kindInClusterObjects(noDeployment, INPUT), /expected one Deployment kokpit-system\/kokpit-manager/);
    assert.throws(() => kindInClusterObjects(renderInstall(), { ...INPUT, dockerSocketGid: -1 }), /must be a group id/);
  });

  it('the kind node mounts the socket from the host at the same path', () => {
    assert.deepEqual(kindInClusterMounts(), [{ hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET }]);
  });
});
