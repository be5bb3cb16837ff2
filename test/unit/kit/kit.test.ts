// The reconciler kit on its own: version order on semver, condition merging that keeps transition times,
// and a pass of named steps that stops at the first step that is not done, with that step's condition.
import assert from 'node:assert/strict';
import {
  canonicalJSON,
  compareVersions,
  contentHash,
  mergeConditions,
  parseVersion,
  runSteps,
  StopPass,
  type Step,
} from '../../../src/kit';

describe('kit', () => {
  it('versions: Kubernetes, etcd and kind forms order alike; only plain releases parse', () => {
    assert.ok(compareVersions('v1.32.13', 'v1.33.0') < 0);
    assert.ok(compareVersions('v1.33.13', 'v1.33.9') > 0, 'numeric, not lexical');
    assert.equal(compareVersions('3.5.35', 'v3.5.35'), 0);
    assert.equal(compareVersions('3.5.35-0', '3.5.35'), 0, 'image suffix ignored');
    assert.ok(compareVersions('v0.30.0', 'v0.20.0') > 0);
    assert.deepEqual(parseVersion('v1.33.13'), [1, 33, 13]);
    assert.equal(parseVersion('v1.33'), undefined);
    assert.equal(parseVersion('latest'), undefined);
  });

  it('conditions: a merge keeps lastTransitionTime while the status holds, orders by the given list, later wins', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T00:05:00Z');
    const first = mergeConditions(
      undefined,
      [
        { type: 'B', status: 'False', reason: 'Waiting' },
        { type: 'A', status: 'True', reason: 'Ok' },
      ],
      1,
      t0,
      ['A', 'B'],
    );
    assert.deepEqual(
      first.map((c) => c.type),
      ['A', 'B'],
    );
    const next = mergeConditions(
      first,
      [
        { type: 'A', status: 'True', reason: 'Ok' },
        { type: 'B', status: 'False', reason: 'Early' },
        { type: 'B', status: 'True', reason: 'Done' },
      ],
      2,
      t1,
      ['A', 'B'],
    );
    assert.equal(next[0].lastTransitionTime, '2026-01-01T00:00:00Z', 'A did not flip');
    assert.deepEqual(
      [next[1].status, next[1].reason, next[1].lastTransitionTime, next[1].observedGeneration],
      ['True', 'Done', '2026-01-01T00:05:00Z', 2],
    );
  });

  it('canonical JSON and content hashes do not depend on key order or undefined members', () => {
    assert.equal(canonicalJSON({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
    assert.equal(contentHash({ x: 1, y: 2 }), contentHash({ y: 2, x: 1 }));
    assert.equal(contentHash('x', 8).length, 8);
  });

  it('steps: run in order, stop at the first that is not done with its condition; other errors propagate', async () => {
    type Ctx = { seen: string[]; ready: boolean };
    const steps: Array<Step<Ctx, 'one' | 'two' | 'three'>> = [
      { name: 'one', condition: 'OneReady', run: async (c) => void c.seen.push('one') },
      {
        name: 'two',
        condition: 'TwoReady',
        run: async (c) => {
          c.seen.push('two');
          if (!c.ready) throw new StopPass({ type: 'TwoReady', status: 'False', reason: 'NotYet' }, 500);
        },
      },
      { name: 'three', condition: 'ThreeReady', run: async (c) => void c.seen.push('three') },
    ];
    const after: string[] = [];
    const stopped = await runSteps(steps, { seen: [], ready: false }, (n) => void after.push(n));
    assert.deepEqual(stopped.completed, ['one']);
    assert.equal(stopped.stopped?.step, 'two');
    assert.equal(stopped.stopped?.stop.condition.reason, 'NotYet');
    assert.equal(stopped.stopped?.stop.requeueAfterMs, 500);
    assert.deepEqual(after, ['one']);
    const ctx = { seen: [] as string[], ready: true };
    assert.deepEqual((await runSteps(steps, ctx)).completed, ['one', 'two', 'three']);
    await assert.rejects(
      runSteps(
        [
          {
            name: 'x',
            condition: 'X',
            run: async () => {
              throw new Error('boom');
            },
          },
        ],
        {},
      ),
      /boom/,
    );
  });
});
