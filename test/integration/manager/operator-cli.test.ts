// `kokpit operator` as real processes: two managers against one meta cluster; only the lease holder
// reconciles, and when it is killed (SIGKILL, no release) the other takes over within the lease duration.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

const BIN = path.resolve('bin/kokpit.js');
const LEASE_SEC = 4;

interface Proc {
  child: ChildProcess;
  output: string[];
}

function operator(kubeconfig: string, extra: string[] = []): Proc {
  const child = spawn(process.execPath, [BIN, 'operator', '--kubeconfig', kubeconfig, '--lease-duration', String(LEASE_SEC), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The sources under test, never a stale dist/ bundle.
    env: { ...process.env, KOKPIT_FROM_SOURCE: '1' },
  });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  return { child, output };
}

const text = (p: Proc) => p.output.join('');

function exited(p: Proc): Promise<number | null> {
  return p.child.exitCode !== null ? Promise.resolve(p.child.exitCode) : new Promise((r) => p.child.once('exit', (code) => r(code)));
}

describe('kokpit operator (two managers, real processes)', function () {
  let cp: ControlPlane;
  const procs: Proc[] = [];
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await cp?.stop();
  });

  async function conditionOf(name: string): Promise<string | undefined> {
    const api = cp.kubeConfig().makeApiClient(KubernetesObjectApi);
    const bc = (await api.read({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name, namespace: 'default' },
    })) as KubernetesObject & {
      status?: { conditions?: Array<{ type: string; reason: string }> };
    };
    return bc.status?.conditions?.find((c) => c.type === 'CatalogValid')?.reason;
  }

  async function createCluster(name: string): Promise<void> {
    const api = cp.kubeConfig().makeApiClient(KubernetesObjectApi);
    await api.create({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name, namespace: 'default' },
      spec: { version: 'v1.20.0', etcd: { clusterRef: { name: 'shared' } } },
    } as KubernetesObject);
  }

  it('fails precisely without CRDs, then one leader reconciles and a standby takes over after a kill', async function () {
    const noCrds = operator(cp.kubeconfigPath);
    procs.push(noCrds);
    assert.equal(await exited(noCrds), 1, text(noCrds));
    assert.match(text(noCrds), /lacks kokpit CRDs .*--install-crds/);

    const a = operator(cp.kubeconfigPath, ['--install-crds']);
    procs.push(a);
    await waitFor('a leads', async () => /manager running/.test(text(a)) || undefined, {
      timeoutMs: 60_000,
      abortIf: () => (a.child.exitCode !== null ? text(a) : undefined),
    });
    const b = operator(cp.kubeconfigPath, ['--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0']);
    procs.push(b);
    await waitFor('b waits for the lease', async () => /holds the lease/.test(text(b)) || undefined, {
      timeoutMs: 60_000,
      abortIf: () => (b.child.exitCode !== null ? text(b) : undefined),
    });
    // The standby serves its probes and metrics while it waits: alive, ready (a standby is), not the leader.
    const metricsURL = /serving metrics at (http:\/\/\S+)\/metrics/.exec(text(b))?.[1];
    const probeURL = /serving probes at (http:\/\/\S+)\/healthz/.exec(text(b))?.[1];
    assert.ok(metricsURL && probeURL, text(b));
    assert.equal((await fetch(`${probeURL}/healthz`)).status, 200);
    assert.equal((await fetch(`${probeURL}/readyz`)).status, 200);
    assert.match(await (await fetch(`${metricsURL}/metrics`)).text(), /^leader_election_master_status\{name="kokpit-manager"\} 0$/m);

    await createCluster('first');
    await waitFor('first reconciled', async () => (await conditionOf('first')) === 'VersionNotInCatalog' || undefined, {
      timeoutMs: 30_000,
    });
    assert.doesNotMatch(text(b), /manager running/, 'the standby did not start reconcilers');

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await waitFor('b takes over', async () => /manager running/.test(text(b)) || undefined, { timeoutMs: (LEASE_SEC + 10) * 1000 });
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(`  standby took over ${takeoverMs} ms after the leader was killed (lease ${LEASE_SEC} s)\n`);
    await createCluster('second');
    await waitFor('second reconciled by b', async () => (await conditionOf('second')) === 'VersionNotInCatalog' || undefined, {
      timeoutMs: 30_000,
    });

    // `kokpit metrics` reads the new leader: its reconciles, the lease, both clusters from its caches.
    const m = spawnSync(process.execPath, [BIN, 'metrics', '--url', metricsURL], {
      encoding: 'utf8',
      env: { ...process.env, KOKPIT_FROM_SOURCE: '1' },
    });
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /^businesscluster\s+[1-9]\d*\s+0\s/m, m.stdout);
    assert.match(m.stdout, /lease kokpit-manager: held by this manager/);
    assert.match(m.stdout, /business clusters: 2 \(2 \S+ v1\.20\.0\)/, m.stdout);

    b.child.kill('SIGTERM');
    assert.equal(await exited(b), 0, text(b));
    assert.match(text(b), /stopped/);
  });
});
