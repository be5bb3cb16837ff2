// `npm run bench -- fleet [--clusters=1000] [--checkpoints=100,300,1000] [--steady-s=300] [--workers=2]`:
// one real `kokpit operator` process (the built CLI, as a meta cluster runs it; `--controllers
// cluster,machine,rollout`, no leader election) against the harness control plane, with N BusinessClusters sharing
// one etcd through spec.etcd.clusterRef, added in steps up to each checkpoint. As in the reconcile benchmark, no
// business API server runs (a thousand don't fit): every cluster's meta side is applied (10 Secrets, a Service, 3
// Deployments) and its pass then stops at APIServerNotReady and requeues every 5 s, which is the "steady" state
// measured. The etcd operator is left out because the shared EtcdCluster is a stand-in marked Available.
//
// Reported, all from outside the manager: time to apply each step (the API server's audit log: a cluster is applied
// when its scheduler Deployment, the controllers step's last write, is written by the cluster operator); the
// manager's resident memory (/proc) and JS heap (its /metrics, prom-client's nodejs_heap_size_used_bytes) at each
// checkpoint; its writes (audit log, every kokpit User-Agent) and CPU (/proc) during the steady window; the WATCH
// requests it holds (the API server's apiserver_longrunning_requests); a SIGKILL and restart: time until every
// cluster has been reconciled again (its controller_runtime_reconcile_total) and the writes that made. The floor is
// the reconcile benchmark's: the same objects for N clusters, rendered and server-side applied directly with the
// same concurrency. One run (no repeats: at 1,000 clusters a run takes most of an hour), so the ratio is noisier
// than the interleaved benchmarks'.
import { spawn, type ChildProcess } from 'node:child_process';
import { CustomObjectsApi } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../src/controlplane';
import {
  availableEtcdCluster,
  ensureNamespace,
  installDefaultVersions,
  startPlainEtcd,
  type PlainEtcd,
} from '../test/integration/cluster/support';
import { AGENTS, AuditWrites, describeWrites, writesByResource } from '../test/support/audit-writes';
import { AuditTail } from '../test/support/crash-harness';
import { applyClusters, applyFloor, flag, objectsByCluster, verify } from './reconcile';

const NS = 'fleet';
const FLOOR_NS = 'fleet-floor';
const ETCD_REF = 'shared';
const ROOT = path.resolve(__dirname, '..');
const KOKPIT_AGENTS = new Set<string>(Object.values(AGENTS));

