// Business-cluster connections of the machine operator on a real control plane: kwok is started only for
// kwok-provider Machines, so a fleet of real-kubelet machines (provider kind) works without a kwok binary.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KWOK_VERSION } from '../../../src/binaries/catalog';
import { ClusterConnections, KwokUnavailableError } from '../../../src/operators/machine/connections';
import { resolveBinaries, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { silentLogger } from '../../../src/controller/reconciler';

describe('machine operator connections: kwok only where a kwok Machine needs it', function () {
  this.timeout(120_000);
  let business: ControlPlane | undefined;
  let kwokBin: string;

  before(async function () {
    this.timeout(900_000); // kwok is built on first use from a cold cache
    [business, kwokBin] = await Promise.all([
      startControlPlane({ clusterName: 'conn' }),
      resolveBinaries([{ component: 'kwok', version: KWOK_VERSION }]).then((m) => m.get('kwok')!),
    ]);
  });
  after(async () => business?.stop());

  it('its directory (kubeconfigs, kwok state) exists only while it has a connection: an idle one leaves none', async () => {
    const priv = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-conn-dirs-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = priv; // os.tmpdir() reads it on every call
    try {
      // Never stopped, as a process that exits without stopping its operators (before, each left an empty directory).
      new ClusterConnections({ log: silentLogger, onNodeEvent: () => {}, kwokBinary: '/nonexistent/kwok' });
      assert.deepEqual(fs.readdirSync(priv), [], 'a never-used operator made no directory');
      const used = new ClusterConnections({ log: silentLogger, onNodeEvent: () => {}, kwokBinary: '/nonexistent/kwok' });
      await used.get('team-a/conn', business!.kubeconfigYaml, false);
      assert.equal(fs.readdirSync(priv).length, 1);
      await used.stopAll();
      assert.deepEqual(fs.readdirSync(priv), [], 'removed when stopped');
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      fs.rmSync(priv, { recursive: true, force: true });
    }
  });

  it("removes the dirs of machine operators that died (a SIGKILL leaves business kubeconfigs), not a live one's", async () => {
    const priv = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-conn-sweep-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = priv;
    const live = spawn('sleep', ['60']);
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    try {
      const stale = (pid: number) => {
        const d = path.join(priv, `kokpit-machine-operator-${pid}-AbC123`, 'team-a.conn-XyZ789');
        fs.mkdirSync(d, { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(d, 'kubeconfig'), 'secret', { mode: 0o600 });
        return path.basename(path.dirname(d));
      };
      const [deadDir, liveDir] = [stale(dead.pid!), stale(live.pid!)];
      const conns = new ClusterConnections({ log: silentLogger, onNodeEvent: () => {}, kwokBinary: '/nonexistent/kwok' });
      await conns.get('team-a/conn', business!.kubeconfigYaml, false);
      const left = fs.readdirSync(priv);
      assert.ok(!left.includes(deadDir), `the dead operator's dir is removed: ${left.join(', ')}`);
      assert.ok(left.includes(liveDir), 'a running one keeps its dir');
      assert.ok(
        left.some((n) => n.startsWith(`kokpit-machine-operator-${process.pid}-`)),
        'its own dir names its pid',
      );
      await conns.stopAll();
    } finally {
      live.kill();
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      fs.rmSync(priv, { recursive: true, force: true });
    }
  });

  it('without a kwok binary: a connection for real kubelets works; a kwok Machine gets KwokUnavailable naming the path', async () => {
    const missing = '/nonexistent/kokpit-test/kwok';
    const conns = new ClusterConnections({ log: silentLogger, onNodeEvent: () => {}, kwokBinary: missing });
    try {
      const conn = await conns.get('team-a/conn', business!.kubeconfigYaml, false);
      assert.equal(conn.kwok, undefined);
      const nodes = await conn.core.listNode();
      assert.ok(Array.isArray(nodes.items), 'listing Nodes through the connection');
      await assert.rejects(
        conns.get('team-a/conn', business!.kubeconfigYaml, true),
        (e: unknown) => e instanceof KwokUnavailableError && e.message.includes(missing),
      );
      assert.equal(await conns.get('team-a/conn', business!.kubeconfigYaml, false), conn, 'the connection is kept, not reopened');
      assert.deepEqual(conns.keys(), ['team-a/conn']);
    } finally {
      await conns.stopAll();
    }
  });

  it('with kwok: started on the first kwok Machine, once; restarted after it exits; stopped with the connection', async () => {
    const conns = new ClusterConnections({ log: silentLogger, onNodeEvent: () => {}, kwokBinary: kwokBin });
    try {
      const conn = await conns.get('team-a/conn', business!.kubeconfigYaml, false);
      assert.equal(conn.kwok, undefined, 'no kwok before a kwok Machine asks');
      const [a, b] = await Promise.all([
        conns.get('team-a/conn', business!.kubeconfigYaml, true),
        conns.get('team-a/conn', business!.kubeconfigYaml, true),
      ]);
      assert.equal(a, conn);
      assert.equal(b, conn);
      const first = conn.kwok!;
      assert.ok(first.isRunning(), 'kwok runs');
      await first.stop();
      await conns.get('team-a/conn', business!.kubeconfigYaml, true);
      assert.notEqual(conn.kwok, first, 'a new kwok process');
      assert.ok(conn.kwok!.isRunning());
      const second = conn.kwok!;
      await conns.release('team-a/conn');
      assert.ok(!second.isRunning(), 'kwok stopped with the connection');
      assert.ok(!fs.existsSync(second.logFile), 'its directory removed');
    } finally {
      await conns.stopAll();
    }
  });
});
