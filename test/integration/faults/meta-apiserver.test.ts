// The meta cluster's kube-apiserver killed in the middle of a BusinessCluster's creation and started again
// on the same port and etcd, while `kokpit operator` (a real child process) is writing the cluster's
// certificates. Nothing in the product knows: the test SIGKILLs the apiserver the moment the audit log shows
// the cluster CA's write, keeps it down for a while (clients see connection refused, watches break), and
// runs the same binary with the same arguments again. The manager must ride it out (same process, no exit),
// its informers resume, and the cluster converge to what a run without the fault makes: the rendered objects
// and no other, no certificate issued twice, one ReplicaSet per Deployment, and no kokpit write afterwards —
// neither in an asked-for pass nor in a quiet period (counted by the API server's audit log).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { httpsGet, isAlive, waitFor, type ControlPlane } from '../../../src/controlplane';
import { startProcess, type ManagedProcess } from '../../../src/binaries/processes';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import type { EtcdCluster } from '../../../src/api';
import { names } from '../../../src/operators/cluster/names';
import { AGENTS, AuditWrites, assertWriteCount, type AuditEvent } from '../../support/audit-writes';
import {
  assertBusinessObjects,
  assertOwnsRenderedObjects,
  assertSteadyPassWritesNothing,
  pkiWatch,
  waitClusterConverged,
  type Cluster,
} from '../../support/business-cluster-checks';
import { point, type CrashHarness, type CrashPoint, type WriteEvent } from '../../support/crash-harness';
import { ensureNamespace, etcdClient, log, startCrashEnv, type CrashEnv } from '../crash/support';

const NS = 'fault-meta';
const NAME = 'ma';
const CLUSTER = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name: NAME, namespace: NS },
  spec: {
    version: 'v1.33.13',
    etcd: { managed: { replicas: 1 } },
    apiServer: { service: { type: 'NodePort' } },
    addons: [{ name: 'coredns', parameters: { replicas: 1 } }, { name: 'kube-proxy' }],
  },
};
/** How long the API server stays down: long enough for every client's watch to break and its retries to back off. */
const DOWN_MS = 10_000;
// Over a minute: the etcd operator checks its Services for drift once a minute, and that check must not write.
const QUIET_MS = 65_000;

/** Resolves with the first write matching `p`, already seen or still to come. */
function reached(harness: CrashHarness, p: CrashPoint): Promise<WriteEvent> {
  return new Promise((resolve) => {
    const seen = harness.events.find((e) => p.match(e));
    if (seen) return resolve(seen);
    const off = harness.onWrite((e) => {
      if (!p.match(e)) return;
      off();
      resolve(e);
    });
  });
}

/**
 * SIGKILLs the control plane's kube-apiserver (the process, its group), waits `downMs`, and starts the same
 * binary with the same command line (read from /proc) on the same port, etcd and audit log; resolves once
 * /readyz answers. The caller stops the returned process (the control plane only knows the first one).
 */
async function restartApiServer(
  cp: ControlPlane,
  pid: number,
  downMs: number,
): Promise<{ proc: ManagedProcess; killedAt: number; readyMs: number }> {
  const bin = cp.processes.find((p) => p.name === 'kube-apiserver')!;
  const [, ...args] = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  process.kill(-pid, 'SIGKILL');
  const killedAt = Date.now();
  await waitFor(`kube-apiserver pid ${pid} gone`, async () => (isAlive(pid) ? undefined : true), { timeoutMs: 30_000, intervalMs: 50 });
  await new Promise((r) => setTimeout(r, downMs));
  const t = Date.now();
  const proc = startProcess('kube-apiserver', bin.bin, args, { logFile: bin.logFile, cwd: cp.dir });
  await waitFor(
    'the restarted kube-apiserver /readyz',
    async () => ((await httpsGet(`${cp.server}/readyz`, cp.adminTLS)).status === 200 ? true : undefined),
    { timeoutMs: 120_000, intervalMs: 200, abortIf: () => (proc.isRunning() ? undefined : 'kube-apiserver exited') },
  );
  return { proc, killedAt, readyMs: Date.now() - t };
}

/** The managed EtcdCluster's status without member sizes, each distinct one seen while polling for `ms`. */
async function pollEtcdStatus(env: CrashEnv, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const rvs = new Set<string>();
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const e = await readEtcdCluster(env);
    if (!e || rvs.has(e.metadata!.resourceVersion!)) continue;
    rvs.add(e.metadata!.resourceVersion!);
    seen.push(statusButSizes(e));
  }
  return seen;
}

/** The EtcdCluster's status as text, its members' database sizes left out. */
function statusButSizes(e: EtcdCluster | undefined): string {
  const members = e?.status?.members?.map(({ dbSize: _d, dbSizeInUse: _u, ...m }) => m);
  return JSON.stringify({ ...e?.status, members });
}

/** The etcd operator publishing a member's database size that moved by 10 % (see the quiet window below). */
const etcdSizeStep = (w: AuditEvent) =>
  w.userAgent === AGENTS.etcd && w.objectRef?.resource === 'etcdclusters' && w.objectRef.subresource === 'status';

