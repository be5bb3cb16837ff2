// A full local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
// with simulated nodes. A Deployment's pods must be created by the controllers, bound by the scheduler
// and marked Running by kwok; stop() must leave no process and no directory behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isAlive, isNodeReady, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { pauseDeployment } from './support';

const NODES = 3;

describe('control plane with controllers, scheduler and kwok nodes', function () {
  let cp: ControlPlane;
  before(async function () {
    cp = await startControlPlane({
      kubernetesVersion: 'v1.33.13',
      controllers: true,
      scheduler: true,
      kwokNodes: NODES,
      log: (l) => process.stderr.write(`  [controlplane] ${l}\n`),
    });
  });
  after(async () => cp?.stop());

  it('runs every component as its own process', () => {
    assert.deepEqual(cp.processes.map((p) => p.name).sort(), [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    assert.equal(cp.version, 'v1.33.13');
    for (const p of cp.processes) assert.ok(isAlive(p.pid), `${p.name} pid ${p.pid} alive`);
  });

  it(`has ${NODES} Ready kwok nodes`, async () => {
    const nodes = (await cp.kubeConfig().makeApiClient(CoreV1Api).listNode()).items;
    assert.equal(nodes.length, NODES);
    for (const n of nodes) assert.ok(isNodeReady(n), `${n.metadata?.name} Ready`);
  });

  it("schedules a Deployment's pods onto kwok nodes and they reach Running", async () => {
    const kc = cp.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'default', body: pauseDeployment('web', 4) });
    const pods = await waitFor(
      'web pods Running',
      async (state) => {
        const list = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
        const running = list.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName);
        state.lastReason =
          `${list.length} pods, ${running.length} ` +
          `Running: ${list.map((p) => `${p.metadata?.name}=${p.status?.phase}@${p.spec?.nodeName ?? '-'}`).join(' ')}`;
        return running.length === 4 ? running : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    for (const p of pods) {
      assert.match(p.spec!.nodeName!, /^kwok-node-\d+$/);
      assert.ok(p.status?.podIP, `${p.metadata?.name} has a pod IP`);
    }
    const deployment = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: 'default' });
    await waitFor(
      'web Deployment available',
      async () => {
        const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: 'default' });
        return d.status?.availableReplicas === 4 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.ok(deployment.metadata?.uid);
  });

  it('stop() leaves no process and no directory', async () => {
    const pids = cp.processes.map((p) => p.pid);
    const dir = cp.dir;
    assert.ok(fs.existsSync(dir));
    await cp.stop();
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} gone after stop()`);
    assert.ok(!fs.existsSync(dir), `${dir} removed`);
    await cp.stop(); // idempotent
  });
});
