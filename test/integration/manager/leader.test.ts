// Two managers against one meta cluster: only the lease holder reconciles; when it dies, the other takes
// over within the lease duration. Real kube-apiserver + etcd, a toy operator over labelled ConfigMaps.
import * as assert from 'node:assert/strict';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { keyOf, splitKey } from '../../../src/controller/reconciler';
import { applyObject } from '../../../src/kube';
import { Manager, type OperatorDefinition } from '../../../src/manager/manager';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

const NS = 'default';
const CONFIGMAPS = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', labelSelector: 'kokpit-test=manager' };

/** Stamps `data.handledBy` with the manager's identity: which manager reconciled is visible in the API. */
function stampOperator(identity: string, seen: string[]): OperatorDefinition {
  return {
    name: 'stamp',
    setup: (ctx) => {
      const api = ctx.kc.makeApiClient(KubernetesObjectApi);
      const cache = ctx.informer<V1ConfigMap>(CONFIGMAPS);
      const stamp = ctx.controller('stamp', async (key) => {
        seen.push(key);
        const { namespace, name } = splitKey(key);
        const cached = cache.get(name, namespace);
        if (!cached || cached.data?.handledBy === identity) return;
        await applyObject(
          api,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { handledBy: identity } } as KubernetesObject,
          { fieldManager: `stamp-${identity}` },
        );
      });
      cache.onEvent((cm) => stamp.enqueue(keyOf(cm)));
    },
  };
}

describe('manager leader election on a real apiserver', function () {
  let cp: ControlPlane;
  const managers: Manager[] = [];
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await Promise.all(managers.map((m) => m.stop(1000)));
    await cp?.stop();
  });

  it('only the leader reconciles, and the other takes over when the leader dies', async function () {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const waiting: string[] = [];
    const lease = { namespace: NS, leaseDurationSec: 4 };
    const a = new Manager({ kc: cp.kubeConfig(), operators: [stampOperator('a', seenA)], leaderElection: { ...lease, identity: 'a' } });
    managers.push(a);
    await a.start();
    const b = new Manager({
      kc: cp.kubeConfig(),
      operators: [stampOperator('b', seenB)],
      leaderElection: { ...lease, identity: 'b', onWaiting: (h) => waiting.push(h) },
    });
    managers.push(b);
    const bStarted = b.start();

    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'one', labels: { 'kokpit-test': 'manager' } } } });
    await waitFor(
      'a stamps one',
      async () => (await core.readNamespacedConfigMap({ namespace: NS, name: 'one' })).data?.handledBy === 'a' || undefined,
      { timeoutMs: 10_000 },
    );
    await waitFor('b reports the holder', async () => waiting.includes('a') || undefined, { timeoutMs: 10_000 });
    assert.equal(b.state, 'waiting-for-lease');
    assert.deepEqual(seenB, [], 'the waiting manager reconciled nothing');

    // "Kill" a: its renewals stop without releasing the lease, as when the process dies.
    const killedAt = Date.now();
    (a as unknown as { elector: { stopped: boolean } }).elector.stopped = true;
    await (a as unknown as { shutdown(s: string, g: number): Promise<void> }).shutdown('lost-lease', 100);
    await bStarted;
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(`  took over ${takeoverMs} ms after the holder stopped renewing (lease ${lease.leaseDurationSec} s)\n`);
    // A deadline, not a benchmark: a loaded 2-core machine may add seconds to the lease duration.
    assert.ok(takeoverMs < (lease.leaseDurationSec + 15) * 1000, `took over in ${takeoverMs} ms`);
    await waitFor(
      'b re-stamps one',
      async () => (await core.readNamespacedConfigMap({ namespace: NS, name: 'one' })).data?.handledBy === 'b' || undefined,
      { timeoutMs: 10_000 },
    );
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'two', labels: { 'kokpit-test': 'manager' } } } });
    await waitFor(
      'b stamps two',
      async () => (await core.readNamespacedConfigMap({ namespace: NS, name: 'two' })).data?.handledBy === 'b' || undefined,
      { timeoutMs: 10_000 },
    );
    assert.ok(!seenA.includes(`${NS}/two`), 'the dead manager did not see later objects');
  });

  it('a graceful stop releases the lease so the next manager starts at once', async function () {
    const lease = { namespace: NS, name: 'graceful', leaseDurationSec: 30 };
    const a = new Manager({ kc: cp.kubeConfig(), operators: [stampOperator('c', [])], leaderElection: { ...lease, identity: 'c' } });
    managers.push(a);
    await a.start();
    await a.stop();
    assert.equal(a.state, 'stopped');
    const t0 = Date.now();
    const b = new Manager({ kc: cp.kubeConfig(), operators: [stampOperator('d', [])], leaderElection: { ...lease, identity: 'd' } });
    managers.push(b);
    await b.start();
    const acquiredMs = Date.now() - t0;
    process.stderr.write(`  the next manager acquired the released lease in ${acquiredMs} ms (lease 30 s)\n`);
    assert.ok(acquiredMs < 20_000, `acquired in ${acquiredMs} ms: it waited for the 30 s lease to expire`);
  });
});
