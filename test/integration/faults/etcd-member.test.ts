// Faults of one etcd member, on real members run by the process pod runner, with the etcd operator watching:
// - a hung member (SIGSTOP of its process, not a kill): status must report it unhealthy (Degraded,
//   MembersUnhealthy) while the cluster stays Available and writes go on through the other two; after SIGCONT
//   it is healthy again, and nothing was replaced (same member IDs, pods and claims; the operator created or
//   deleted no pod or claim, counted by the API server's audit log);
// - the leader killed (SIGKILL) under writes: every acknowledged write reads back with its value (values
//   derived from unique keys, etcd/support.ts's writer), and the cluster is back to three healthy members.
// Detection and recovery times are printed, never asserted (a shared 2-core machine).
import * as assert from 'node:assert/strict';
import { waitFor } from '../../../src/controlplane';
import { applyObject } from '../../../src/kube';
import { AGENTS, AuditWrites, assertWriteCount, type AuditMark } from '../../support/audit-writes';
import {
  etcdClusterManifest,
  lostWrites,
  memberPods,
  readCluster,
  startEtcdTestEnv,
  startWriter,
  waitAvailable,
  waitMembersConsistent,
  type EtcdTestEnv,
} from '../etcd/support';

/** Five idle passes of the operator (etcd/support.ts runs it with idleRequeueMs 3000). */
const QUIET_MS = 15_000;
const t0 = Date.now();
const log = (l: string) => process.stderr.write(`  +${((Date.now() - t0) / 1000).toFixed(1)}s ${l}\n`);

/** What must survive a fault untouched: each member's etcd ID, its pod's UID and its claim's UID. */
async function identities(env: EtcdTestEnv, name: string): Promise<Record<string, string>> {
  const c = await readCluster(env, name);
  const pods = await memberPods(env, name);
  const out: Record<string, string> = {};
  for (const m of c?.status?.members ?? []) out[`member ${m.name}`] = m.id ?? '?';
  for (const p of pods) out[`pod ${p.metadata!.name}`] = p.metadata!.uid!;
  return out;
}

/** Signals every container process of a member's pod (each runs in its own process group). */
function signalMember(env: EtcdTestEnv, member: string, sig: NodeJS.Signals): number[] {
  const pids = env.runner.pids('default', member);
  assert.ok(pids.length > 0, `no running process for member ${member}`);
  for (const pid of pids) process.kill(-pid, sig);
  return pids;
}

/** The operator made no pod or claim (create or delete) since `from`: nothing was replaced. */
async function assertNothingReplaced(audit: AuditWrites, from: AuditMark, what: string): Promise<void> {
  const writes = await audit.since(from, { userAgent: AGENTS.etcd, verbs: ['create', 'delete'] });
  assertWriteCount(
    writes.filter((w) => ['pods', 'persistentvolumeclaims'].includes(w.objectRef?.resource ?? '')),
    0,
    `pods or claims created or deleted by the etcd operator ${what}`,
  );
}

/**
 * Once recovered and left alone, the operator writes nothing: after a catch-up pass (the writer's last keys
 * grew the database, which status publishes in 10 % steps), a window of several idle passes has 0 writes.
 */
async function assertQuiet(audit: AuditWrites, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 5000));
  const from = await audit.mark();
  await new Promise((r) => setTimeout(r, ms));
  assertWriteCount(await audit.since(from, { userAgent: AGENTS.etcd }), 0, `etcd operator writes in a quiet ${ms / 1000} s after recovery`);
}

