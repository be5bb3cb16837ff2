// oneAtATimePerKey: a reconciler called beside its controller (tests, commands) never runs two passes of one key at once.
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { oneAtATimePerKey } from '../../../src/controller/reconciler';

describe('controller: one pass per key at a time (oneAtATimePerKey)', () => {
  it('a second call for a key waits for the first; other keys run alongside; a failure does not block the next', async () => {
    const log: string[] = [];
    const running = new Map<string, number>();
    let most = 0;
    const pass = oneAtATimePerKey(async (key: string, ms: number, fail?: boolean) => {
      const n = (running.get(key) ?? 0) + 1;
      running.set(key, n);
      most = Math.max(most, n);
      log.push(`start ${key}`);
      await sleep(ms);
      running.set(key, n - 1);
      log.push(`end ${key}`);
      if (fail) throw new Error(`${key} failed`);
      return key;
    });
    const results = await Promise.allSettled([pass('a', 30, true), pass('a', 5), pass('b', 5), pass('a', 1)]);
    assert.equal(most, 1, 'never two passes of one key at once');
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['a failed', 'a', 'b', 'a'],
    );
    // b ran while a's first pass was still running; a's passes ran in call order.
    assert.ok(log.indexOf('end b') < log.indexOf('end a'), log.join(', '));
    assert.deepEqual(
      log.filter((l) => l.endsWith(' a')),
      ['start a', 'end a', 'start a', 'end a', 'start a', 'end a'],
    );
  });
});