/** One of the API server's or the manager's Prometheus texts. */
function get(url: string, tls?: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : require('node:http');
    mod
      .get(url, { ...(tls ?? {}), agent: false }, (res: import('node:http').IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** Sum of a metric's samples whose labels include every `match` pair. */
function sample(text: string, metric: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (Object.entries(match).some(([k, v]) => !line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Resident memory (MiB) and CPU time (ms) of a process, from /proc. */
function procStats(pid: number): { rssMib: number; cpuMs: number } {
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  return { rssMib: rssKb / 1024, cpuMs: (ticks * 1000) / 100 };
}

interface Manager {
  child: ChildProcess;
  metricsURL: string;
  /** Resolves with the time the manager said its caches synced and its controllers started. */
  running: Promise<number>;
}

/** Starts `kokpit operator` from the built CLI; resolves once it serves /metrics and its caches synced. */
async function startManager(kubeconfig: string, logFile: string): Promise<Manager> {
  const bin = path.join(ROOT, 'bin/kokpit.js');
  const args = ['operator', '--kubeconfig', kubeconfig, '--no-leader-elect', '--controllers', 'cluster,machine,rollout'];
  const child = spawn(
    process.execPath,
    [bin, ...args, '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  let text = '';
  let onRunning: (t: number) => void = () => undefined;
  const running = new Promise<number>((r) => (onRunning = r));
  child.stderr!.on('data', (c: Buffer) => {
    log.write(c);
    text += c.toString();
    if (text.includes('manager running ')) onRunning(Date.now());
  });
  const metricsURL = await waitFor(
    'the manager serving /metrics',
    async (s) => {
      if (child.exitCode !== null) throw new Error(`kokpit operator exited ${child.exitCode}: ${text.slice(-500)}`);
      s.lastReason = text.split('\n').slice(-2).join(' | ');
      return /serving metrics at (http:\/\/\S+)\/metrics/.exec(text)?.[1];
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return { child, metricsURL, running };
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const total = Number(flag(args, 'clusters') ?? 100);
  const checkpoints = (flag(args, 'checkpoints') ?? '100,300,1000')
    .split(',')
    .map(Number)
    .filter((n) => n < total)
    .concat(total);
  const steadyMs = Number(flag(args, 'steady-s') ?? 300) * 1000;
  const workers = 2; // the cluster controller's default in `kokpit operator`, and the floor's concurrency
  if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first: the benchmark runs the built CLI');
  let cp: ControlPlane | undefined;
  let etcd: PlainEtcd | undefined;
  let manager: Manager | undefined;
  let tail: AuditTail | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bench-fleet-'));
  try {
    [cp, etcd] = await Promise.all([startControlPlane({ audit: true }), startPlainEtcd()]);
    const kc = cp.kubeConfig();
    const tls = { ca: cp.adminTLS.caPem, cert: cp.adminTLS.certPem, key: cp.adminTLS.keyPem };
    const audit = new AuditWrites(cp);
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await ensureNamespace(kc, FLOOR_NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, ETCD_REF, etcd);
    const applied = new Map<string, number>();
    tail = new AuditTail(cp.auditLogPath!, (e) => {
      const cluster = e.name?.endsWith('-scheduler') ? e.name.slice(0, -'-scheduler'.length) : undefined;
      if (e.resource === 'deployments' && e.userAgent === AGENTS.cluster && cluster && !applied.has(cluster))
        applied.set(cluster, e.seenAt);
    });
    tail.start();
    const watches = async () => sample(await get(`${cp!.server}/metrics`, tls), 'apiserver_longrunning_requests', { verb: 'WATCH' });
    const watches0 = await watches();
    const logFile = path.join(dir, 'manager.log');
    manager = await startManager(cp.kubeconfigPath, logFile);

    // --- Growing the fleet, checkpoint by checkpoint. ---
    const steps: Record<string, unknown>[] = [];
    let applyMs = 0;
    let from = 0;
    for (const n of checkpoints) {
      const t0 = Date.now();
      await applyClusters(kc, NS, n, from);
      await waitFor(
        `${n} clusters' objects applied`,
        async (s) => {
          if (manager!.child.exitCode !== null) throw new Error(`the manager exited (${manager!.child.exitCode}); log: ${logFile}`);
          s.lastReason = `${applied.size}/${n} applied`;
          return applied.size >= n || undefined;
        },
        { timeoutMs: 3_600_000, intervalMs: 250 },
      );
      const ms = Math.max(...applied.values()) - t0;
      applyMs += ms;
      from = n;
      await new Promise((r) => setTimeout(r, 5_000)); // let the last passes' garbage go before sampling memory
      const m = await get(`${manager.metricsURL}/metrics`);
      const p = procStats(manager.child.pid!);
      steps.push({
        clusters: n,
        apply_ms: ms,
        rss_mib: Math.round(p.rssMib),
        heap_used_mib: Math.round(sample(m, 'nodejs_heap_size_used_bytes') / 2 ** 20),
        watches: (await watches()) - watches0,
      });
    }
    const owned = await objectsByCluster(kc, NS);
    const uids = new Map<string, string>();
    for (const b of await kc
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({ group: 'kokpit.dev', version: 'v1alpha1', namespace: NS, plural: 'businessclusters' })
      .then((l) => (l as { items: { metadata: { name: string; uid: string } }[] }).items))
      uids.set(b.metadata.name, b.metadata.uid);
    const checked = await verify(kc, NS, uids);

    // --- Steady: nothing changes; every pass requeues at APIServerNotReady. ---
    const steadyMark = await audit.mark();
    const cpu0 = procStats(manager.child.pid!).cpuMs;
    const reconciles0 = sample(await get(`${manager.metricsURL}/metrics`), 'controller_runtime_reconcile_total', {
      controller: 'businesscluster',
    });
    await new Promise((r) => setTimeout(r, steadyMs));
    const steadyCpuMs = procStats(manager.child.pid!).cpuMs - cpu0;
    const steadyPasses =
      sample(await get(`${manager.metricsURL}/metrics`), 'controller_runtime_reconcile_total', { controller: 'businesscluster' }) -
      reconciles0;
    const steady = (await audit.since(steadyMark)).filter((e) => KOKPIT_AGENTS.has(e.userAgent ?? ''));
    if (steady.length) process.stderr.write(`steady-state writes:\n${describeWrites(steady)}\n`);

    // --- A crash and a restart with the whole fleet present. ---
    manager.child.kill('SIGKILL');
    await new Promise((r) => manager!.child.once('exit', r));
    const restartMark = await audit.mark();
    const tRestart = Date.now();
    manager = await startManager(cp.kubeconfigPath, logFile);
    const syncedMs = (await manager.running) - tRestart;
    await waitFor(
      'every cluster reconciled again after the restart',
      async (s) => {
        const done = sample(await get(`${manager!.metricsURL}/metrics`), 'controller_runtime_reconcile_total', {
          controller: 'businesscluster',
        });
        s.lastReason = `${done}/${total} passes`;
        return done >= total || undefined;
      },
      { timeoutMs: 1_800_000, intervalMs: 250 },
    );
    const reverifiedMs = Date.now() - tRestart;
    const restartWrites = (await audit.since(restartMark)).filter((e) => KOKPIT_AGENTS.has(e.userAgent ?? ''));
    if (restartWrites.length) process.stderr.write(`restart writes:\n${describeWrites(restartWrites)}\n`);
    manager.child.kill('SIGTERM');
    await new Promise((r) => manager!.child.once('exit', r));
    manager = undefined;

    // --- The floor. ---
    const floor = await applyFloor(kc, FLOOR_NS, total, workers, owned, etcd.url);
    if (floor.objectsPerCluster !== checked.objectsPerCluster)
      throw new Error(`floor applied ${floor.objectsPerCluster} objects per cluster, the operator ${checked.objectsPerCluster}`);
    const first = steps[0] as { clusters: number; rss_mib: number };
    const last = steps.at(-1) as { clusters: number; rss_mib: number };
    return {
      clusters: total,
      apply_ms: applyMs,
      floor_apply_ms: floor.ms,
      ratio: Number((applyMs / floor.ms).toFixed(2)),
      objects_per_cluster: checked.objectsPerCluster,
      checkpoints: steps,
      rss_mib_per_cluster: Number(((last.rss_mib - first.rss_mib) / Math.max(1, last.clusters - first.clusters)).toFixed(3)),
      steady_s: steadyMs / 1000,
      steady_writes: steady.length,
      steady_writes_by_resource: writesByResource(steady),
      steady_passes: steadyPasses,
      steady_cpu_ms: Math.round(steadyCpuMs),
      restart_synced_ms: syncedMs,
      restart_reverified_ms: reverifiedMs,
      restart_writes: restartWrites.length,
      cpus: os.cpus().length,
      loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    };
  } finally {
    tail?.stop();
    if (manager?.child.exitCode === null) manager.child.kill('SIGKILL');
    await Promise.allSettled([cp?.stop(), etcd?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
