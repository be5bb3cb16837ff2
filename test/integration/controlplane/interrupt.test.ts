// A test run that is interrupted must not leave etcd or kube-apiserver behind: a child node process
// starts a control plane and is signalled; its processes and its temp dir must be gone afterwards.
// A runner killed outright (SIGKILL, no handler runs) is cleaned up by the reaper of the next start.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, reapStaleControlPlanes, waitFor } from '../../../src/controlplane';

const CHILD = path.join(__dirname, 'child-controlplane.ts');

interface Started {
  child: ChildProcess;
  pids: number[];
  dir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startChild(): Promise<Started> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then((r) => reject(new Error(`child exited early (${r.code ?? r.signal}): ${stderr.slice(-2000)}`)));
  });
  const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
  return { child, pids, dir, exited };
}

async function waitGone(pids: number[], dir: string): Promise<void> {
  await waitFor(
    'control-plane processes and dir gone',
    async (state) => {
      const alive = pids.filter(isAlive);
      state.lastReason = `alive: ${alive.join(',') || '-'}, dir exists: ${fs.existsSync(dir)}`;
      return alive.length === 0 && !fs.existsSync(dir) ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
}

describe('cleanup when the test process is interrupted', function () {
  const children: ChildProcess[] = [];
  // Never leave a child behind, whatever failed.
  after(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the child's etcd and kube-apiserver are gone, and its temp dir too`, async () => {
      const s = await startChild();
      children.push(s.child);
      assert.equal(s.pids.length, 2);
      for (const pid of s.pids) assert.ok(isAlive(pid), `pid ${pid} alive before the signal`);
      assert.ok(fs.existsSync(s.dir));
      s.child.kill(signal);
      const r = await s.exited;
      // It dies of the signal, as it would without kokpit's handler.
      assert.equal(r.signal, signal);
      await waitGone(s.pids, s.dir);
    });
  }

  it('SIGKILL: the orphans are reaped by the next start', async () => {
    const s = await startChild();
    children.push(s.child);
    s.child.kill('SIGKILL');
    await s.exited;
    // No handler could run: the processes survive their owner.
    for (const pid of s.pids) assert.ok(isAlive(pid), `pid ${pid} survives SIGKILL of its owner`);
    assert.ok(reapStaleControlPlanes() >= 1);
    await waitGone(s.pids, s.dir);
  });
});
