// kwok dies with the machine operator, even a SIGKILLed one: started in its own process group (detached), it
// used to outlive the process (crash/machine.test.ts counted 5 kwok processes after 5 kills). withParentDeathSignal
// asks the kernel to SIGKILL it when its parent dies (PR_SET_PDEATHSIG through util-linux setpriv).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { waitFor } from '../../../../src/controlplane';
import { withParentDeathSignal } from '../../../../src/operators/machine/connections';

/** Running, not a zombie waiting for a reaper that may be slow (PID 1 in a container). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const comm = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
};

describe('machine operator: kwok started with a parent-death signal', function () {
  this.timeout(30_000);

  it('wraps the command in setpriv --pdeathsig KILL when setpriv exists', function () {
    const [file, args] = withParentDeathSignal('/bin/kwok', ['--a', 'b']);
    if (!['/usr/bin/setpriv', '/bin/setpriv'].some((p) => fs.existsSync(p))) this.skip();
    assert.match(file, /setpriv$/);
    assert.deepEqual(args, ['--pdeathsig', 'KILL', '--', '/bin/kwok', '--a', 'b']);
  });

  it('a detached child started that way dies when its parent is SIGKILLed', async function () {
    if (!['/usr/bin/setpriv', '/bin/setpriv'].some((p) => fs.existsSync(p))) this.skip();
    const [file, args] = withParentDeathSignal('sleep', ['600']);
    // The parent: a node process that starts the child as startProcess does (detached, own group) and prints its pid.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('child_process').spawn(${JSON.stringify(file)}, ${JSON.stringify(args)}, { detached: true, stdio: 'ignore' });` +
          `c.unref(); console.log(c.pid); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      // Running `sleep` itself: setpriv sets the signal before it execs, so a parent killed while setpriv is still
      // starting (a loaded machine: CI saw it) would leave the child without one. Not kokpit's race to win here.
      await waitFor('the child running sleep (setpriv has execed)', async () => (alive(pid) && comm(pid) === 'sleep') || undefined, {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      parent.kill('SIGKILL');
      await waitFor('the child gone with its parent', async () => !alive(pid) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      parent.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
