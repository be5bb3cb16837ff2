// A business cluster's kube-apiserver pod deleted in the middle of an upgrade v1.32.13 → v1.33.13: the
// cluster operator (in a real `kokpit operator` process) is rolling the control plane when the test deletes
// every apiserver pod there is (the Deployment's new one and, if still there, the old one); the pod runner
// stops their processes. The upgrade must still complete: every condition True, every component at the target
// version, the business API server answering v1.33.13, exactly one rollout per Deployment (two ReplicaSets:
// the deletion rolled nothing again), and a pass afterwards that writes nothing (the audit log).
// (kube-controller-manager and kube-scheduler v1.32.13 cannot be built here: before the upgrade their pods sit
// in ErrImagePull, so the cluster is Ready only at the target.)
import * as assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, VersionApi, type KubernetesObject } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { waitFor } from '../../../src/controlplane';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { names } from '../../../src/operators/cluster/names';
import {
  assertOwnsRenderedObjects,
  assertSteadyPassWritesNothing,
  businessKubeConfig,
  readCluster,
  waitClusterConverged,
  type Cluster,
} from '../../support/business-cluster-checks';
import { installDefaultVersions } from '../cluster/support';
import { ensureNamespace, etcdClient, log, startCrashEnv, type CrashEnv } from '../crash/support';

const NS = 'fault-upgrade';
const NAME = 'up';
const manifest = (version: string) => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name: NAME, namespace: NS },
  spec: { version, etcd: { managed: { replicas: 1 } }, apiServer: { service: { type: 'NodePort' } }, addons: [] },
});

describe('fault: a business kube-apiserver pod deleted mid-upgrade (real processes)', function () {
  // A creation and an upgrade of a real control plane, on a shared 2-core machine.
  this.timeout(900_000);
  let env: CrashEnv;
  let etcd: Etcd3 | undefined;
  before(async () => {
    env = await startCrashEnv('upgrade');
    await ensureNamespace(env.kc, NS);
    // The shipped catalog (the sandbox's marks v1.32.13 unusable here, for the two components it lacks).
    await installDefaultVersions(env.kc);
  });
  after(async () => {
    etcd?.close();
    await env?.stop();
  });

  it('completes the upgrade: Ready at v1.33.13, one rollout per Deployment, 0 writes in a steady pass', async function () {
    const objects = makeObjectApi(env.kc);
    const tCreate = Date.now();
    await applyObject(objects, manifest('v1.32.13') as KubernetesObject, { fieldManager: 'kokpit-test' });
    const manager = env.harness.startManager();
    await waitFor(
      'the v1.32.13 API server available',
      async (st) => {
        const c = await readCluster(env.kc, NAME, NS);
        const a = c.status?.conditions?.find((x) => x.type === 'APIServerAvailable');
        st.lastReason = (c.status?.conditions ?? []).map((x) => `${x.type}=${x.status} ${x.message ?? ''}`).join('; ');
        return a?.status === 'True' ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );

    log(`v1.32.13 API server available ${Date.now() - tCreate} ms after creation`);
    const tUpgrade = Date.now();
    await applyObject(objects, manifest('v1.33.13') as KubernetesObject, { fieldManager: 'kokpit-test' });
    const apps = env.kc.makeApiClient(AppsV1Api);
    const core = env.kc.makeApiClient(CoreV1Api);
    const apiserverPods = async () =>
      (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => p.metadata!.name!.startsWith(`${names.apiServer(NAME)}-`));
    // Mid-rollout: the Deployment asks for v1.33.13 and a pod of it exists.
    const pods = await waitFor(
      'the apiserver rollout under way (a v1.33.13 pod created)',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: names.apiServer(NAME), namespace: NS });
        const target = d.spec!.template.spec!.containers.some((c) => c.image?.endsWith(':v1.33.13'));
        const ps = await apiserverPods();
        return target && ps.some((p) => p.spec!.containers.some((c) => c.image?.endsWith(':v1.33.13'))) ? ps : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 100 },
    );
    for (const p of pods) await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: NS });
    log(
      `deleted ${pods.length} apiserver pod(s) ${Date.now() - tUpgrade} ms into the upgrade: ` +
        pods.map((p) => `${p.metadata!.name} (${p.spec!.containers[0].image}, ${p.status?.phase})`).join(', '),
    );

    const done = await waitClusterConverged(env.kc, NAME, NS, 300_000, (c) => {
      const off = (c.status?.components ?? []).filter((x) => x.version !== 'v1.33.13' || !x.readyReplicas);
      return off.length ? `components not at v1.33.13: ${off.map((x) => `${x.name} ${x.version}`).join(', ')}` : undefined;
    });
    log(`upgrade complete ${Date.now() - tUpgrade} ms after it started`);
    assert.equal(done.status?.phase, 'Running');
    assert.ok(manager.running, 'the manager never exited');
    const version = await (await businessKubeConfig(env.kc, NAME, NS)).makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.33.13', 'the business API server answers at the target version');

    etcd = await etcdClient(env.kc, NS, names.etcd(NAME));
    // Two ReplicaSets per Deployment: the upgrade's one rollout, none more because of the deletion.
    await assertOwnsRenderedObjects(env.kc, manifest('v1.33.13') as unknown as Cluster, etcd, env.harness.events, { replicaSets: 2 });
    const url = await waitFor('the manager metrics URL', async () => manager.metricsURL, { timeoutMs: 30_000 });
    await assertSteadyPassWritesNothing(env.kc, env.cp, url, NAME, NS);
  });
});
