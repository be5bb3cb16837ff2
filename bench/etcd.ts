// etcd operator: time to a ready 3-member TLS cluster, member replacement time, and snapshot and
// restore throughput for a ~100 MiB database, each beside its floor measured in the same run on a
// cluster of plain etcd processes holding the same data, interleaved (operator, floor, operator, …) and
// repeated `--rounds=<n>` times (default 3; the medians are reported):
// - ready floor: 3 etcd processes started directly with a static --initial-cluster (no API server, no
//   pods; what a cluster costs at the very least on this machine);
// - replace floor: by hand with etcdctl: `member remove` a follower, kill it, `member add`, start a
//   fresh etcd with an empty data dir, until it answers healthy (it receives the database from the leader);
// - snapshot floor: `etcdctl snapshot save` from a floor member;
// - restore floor: `etcdutl snapshot restore` of the operator's own snapshot file into an empty data dir,
//   then a plain etcd started on it until it answers healthy: what the operator's restore does (an init
//   container runs etcdutl where the member's data lives, then etcd starts). `restore_floor_etcdutl_*` is
//   etcdutl alone. The operator's restore also creates the cluster around the data (CA, certificates,
//   Secrets, Services, claim, pod): `empty_1_member_*` is that alone, an empty 1-member cluster until
//   Available in the same rounds (reported beside, not subtracted).
// The snapshot also reports CPU time beside etcdctl's (spawnWithCpu), which holds under load where wall time does not.
// Setup (control plane, pod runner, operator, loading data) is not timed. `--mb=<n>` sets the data size.
// `--only=restore` makes one 3-member cluster and one backup (untimed but for one round each) and times the restore
// rounds alone. `--timeline` (the API server then keeps an audit log) prints, per restore round, every write in its
// namespace and every PV write (ms after the EtcdCluster's create was received → answered, client, verb, object) to
// stderr: where a restore's time goes between the operator, the provisioner and the pod runner.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../src/api';
import { binaryPath } from '../src/binaries/build';
import { ETCD_VERSION } from '../src/binaries/catalog';
import { createObject } from '../src/kube';
import type { Etcd3 } from 'etcd3';
import { EtcdMembers } from '../src/operators/etcd/access';
import { AuditWrites, msAfter as at, type AuditEvent } from '../test/support/audit-writes';
import { createCA, issueCert } from '../src/pki';
import { freePort, waitFor } from '../src/controlplane';
import {
  deleteIfExists,
  etcdClusterManifest,
  memberPods,
  membersClient,
  readBackup,
  readCluster,
  startEtcdTestEnv,
  waitAvailable,
} from '../test/integration/etcd/support';

interface Floor {
  readyMs: number;
  members: EtcdMembers;
  /** etcdctl TLS flags and endpoint of member m0 (its certificate carries 127.0.0.1, so TLS is verified). */
  etcdctlArgs: string[];
  /** The floor's CA, certificate and key files and PEMs (the certificate carries 127.0.0.1 and localhost). */
  tls: { caFile: string; crt: string; key: string; pems: { caPem: string; certPem: string; keyPem: string } };
  /** Replaces a follower by hand (member remove, kill, member add, fresh start) and returns the time until the new one is healthy. */
  replaceMember(): Promise<number>;
  stop(): void;
}