describe('faults: one etcd member hung (SIGSTOP) or the leader killed, on real members', function () {
  // Real control planes on a shared 2-core machine: a generous bound, the measured times are printed.
  this.timeout(900_000);
  let env: EtcdTestEnv;
  let audit: AuditWrites;
  before(async () => {
    env = await startEtcdTestEnv({}, { audit: true });
    audit = new AuditWrites(env.cp, 'meta');
  });
  // A test that fails mid-way leaves no writer behind to keep the next test's quiet window busy.
  const writers: Array<ReturnType<typeof startWriter>> = [];
  const writeTo = (name: string) => writers[writers.push(startWriter(env, name)) - 1];
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.stop()));
  });
  after(async () => {
    await env?.stop();
  });

  const create = async (name: string) => {
    await applyObject(env.objects, etcdClusterManifest(name, { replicas: 3 }) as never, { fieldManager: 'kokpit-test' });
    return waitAvailable(env, name, 3, 240_000);
  };

  it('a SIGSTOPped member is reported unhealthy while writes go on; after SIGCONT healthy again, nothing replaced', async () => {
    const name = 'frozen';
    const ready = await create(name);
    const victim = ready.status!.members!.find((m) => m.name !== ready.status!.leader)!.name;
    const before = await identities(env, name);
    const from = await audit.mark();
    const writer = writeTo(name);
    await waitFor('the writer acknowledged', async () => (writer.acknowledged() >= 10 ? true : undefined), { timeoutMs: 60_000 });

    const tStop = Date.now();
    const pids = signalMember(env, victim, 'SIGSTOP');
    const ackedAtStop = writer.acknowledged();
    log(`SIGSTOP member ${victim} (pid ${pids.join(', ')}), a follower; leader ${ready.status!.leader}`);
    try {
      const seen = await waitFor(
        `${victim} reported unhealthy (Degraded/MembersUnhealthy) while Available`,
        async (st) => {
          const c = await readCluster(env, name);
          const m = c?.status?.members?.find((x) => x.name === victim);
          const cond = (t: string) => c?.status?.conditions?.find((x) => x.type === t);
          st.lastReason = JSON.stringify({ member: m, degraded: cond('Degraded'), available: cond('Available')?.status });
          return m?.healthy === false &&
            cond('Degraded')?.status === 'True' &&
            cond('Degraded')?.reason === 'MembersUnhealthy' &&
            cond('Available')?.status === 'True'
            ? c
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      log(`detected after ${Date.now() - tStop} ms: ${seen.status!.conditions!.find((x) => x.type === 'Degraded')!.message}`);
      // Writes go on through the other two while it hangs.
      await waitFor(
        'more writes acknowledged while the member hangs',
        async () => (writer.acknowledged() >= ackedAtStop + 10 ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      log(`${writer.acknowledged() - ackedAtStop} writes acknowledged while ${victim} hung (${Date.now() - tStop} ms)`);
    } finally {
      signalMember(env, victim, 'SIGCONT');
    }
    const tCont = Date.now();
    await waitAvailable(env, name, 3, 120_000, (c) =>
      c.status?.conditions?.find((x) => x.type === 'Degraded')?.status === 'False' ? undefined : 'still Degraded',
    );
    log(`healthy again ${Date.now() - tCont} ms after SIGCONT (stopped for ${tCont - tStop} ms)`);
    const acked = await writer.stop();
    await waitMembersConsistent(env, name);
    assert.deepEqual(await identities(env, name), before, 'member IDs and pods unchanged (nothing replaced)');
    await assertNothingReplaced(audit, from, 'while a member hung');
    const lost = await lostWrites(env, name, acked);
    log(`${acked.length} acknowledged writes, ${lost.length} lost`);
    assert.deepEqual(lost, [], 'acknowledged writes lost or changed');
    await assertQuiet(audit, QUIET_MS);
  });

  it('the leader SIGKILLed under writes: every acknowledged write reads back, three healthy members again', async () => {
    const name = 'leaderless';
    const ready = await create(name);
    const leader = ready.status!.leader!;
    const before = await identities(env, name);
    const from = await audit.mark();
    const writer = writeTo(name);
    await waitFor('the writer acknowledged', async () => (writer.acknowledged() >= 20 ? true : undefined), { timeoutMs: 60_000 });

    const tKill = Date.now();
    const ackedAtKill = writer.acknowledged();
    const pids = signalMember(env, leader, 'SIGKILL');
    log(`SIGKILL leader ${leader} (pid ${pids.join(', ')}) after ${ackedAtKill} acknowledged writes`);
    // What status shows depends on the race between the pod runner restarting the member (its data kept) and
    // the operator's next pass: the kill (another leader, or the member unhealthy), or nothing at all.
    const seen = await waitFor(
      'status showing the kill (another leader, or the killed member unhealthy)',
      async () => {
        const c = await readCluster(env, name);
        if (c?.status?.leader && c.status.leader !== leader) return `leader ${c.status.leader}`;
        return c?.status?.members?.find((m) => m.name === leader)?.healthy === false ? `${leader} unhealthy` : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(() => undefined);
    log(seen ? `status showed ${seen} ${Date.now() - tKill} ms after the kill` : `status never showed the kill (${leader} was back first)`);
    await waitFor('writes acknowledged after the kill', async () => (writer.acknowledged() >= ackedAtKill + 20 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    await waitAvailable(env, name, 3, 180_000);
    log(`three healthy members again ${Date.now() - tKill} ms after the kill`);
    const acked = await writer.stop();
    await waitMembersConsistent(env, name);
    // The killed member came back with its data (its container restarted): same ID, same pod, nothing replaced.
    const [killed] = (await memberPods(env, name)).filter((p) => p.metadata!.name === leader);
    const restarts = killed.status?.containerStatuses?.reduce((n, c) => n + (c.restartCount ?? 0), 0) ?? 0;
    assert.ok(restarts >= 1, `the killed member's container restarted (restartCount ${restarts})`);
    assert.deepEqual(await identities(env, name), before, 'member IDs and pods unchanged (nothing replaced)');
    await assertNothingReplaced(audit, from, 'after the leader was killed');
    const lost = await lostWrites(env, name, acked);
    log(`${acked.length} acknowledged writes (${acked.length - ackedAtKill} after the kill), ${lost.length} lost`);
    assert.ok(acked.length > ackedAtKill);
    assert.deepEqual(lost, [], 'acknowledged writes lost or changed');
    await assertQuiet(audit, QUIET_MS);
  });
});
