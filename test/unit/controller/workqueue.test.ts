import assert from 'node:assert/strict';
import { WorkQueue, type Clock } from '../../../src/controller/workqueue';
import { Controller } from '../../../src/controller/controller';
import { TerminalError } from '../../../src/controller/reconciler';
import { ControllerMetrics } from '../../../src/controller/metrics';
import { parseBindAddress } from '../../../src/manager/endpoints';

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
        // Added again while its pass runs: a queue without the in-flight guard would hand it to a second worker now.
        if (calls === 1) c.enqueue('ns/a');
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
    assert.ok(calls >= 3, `${calls} passes`);
    assert.equal(c.stats.errors, 2);
  });

  it('does not retry a terminal error', async () => {
    let calls = 0;
    const c = new Controller(
      'test',
      async () => {
        calls++;
        throw new TerminalError('spec.version v9.9.9 is not in the catalog');
      },
      { backoff: { baseMs: 1, maxMs: 1 } },
    );
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

describe('WorkQueue and Controller metrics (controller-runtime names)', () => {
  const value = async (m: ControllerMetrics, name: string, labels: Record<string, string>) => {
    const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
    const want = Object.entries(labels);
    return metric?.values.find((v) => want.every(([k, val]) => v.labels[k] === val) && Object.keys(v.labels).length >= want.length)?.value;
  };

  it('counts adds once per queued key, depth, and the time a key waited and was worked on', async () => {
    const { clock, advance } = manualClock();
    const m = new ControllerMetrics();
    const q = new WorkQueue(undefined, clock, m.queue('demo'));
    q.add('a');
    q.add('a'); // de-duplicated: not an add
    q.add('b');
    assert.equal(await value(m, 'workqueue_adds_total', { name: 'demo' }), 2);
    assert.equal(await value(m, 'workqueue_depth', { name: 'demo' }), 2);
    advance(1500);
    assert.equal(await q.get(), 'a');
    assert.equal(await value(m, 'workqueue_depth', { name: 'demo' }), 1);
    advance(250);
    q.done('a');
    const queued = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'workqueue_queue_duration_seconds')!;
    assert.equal(
      queued.values.find((v) => (v as { metricName?: string }).metricName === 'workqueue_queue_duration_seconds_sum')?.value,
      1.5,
    );
    const worked = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'workqueue_work_duration_seconds')!;
    assert.equal(
      worked.values.find((v) => (v as { metricName?: string }).metricName === 'workqueue_work_duration_seconds_sum')?.value,
      0.25,
    );
    q.addRateLimited('a');
    assert.equal(await value(m, 'workqueue_retries_total', { name: 'demo' }), 1);
  });

  it('labels each reconcile with its result and counts errors', async () => {
    const m = new ControllerMetrics();
    const results = [undefined, { requeueAfterMs: 60_000 }, 'fail', 'terminal'];
    let i = 0;
    const c = new Controller(
      'demo',
      async () => {
        const r = results[i++];
        if (r === 'fail') throw new Error('boom');
        if (r === 'terminal') throw new TerminalError('no', 'Bad');
        return r as { requeueAfterMs: number } | undefined;
      },
      { metrics: m, workers: 1, backoff: { baseMs: 60_000, maxMs: 60_000 } },
    );
    c.start();
    for (const k of ['k1', 'k2', 'k3', 'k4']) c.enqueue(k);
    for (let n = 0; n < 200 && i < 4; n++) await new Promise((r) => setTimeout(r, 5));
    await c.stop(1000);
    assert.equal(await value(m, 'controller_runtime_reconcile_total', { controller: 'demo', result: 'success' }), 1);
    assert.equal(await value(m, 'controller_runtime_reconcile_total', { controller: 'demo', result: 'requeue_after' }), 1);
    assert.equal(await value(m, 'controller_runtime_reconcile_total', { controller: 'demo', result: 'error' }), 2);
    assert.equal(await value(m, 'controller_runtime_reconcile_errors_total', { controller: 'demo' }), 2);
    assert.equal(await value(m, 'controller_runtime_active_workers', { controller: 'demo' }), 0);
    assert.equal(await value(m, 'controller_runtime_max_concurrent_reconciles', { controller: 'demo' }), 1);
  });
});

describe('manager bind addresses', () => {
  it('reads host:port like controller-runtime, 0 meaning off, and refuses anything else', () => {
    assert.deepEqual(parseBindAddress(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseBindAddress('[::1]:9090'), { host: '::1', port: 9090 });
    assert.equal(parseBindAddress('0'), undefined);
    for (const bad of ['8080', 'localhost', ':99999', 'a:b']) assert.throws(() => parseBindAddress(bad), /is not host:port/, bad);
  });
});
