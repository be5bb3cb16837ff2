// etcd operator: time to a ready 3-member TLS cluster, member replacement time, and snapshot
// throughput, each beside its floor measured in the same run:
// - ready floor: 3 etcd processes started directly with a static --initial-cluster (no API server, no
//   learners; what a cluster costs at the very least on this machine);
// - snapshot floor: `etcdctl snapshot save` against the same member the operator's EtcdBackup used.
// Setup (control plane, pod runner, operator) is not timed. `--mb=<n>` sets the data size (default 32).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../src/api';
import { binaryPath } from '../src/binaries/build';
import { ETCD_VERSION } from '../src/binaries/catalog';
import { createObject } from '../src/kube';
import type { Etcd3 } from 'etcd3';
import { EtcdMembers } from '../src/operators/etcd/access';
import { createCA, issueCert } from '../src/pki';
import { freePort, waitFor } from '../src/testenv';
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
  stop(): void;
}

async function floorThreeMembers(dir: string): Promise<Floor> {
  const etcd = binaryPath('etcd', ETCD_VERSION);
  const ca = await createCA('bench-etcd-ca', { validDays: 1 });
  const cert = await issueCert(ca, { commonName: 'etcd', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 1, usages: ['server', 'client'] });
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
  const peer = (i: number) => `https://127.0.0.1:${ports[i * 2 + 1]}`;
  const client = (i: number) => `https://127.0.0.1:${ports[i * 2]}`;
  const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const t0 = performance.now();
  const procs = names.map((n, i) =>
    spawn(
      etcd,
      [
        `--name=${n}`, `--data-dir=${path.join(dir, n)}`,
        `--listen-client-urls=${client(i)}`, `--advertise-client-urls=${client(i)}`,
        `--listen-peer-urls=${peer(i)}`, `--initial-advertise-peer-urls=${peer(i)}`,
        `--initial-cluster=${initial}`, '--initial-cluster-state=new', '--initial-cluster-token=bench',
        `--cert-file=${crt}`, `--key-file=${key}`, `--trusted-ca-file=${caFile}`, '--client-cert-auth=true',
        `--peer-cert-file=${crt}`, `--peer-key-file=${key}`, `--peer-trusted-ca-file=${caFile}`, '--peer-client-cert-auth=true',
        '--unsafe-no-fsync=true', '--log-level=error', '--listen-metrics-urls=',
      ],
      { stdio: 'ignore' },
    ),
  );
  const members = new EtcdMembers({ name: 'bench', namespace: 'floor' }, { resolve: (_c, m) => ({ address: client(Number(m.slice(1))).slice(8), serverName: 'localhost' }) }, {
    caPem: ca.certPem,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
  });
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
  return {
    readyMs: performance.now() - t0,
    members,
    etcdctlArgs: [`--endpoints=${client(0)}`, `--cacert=${caFile}`, `--cert=${crt}`, `--key=${key}`],
    stop,
  };
}

async function writeData(kv: Etcd3, mb: number): Promise<void> {
  const value = Buffer.alloc(64 * 1024, 'x');
  for (let i = 0; i < mb * 16; i++) await kv.put(`/bench/${i}`).value(value);
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const mb = Number(args.find((a) => a.startsWith('--mb='))?.slice(5) ?? 32);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bench-etcd-'));
  const env = await startEtcdTestEnv({ plan: { replaceUnhealthyAfterMs: 5000 } });
  let floor: Floor | undefined;
  try {
    floor = await floorThreeMembers(path.join(scratch, 'floor'));

    let t = performance.now();
    await createObject(env.objects, etcdClusterManifest('bench', { replicas: 3 }) as unknown as KubernetesObject);
    await waitAvailable(env, 'bench', 3, 180_000);
    const readyMs = performance.now() - t;

    // The same data in both clusters: `mb` MiB in 64 KiB values.
    const members = await membersClient(env, 'bench');
    const pods = await memberPods(env, 'bench');
    await writeData(members.client(pods[0].metadata!.name!, pods[0])!, mb);
    await writeData(floor.members.client('m0', undefined)!, mb);

    t = performance.now();
    await createObject(env.objects, {
      apiVersion: API_VERSION,
      kind: 'EtcdBackup',
      metadata: { name: 'bench-snap', namespace: 'default' },
      spec: { etcdClusterRef: { name: 'bench' } },
    } as KubernetesObject);
    const backup = await waitFor(
      'backup Completed',
      async () => {
        const b = await readBackup(env, 'bench-snap');
        return b?.status?.phase === 'Completed' ? b : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 50 },
    );
    const backupMs = performance.now() - t;
    const size = backup.status!.size!;

    const floorFile = path.join(scratch, 'floor.db');
    t = performance.now();
    const r = spawnSync(binaryPath('etcdctl', ETCD_VERSION), [...floor.etcdctlArgs, 'snapshot', 'save', floorFile], { encoding: 'utf8' });
    const etcdctlMs = performance.now() - t;
    if (r.status !== 0) throw new Error(`etcdctl snapshot save failed: ${r.stderr}`);

    // Member replacement: delete a follower's pod and claim (its data), time until 3 healthy members again.
    const c = await readCluster(env, 'bench');
    const victim = c!.status!.members!.find((m) => !m.leader)!.name;
    t = performance.now();
    await deleteIfExists(env, 'v1', 'PersistentVolumeClaim', `${victim}-data`);
    await deleteIfExists(env, 'v1', 'Pod', victim);
    await waitAvailable(env, 'bench', 3, 180_000, (x) => (x.status!.members!.some((m) => m.name === victim) ? 'victim still listed' : undefined));
    const replaceMs = performance.now() - t;
    members.close();

    const mbps = (bytes: number, ms: number) => Number((bytes / 1024 / 1024 / (ms / 1000)).toFixed(1));
    return {
      data_mib: mb,
      ready_3_members_ms: Math.round(readyMs),
      ready_3_members_floor_ms: Math.round(floor.readyMs),
      member_replacement_ms: Math.round(replaceMs),
      snapshot_bytes: size,
      snapshot_backup_cr_ms: Math.round(backupMs),
      snapshot_backup_cr_mb_per_s: mbps(size, backupMs),
      snapshot_etcdctl_floor_ms: Math.round(etcdctlMs),
      snapshot_etcdctl_floor_mb_per_s: mbps(fs.statSync(floorFile).size, etcdctlMs),
    };
  } finally {
    floor?.stop();
    await env.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
