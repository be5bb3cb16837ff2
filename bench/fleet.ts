// `npm run bench -- fleet [--clusters=1000] [--step=100] [--steady-s=300] [--grow-budget-s=N] [--workers=8] [--no-floor]`:
// one real `kokpit operator` process (the built CLI, as a meta cluster runs it; `--controllers
// cluster,machine,rollout`, no leader election) against the harness control plane, with N BusinessClusters sharing
// one etcd through spec.etcd.clusterRef, added `--step` at a time (each step applied before the next). As in the reconcile benchmark, no
// business API server runs (a thousand don't fit): every cluster's meta side is applied (11 Secrets, a Service, 3
// Deployments) and its pass then stops at APIServerNotReady and requeues every 30 s, which is the "steady" state
// measured. The etcd operator is left out because the shared EtcdCluster is a stand-in marked Available.
//
// Reported, all from outside the manager: time to apply each step (the API server's audit log: a cluster is applied
// when its scheduler Deployment, the controllers step's last write, is written by the cluster operator); the
// manager's resident memory (/proc) and JS heap (its /metrics, prom-client's nodejs_heap_size_used_bytes) with no
// cluster and after each step; its writes (audit log, every kokpit User-Agent) and CPU (/proc) during the steady window; the WATCH
// requests it holds (the API server's apiserver_longrunning_requests); a SIGKILL and restart: time until every
// cluster has been reconciled again (its controller_runtime_reconcile_total), the writes that made and the manager's
// CPU time until then (close to the wall time: the re-verification is CPU-bound). `--workers`: the cluster controller's
// concurrency (`--concurrent-cluster-syncs`, default the operator's) and the floor's. `--no-floor`: no floor steps (a
// quicker way to a large fleet when only memory, steady state and the restart are wanted). The floor is
// the reconcile benchmark's: the same objects for as many clusters, rendered and server-side applied directly with the
// same client and concurrency. It is interleaved with the growth: after each step, the same step's clusters applied
// directly (another namespace, their BusinessClusters paused so the running manager leaves them alone; removed again
// before the next step so they cost the manager no memory), and the ratio is the median of the steps' ratios. The
// default step makes at least 3 of them.
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
import { makeObjectApi, deleteObject, listObjects } from '../src/kube';
import { API } from '../test/integration/cluster/support';
import { applyClusters, applyFloor, clusterName, flag, objectsByCluster, pool, verify } from './reconcile';
import { DEFAULT_CLUSTER_WORKERS } from '../src/operators/cluster/operator';

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
async function startManager(
  kubeconfig: string,
  logFile: string,
  /** undefined: the CLI's default (a build older than --concurrent-cluster-syncs has no flag for it). */
  workers: number | undefined,
  // KOKPIT_BENCH_CLI: another build's bin/kokpit.js (one made apart from dist/, which other runs may be using).
  bin = process.env.KOKPIT_BENCH_CLI ?? path.join(ROOT, 'bin/kokpit.js'),
): Promise<Manager> {
  const args = ['operator', '--kubeconfig', kubeconfig, '--no-leader-elect', '--controllers', 'cluster,machine,rollout'];
  if (workers !== undefined) args.push('--concurrent-cluster-syncs', String(workers));
  // KOKPIT_BENCH_CPU_PROF=<dir>: the manager writes a V8 CPU profile there when it exits (SIGTERM; not after the SIGKILL).
  const prof = process.env.KOKPIT_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KOKPIT_BENCH_CPU_PROF}`] : [];
  const child = spawn(
    process.execPath,
    [...prof, bin, ...args, '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0'],
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

/** Removes what a floor step applied in `ns` (its clusters are paused: nothing holds a finalizer). */
async function clearFloor(kc: import('@kubernetes/client-node').KubeConfig, ns: string): Promise<void> {
  const objects = makeObjectApi(kc);
  for (const [apiVersion, kind] of [
    ['apps/v1', 'Deployment'],
    ['v1', 'Service'],
    ['v1', 'Secret'],
    [API, 'BusinessCluster'],
  ]) {
    const items = await listObjects(objects, apiVersion, kind, { namespace: ns });
    await pool(items, 20, async (o) => void (await deleteObject(objects, { ...o, apiVersion, kind } as never)));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The manager's reconcile passes of BusinessClusters so far (its /metrics). */
async function clusterPasses(m: Manager): Promise<number> {
  return sample(await get(`${m.metricsURL}/metrics`), 'controller_runtime_reconcile_total', { controller: 'businesscluster' });
}

/**
 * The whole run. What it measured goes into `out` as it goes: when a phase fails or times out, the result says
 * `stopped` (where and why) beside everything measured before, instead of the run ending without numbers.
 */
export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let phase = 'start';
  const started = Date.now();
  try {
    await measure(args, out, (p) => {
      phase = p;
      process.stderr.write(`fleet bench: ${p} (${Math.round((Date.now() - started) / 1000)} s)\n`);
    });
  } catch (e) {
    out.stopped = `${phase}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const load = Number(os.loadavg()[0].toFixed(2));
  return { ...out, run_s: Math.round((Date.now() - started) / 1000), cpus: os.cpus().length, loadavg_1m: load };
}

