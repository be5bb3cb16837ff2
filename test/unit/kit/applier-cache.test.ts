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
      // The API server's precondition (seen on a real one): an apply with a resourceVersion creates the object when
      // there is none, and is refused when there is one at another version.
      const live = server.get(key(o));
      if (o.metadata.resourceVersion !== undefined && live && live.metadata.resourceVersion !== o.metadata.resourceVersion) {
        requests.push(`PATCH ${key(o)} (rv ${o.metadata.resourceVersion}): 409`);
        throw new ApiException(409, 'Conflict', { code: 409, reason: 'Conflict' }, {});
      }
      requests.push(`PATCH ${key(o)}${o.metadata.resourceVersion ? ` (rv ${o.metadata.resourceVersion})` : ''}`);
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

  it('a miss in a watched kind is created by one apply that only succeeds when nothing is there (no read first)', async () => {
    const { server, requests, applier } = setup();
    const created = await applier.ensure(secret('new', '', 'one'));
    assert.equal(created.data?.v, 'one');
    assert.deepEqual(requests, ['PATCH Secret/new (rv 1)'], 'one request: the create-only apply');
    assert.equal(applier.reads, 0);
    // Read back before the watch delivers it: the applier's own write.
    assert.equal((await applier.read<Obj>(secret('new', '', '')))?.data?.v, 'one');

    // Something is there after all (not labelled, so not cached): refused, then read, compared and applied as before.
    requests.length = 0;
    server.set('Secret/foreign', {
      ...secret('foreign', '7', 'theirs'),
      metadata: { name: 'foreign', namespace: 'ns', resourceVersion: '7' },
    });
    await applier.ensure(secret('foreign', '', 'ours'));
    assert.deepEqual(requests, ['PATCH Secret/foreign (rv 1): 409', 'GET Secret/foreign', 'PATCH Secret/foreign']);
    assert.equal(server.get('Secret/foreign')?.data?.v, 'ours');
    // Already as desired: the 409, the read, and no write.
    requests.length = 0;
    server.set('Secret/same', secret('same', '8', 'x'));
    await applier.ensure(secret('same', '', 'x'));
    assert.deepEqual(requests, ['PATCH Secret/same (rv 1): 409', 'GET Secret/same']);
  });

  it('missMeansAbsent: a miss costs no request; what is decided is written create-only; one there after all is read next', async () => {
    const { server, requests, cached, applier } = setup();
    assert.equal(await applier.read(secret('ca', '', ''), { missMeansAbsent: true }), undefined);
    assert.equal(applier.assumedAbsent, 1);
    await applier.ensureAgainst(secret('ca', '', 'new-ca'), undefined);
    assert.deepEqual(requests, ['PATCH Secret/ca (rv 1)']);

    // An unlabelled Secret of the same name: the create-only write is refused, the caller gets the 409 …
    requests.length = 0;
    server.set('Secret/old', { ...secret('old', '9', 'kept'), metadata: { name: 'old', namespace: 'ns', resourceVersion: '9' } });
    assert.equal(await applier.read(secret('old', '', ''), { missMeansAbsent: true }), undefined);
    await assert.rejects(applier.ensureAgainst(secret('old', '', 'replacement'), undefined), /Conflict|409/);
    assert.equal(server.get('Secret/old')?.data?.v, 'kept', 'nothing overwritten');
    // … and the next pass reads it from the server, so it can keep it.
    assert.equal((await applier.read<Obj>(secret('old', '', ''), { missMeansAbsent: true }))?.data?.v, 'kept');
    assert.deepEqual(requests, ['PATCH Secret/old (rv 1): 409', 'GET Secret/old']);
    // Once the cache holds it (labelled by the pass that kept it), the cache answers again.
    cached.set('Secret/old', secret('old', '10', 'kept'));
    assert.equal((await applier.read<Obj>(secret('old', '', ''), { missMeansAbsent: true }))?.data?.v, 'kept');
    assert.equal(requests.length, 2);
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