async function readEtcdCluster(env: CrashEnv): Promise<(EtcdCluster & KubernetesObject) | undefined> {
  return readObject<EtcdCluster & KubernetesObject>(makeObjectApi(env.kc), {
    apiVersion: CLUSTER.apiVersion,
    kind: 'EtcdCluster',
    metadata: { name: names.etcd(NAME), namespace: NS },
  });
}

describe('fault: the meta kube-apiserver restarted while kokpit operator creates a cluster (real processes)', function () {
  // Real control planes on a shared 2-core machine: a generous bound, the measured times are printed.
  this.timeout(900_000);
  let env: CrashEnv;
  let restarted: ManagedProcess | undefined;
  let etcd: Etcd3 | undefined;

  before(async () => {
    env = await startCrashEnv('meta-apiserver');
    await ensureNamespace(env.kc, NS);
  });
  after(async () => {
    etcd?.close();
    await env?.stop();
    await restarted?.stop();
  });

  it('rides out a killed, restarted API server: one manager, converges, nothing duplicated or re-issued, 0 writes', async function () {
    const pki = pkiWatch(env.kc, NAME, NS);
    const tStart = Date.now();
    await applyObject(makeObjectApi(env.kc), CLUSTER as KubernetesObject, { fieldManager: 'kokpit-test' });
    const manager = env.harness.startManager();
    // Mid-pass: the CA is written, the other certificates and kubeconfigs not yet (crash/cluster.test.ts's pki:first).
    const ca = point('pki:first', 'the cluster CA written', {
      resource: 'secrets',
      namespace: NS,
      name: names.cert(NAME, 'ca'),
      verbs: ['create', 'patch'],
      userAgent: AGENTS.cluster,
    });
    const hit = await reached(env.harness, ca);
    const apiserverPid = env.cp.processes.find((p) => p.name === 'kube-apiserver')!.pid;
    const r = await restartApiServer(env.cp, apiserverPid, DOWN_MS);
    restarted = r.proc;
    log(
      `kube-apiserver pid ${apiserverPid} killed ${r.killedAt - hit.seenAt} ms after the CA's write; ` +
        `down ${DOWN_MS} ms, ready ${r.readyMs} ms after its new start (pid ${r.proc.pid})`,
    );
    assert.ok(manager.running, `the manager exited while the API server was down:\n${manager.output.slice(-3000)}`);
    await pki.check('after the restart');

    const tBack = Date.now();
    const converged = await waitClusterConverged(env.kc, NAME, NS, 300_000);
    log(`converged ${Date.now() - tBack} ms after the API server was back, ${Date.now() - tStart} ms after creation`);
    assert.equal(converged.status?.phase, 'Running');
    assert.ok(manager.running && env.harness.manager === manager, 'the same manager process converged the cluster');
    await pki.check('converged');
    assert.deepEqual(pki.reissued, [], `certificates issued again after the restart: ${pki.reissued.join(', ')}`);

    etcd = await etcdClient(env.kc, NS, names.etcd(NAME));
    await assertOwnsRenderedObjects(env.kc, CLUSTER as unknown as Cluster, etcd, env.harness.events);
    await assertBusinessObjects(env.kc, NAME, NS, ['coredns', 'kube-proxy']);
    // Informers resumed: a change made now (an annotation) is seen and gets a pass, which writes nothing.
    const url = await waitFor('the manager metrics URL', async () => manager.metricsURL, { timeoutMs: 30_000 });
    // The etcd operator may publish a size step meanwhile (a CI run saw one): allowed, if nothing else in its status moved.
    const etcdBefore = statusButSizes(await readEtcdCluster(env));
    await assertSteadyPassWritesNothing(env.kc, env.cp, url, NAME, NS, etcdSizeStep);
    assert.equal(
      statusButSizes(await readEtcdCluster(env)),
      etcdBefore,
      'an EtcdCluster status change in the steady pass beyond member sizes',
    );

    // And left alone, nothing of kokpit writes either (periodic passes included), except the etcd operator
    // publishing a member's database size that moved by 10 % (the young business cluster's etcd grows): every
    // status the EtcdCluster shows meanwhile must equal the first one but for sizes.
    const audit = new AuditWrites(env.cp, 'meta');
    const from = await audit.mark();
    const statuses = await pollEtcdStatus(env, QUIET_MS);
    const writes = await audit.since(from, { userAgent: /^kokpit-/ });
    const sizeSteps = writes.filter(etcdSizeStep);
    assertWriteCount(
      writes.filter((w) => !sizeSteps.includes(w)),
      0,
      `kokpit writes in a quiet ${QUIET_MS / 1000} s (EtcdCluster status aside)`,
    );
    log(`quiet ${QUIET_MS / 1000} s: ${sizeSteps.length} EtcdCluster status write(s), ${statuses.length} status version(s) seen`);
    for (const st of statuses.slice(1))
      assert.equal(st, statuses[0], 'an EtcdCluster status change in the quiet window beyond member sizes');
    assert.ok(manager.running, 'the manager is still the one started before the fault');
  });
});