// One benchmark from start to end, in the order the issue lists its goals; the phases share the control plane,
// the manager and `out`.
async function measure(args: string[], out: Record<string, unknown>, enter: (phase: string) => void): Promise<void> {
  const total = Number(flag(args, 'clusters') ?? 100);
  // At most 100 at a time, and at least 3 steps: each step's apply is one of the ratios the median is taken of.
  const step = Number(flag(args, 'step') ?? Math.min(100, Math.ceil(total / 3)));
  // Growth stops at the first step that ends after this budget; the rest of the run measures the fleet it reached.
  const growBudgetMs = Number(flag(args, 'grow-budget-s') ?? Infinity) * 1000;
  const steadyMs = Number(flag(args, 'steady-s') ?? 300) * 1000;
  // The cluster controller's concurrency in `kokpit operator` (its default unless given), and the floor's.
  const workersFlag = flag(args, 'workers') === undefined ? undefined : Number(flag(args, 'workers'));
  const workers = workersFlag ?? DEFAULT_CLUSTER_WORKERS;
  const floorSteps = !args.includes('--no-floor');
  out.workers = workers;
  if (!process.env.KOKPIT_BENCH_CLI && !fs.existsSync(path.join(ROOT, 'dist/cli.js')))
    throw new Error('run `npm run build` first: the benchmark runs the built CLI');
  let cp: ControlPlane | undefined;
  let etcd: PlainEtcd | undefined;
  let manager: Manager | undefined;
  let tail: AuditTail | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bench-fleet-'));
  try {
    enter('control plane');
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
    enter('manager start');
    manager = await startManager(cp.kubeconfigPath, logFile, workersFlag);
    await manager.running;
    const sampleManager = async (clusters: number) => {
      const m = await get(`${manager!.metricsURL}/metrics`);
      return {
        clusters,
        rss_mib: Math.round(procStats(manager!.child.pid!).rssMib),
        heap_used_mib: Math.round(sample(m, 'nodejs_heap_size_used_bytes') / 2 ** 20),
        watches: (await watches()) - watches0,
      };
    };
    // The manager with no cluster yet: what the memory per cluster is measured against.
    const baseline = await sampleManager(0);
    out.baseline = baseline;

    // --- Growing the fleet, step by step (memory, watches and apply time at each). ---
    type Step = Awaited<ReturnType<typeof sampleManager>> & {
      apply_ms: number;
      /** The manager's CPU time while it applied the step, and the floor's (this process's) while it applied the same. */
      cpu_ms: number;
      floor_ms?: number;
      floor_cpu_ms?: number;
      ratio?: number;
      load_1m: number;
    };
    const steps: Step[] = [];
    out.steps = steps;
    let applyMs = 0;
    let n = 0;
    const tGrow = Date.now();
    while (n < total) {
      if (Date.now() - tGrow > growBudgetMs) {
        out.stopped_growing = `the growth budget of ${growBudgetMs / 1000} s was used at ${n} clusters`;
        break;
      }
      const to = Math.min(total, n + step);
      enter(`growing to ${to}`);
      const t0 = Date.now();
      const cpu0 = procStats(manager.child.pid!).cpuMs;
      await applyClusters(kc, NS, to, n);
      await waitFor(
        `${to} clusters' objects applied`,
        async (s) => {
          if (manager!.child.exitCode !== null) throw new Error(`the manager exited (${manager!.child.exitCode}); log: ${logFile}`);
          s.lastReason = `${applied.size}/${to} applied`;
          return applied.size >= to || undefined;
        },
        { timeoutMs: 3_600_000, intervalMs: 250 },
      );
      const ms = Math.max(...applied.values()) - t0;
      const cpuMs = Math.round(procStats(manager.child.pid!).cpuMs - cpu0); // to within the 250 ms poll above
      applyMs += ms;
      await new Promise((r) => setTimeout(r, 5_000)); // let the last passes' garbage go before sampling memory
      const from = n;
      n = to;
      const s: Step = { ...(await sampleManager(n)), apply_ms: ms, cpu_ms: cpuMs, load_1m: Number(os.loadavg()[0].toFixed(2)) };
      steps.push(s);
      out.clusters = n;
      out.apply_ms = applyMs;
      out.rss_mib_per_cluster = Number(((s.rss_mib - baseline.rss_mib) / n).toFixed(3));
      out.heap_mib_per_cluster = Number(((s.heap_used_mib - baseline.heap_used_mib) / n).toFixed(3));
      if (!floorSteps) continue;
      // The floor of this step, right after it and beside the same manager: the same clusters' objects applied directly.
      enter(`floor ${from}..${to - 1}`);
      const keys = await objectsByCluster(kc, NS);
      const floor = await applyFloor(kc, FLOOR_NS, to, workers, keys, etcd.url, { from, paused: true });
      const mine = keys.get(clusterName(from))!;
      const operatorObjects = mine.secrets.length + mine.services.length + mine.deployments.length;
      if (floor.objectsPerCluster !== operatorObjects)
        throw new Error(`floor applied ${floor.objectsPerCluster} objects per cluster, the operator ${operatorObjects}`);
      await clearFloor(kc, FLOOR_NS);
      s.floor_ms = floor.ms;
      s.floor_cpu_ms = floor.cpuMs;
      s.ratio = Number((ms / floor.ms).toFixed(2));
      process.stderr.write(`fleet bench: ${JSON.stringify(s)}\n`);
      const ratios = steps.map((x) => x.ratio!);
      Object.assign(out, {
        floor_apply_ms: steps.reduce((a, x) => a + x.floor_ms!, 0),
        ratio: Number(median(ratios).toFixed(2)),
        ratios,
        ratio_total: Number((applyMs / steps.reduce((a, x) => a + x.floor_ms!, 0)).toFixed(2)),
      });
    }
    enter('verify');
    const uids = new Map<string, string>();
    for (const b of await kc
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({ group: 'kokpit.dev', version: 'v1alpha1', namespace: NS, plural: 'businessclusters' })
      .then((l) => (l as { items: { metadata: { name: string; uid: string } }[] }).items))
      uids.set(b.metadata.name, b.metadata.uid);
    const checked = await verify(kc, NS, uids);
    out.objects_per_cluster = checked.objectsPerCluster;

    // --- Steady: nothing changes; every pass requeues at APIServerNotReady. ---
    enter(`steady ${steadyMs / 1000} s`);
    const steadyMark = await audit.mark();
    const cpu0 = procStats(manager.child.pid!).cpuMs;
    const passes0 = await clusterPasses(manager);
    await new Promise((r) => setTimeout(r, steadyMs));
    const steadyCpuMs = procStats(manager.child.pid!).cpuMs - cpu0;
    const steady = (await audit.since(steadyMark)).filter((e) => KOKPIT_AGENTS.has(e.userAgent ?? ''));
    if (steady.length) process.stderr.write(`steady-state writes:\n${describeWrites(steady)}\n`);
    Object.assign(out, {
      steady_s: steadyMs / 1000,
      steady_writes: steady.length,
      steady_writes_by_resource: writesByResource(steady),
      steady_passes: (await clusterPasses(manager)) - passes0,
      steady_cpu_ms: Math.round(steadyCpuMs),
      steady_cpu_pct: Number(((100 * steadyCpuMs) / steadyMs).toFixed(1)),
      steady_rss_mib: Math.round(procStats(manager.child.pid!).rssMib),
    });

    // --- A crash and a restart with the whole fleet present. ---
    // KOKPIT_BENCH_RESTARTS=<bin>[@workers],...: one restart per entry, in order, on the same fleet (builds and
    // worker counts compared in the same conditions); the first one's numbers are also the restart_* fields.
    const variants = (process.env.KOKPIT_BENCH_RESTARTS ?? '')
      .split(',')
      .filter(Boolean)
      .map((v) => ({ bin: v.split('@')[0], workers: v.includes('@') ? Number(v.split('@')[1]) : undefined }));
    const restarts: Array<Record<string, unknown>> = [];
    for (const [i, v] of (variants.length ? variants : [{ bin: undefined, workers: workersFlag }]).entries()) {
      enter(`restart ${i + 1}${v.bin ? ` (${v.bin}${v.workers ? `@${v.workers}` : ''})` : ''}`);
      manager.child.kill('SIGKILL');
      await new Promise((r) => manager!.child.once('exit', r));
      const restartMark = await audit.mark();
      const tRestart = Date.now();
      manager = await startManager(cp.kubeconfigPath, logFile, v.workers, v.bin);
      const r: Record<string, unknown> = { ...(v.bin ? { cli: v.bin, restart_workers: v.workers ?? 'default' } : {}) };
      r.restart_synced_ms = (await manager.running) - tRestart;
      await waitFor(
        'every cluster reconciled again after the restart',
        async (s) => {
          const done = await clusterPasses(manager!);
          s.lastReason = `${done}/${n} passes`;
          return done >= n || undefined;
        },
        { timeoutMs: 1_800_000, intervalMs: 250 },
      );
      r.restart_reverified_ms = Date.now() - tRestart;
      r.restart_cpu_ms = Math.round(procStats(manager.child.pid!).cpuMs); // the new process's, from its start
      const restartWrites = (await audit.since(restartMark)).filter((e) => KOKPIT_AGENTS.has(e.userAgent ?? ''));
      if (restartWrites.length) process.stderr.write(`restart writes:\n${describeWrites(restartWrites)}\n`);
      r.restart_writes = restartWrites.length;
      r.restart_watches = (await watches()) - watches0;
      r.load_1m = Number(os.loadavg()[0].toFixed(2));
      process.stderr.write(`fleet bench: ${JSON.stringify(r)}\n`);
      restarts.push(r);
      if (i === 0) Object.assign(out, r);
    }
    if (restarts.length > 1) out.restarts = restarts;
    manager.child.kill('SIGTERM');
    await new Promise((r) => manager!.child.once('exit', r));
    manager = undefined;
  } finally {
    tail?.stop();
    if (manager?.child.exitCode === null) manager.child.kill('SIGKILL');
    await Promise.allSettled([cp?.stop(), etcd?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
