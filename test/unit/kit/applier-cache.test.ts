// The kit's Applier reading from watch caches (controller-runtime's cached client): a watched, cached object costs
// no request; a miss or an unwatched kind asks the server; what the applier just wrote or deleted is what it reads
// until the cache moves past the version it had, and callers get copies, never the shared cached object.
import assert from 'node:assert/strict';
import { ApiException, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { Applier, type ObjectCache } from '../../../src/kit';

type Obj = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
};

const secret = (name: string, rv: string, v: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Secret',
  // rv '' : a desired object (no resourceVersion).
  metadata: { name, namespace: 'ns', ...(rv ? { resourceVersion: rv } : {}), labels: { 'kokpit.dev/cluster': 'c' } },
  data: { v },
});

/** A server that records requests and answers from a map; a cache over another map of "watched" kinds. */
function setup() {
  const server = new Map<string, Obj>();
  const requests: string[] = [];
  let rv = 100;
  const key = (o: { kind?: string; metadata?: { name?: string } }) => `${o.kind}/${o.metadata?.name}`;
  const client = {
    read: async (ref: Obj) => {
      requests.push(`GET ${key(ref)}`);
      const o = server.get(key(ref));
      if (!o) throw new ApiException(404, 'not found', {}, {});
      return structuredClone(o);
    },
    patch: async (o: Obj) => {
      requests.push(`PATCH ${key(o)}`);
      const stored = { ...structuredClone(o), metadata: { ...o.metadata, resourceVersion: String(++rv) } };
      server.set(key(o), stored);
      return structuredClone(stored);
    },
    delete: async (o: Obj) => {
      requests.push(`DELETE ${key(o)}`);
      server.delete(key(o));
      return {};
    },
  } as unknown as KubernetesObjectApi;
  const cached = new Map<string, Obj>();
  const cache: ObjectCache = { watches: (ref) => ref.kind === 'Secret', get: (ref) => cached.get(key(ref)) };
  return { server, requests, cached, applier: new Applier(client, cache) };
}

describe('kit: Applier with a watch cache', () => {
  it('a cached object is read without a request, as a copy; a miss and an unwatched kind ask the server', async () => {
    const { server, requests, cached, applier } = setup();
    cached.set('Secret/a', secret('a', '5', 'one'));
    const a = await applier.read<Obj>(secret('a', '', ''));
    assert.equal(a?.data?.v, 'one');
    a!.data!.v = 'changed by the caller';
    assert.equal(cached.get('Secret/a')!.data!.v, 'one', 'the shared cached object is untouched');
    assert.deepEqual(requests, []);
    assert.equal(applier.cacheHits, 1);

    server.set('Secret/b', secret('b', '7', 'unlabelled'));
    assert.equal((await applier.read<Obj>(secret('b', '', '')))?.data?.v, 'unlabelled', 'not in the cache: maybe not selected, so asked');
    await applier.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' } });
    assert.deepEqual(requests, ['GET Secret/b', 'GET ConfigMap/x']);
  });

  it('an unchanged object is not written; after a write the applier reads its own write until the cache catches up', async () => {
    const { requests, cached, applier } = setup();
    cached.set('Secret/a', secret('a', '5', 'one'));
    await applier.ensure(secret('a', '', 'one'));
    assert.deepEqual(requests, [], 'equal to the cached object: no request at all');

    await applier.ensure(secret('a', '', 'two'));
    assert.deepEqual(requests, ['PATCH Secret/a']);
    // The watch has not delivered the write yet: the cache still says "one", the applier knows better.
    assert.equal((await applier.read<Obj>(secret('a', '', '')))?.data?.v, 'two');
    await applier.ensure(secret('a', '', 'two'));
    assert.deepEqual(requests, ['PATCH Secret/a'], 'no second write from a stale cache');

    // The watch delivers a newer version (ours, or anyone's after it): the cache is the truth again.
    cached.set('Secret/a', secret('a', '102', 'three'));
    assert.equal((await applier.read<Obj>(secret('a', '', '')))?.data?.v, 'three');
  });

  it('after a delete the object reads as gone until the cache drops it', async () => {
    const { requests, cached, applier } = setup();
    cached.set('Secret/a', secret('a', '5', 'one'));
    await applier.delete(secret('a', '', ''));
    assert.equal(await applier.read(secret('a', '', '')), undefined, 'the cache still has it; the applier deleted it');
    cached.delete('Secret/a');
    assert.equal(await applier.read(secret('a', '', '')), undefined);
    assert.deepEqual(requests, ['DELETE Secret/a', 'GET Secret/a']);
  });
});
