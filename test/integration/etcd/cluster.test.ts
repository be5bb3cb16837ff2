// The etcd operator against a real kube-apiserver, with its member pods run by the process pod runner
// as real etcd 3.5 processes: bootstrap, backup + restore, healing, scaling.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../../../src/controller/informer';
import { API_VERSION, type EtcdCluster } from '../../../src/api';
import { applyObject, createObject, listObjects } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { ETCD_BACKUP_PLURAL } from '../../../src/operators/etcd/names';
import { waitFor } from '../../../src/controlplane';
import {
  type EtcdTestEnv,
  deleteIfExists,
  etcdClusterManifest,
  lostWrites,
  memberPods,
  type Milestone,
  membersClient,
  putMany,
  readBackup,
  readCluster,
  restartAtRandomPoints,
  seededRandom,
  startEtcdTestEnv,
  startWriter,
  waitAvailable,
  waitGone,
  waitMembersConsistent,
} from './support';

describe('etcd operator on real etcd (process pod runner)', function () {
  this.timeout(300_000);
  let env: EtcdTestEnv;

  before(async function () {
    this.timeout(180_000);
    env = await startEtcdTestEnv({ plan: { replaceUnhealthyAfterMs: 8000, learnerTimeoutMs: 60_000, quorumLostAfterMs: 30_000 } });
  });
  after(async () => env?.stop());

  it('creates a 3-member TLS cluster: Available, 3 healthy voting members and a leader in status', async () => {
    const t0 = Date.now();
    await createObject(env.objects, etcdClusterManifest('alpha', { replicas: 3 }) as unknown as KubernetesObject);
    const c = await waitAvailable(env, 'alpha', 3);
    process.stderr.write(`  alpha Available with 3 members after ${Date.now() - t0} ms\n`);
    const s = c.status!;
    assert.equal(s.readyMembers, 3);
    assert.equal(s.currentVersion, '3.5.35');
    assert.ok(s.members!.some((m) => m.leader && m.name === s.leader));
    for (const m of s.members!) {
      assert.match(m.id ?? '', /^[0-9a-f]+$/);
      assert.equal(m.version, '3.5.35');
      assert.ok((m.dbSize ?? 0) > 0, `${m.name} dbSize`);
      assert.match(m.clientURL!, /^https:\/\/alpha-\d\.alpha-peers\.default\.svc:2379$/);
    }
    for (const t of ['Available', 'Progressing', 'Degraded']) {
      const cond = s.conditions!.find((x) => x.type === t);
      assert.equal(cond?.observedGeneration, c.metadata.generation, `${t} observedGeneration`);
    }
    // etcd itself agrees: 3 voting members, over TLS with the operator-issued client certificate.
    const members = await membersClient(env, 'alpha');
    try {
      const pods = await memberPods(env, 'alpha');
      const list = await members.memberList(pods[0].metadata!.name!, pods[0]);
      assert.equal(list.length, 3);
      assert.ok(list.every((m) => !m.isLearner && m.name));
      // Each member serves with a certificate for its own DNS name (verified by the client).
      for (const p of pods) assert.equal((await members.health(p.metadata!.name!, p)).healthy, true);
    } finally {
      members.close();
    }
  });

  const RESTORE_KEYS = 10_000;
  const restoreExpected = Object.fromEntries(Array.from({ length: RESTORE_KEYS }, (_, i) => [`/restore/key-${i}`, `value-${i}`]));

  it('backs up 10,000 keys, and restores them into a new cluster after the old one and its data are deleted', async () => {
    const members = await membersClient(env, 'alpha');
    const pods = await memberPods(env, 'alpha');
    const kv = members.client(pods[0].metadata!.name!, pods[0])!;
    await putMany(kv, Object.entries(restoreExpected));
    assert.equal(Number(await kv.getAll().prefix('/restore/').count()), RESTORE_KEYS);
    members.close();

    await createObject(env.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdBackup',
      metadata: { name: 'alpha-snap', namespace: 'default' },
      spec: { etcdClusterRef: { name: 'alpha' } },
    } as KubernetesObject);
    const b = await waitFor(
      'EtcdBackup alpha-snap Completed',
      async (st) => {
        const x = await readBackup(env, 'alpha-snap');
        st.lastReason = `${x?.status?.phase}: ${x?.status?.message}`;
        return x?.status?.phase === 'Completed' ? x : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const bs = b.status!;
    assert.ok(bs.location && fs.existsSync(bs.location));
    assert.equal(bs.size, fs.statSync(bs.location).size);
    assert.equal(bs.sha256, createHash('sha256').update(fs.readFileSync(bs.location)).digest('hex'));
    // Private to its owner, and published by rename: nothing half-written is left beside it.
    assert.equal(fs.statSync(bs.location).mode & 0o777, 0o600);
    assert.deepEqual(
      fs.readdirSync(path.dirname(bs.location)).filter((f) => f.endsWith('.partial')),
      [],
    );
    assert.ok(bs.completionTime && bs.revision && bs.revision > RESTORE_KEYS / 100, `revision ${bs.revision}`);
    assert.equal(bs.etcdVersion, '3.5.35');
    await waitFor(
      'alpha status.lastBackup',
      async () => ((await readCluster(env, 'alpha'))?.status?.lastBackup?.name === 'alpha-snap' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );

    // Delete the cluster and its data. The owned pods and claims would go with garbage collection in
    // time; deleting them here makes "the data is gone" explicit and keeps the test off GC's schedule.
    await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'alpha');
    await waitGone(env, API_VERSION, 'EtcdCluster', 'alpha');
    for (const p of await memberPods(env, 'alpha')) {
      await deleteIfExists(env, 'v1', 'Pod', p.metadata!.name!);
      await deleteIfExists(env, 'v1', 'PersistentVolumeClaim', `${p.metadata!.name!}-data`);
    }
    await waitFor('alpha pods gone', async () => ((await memberPods(env, 'alpha')).length === 0 ? true : undefined), { timeoutMs: 60_000 });

    await createObject(
      env.objects,
      etcdClusterManifest('beta', { replicas: 3, restoreFrom: { backupName: 'alpha-snap' } }) as unknown as KubernetesObject,
    );
    await waitAvailable(env, 'beta', 3);
    const restored = await membersClient(env, 'beta');
    try {
      const bpods = await memberPods(env, 'beta');
      assert.equal(bpods.length, 3);
      // Every key and value, on every member (the two added after the restored seed got them by replication).
      for (const p of bpods) {
        const got = await restored.client(p.metadata!.name!, p)!.getAll().prefix('/restore/').strings();
        assert.equal(Object.keys(got).length, RESTORE_KEYS, `${p.metadata!.name} key count`);
        const wrong = Object.keys(restoreExpected).filter((k) => got[k] !== restoreExpected[k]);
        assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} keys differ on ${p.metadata!.name}`);
      }
    } finally {
      restored.close();
    }
  });

  it('takes a final backup when a cluster with backups configured is deleted, and it restores', async () => {
    await createObject(env.objects, etcdClusterManifest('delta', { replicas: 1, backup: { retain: 2 } }) as unknown as KubernetesObject);
    const c = await waitAvailable(env, 'delta', 1);
    assert.ok(c.metadata.finalizers?.includes('kokpit.dev/etcd-final-backup'), 'finalizer added');
    const members = await membersClient(env, 'delta');
    const [pod] = await memberPods(env, 'delta');
    await members.client(pod.metadata!.name!, pod)!.put('/last/words').value('saved on delete');
    members.close();

    await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'delta');
    await waitGone(env, API_VERSION, 'EtcdCluster', 'delta', 'default', 90_000);
    const finalName = `delta-final-${c.metadata.uid!.slice(0, 8)}`;
    const b = await readBackup(env, finalName);
    assert.equal(b?.status?.phase, 'Completed', `final backup ${finalName}: ${b?.status?.message}`);
    assert.ok(!b!.metadata.ownerReferences?.length, 'the final backup outlives its cluster');

    for (const p of await memberPods(env, 'delta')) {
      await deleteIfExists(env, 'v1', 'Pod', p.metadata!.name!);
      await deleteIfExists(env, 'v1', 'PersistentVolumeClaim', `${p.metadata!.name!}-data`);
    }
    await createObject(
      env.objects,
      etcdClusterManifest('epsilon', { replicas: 1, restoreFrom: { backupName: finalName } }) as unknown as KubernetesObject,
    );
    await waitAvailable(env, 'epsilon', 1);
    const restored = await membersClient(env, 'epsilon');
    try {
      const [p] = await memberPods(env, 'epsilon');
      assert.equal(await restored.client(p.metadata!.name!, p)!.get('/last/words').string(), 'saved on delete');
    } finally {
      restored.close();
    }
    await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'epsilon');
  });

  it('refuses a restore from a missing backup with a precise condition, creating nothing', async () => {
    await createObject(
      env.objects,
      etcdClusterManifest('gamma', { replicas: 1, restoreFrom: { backupName: 'no-such-backup' } }) as unknown as KubernetesObject,
    );
    const c = await waitFor(
      'gamma reports BackupNotFound',
      async () => {
        const x = await readCluster(env, 'gamma');
        const d = x?.status?.conditions?.find((k) => k.type === 'Degraded');
        return d?.reason === 'BackupNotFound' ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.match(c.status!.conditions!.find((k) => k.type === 'Degraded')!.message!, /EtcdBackup no-such-backup does not exist/);
    assert.equal((await memberPods(env, 'gamma')).length, 0);
    await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'gamma');
  });

  it(
    'refuses a restore whose EtcdBackup status points outside its backup directory (status is a report, ' +
      'not a path to mount), creating nothing',
    async () => {
      // A file elsewhere on the host, with a matching sha256 in the forged status: only the location is wrong.
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-forged-'));
      const file = path.join(elsewhere, 'forged-0a1b2c3d.db');
      fs.writeFileSync(file, 'not a snapshot the operator took');
      const forged = {
        apiVersion: API_VERSION,
        kind: 'EtcdBackup',
        metadata: { name: 'forged', namespace: 'default' },
        spec: { etcdClusterRef: { name: 'no-such-source' } },
      };
      const status = {
        phase: 'Completed',
        location: file,
        sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
        size: fs.statSync(file).size,
      };
      try {
        await createObject(env.objects, forged as KubernetesObject);
        // The backup reconciler may write Pending (no such cluster) once in between: written until it stays.
        await waitFor(
          'forged status Completed',
          async () => {
            if ((await readBackup(env, 'forged'))?.status?.phase === 'Completed') return true;
            await applyStatus(env.kc, forged, ETCD_BACKUP_PLURAL, status);
            return undefined;
          },
          { timeoutMs: 30_000, intervalMs: 500 },
        );
        await createObject(
          env.objects,
          etcdClusterManifest('forgery', { replicas: 1, restoreFrom: { backupName: 'forged' } }) as unknown as KubernetesObject,
        );
        const c = await waitFor(
          'forgery reports BackupLocationInvalid',
          async (st) => {
            const x = await readCluster(env, 'forgery');
            st.lastReason = JSON.stringify(x?.status?.conditions);
            return x?.status?.conditions?.find((k) => k.type === 'Degraded')?.reason === 'BackupLocationInvalid' ? x : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        assert.match(c.status!.conditions!.find((k) => k.type === 'Degraded')!.message!, /is not where this backup is written/);
        assert.equal((await memberPods(env, 'forgery')).length, 0, 'no pod, so no hostPath mount of the forged directory');
      } finally {
        await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'forgery');
        await deleteIfExists(env, API_VERSION, 'EtcdBackup', 'forged');
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    },
  );

  it(
    'refuses a restore from a corrupted snapshot (sha256 mismatch) with a precise condition, ' + 'creating and destroying nothing',
    async () => {
      await createObject(env.objects, {
        apiVersion: API_VERSION,
        kind: 'EtcdBackup',
        metadata: { name: 'beta-snap', namespace: 'default' },
        spec: { etcdClusterRef: { name: 'beta' } },
      } as KubernetesObject);
      const b = await waitFor(
        'EtcdBackup beta-snap Completed',
        async (st) => {
          const x = await readBackup(env, 'beta-snap');
          st.lastReason = `${x?.status?.phase}: ${x?.status?.message}`;
          return x?.status?.phase === 'Completed' ? x : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const file = b.status!.location!;
      // One flipped byte in the middle of the snapshot.
      const bytes = fs.readFileSync(file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] ^= 0xff;
      fs.writeFileSync(file, bytes);
      const corruptSha = createHash('sha256').update(bytes).digest('hex');
      assert.notEqual(corruptSha, b.status!.sha256);
      const betaPods = (await memberPods(env, 'beta')).map((p) => p.metadata!.uid).sort();

      await createObject(
        env.objects,
        etcdClusterManifest('corrupt', { replicas: 3, restoreFrom: { backupName: 'beta-snap' } }) as unknown as KubernetesObject,
      );
      const c = await waitFor(
        'corrupt reports BackupCorrupt',
        async (st) => {
          const x = await readCluster(env, 'corrupt');
          const d = x?.status?.conditions?.find((k) => k.type === 'Degraded');
          st.lastReason = JSON.stringify(x?.status?.conditions);
          return d?.reason === 'BackupCorrupt' && d.observedGeneration === x!.metadata.generation ? x : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const degraded = c.status!.conditions!.find((k) => k.type === 'Degraded')!;
      assert.equal(degraded.status, 'True');
      assert.equal(degraded.message, `snapshot ${file} has sha256 ${corruptSha}, EtcdBackup beta-snap recorded ${b.status!.sha256}`);
      assert.notEqual(c.status!.conditions!.find((k) => k.type === 'Available')?.status, 'True');
      // Nothing created for the new cluster, nothing destroyed: the backup object and its file stay as they
      // were (for inspection), and the cluster it came from keeps its pods.
      assert.equal((await memberPods(env, 'corrupt')).length, 0);
      assert.deepEqual(
        await listObjects(env.objects, 'v1', 'PersistentVolumeClaim', {
          namespace: 'default',
          labelSelector: 'kokpit.dev/etcd-cluster=corrupt',
        }),
        [],
      );
      assert.equal((await readBackup(env, 'beta-snap'))?.status?.sha256, b.status!.sha256);
      assert.equal(createHash('sha256').update(fs.readFileSync(file)).digest('hex'), corruptSha, 'the snapshot file is left untouched');
      assert.deepEqual((await memberPods(env, 'beta')).map((p) => p.metadata!.uid).sort(), betaPods);
      await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'corrupt');
      await deleteIfExists(env, API_VERSION, 'EtcdBackup', 'beta-snap');
    },
  );

  it(
    'heals: a killed member process comes back while writes continue; a deleted pod rejoins with its data; ' +
      'a member whose data is lost is removed and replaced',
    async () => {
      const before = (await readCluster(env, 'beta'))!.status!.members!;
      const victim = before.find((m) => !m.leader)!;
      // Process killed while a writer runs: the pod restarts its container (kubelet semantics), the member
      // keeps its ID and data, the other two keep quorum, and no acknowledged write is lost.
      const writer = startWriter(env, 'beta');
      let acked: string[];
      try {
        await waitFor('writer running', async () => (writer.acknowledged() >= 10 ? true : undefined), {
          timeoutMs: 30_000,
          intervalMs: 50,
        });
        const pids = env.runner.pids('default', victim.name);
        assert.ok(pids.length > 0, `${victim.name} has a running process`);
        const killedAt = Date.now();
        const ackedAtKill = writer.acknowledged();
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        await waitFor(
          `${victim.name} restarted`,
          async () => {
            const [pod] = (await memberPods(env, 'beta')).filter((p) => p.metadata!.name === victim.name);
            return (pod?.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0 ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const detectedMs = Date.now() - killedAt;
        // Asked of the restarted process itself, not of (possibly older) status.
        const direct = await membersClient(env, 'beta');
        try {
          await waitFor(
            `${victim.name} answers again with its old ID`,
            async (st) => {
              const [pod] = (await memberPods(env, 'beta')).filter((p) => p.metadata!.name === victim.name);
              const h = await direct.health(victim.name, pod);
              st.lastReason = h.error;
              return h.healthy && h.id === victim.id ? true : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 200 },
          );
        } finally {
          direct.close();
        }
        const memberBackMs = Date.now() - killedAt;
        const ackedDuringFailure = writer.acknowledged() - ackedAtKill;
        await waitAvailable(env, 'beta', 3);
        const availableMs = Date.now() - killedAt;
        process.stderr.write(
          `  killed ${victim.name}: restart detected in ${detectedMs} ms, member healthy with its ID in ${memberBackMs} ms, ` +
            `cluster Available (3/3 in status) in ${availableMs} ms; ${ackedDuringFailure} writes acknowledged meanwhile\n`,
        );
        assert.ok(ackedDuringFailure > 0, 'writes continue while one of three members is down');
      } finally {
        acked = await writer.stop();
      }
      const lost = await lostWrites(env, 'beta', acked);
      assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);

      // Pod gone, claim kept: the same member (same etcd ID) comes back.
      const oldUid = (await memberPods(env, 'beta')).find((p) => p.metadata!.name === victim.name)!.metadata!.uid;
      await deleteIfExists(env, 'v1', 'Pod', victim.name);
      const again = await membersClient(env, 'beta');
      try {
        await waitFor(
          `${victim.name} re-created and rejoined with its old ID`,
          async (st) => {
            const [pod] = (await memberPods(env, 'beta')).filter((p) => p.metadata!.name === victim.name && p.metadata!.uid !== oldUid);
            if (!pod) return undefined;
            const h = await again.health(victim.name, pod);
            st.lastReason = h.error;
            return h.healthy && h.id === victim.id ? true : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 200 },
        );
      } finally {
        again.close();
      }
      await waitAvailable(env, 'beta', 3);

      // Pod and claim gone: the member is removed from etcd and a fresh one (new name, new ID) added.
      const t0 = Date.now();
      await deleteIfExists(env, 'v1', 'PersistentVolumeClaim', `${victim.name}-data`);
      await deleteIfExists(env, 'v1', 'Pod', victim.name);
      const healed = await waitAvailable(env, 'beta', 3, 120_000, (c) =>
        c.status!.members!.some((x) => x.name === victim.name) ? `${victim.name} still listed` : undefined,
      );
      process.stderr.write(`  member with lost data replaced in ${Date.now() - t0} ms\n`);
      const names = healed.status!.members!.map((m) => m.name);
      assert.ok(!names.includes(victim.name));
      assert.ok(!healed.status!.members!.some((m) => m.id === victim.id));
    },
  );

  it(
    'creates 1 member and scales 1 -> 3 -> 5 -> 3 with a writer running: every acknowledged write readable, ' + 'members == pods == claims',
    async () => {
      const t0 = Date.now();
      const spec = (replicas: 1 | 3 | 5) => etcdClusterManifest('grow', { replicas }) as unknown as KubernetesObject;
      await createObject(env.objects, spec(1));
      await waitAvailable(env, 'grow', 1);
      const writer = startWriter(env, 'grow');
      try {
        for (const n of [3, 5, 3] as const) {
          const t = Date.now();
          await applyObject(env.objects, spec(n));
          await waitAvailable(env, 'grow', n, 120_000);
          process.stderr.write(`  grow scaled to ${n} in ${Date.now() - t} ms\n`);
        }
      } catch (e) {
        await writer.stop();
        throw e;
      }
      const acked = await writer.stop();
      assert.ok(acked.length > 20, `writer acknowledged only ${acked.length} writes`);
      await waitMembersConsistent(env, 'grow');
      const lost = await lostWrites(env, 'grow', acked);
      assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
      process.stderr.write(`  ${acked.length} acknowledged writes during 1 -> 3 -> 5 -> 3, all readable (${Date.now() - t0} ms)\n`);
      await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'grow');
    },
  );

  it(
    'scales 3 -> 5 -> 3 with a writer running and the operator restarted at random points: ' +
      'converges, no duplicate or orphan member, no acknowledged write lost',
    async () => {
      const rand = seededRandom('operator restarts during scaling');
      const writer = startWriter(env, 'beta');
      const spec = (replicas: 3 | 5) =>
        etcdClusterManifest('beta', { replicas, restoreFrom: { backupName: 'alpha-snap' } }) as unknown as KubernetesObject;
      const members = (c: EtcdCluster | undefined) => c?.status?.members ?? [];
      const restarts: string[] = [];
      try {
        await applyObject(env.objects, spec(5));
        const up: Milestone[] = [
          { what: 'scale-up requested', reached: () => true },
          // Each milestone stays reached once reached.
          { what: 'a learner listed (or a 4th member)', reached: (c) => members(c).some((m) => m.learner) || members(c).length >= 4 },
          { what: 'a 4th pod', reached: (_c, pods) => pods.length >= 4 },
          { what: '4 voting members', reached: (c) => members(c).filter((m) => m.id && !m.learner).length >= 4 },
          { what: 'a 5th member listed', reached: (c) => members(c).length >= 5 },
        ];
        restarts.push(...(await restartAtRandomPoints(env, 'beta', rand.next, up, 2)));
        await waitAvailable(env, 'beta', 5, 180_000);
        await applyObject(env.objects, spec(3));
        const down: Milestone[] = [
          { what: 'scale-down requested', reached: () => true },
          { what: '4 or fewer members listed', reached: (c) => members(c).length <= 4 },
          { what: '4 or fewer pods', reached: (_c, pods) => pods.length <= 4 },
          { what: '3 members listed', reached: (c) => members(c).length <= 3 },
        ];
        restarts.push(...(await restartAtRandomPoints(env, 'beta', rand.next, down, 1)));
        await waitAvailable(env, 'beta', 3, 180_000);
        await waitMembersConsistent(env, 'beta');
        const acked = await writer.stop();
        assert.ok(acked.length > 20, `writer acknowledged only ${acked.length} writes`);
        const lost = await lostWrites(env, 'beta', acked);
        assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost`);
        const m = await membersClient(env, 'beta');
        try {
          const [p] = await memberPods(env, 'beta');
          assert.equal(await m.client(p.metadata!.name!, p)!.get('/restore/key-42').string(), 'value-42');
        } finally {
          m.close();
        }
        process.stderr.write(
          `  ${acked.length} acknowledged writes during scaling with ${restarts.length} operator restarts, all readable\n`,
        );
      } catch (e) {
        // The seed and the restart points, so the failure can be replayed.
        throw new Error(`${(e as Error).message}\n  seed ${rand.seed} (KOKPIT_TEST_SEED=${rand.seed}); ${restarts.join('; ')}`, {
          cause: e,
        });
      } finally {
        await writer.stop().catch(() => []);
      }
    },
  );

  it('refuses a downgrade with a precise condition and restarts nothing', async () => {
    const uids = (await memberPods(env, 'beta')).map((p) => p.metadata!.uid).sort();
    await applyObject(
      env.objects,
      etcdClusterManifest('beta', {
        replicas: 3,
        version: '3.5.30',
        restoreFrom: { backupName: 'alpha-snap' },
      }) as unknown as KubernetesObject,
    );
    const c = await waitFor(
      'beta reports Downgrade',
      async () => {
        const x = await readCluster(env, 'beta');
        const d = x?.status?.conditions?.find((k) => k.type === 'Degraded');
        return d?.reason === 'Downgrade' && d.observedGeneration === x!.metadata.generation ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.match(
      c.status!.conditions!.find((k) => k.type === 'Degraded')!.message!,
      /spec\.version 3\.5\.30 is older than the running 3\.5\.35; etcd downgrades are refused/,
    );
    assert.equal(c.status!.conditions!.find((k) => k.type === 'Available')!.status, 'True');
    assert.deepEqual((await memberPods(env, 'beta')).map((p) => p.metadata!.uid).sort(), uids);
  });

  it(
    'drives a small quotaBackendBytes into NOSPACE: the condition shows it, compaction + defrag recover, ' + 'the alarm is cleared',
    async () => {
      // Every status version the API server stores (a self-restarting watch), so the short NOSPACE window is seen.
      const seen: string[] = [];
      const all: string[] = [];
      const informer = new Informer<KubernetesObject>(env.kc, {
        path: `/apis/${API_VERSION}/etcdclusters`,
        fieldSelector: 'metadata.name=tiny',
        list: async () =>
          (await env.objects.list<KubernetesObject>(
            API_VERSION,
            'EtcdCluster',
            'default',
            undefined,
            undefined,
            undefined,
            'metadata.name=tiny',
          )) as KubernetesListObject<KubernetesObject>,
      });
      informer.onEvent((obj) => {
        const st = (obj as EtcdCluster).status;
        const d = st?.conditions?.find((c) => c.type === 'Degraded');
        if (d?.status === 'True') seen.push(`${d.reason}:${(st?.alarms ?? []).join(',')}`);
        else all.push(`${obj.metadata?.resourceVersion} ${st?.phase} ${d?.status}/${d?.reason} [${(st?.alarms ?? []).join(',')}]`);
      });
      await informer.start();
      try {
        await createObject(
          env.objects,
          etcdClusterManifest('tiny', { replicas: 1, quotaBackendBytes: 4 * 1024 * 1024 }) as unknown as KubernetesObject,
        );
        await waitAvailable(env, 'tiny', 1);
        const members = await membersClient(env, 'tiny');
        try {
          const [p] = await memberPods(env, 'tiny');
          const kv = members.client(p.metadata!.name!, p)!;
          // Overwriting one key keeps every old revision until compaction: the backend grows past the quota.
          const big = Buffer.alloc(256 * 1024, 'n');
          let refused: string | undefined;
          for (let i = 0; i < 200 && !refused; i++) {
            try {
              await kv.put('/fill').value(big);
            } catch (e) {
              refused = (e as Error).message;
            }
          }
          assert.match(refused ?? 'no refusal', /database space exceeded/);
          // Status shows the alarm (it stays there for at least one pass before recovery starts).
          await waitFor(
            'Degraded=NoSpace on status',
            async () => {
              const st = (await readCluster(env, 'tiny'))?.status;
              const d = st?.conditions?.find((x) => x.type === 'Degraded');
              return (d?.status === 'True' && d.reason === 'NoSpace' && st?.alarms?.some((a) => a.startsWith('NOSPACE'))) ||
                seen.some((x) => x.startsWith('NoSpace:NOSPACE'))
                ? true
                : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 50 },
          );
          await waitFor(
            'NOSPACE cleared and writes accepted',
            async (st) => {
              const s = (await readCluster(env, 'tiny'))?.status;
              st.lastReason = JSON.stringify({
                phase: s?.phase,
                alarms: s?.alarms,
                conditions: s?.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}: ${x.message}`),
              });
              if ((await members.alarms(p.metadata!.name!, p)).length) return undefined;
              await kv.put('/after').value('ok');
              return true;
            },
            { timeoutMs: 60_000, intervalMs: 200 },
          );
          assert.equal(await kv.get('/after').string(), 'ok');
          assert.ok(
            seen.some((x) => x.startsWith('NoSpace:NOSPACE')),
            `Degraded=NoSpace seen on status (saw ${JSON.stringify(seen)}; other versions ${JSON.stringify(all)})`,
          );
          const c = await waitAvailable(env, 'tiny', 1);
          assert.deepEqual(c.status!.alarms, []);
        } finally {
          members.close();
        }
      } finally {
        await informer.stop();
        await deleteIfExists(env, API_VERSION, 'EtcdCluster', 'tiny');
      }
    },
  );
});
