// Fault: the disk of one etcd member full, on real members run by the process pod runner, with the etcd operator
// watching. The member's data volume is moved onto a small tmpfs (mounted over its host directory while the member
// is stopped), the rest of it taken by a filler file, and writes fill what is left. What etcd 3.5 does (seen here):
// no alarm (NOSPACE is the backend quota, not the disk); the member exits on its next commit ("failed to commit tx …
// no space left on device") and again after every restart while it replays its log. The operator must report it
// precisely (Degraded, MemberDiskFull, naming the member, its claim and etcd's words, from the pod's termination
// message), keep Available while writes go on through the other two, not replace the member, and see it recover by
// itself once the filler is deleted: same member ID and pod, every acknowledged write readable, no alarm to disarm.
// Needs root (mount); the mount is removed in after(), also when a test fails. Times are printed, never asserted.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { waitFor } from '../../../src/controlplane';
import { applyObject, readObject } from '../../../src/kube';
import {
  etcdClusterManifest,
  lostWrites,
  memberPods,
  membersClient,
  readCluster,
  startEtcdTestEnv,
  startWriter,
  waitAvailable,
  waitMembersConsistent,
  type EtcdTestEnv,
} from '../etcd/support';

const t0 = Date.now();
const log = (l: string) => process.stderr.write(`  +${((Date.now() - t0) / 1000).toFixed(1)}s ${l}\n`);
const TMPFS_MB = 96;
/** What the filler leaves free on the member's volume: a few of the large writes below fill it. */
const LEFT_FREE = 3 * 1024 * 1024;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const freeBytes = (dir: string) => {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
};