async function floorThreeMembers(dir: string): Promise<Floor> {
  const etcd = binaryPath('etcd', ETCD_VERSION);
  const ca = await createCA('bench-etcd-ca', { validDays: 1 });
  const cert = await issueCert(ca, {
    commonName: 'etcd',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validDays: 1,
    usages: ['server', 'client'],
  });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const w = (n: string, s: string) => {
    fs.writeFileSync(path.join(dir, n), s, { mode: 0o600 });
    return path.join(dir, n);
  };
  const caFile = w('ca.crt', ca.certPem);
  const crt = w('tls.crt', cert.certPem);
  const key = w('tls.key', cert.keyPem);
  const ports: number[] = [];
  while (ports.length < 6) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const names = ['m0', 'm1', 'm2'];
  // Member mN uses slot N % 3: a replacement m(N+3) takes over mN's ports.
  const slot = (name: string) => Number(name.slice(1)) % 3;
  const peer = (i: number) => `https://127.0.0.1:${ports[i * 2 + 1]}`;
  const client = (i: number) => `https://127.0.0.1:${ports[i * 2]}`;
  const startMember = (n: string, initialCluster: string, state: 'new' | 'existing') =>
    spawn(
      etcd,
      [
        `--name=${n}`,
        `--data-dir=${path.join(dir, n)}`,
        `--listen-client-urls=${client(slot(n))}`,
        `--advertise-client-urls=${client(slot(n))}`,
        `--listen-peer-urls=${peer(slot(n))}`,
        `--initial-advertise-peer-urls=${peer(slot(n))}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        '--initial-cluster-token=bench',
        `--cert-file=${crt}`,
        `--key-file=${key}`,
        `--trusted-ca-file=${caFile}`,
        '--client-cert-auth=true',
        `--peer-cert-file=${crt}`,
        `--peer-key-file=${key}`,
        `--peer-trusted-ca-file=${caFile}`,
        '--peer-client-cert-auth=true',
        '--unsafe-no-fsync=true',
        '--log-level=error',
        '--listen-metrics-urls=',
      ],
      { stdio: 'ignore' },
    );
  const t0 = performance.now();
  const procs = names.map((n) => startMember(n, names.map((x) => `${x}=${peer(slot(x))}`).join(','), 'new'));
  const members = new EtcdMembers(
    { name: 'bench', namespace: 'floor' },
    { resolve: (_c, m) => ({ address: client(slot(m)).slice(8), serverName: 'localhost' }) },
    {
      caPem: ca.certPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
    },
  );
  const stop = () => {
    members.close();
    for (const p of procs) p.kill('SIGKILL');
  };
  try {
    await waitFor(
      'floor cluster healthy',
      async () => {
        const hs = await Promise.all(names.map((n) => members.health(n, undefined)));
        return hs.every((h) => h.healthy) && hs.some((h) => h.isLeader) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
  } catch (e) {
    stop();
    throw e;
  }
  /** The members now (a replacement mN+3 takes mN's place and ports). */
  const current = [...names];
  const etcdctlArgs = [`--endpoints=${client(0)}`, `--cacert=${caFile}`, `--cert=${crt}`, `--key=${key}`];
  const etcdctl = async (...args: string[]) => {
    const r = spawnSync(binaryPath('etcdctl', ETCD_VERSION), [...etcdctlArgs, '--command-timeout=30s', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
  };
  return {
    readyMs: performance.now() - t0,
    members,
    etcdctlArgs,
    tls: { caFile, crt, key, pems: { caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem } },
    async replaceMember() {
      // A follower other than m0 (etcdctl's endpoint), as the operator's replacement also takes a follower.
      const hs = await Promise.all(current.slice(1).map(async (n) => ({ n, h: await members.health(n, undefined) })));
      const victim = hs.find((x) => !x.h.isLeader)!.n;
      const fresh = `m${Number(victim.slice(1)) + 3}`;
      const old = (await members.memberList('m0', undefined)).find((m) => m.name === victim)!;
      const t = performance.now();
      // Membership first, then the process (the order the operator follows too).
      await etcdctl('member', 'remove', old.id);
      // Gone before its ports are taken again (under load a SIGKILLed etcd can outlive the next start: EADDRINUSE).
      const dead = procs[slot(victim)];
      const exited = new Promise((r) => (dead.exitCode !== null || dead.signalCode !== null ? r(undefined) : dead.once('exit', r)));
      dead.kill('SIGKILL');
      await exited;
      await etcdctl('member', 'add', fresh, `--peer-urls=${peer(slot(fresh))}`);
      const others = current.filter((n) => n !== victim).concat(fresh);
      current.splice(current.indexOf(victim), 1, fresh);
      procs[slot(fresh)] = startMember(fresh, others.map((x) => `${x}=${peer(slot(x))}`).join(','), 'existing');
      await waitFor(`floor ${fresh} healthy`, async () => ((await members.health(fresh, undefined)).healthy ? true : undefined), {
        timeoutMs: 120_000,
        intervalMs: 50,
      });
      return performance.now() - t;
    },
    stop,
  };
}

/** `mb` MiB in 512 KiB values (under etcd's 1.5 MiB request limit), four puts in flight. */
async function writeData(kv: Etcd3, mb: number): Promise<void> {
  const value = Buffer.alloc(512 * 1024, 'x');
  const puts = mb * 2;
  let next = 0;
  const worker = async () => {
    while (next < puts) await kv.put(`/bench/${next++}`).value(value);
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/**
 * The restore floor: `etcdutl snapshot restore` into an empty data dir, then a plain etcd on it until it answers
 * healthy. Returns both times (etcdutl alone, and until healthy).
 */
async function floorRestore(dir: string, snapshot: string, tls: Floor['tls']): Promise<{ etcdutlMs: number; healthyMs: number }> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const peer = `https://127.0.0.1:${peerPort}`;
  const client = `https://127.0.0.1:${clientPort}`;
  const t = performance.now();
  const u = spawnSync(
    binaryPath('etcdutl', ETCD_VERSION),
    [
      'snapshot',
      'restore',
      snapshot,
      `--data-dir=${dir}`,
      '--name=r0',
      `--initial-cluster=r0=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
    ],
    { encoding: 'utf8' },
  );
  const etcdutlMs = performance.now() - t;
  if (u.status !== 0) throw new Error(`etcdutl snapshot restore failed: ${u.stderr}`);
  const proc: ChildProcess = spawn(
    binaryPath('etcd', ETCD_VERSION),
    [
      '--name=r0',
      `--data-dir=${dir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=r0=${peer}`,
      `--cert-file=${tls.crt}`,
      `--key-file=${tls.key}`,
      `--trusted-ca-file=${tls.caFile}`,
      '--client-cert-auth=true',
      `--peer-cert-file=${tls.crt}`,
      `--peer-key-file=${tls.key}`,
      `--peer-trusted-ca-file=${tls.caFile}`,
      '--unsafe-no-fsync=true',
      '--log-level=error',
      '--listen-metrics-urls=',
    ],
    { stdio: 'ignore' },
  );
  const members = new EtcdMembers(
    { name: 'restored', namespace: 'floor' },
    { resolve: () => ({ address: client.slice(8), serverName: 'localhost' }) },
    tls.pems,
  );
  try {
    await waitFor('floor restored member healthy', async () => ((await members.health('r0', undefined)).healthy ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    return { etcdutlMs, healthyMs: performance.now() - t };
  } finally {
    members.close();
    proc.kill('SIGKILL');
  }
}

/**
 * Runs `bin` to completion and returns its CPU time (user + system, ms) too: the shell that waited for it
 * reads its children's times from /proc (cutime, cstime). CPU time holds where wall time does not: on a
 * machine shared with other work both sides are slowed, but by how much depends on how many threads each has.
 */
function spawnWithCpu(bin: string, args: string[]): { status: number | null; stderr: string; cpuMs: number } {
  const script = '"$0" "$@" >/dev/null; rc=$?; cat /proc/$$/stat; exit $rc';
  const r = spawnSync('/bin/sh', ['-c', script, bin, ...args], { encoding: 'utf8' });
  const fields = r.stdout.slice(r.stdout.lastIndexOf(') ') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // stat fields 16 and 17, counted from field 3
  return { status: r.status, stderr: r.stderr, cpuMs: (ticks * 1000) / CLOCK_TICKS };
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** With --timeline: one restore round's writes, from the API server's audit log (see the header). */
function restoreTimeline(events: AuditEvent[], name: string): Array<[number, number, string, string, string]> {
  const created = events.find((e) => e.verb === 'create' && e.objectRef?.resource === 'etcdclusters' && e.objectRef.name === name);
  const t0 = Date.parse(created?.requestReceivedTimestamp ?? '');
  return events
    .filter((e) => e.objectRef?.namespace === 'default' || e.objectRef?.resource === 'persistentvolumes')
    .filter((e) => !['leases', 'events'].includes(e.objectRef?.resource ?? ''))
    .map((e) => {
      const r = e.objectRef!;
      const object = `${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''}`;
      return [at(t0, e.requestReceivedTimestamp), at(t0, e.stageTimestamp), (e.userAgent ?? '').split(' ')[0], e.verb, object];
    });
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const mb = Number(args.find((a) => a.startsWith('--mb='))?.slice(5) ?? 100);
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
  const restoreOnly = args.includes('--only=restore');
  const showTimeline = args.includes('--timeline');
  // Restore alone: one round of what it needs before it (the 3-member cluster it backs up, one backup).
  const setupRounds = restoreOnly ? 1 : rounds;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bench-etcd-'));
  const env = await startEtcdTestEnv({ plan: { replaceUnhealthyAfterMs: 5000 } }, { audit: showTimeline });
  const audit = showTimeline ? new AuditWrites(env.cp) : undefined;
  const floors: Floor[] = [];
  const load = [os.loadavg()[0]];
  try {
    // Ready: operator and floor in turn; the last of each stays for the rounds below.
    const ready: number[] = [];
    const readyFloor: number[] = [];
    for (let i = 0; i < setupRounds; i++) {
      const name = i === setupRounds - 1 ? 'bench' : `bench-ready-${i}`;
      const t = performance.now();
      await createObject(env.objects, etcdClusterManifest(name, { replicas: 3 }) as unknown as KubernetesObject);
      await waitAvailable(env, name, 3, 180_000, undefined, 50);
      ready.push(performance.now() - t);
      if (i < setupRounds - 1) await deleteIfExists(env, API_VERSION, 'EtcdCluster', name);
      floors.forEach((f) => f.stop());
      floors.length = 0;
      floors.push(await floorThreeMembers(path.join(scratch, `floor-${i}`)));
      readyFloor.push(floors[0].readyMs);
    }
    const floor = floors[0];

    // The same data in both clusters: `mb` MiB in 512 KiB values.
    const members = await membersClient(env, 'bench');
    const pods = await memberPods(env, 'bench');
    await writeData(members.client(pods[0].metadata!.name!, pods[0])!, mb);
    await writeData(floor.members.client('m0', undefined)!, mb);

    // Snapshot: an EtcdBackup until Completed (its file is read back by etcdutl), then etcdctl snapshot save.
    const snapshot: number[] = [];
    const snapshotFloor: number[] = [];
    const snapshotCpu: number[] = [];
    const snapshotFloorCpu: number[] = [];
    let size = 0;
    let floorSize = 0;
    let location = '';
    for (let i = 0; i < setupRounds; i++) {
      let t = performance.now();
      const cpu0 = process.cpuUsage();
      await createObject(env.objects, {
        apiVersion: API_VERSION,
        kind: 'EtcdBackup',
        metadata: { name: `bench-snap-${i}`, namespace: 'default' },
        spec: { etcdClusterRef: { name: 'bench' } },
      } as KubernetesObject);
      const backup = await waitFor(
        'backup Completed',
        async () => {
          const b = await readBackup(env, `bench-snap-${i}`);
          return b?.status?.phase === 'Completed' ? b : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 50 },
      );
      snapshot.push(performance.now() - t);
      const cpu = process.cpuUsage(cpu0);
      snapshotCpu.push((cpu.user + cpu.system) / 1000);
      size = backup.status!.size!;
      if (i === 0) location = backup.status!.location!;
      const floorFile = path.join(scratch, `floor-${i}.db`);
      t = performance.now();
      const r = spawnWithCpu(binaryPath('etcdctl', ETCD_VERSION), [...floor.etcdctlArgs, 'snapshot', 'save', floorFile]);
      snapshotFloor.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`etcdctl snapshot save failed: ${r.stderr}`);
      snapshotFloorCpu.push(r.cpuMs);
      floorSize = fs.statSync(floorFile).size;
      fs.rmSync(floorFile);
    }
    load.push(os.loadavg()[0]);

    // Restore: a new 1-member cluster from the operator's first snapshot until it is Available, then the floor.
    const restore: number[] = [];
    const restoreFloor: number[] = [];
    const restoreEtcdutl: number[] = [];
    const empty: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // What creating the cluster around the data costs: an empty 1-member cluster until Available (PKI, Secrets,
      // Services, claim, pod, etcd start, the pass that sees it), untimed by the restore and not subtracted from it.
      const te = performance.now();
      await createObject(env.objects, etcdClusterManifest(`bench-empty-${i}`, { replicas: 1 }) as unknown as KubernetesObject);
      await waitAvailable(env, `bench-empty-${i}`, 1, 300_000, undefined, 50);
      empty.push(performance.now() - te);
      await deleteIfExists(env, API_VERSION, 'EtcdCluster', `bench-empty-${i}`);
      const name = `bench-restored-${i}`;
      const mark = await audit?.mark();
      const t = performance.now();
      await createObject(
        env.objects,
        etcdClusterManifest(name, { replicas: 1, restoreFrom: { backupName: 'bench-snap-0' } }) as unknown as KubernetesObject,
      );
      await waitAvailable(env, name, 1, 300_000, undefined, 50);
      restore.push(performance.now() - t);
      if (audit && mark) {
        const writes = restoreTimeline(await audit.since(mark), name);
        process.stderr.write(`${JSON.stringify({ timeline: 'restore', round: i, ms: Math.round(restore[i]), writes })}\n`);
      }
      // Untimed: the restored member really holds the data.
      const restored = await membersClient(env, name);
      try {
        const [rp] = await memberPods(env, name);
        const n = Number(await restored.client(rp.metadata!.name!, rp)!.getAll().prefix('/bench/').count());
        if (n !== mb * 2) throw new Error(`restored cluster holds ${n} keys, expected ${mb * 2}`);
      } finally {
        restored.close();
      }
      await deleteIfExists(env, API_VERSION, 'EtcdCluster', name);
      const f = await floorRestore(path.join(scratch, `restored-${i}`), location, floor.tls);
      restoreFloor.push(f.healthyMs);
      restoreEtcdutl.push(f.etcdutlMs);
    }

    // Member replacement: delete a follower's pod and claim (its data), time until 3 healthy members again; then
    // the same by hand on the floor cluster.
    members.close();
    const replace: number[] = [];
    const replaceFloor: number[] = [];
    for (let i = 0; i < (restoreOnly ? 0 : rounds); i++) {
      const c = await readCluster(env, 'bench');
      const victim = c!.status!.members!.find((m) => !m.leader)!.name;
      const t = performance.now();
      await deleteIfExists(env, 'v1', 'PersistentVolumeClaim', `${victim}-data`);
      await deleteIfExists(env, 'v1', 'Pod', victim);
      await waitAvailable(
        env,
        'bench',
        3,
        180_000,
        (x) => (x.status!.members!.some((m) => m.name === victim) ? 'victim still listed' : undefined),
        50,
      );
      replace.push(performance.now() - t);
      replaceFloor.push(await floor.replaceMember());
    }
    load.push(os.loadavg()[0]);

    // MB here are MiB (2^20 bytes), as in the data size.
    const mbps = (bytes: number, ms: number) => Number((bytes / 1024 / 1024 / (ms / 1000)).toFixed(1));
    const ms = (xs: number[]) => Math.round(median(xs));
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
    const result: Record<string, unknown> = {
      data_mib: mb,
      rounds,
      ...(restoreOnly ? { only: 'restore' } : {}),
      db_size_mb: Number((size / 1024 / 1024).toFixed(1)),
      load_avg_1m: load.map((l) => Number(l.toFixed(1))),
      ready_3_members_ms: ms(ready),
      ready_3_members_floor_ms: ms(readyFloor),
      ready_3_members_vs_floor: ratio(median(ready), median(readyFloor)),
      ready_3_members_rounds_ms: ready.map(Math.round),
      ready_3_members_floor_rounds_ms: readyFloor.map(Math.round),
      replace_ms: ms(replace),
      replace_floor_ms: ms(replaceFloor),
      replace_vs_floor: ratio(median(replace), median(replaceFloor)),
      replace_rounds_ms: replace.map(Math.round),
      replace_floor_rounds_ms: replaceFloor.map(Math.round),
      snapshot_ms: ms(snapshot),
      snapshot_mb_per_s: mbps(size, median(snapshot)),
      snapshot_floor_ms: ms(snapshotFloor),
      snapshot_floor_mb_per_s: mbps(floorSize, median(snapshotFloor)),
      snapshot_rounds_ms: snapshot.map(Math.round),
      snapshot_floor_rounds_ms: snapshotFloor.map(Math.round),
      snapshot_throughput_vs_floor: ratio(mbps(size, median(snapshot)), mbps(floorSize, median(snapshotFloor))),
      // CPU: the bench process (operator with its writer thread; also the pod runner and clients) vs etcdctl.
      snapshot_cpu_ms: ms(snapshotCpu),
      snapshot_floor_cpu_ms: ms(snapshotFloorCpu),
      snapshot_cpu_rounds_ms: snapshotCpu.map(Math.round),
      snapshot_floor_cpu_rounds_ms: snapshotFloorCpu.map(Math.round),
      snapshot_cpu_vs_floor: ratio(median(snapshotFloorCpu), median(snapshotCpu)),
      restore_ms: ms(restore),
      restore_mb_per_s: mbps(size, median(restore)),
      restore_floor_ms: ms(restoreFloor),
      restore_floor_mb_per_s: mbps(size, median(restoreFloor)),
      restore_rounds_ms: restore.map(Math.round),
      restore_floor_rounds_ms: restoreFloor.map(Math.round),
      restore_throughput_vs_floor: ratio(median(restoreFloor), median(restore)),
      restore_floor_etcdutl_ms: ms(restoreEtcdutl),
      restore_floor_etcdutl_mb_per_s: mbps(size, median(restoreEtcdutl)),
      restore_floor_etcdutl_rounds_ms: restoreEtcdutl.map(Math.round),
      restore_throughput_vs_etcdutl: ratio(median(restoreEtcdutl), median(restore)),
      // An empty 1-member cluster until Available, in the same rounds: the part of a restore that is not data.
      empty_1_member_ms: ms(empty),
      empty_1_member_rounds_ms: empty.map(Math.round),
    };
    // Restore alone: no member replacement was timed, and the 3-member and backup figures are one untimed-round each.
    if (restoreOnly) for (const k of Object.keys(result)) if (!/^(data_|rounds|only|db_|load_|restore_|empty_)/.test(k)) delete result[k];
    return result;
  } finally {
    floors.forEach((f) => f.stop());
    await env.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
