// The Informer on a real apiserver: after its watch fails and restarts, an object deleted while the watch
// was down is reported as deleted (a restarted ListWatch starts empty; without this the Fleet view and any
// other consumer would keep showing it).
import * as assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type EventKind } from '../../../src/controller/informer';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

describe('Informer restarts on a real apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let kc: KubeConfig;
  let core: CoreV1Api;

  before(async function () {
    this.timeout(180_000);
    cp = await startControlPlane({});
    kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'inf' } } });
  });
  after(async () => {
    await cp?.stop();
  });

  it('an object deleted while the watch was down gets a delete event after the restart; others stay', async () => {
    for (const name of ['keep', 'gone'])
      await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name }, data: { a: '1' } } });
    const informer = new Informer<V1ConfigMap>(kc, {
      path: '/api/v1/namespaces/inf/configmaps',
      list: () => core.listNamespacedConfigMap({ namespace: 'inf' }) as never,
      backoff: { baseMs: 2000, maxMs: 2000 },
    });
    const events: Array<[EventKind, string]> = [];
    informer.onEvent((obj, kind) => events.push([kind, obj.metadata!.name!]));
    await informer.start();
    try {
      assert.deepEqual(
        informer
          .list()
          .map((c) => c.metadata!.name)
          .sort(),
        ['gone', 'keep'],
      );
      // The watch goes down: stopping the ListWatch aborts its request, which it reports as an error, so the
      // Informer's own restart path runs (after the 2 s backoff). While it is down, one object goes.
      const internals = informer as unknown as { lw: { stop(): Promise<void> } };
      events.length = 0;
      await internals.lw.stop();
      await core.deleteNamespacedConfigMap({ namespace: 'inf', name: 'gone' });
      await waitFor(
        'delete event for the vanished object',
        async () => (events.some(([k, n]) => k === 'delete' && n === 'gone') ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      assert.ok(
        !events.some(([k, n]) => k === 'delete' && n === 'keep'),
        `no delete for an object that still exists (${JSON.stringify(events)})`,
      );
      assert.deepEqual(
        informer.list().map((c) => c.metadata!.name),
        ['keep'],
      );
    } finally {
      await informer.stop();
    }
  });

  it('answers from the cache it had while a restarted watch relists, never from an empty one', async () => {
    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'steady' }, data: { a: '1' } } });
    let lists = 0;
    let relisting = false;
    const informer = new Informer<V1ConfigMap>(kc, {
      path: '/api/v1/namespaces/inf/configmaps',
      // The relist after a restart is slow (a loaded API server): 1.5 s during which a reader must not see an empty fleet.
      list: async () => {
        if (lists++ > 0) {
          relisting = true;
          await new Promise((r) => setTimeout(r, 1500));
        }
        const result = await core.listNamespacedConfigMap({ namespace: 'inf' });
        relisting = false;
        return result as never;
      },
      backoff: { baseMs: 100, maxMs: 100 },
    });
    await informer.start();
    try {
      const names = () => informer.list().map((c) => c.metadata!.name!);
      assert.ok(names().includes('steady'));
      // The watch is up once it delivers an object created after the list.
      await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'probe' }, data: { a: '1' } } });
      await waitFor('the watch delivering a new object', async () => (names().includes('probe') ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      await (informer as unknown as { lw: { stop(): Promise<void> } }).lw.stop();
      const seen: string[][] = [];
      await waitFor('the restarted watch relisting', async () => (relisting ? true : undefined), { timeoutMs: 30_000, intervalMs: 10 });
      while (relisting) {
        seen.push(names());
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(seen.length > 5, `read ${seen.length} times during the relist`);
      assert.deepEqual(
        seen.filter((n) => !n.includes('steady')),
        [],
        'a read during the relist missed an object that never went away',
      );
    } finally {
      await informer.stop();
    }
  });
});
