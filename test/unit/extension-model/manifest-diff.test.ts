// The two sides of the Diff editor: the server's bookkeeping dropped, an object that does not exist yet diffs
// against an empty document. (The dry run itself: test/integration/editor/manifest-actions.test.ts.)
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { diffTexts, withoutNoise } from '../../../src/actions/manifest-diff';

const stored = (replicas: number, resourceVersion: string) => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'EtcdCluster',
  metadata: {
    name: 'etcd-a',
    namespace: 'fleet',
    uid: 'u-1',
    resourceVersion,
    generation: Number(resourceVersion),
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kokpit', operation: 'Apply' }],
    labels: { team: 'a' },
  },
  spec: { replicas, version: '3.5.35' },
});

describe('manifest diff texts', () => {
  it('drops managedFields, resourceVersion, generation, uid and creationTimestamp; keeps the rest', () => {
    assert.deepEqual(parse(diffTexts(undefined, stored(3, '1') as never).applied), {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'etcd-a', namespace: 'fleet', labels: { team: 'a' } },
      spec: { replicas: 3, version: '3.5.35' },
    });
    const original = stored(3, '1');
    withoutNoise(original as never);
    assert.equal(original.metadata.uid, 'u-1', 'the input is not changed');
  });

  it('only a real change counts: bookkeeping alone is no change', () => {
    const same = diffTexts(stored(3, '1') as never, stored(3, '2') as never);
    assert.equal(same.changed, false);
    assert.equal(same.live, same.applied);
    const scaled = diffTexts(stored(3, '1') as never, stored(5, '2') as never);
    assert.equal(scaled.changed, true);
    assert.match(scaled.live, /replicas: 3/);
    assert.match(scaled.applied, /replicas: 5/);
  });

  it('an object that does not exist yet: the live side is empty', () => {
    const d = diffTexts(undefined, stored(3, '1') as never);
    assert.deepEqual([d.live, d.exists, d.changed], ['', false, true]);
  });
});
