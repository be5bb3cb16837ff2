import assert from 'node:assert/strict';
import { WorkQueue, type Clock } from '../../../src/controller/workqueue';
import { Controller } from '../../../src/controller/controller';
import { TerminalError } from '../../../src/controller/reconciler';

/** A clock whose timers fire only when the test advances it. */
function manualClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => (t.live = false) };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => t.live && t.at <= now)) {
      t.live = false;
      t.fn();
    }
  };
  return { clock, advance };
}

describe('WorkQueue', () => {
  it('de-duplicates keys that are queued and not yet taken', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  it('never hands out a key twice while it is processing, and re-queues it once after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'a key being processed is not queued again');
    q.done(k!);
    assert.equal(q.length, 1, 'added while processing: queued once after done');
  });

  it('backs off exponentially per key and forget resets it', () => {
    const { clock, advance } = manualClock();
    const q = new WorkQueue({ baseMs: 100, maxMs: 1000 }, clock);
    assert.deepEqual([q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a')], [100, 200, 400]);
    assert.equal(q.addRateLimited('b'), 100, 'backoff is per key');
    for (let i = 0; i < 5; i++) q.addRateLimited('a');
    assert.equal(q.addRateLimited('a'), 1000, 'capped at maxMs');
    q.forget('a');
    assert.equal(q.addRateLimited('a'), 100);
    advance(99);
    assert.equal(q.length, 0);
    advance(1);
    assert.equal(q.length, 2, 'a and b are due');
  });

  it('addAfter keeps the earliest pending time', () => {
    const { clock, advance } = manualClock();
    const q = new WorkQueue(undefined, clock);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    advance(50);
    assert.equal(q.length, 1);
  });

  it('get resolves undefined after shutdown', async () => {
    const q = new WorkQueue();
    const pending = q.get();
    q.shutDown();
    assert.equal(await pending, undefined);
  });
});

describe('Controller', () => {
  it('runs one pass per key at a time and retries failures until success', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const c = new Controller(
      'test',
      async () => {
        calls++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        if (calls < 3) throw new Error('not yet');
        resolveDone();
      },
      { workers: 4, backoff: { baseMs: 1, maxMs: 5 } },
    );
    c.start();
    c.enqueue('ns/a');
    c.enqueue('ns/a');
    await done;
    await c.stop();
    assert.equal(maxInFlight, 1, 'never two passes of one key at once');
    assert.equal(calls, 3);
    assert.equal(c.stats.errors, 2);
  });

  it('does not retry a terminal error', async () => {
    let calls = 0;
    const c = new Controller('test', async () => {
      calls++;
      throw new TerminalError('spec.version v9.9.9 is not in the catalog');
    }, { backoff: { baseMs: 1, maxMs: 1 } });
    c.start();
    c.enqueue('a');
    const deadline = Date.now() + 2000;
    while (c.stats.reconciles < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    await c.stop();
    assert.equal(calls, 1);
  });

  it('aborts the signal of passes still running after the grace period', async () => {
    let sawAbort = false;
    let started: () => void;
    const running = new Promise<void>((r) => (started = r));
    const c = new Controller('test', async (_key, ctx) => {
      started();
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
      sawAbort = ctx.signal.aborted;
    });
    c.start();
    c.enqueue('a');
    await running;
    await c.stop(20);
    assert.equal(sawAbort, true);
  });
});