describe('faults: the disk of one etcd member full, on real members', function () {
  this.timeout(900_000);
  let env: EtcdTestEnv | undefined;
  const mounts: string[] = [];

  before(function () {
    if (!isRoot) this.skip(); // mounting a tmpfs needs root
  });
  // The pods stop first (then nothing holds the tmpfs), it is unmounted (lazily if something still does), and only
  // then the environment goes with its state directory, which the mount point is in.
  after(async () => {
    try {
      await env?.runner.stop().catch(() => {});
    } finally {
      for (const m of mounts.splice(0)) {
        try {
          execFileSync('umount', [m]);
        } catch {
          execFileSync('umount', ['-l', m]);
        }
      }
      await env?.stop();
    }
  });

  /** Host directory of a member's data volume: its PV's hostPath under the pod runner's node root. */
  async function volumeDir(e: EtcdTestEnv, member: string): Promise<string> {
    const pvc = await readObject<V1PersistentVolumeClaim>(e.objects, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${member}-data`, namespace: 'default' },
    });
    const pv = await readObject<V1PersistentVolume>(e.objects, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvc!.spec!.volumeName! },
    });
    const dir = path.join(e.stateDir, 'runner', 'node-root', pv!.spec!.hostPath!.path);
    assert.ok(fs.existsSync(path.join(dir, 'data', 'member')), `${dir} holds ${member}'s data`);
    return dir;
  }

  function signalMember(e: EtcdTestEnv, member: string, sig: NodeJS.Signals): number[] {
    const pids = e.runner.pids('default', member);
    assert.ok(pids.length > 0, `no running process for member ${member}`);
    for (const pid of pids) process.kill(-pid, sig);
    return pids;
  }

  async function identities(e: EtcdTestEnv, name: string): Promise<Record<string, string>> {
    const c = await readCluster(e, name);
    const out: Record<string, string> = {};
    for (const m of c?.status?.members ?? []) out[`member ${m.name}`] = m.id ?? '?';
    for (const p of await memberPods(e, name)) out[`pod ${p.metadata!.name}`] = p.metadata!.uid!;
    return out;
  }

  it('reports MemberDiskFull with etcd’s words while writes go on; recovers by itself once space is freed', async () => {
    env = await startEtcdTestEnv({});
    const e = env;
    const name = 'diskfull';
    await applyObject(e.objects, etcdClusterManifest(name, { replicas: 3 }) as never, { fieldManager: 'kokpit-test' });
    const ready = await waitAvailable(e, name, 3, 240_000);
    const victim = ready.status!.members!.find((m) => m.name !== ready.status!.leader)!.name;
    const dir = await volumeDir(e, victim);

    // Move the member's volume onto a small tmpfs: stopped (not dead, so the pod runner does not restart it yet),
    // copied aside, the tmpfs mounted over its directory, copied back, then killed: its restart runs on the tmpfs.
    const aside = `${dir}.aside`;
    signalMember(e, victim, 'SIGSTOP');
    execFileSync('cp', ['-a', '--sparse=always', dir, aside]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m,mode=0755`, 'tmpfs', dir]);
    mounts.push(dir);
    execFileSync('cp', ['-a', '--sparse=always', `${aside}/.`, `${dir}/`]);
    fs.rmSync(aside, { recursive: true, force: true });
    signalMember(e, victim, 'SIGKILL');
    log(`${victim} (a follower; leader ${ready.status!.leader}) restarted on a ${TMPFS_MB} MiB tmpfs at ${dir}`);
    await waitAvailable(e, name, 3, 180_000);
    const before = await identities(e, name);

    const filler = path.join(dir, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(dir) - LEFT_FREE)));
    log(`filler written: ${(freeBytes(dir) / 1024 / 1024).toFixed(1)} MiB left free on ${victim}'s volume`);

    const writer = startWriter(e, name);
    let acked: string[] | undefined;
    try {
      await waitFor('the writer acknowledged', async () => (writer.acknowledged() >= 10 ? true : undefined), { timeoutMs: 60_000 });
      // Large values through the leader fill the rest (every member applies them).
      const members = await membersClient(e, name);
      const pods = await memberPods(e, name);
      const leaderPod = pods.find((p) => p.metadata!.name === ready.status!.leader);
      const tFill = Date.now();
      try {
        const kv = members.client(ready.status!.leader!, leaderPod)!;
        for (let i = 0; i < 16; i++) await kv.put(`/filler/${i}`).value(Buffer.alloc(512 * 1024, i));
      } finally {
        members.close();
      }
      const ackedAtFill = writer.acknowledged();
      log(`8 MiB written through the leader; ${(freeBytes(dir) / 1024).toFixed(0)} KiB free on ${victim}'s volume`);

      const seen = await waitFor(
        `${victim} reported with a full disk (Degraded/MemberDiskFull) while Available`,
        async (st) => {
          const c = await readCluster(e, name);
          const cond = (t: string) => c?.status?.conditions?.find((x) => x.type === t);
          const d = cond('Degraded');
          st.lastReason = JSON.stringify({ degraded: d, available: cond('Available')?.status, alarms: c?.status?.alarms });
          return d?.status === 'True' && d.reason === 'MemberDiskFull' && cond('Available')?.status === 'True' ? c : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 250 },
      );
      const degraded = seen.status!.conditions!.find((x) => x.type === 'Degraded')!;
      log(`detected ${Date.now() - tFill} ms after the fill: ${degraded.message}`);
      assert.match(degraded.message!, new RegExp(`^${victim}: data volume \\(claim ${victim}-data\\) full: etcd exited with 1: `));
      assert.match(degraded.message!, /no space left on device/);
      assert.match(seen.status!.members!.find((m) => m.name === victim)!.message!, /^data volume full: .*no space left on device/);
      assert.deepEqual(seen.status!.alarms ?? [], [], 'etcd raises no alarm for a full disk (NOSPACE is the quota)');
      const pod = (await memberPods(e, name)).find((p) => p.metadata!.name === victim)!;
      const cs = pod.status!.containerStatuses!.find((x) => x.name === 'etcd')!;
      log(
        `${victim}: restartCount ${cs.restartCount}, state ${Object.keys(cs.state ?? {}).join()}, ` +
          `last exit ${cs.lastState?.terminated?.exitCode}`,
      );

      await waitFor(
        'more writes acknowledged while the member is down',
        async () => (writer.acknowledged() >= ackedAtFill + 10 ? true : undefined),
        {
          timeoutMs: 120_000,
          intervalMs: 200,
        },
      );
      log(`${writer.acknowledged() - ackedAtFill} writes acknowledged since the fill, through the other two members`);

      // Free the space: the member's next restart replays its log onto the disk and catches up.
      const tFree = Date.now();
      fs.rmSync(filler);
      await waitAvailable(e, name, 3, 240_000, (c) =>
        c.status?.conditions?.find((x) => x.type === 'Degraded')?.status === 'False' ? undefined : 'still Degraded',
      );
      log(`healthy again ${Date.now() - tFree} ms after the filler was deleted`);
    } finally {
      acked = await writer.stop();
    }
    await waitMembersConsistent(e, name, 120_000);
    assert.deepEqual(await identities(e, name), before, 'member IDs and pods unchanged (the member was not replaced)');
    assert.deepEqual((await readCluster(e, name))?.status?.alarms ?? [], [], 'no alarm left to disarm');
    const lost = await lostWrites(e, name, acked!);
    log(`${acked!.length} acknowledged writes, ${lost.length} lost`);
    assert.deepEqual(lost, [], 'acknowledged writes lost or changed');
  });
});
