// The manager's manifests (config/default) and `kokpit install` / `kokpit uninstall` on a real meta control plane:
// kubectl's built-in kustomize renders what kokpit renders, `kubectl apply -k config/default` (and a server dry
// run of it) is accepted, install converges over it and when run again, fails precisely (unreachable, a permission it names) with nothing
// applied, `kokpit status` names the pod holding the lease, and uninstall leaves CRs in place unless --purge.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../../src/api';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { buildKubeconfig } from '../../../src/pki';
import { binaryPath } from '../../../src/binaries/build';
import { freePort, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { INSTALL_NAMESPACE, renderInstall } from '../../../src/local/install';
import { kokpitVersion } from '../../../src/local/install-wait';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';

const KUBECTL = binaryPath('kubectl', 'v1.33.13');

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const key = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const byKey = (objs: KubernetesObject[]) => [...objs].sort((a, b) => key(a).localeCompare(key(b)));

describe('kokpit install: config/default on a real API server', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  before(async () => {
    cp = await startControlPlane({ controllers: true, scheduler: false });
    kc = cp.kubeConfig();
  });
  after(async () => {
    await cp?.stop();
  });

  const read = (apiVersion: string, kind: string, name: string, namespace?: string) =>
    readObject<KubernetesObject & { spec?: { replicas?: number } }>(makeObjectApi(kc), {
      apiVersion,
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
    });

  it('`kubectl kustomize config/default` renders exactly what kokpit install applies', () => {
    const text = execFileSync(KUBECTL, ['kustomize', 'config/default'], { encoding: 'utf8' });
    const fromKubectl = parseAllDocuments(text).map((d) => d.toJS() as KubernetesObject);
    assert.deepEqual(byKey(renderInstall()), byKey(fromKubectl));
    assert.deepEqual(renderInstall().map(key), fromKubectl.map(key), "the same order (kustomize's): the namespace before what lives in it");
  });

  it('`kubectl kustomize config/with-multicluster` renders exactly what kokpit install --with-multicluster applies', () => {
    const text = execFileSync(KUBECTL, ['kustomize', 'config/with-multicluster'], { encoding: 'utf8' });
    const fromKubectl = parseAllDocuments(text).map((d) => d.toJS() as KubernetesObject);
    const ours = renderInstall({ multicluster: true });
    assert.deepEqual(byKey(ours), byKey(fromKubectl));
    assert.deepEqual(ours.map(key), fromKubectl.map(key));
    assert.ok(ours.some((o) => o.kind === 'ClusterRole' && o.metadata?.name === 'kokpit-manager-multicluster'));
  });

  it('names what is missing: an unreachable cluster, a permission the user lacks — and applies nothing', async () => {
    const port = await freePort();
    const nowhere = path.join(cp.dir, 'nowhere.kubeconfig');
    fs.writeFileSync(nowhere, cp.kubeconfigYaml.replace(cp.server, `https://127.0.0.1:${port}`));
    const unreachable = await cli(['install', '--kubeconfig', nowhere]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err, new RegExp(`cannot reach the meta cluster at https://127.0.0.1:${port}`));

    // A user who may do nothing: a ServiceAccount token without any binding.
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'nobody' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: 'default',
      body: { spec: { audiences: [] } },
    });
    const limited = path.join(cp.dir, 'nobody.kubeconfig');
    fs.writeFileSync(
      limited,
      buildKubeconfig({ server: cp.server, caPem: cp.caPem, clusterName: 'meta', user: 'nobody', token: token.status!.token! }),
    );
    const denied = await cli(['install', '--kubeconfig', limited]);
    assert.equal(denied.code, 1);
    assert.match(
      denied.err,
      /missing permissions to install \(nothing was applied\): .*create customresourcedefinitions\.apiextensions\.k8s\.io \(cluster-wide\)/,
    );
    assert.match(denied.err, /patch deployments\.apps \(namespace kokpit-system\)/);
    assert.equal(await read('v1', 'Namespace', 'kokpit-system'), undefined, 'nothing applied');
  });

  it('`kubectl apply -k config/default` works, and a server dry run of it again is accepted', () => {
    const kubectl = (...args: string[]) => spawnSync(KUBECTL, ['--kubeconfig', cp.kubeconfigPath, ...args], { encoding: 'utf8' });
    const applied = kubectl('apply', '-k', 'config/default');
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /deployment.apps\/kokpit-manager created/);
    // (A server dry run alone cannot create the namespace the other objects are checked in; after the apply it can.)
    const dry = kubectl('apply', '--dry-run=server', '-k', 'config/default');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /deployment.apps\/kokpit-manager (unchanged|configured) \(server dry run\)/);
  });

  it('installs, converges when run again (new replicas), and `kokpit status` names the pod holding the lease', async () => {
    const first = await cli(['install', '--kubeconfig', cp.kubeconfigPath, '--no-wait']); // no node runs pods here
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /9 CustomResourceDefinitions applied and established/);
    assert.equal((await read('apps/v1', 'Deployment', 'kokpit-manager', 'kokpit-system'))?.spec?.replicas, 2);
    for (const [kind, name] of [
      ['ServiceAccount', 'kokpit-manager'],
      ['Role', 'kokpit-leader-election'],
    ])
      assert.ok(await read(kind === 'Role' ? 'rbac.authorization.k8s.io/v1' : 'v1', kind, name, 'kokpit-system'), `${kind}/${name}`);
    assert.ok(await read('rbac.authorization.k8s.io/v1', 'ClusterRole', 'kokpit-manager'));

    const again = await cli([
      'install',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--replicas',
      '3',
      '--image',
      'registry.example/kokpit:dev',
      '--no-wait',
    ]);
    assert.equal(again.code, 0, again.err);
    const d = (await read('apps/v1', 'Deployment', 'kokpit-manager', 'kokpit-system')) as KubernetesObject & {
      spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
    };
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'registry.example/kokpit:dev');

    // The replica holding the lease, as the Deployment's pod would be (its template, admitted by the restricted
    // Pod Security level the namespace enforces), named by the downward API's POD_NAME.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kokpit-manager-7d9f-abcde', namespace: 'kokpit-system' },
      spec: (d.spec.template as { spec: object }).spec,
    };
    await applyObject(makeObjectApi(kc), pod as KubernetesObject);
    const now = new Date().toISOString().replace('Z', '000Z');
    await applyObject(makeObjectApi(kc), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kokpit-manager', namespace: 'kokpit-system' },
      spec: { holderIdentity: 'kokpit-manager-7d9f-abcde', leaseDurationSeconds: 15, renewTime: now, acquireTime: now },
    } as KubernetesObject);
    const status = await cli(['status', '--kubeconfig', cp.kubeconfigPath]);
    assert.match(
      status.out,
      /Manager: in the cluster: pod kokpit-system\/kokpit-manager-7d9f-abcde \(Pending\) holds the lease/,
      `exit ${status.code}: ${status.out} ${status.err}`,
    );
  });

  it('uninstall removes the manager and keeps kokpit objects; --purge removes them and the CRDs', async () => {
    const kept = {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: 'kept', namespace: 'default' },
      spec: { replicas: 1, version: '3.5.35' },
    };
    await applyObject(makeObjectApi(kc), kept as KubernetesObject);
    const u = await cli(['uninstall', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(u.code, 0, u.err);
    assert.equal(await read('apps/v1', 'Deployment', 'kokpit-manager', 'kokpit-system'), undefined);
    assert.equal(await read('rbac.authorization.k8s.io/v1', 'ClusterRole', 'kokpit-manager'), undefined);
    assert.ok(await read(API_VERSION, 'EtcdCluster', 'kept', 'default'), 'the EtcdCluster stays');

    const purge = await cli(['uninstall', '--purge', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(purge.code, 0, purge.err);
    assert.match(purge.out, /EtcdCluster\/default\/kept deleted/);
    assert.equal(await read('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'etcdclusters.kokpit.dev'), undefined);
  });
});

// Without --no-wait, install follows the Deployment until a pod holds the lease. The node is the sandbox's process pod
// runner: it runs kokpit.dev/kokpit-manager only at this kokpit's version and says ErrImagePull, with its own words, for
// any other — the same reason a kubelet gives, so the same code names the image, the node, the words and the fix.
describe('kokpit install waits for the manager; an image the node cannot get fails precisely, the right one converges', function () {
  this.timeout(900_000);
  let cp: ControlPlane;
  let runner: PodRunner | undefined;
  let stateDir: string;
  const NODE = 'install-meta-node';
  before(async () => {
    cp = await startControlPlane({ controllers: true, scheduler: false });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-install-wait-'));
    runner = await startPodRunner({
      kubeConfig: cp.kubeConfig(),
      nodeName: NODE,
      stateDir: path.join(stateDir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 1000, maxMs: 5000 },
      stopGraceMs: 5000,
    });
  });
  after(async () => {
    await runner?.stop();
    await cp?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('--image …:0.0.0-missing: exit 1 naming image, node, the runner’s words and the fix; re-run converges', async () => {
    const missing = 'kokpit.dev/kokpit-manager:0.0.0-missing';
    const version = kokpitVersion();
    const bad = await cli(['install', '--kubeconfig', cp.kubeconfigPath, '--image', missing, '--timeout', '10m']);
    process.stderr.write(`  [install --image ${missing}] exit ${bad.code}\n${bad.err}\n`);
    assert.equal(bad.code, 1, `${bad.out}\n${bad.err}`);
    const pod = /^kokpit install: pod kokpit-system\/(kokpit-manager-\S+) on node /.exec(bad.err)?.[1];
    assert.ok(pod, bad.err);
    assert.equal(
      bad.err,
      `kokpit install: pod kokpit-system/${pod} on node ${NODE} cannot get image ${missing} for container manager: ` +
        `ErrImagePull: image ${missing}: only this kokpit's own version runs as a process here (${version}), not 0.0.0-missing. ` +
        "Fix: the sandbox's pod runner runs the manager image only at this kokpit's version: run `kokpit install` without --image " +
        `(kokpit.dev/kokpit-manager:${version})`,
    );
    assert.match(bad.out, /Deployment\/kokpit-system\/kokpit-manager applied/, 'everything applied before the wait');

    const good = await cli(['install', '--kubeconfig', cp.kubeconfigPath, '--timeout', '10m']);
    process.stderr.write(`  [install] exit ${good.code}\n${good.out}\n${good.err}\n`);
    assert.equal(good.code, 0, `${good.out}\n${good.err}`);
    const holder = /kokpit manager installed; pod (\S+) holds the lease$/.exec(good.out)?.[1];
    assert.ok(holder, good.out);
    assert.match(good.out, /deployment kokpit-system\/kokpit-manager: 2\/2 available .*; lease: held by /);
    const kc = cp.kubeConfig();
    assert.equal(
      (await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'kokpit-manager', namespace: INSTALL_NAMESPACE })).spec
        ?.holderIdentity,
      holder,
    );
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: INSTALL_NAMESPACE })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    const leader = pods.find((p) => p.metadata?.name === holder);
    assert.equal(leader?.spec?.containers[0].image, `kokpit.dev/kokpit-manager:${version}`);
    assert.equal(leader?.status?.phase, 'Running');
    assert.deepEqual(
      pods.filter((p) => p.spec?.containers[0].image === missing).map((p) => p.metadata?.name),
      [],
      'no pod of the missing image left',
    );
  });
});
