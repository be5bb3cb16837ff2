// An environment's shutdown goes on past a component that never stops or fails, and says which one it was.
import assert from 'node:assert/strict';
import { stopInOrder } from '../../../src/local/stop-steps';

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
      debug() {},
    },
  };
}

describe('local: stopInOrder', () => {
  it('runs the steps in order; a stuck one is left after its limit and named, a failing one named; the rest still stop', async () => {
    const { lines, log } = recorder();
    const order: string[] = [];
    const t0 = Date.now();
    await stopInOrder(
      [
        { what: 'the manager', stop: () => new Promise<void>(() => order.push('manager')), limitMs: 150 },
        { what: 'nothing', stop: undefined, limitMs: 10 },
        { what: 'the proxy', stop: () => Promise.reject(new Error('socket gone')).finally(() => order.push('proxy')), limitMs: 1000 },
        { what: 'the pod runner', stop: async () => void order.push('runner'), limitMs: 1000 },
      ],
      log,
    );
    const ms = Date.now() - t0;
    assert.deepEqual(order, ['manager', 'proxy', 'runner']);
    assert.ok(ms >= 140 && ms < 1000, `took ${ms} ms`);
    assert.deepEqual(lines, [
      'warn stopping the manager: not done after 0 s; going on without it',
      'error stopping the proxy: socket gone',
    ]);
  });

  it('a step that ends within its limit is waited for, and reported only when slow', async () => {
    const { lines, log } = recorder();
    let done = false;
    await stopInOrder(
      [{ what: 'the control plane', stop: () => new Promise<void>((r) => setTimeout(() => ((done = true), r()), 50)), limitMs: 5000 }],
      log,
    );
    assert.equal(done, true);
    assert.deepEqual(lines, []);
  });
});
