// `npm run bench -- density [--budget-gib=16] [--max=40] [--etcd=both|dedicated|shared] [--deadline-s=600]
//   [--version=v1.33.13] [--log=FILE]`: real business clusters on this machine, one after another, as `kokpit up
// --runtime sandbox` runs them: a meta control plane, the process pod runner (every business pod a local process),
// the hostPath provisioner, the NodePort proxy and the manager with every kokpit operator. Each cluster is a
// BusinessCluster (etcd + kube-apiserver + kube-controller-manager + kube-scheduler, rendered by the cluster operator,
// etcd by the etcd operator) and 2 kwok Machines (the machine operator runs one kwok per cluster); it counts once it is
// Ready and `kubectl get nodes` through its admin kubeconfig lists its 2 Nodes Ready. Clusters are added until the
// next one would pass the memory budget (the resident memory of the clusters' processes so far plus one more of the
// last one's size), `--max`, a cluster not Ready within `--deadline-s` (the report says why), or SIGINT/SIGTERM; then
// everything is torn down and every pid measured is checked to be gone (`leaked_pids`). Ctrl-C under `npm run bench`:
// tsx's wrapper SIGKILLs its child when it does not acknowledge a signal within 30 ms (easily missed on a loaded
// machine), so `npm run bench` runs `node --import tsx bench/run.ts` (no wrapper) and Ctrl-C stops it cleanly;
// after a SIGKILL the pod processes and kwok still die with this process (PR_SET_PDEATHSIG) and the meta control
// plane is reaped by the next control-plane start (src/controlplane/reaper.ts).
//
// `--etcd=dedicated`: one EtcdCluster (1 member) per BusinessCluster (spec.etcd.managed); `shared`: one EtcdCluster
// that every BusinessCluster names in spec.etcd.clusterRef (its own --etcd-prefix each). `both` (default) runs
// dedicated then shared, each in a fresh environment torn down before the next, and reports both.
//
// Memory is read from /proc: VmRSS (and Pss, which splits the ~100 MB binaries' shared text between the processes
// mapping it) of every process in each container's process group, summed per cluster by component. The baseline,
// measured in the same run, is the meta control plane started directly by the harness (etcd, kube-apiserver,
// kube-controller-manager, no scheduler): its time to Ready and its processes' memory, with no cluster yet.
import type { KubeConfig, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_VERSION } from '../src/api';
import { cachedBinaryPath } from '../src/binaries/build';
import { defaultBinaryProvider } from '../src/binaries/provider';
import type { Logger } from '../src/controller/reconciler';
import { startControlPlane, waitFor, type ControlPlane } from '../src/controlplane';
import { applyObject, makeObjectApi, readObject } from '../src/kube';
import { installKokpitBase, startKokpitManager, stepTimer } from '../src/local/meta';
import { sandboxHostEndpoint, startNodePortProxy, type NodePortProxy } from '../src/local/nodeport-proxy';
import { startHostPathProvisioner } from '../src/local/provisioner';
import { SAMPLE_VERSION, sampleBusinessCluster, sampleMachines } from '../src/local/sample';
import type { Manager } from '../src/manager/manager';
import { kokpitOperators } from '../src/manager/operators';
import { podIPResolver } from '../src/operators/etcd/access';
import { startPodRunner, type PodRunner } from '../src/podrunner';

export type EtcdMode = 'dedicated' | 'shared';
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface DensityOptions {
  budgetGib: number;
  max: number;
  modes: EtcdMode[];
  deadlineS: number;
  version: string;
  log?: string;
}

const SHARED_ETCD = 'shared';

function flagValue(args: string[], name: string): string | undefined {
  return args.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** The bench's flags; an unknown flag or a value out of range is an error naming it. */
export function parseDensityArgs(args: string[]): DensityOptions {
  const known = ['budget-gib', 'max', 'etcd', 'shared-etcd', 'deadline-s', 'version', 'log'];
  for (const a of args) {
    const name = a.replace(/^--/, '').split('=')[0];
    if (!known.includes(name)) throw new Error(`density: unknown flag ${a} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  }
  const num = (name: string, dflt: number, min: number) => {
    const raw = flagValue(args, name);
    const v = raw === undefined ? dflt : Number(raw);
    if (!Number.isFinite(v) || v < min) throw new Error(`density: --${name}=${raw} must be a number ≥ ${min}`);
    return v;
  };
  // `--shared-etcd` alone is `--etcd=shared`.
  const etcd = flagValue(args, 'etcd') ?? (args.includes('--shared-etcd') ? 'shared' : 'both');
  const modes: Record<string, EtcdMode[]> = { both: ['dedicated', 'shared'], dedicated: ['dedicated'], shared: ['shared'] };
  if (!modes[etcd]) throw new Error(`density: --etcd=${etcd} must be both, dedicated or shared`);
  return {
    budgetGib: num('budget-gib', 16, 0.1),
    max: Math.floor(num('max', 40, 1)),
    modes: modes[etcd],
    deadlineS: num('deadline-s', 600, 10),
    version: flagValue(args, 'version') ?? SAMPLE_VERSION,
    log: flagValue(args, 'log'),
  };
}

/** Memory of one process group or component, MiB. */
export interface Mem {
  rss: number;
  pss: number;
}
export type ComponentMem = Partial<Record<Component, Mem>>;

export interface ClusterResult {
  name: string;
  readyMs: number;
  /** Memory of this cluster's processes by component at the end of its mode (the shared etcd is not in it). */
  mem: ComponentMem;
}

export interface ModeResult {
  mode: EtcdMode;
  clusters: ClusterResult[];
  stoppedBecause: string;
  /** The shared EtcdCluster's member, when mode is shared. */
  sharedEtcd?: Mem;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The mean of each component over the clusters (MiB, one decimal), plus their total; `extra` is amortized over them. */
export function perCluster(clusters: ClusterResult[], extra?: Partial<Record<Component, Mem>>): Record<string, Mem> {
  const out: Record<string, Mem> = {};
  if (!clusters.length) return out;
  const total = { rss: 0, pss: 0 };
  for (const c of COMPONENTS) {
    let rss = extra?.[c]?.rss ?? 0;
    let pss = extra?.[c]?.pss ?? 0;
    for (const k of clusters) {
      rss += k.mem[c]?.rss ?? 0;
      pss += k.mem[c]?.pss ?? 0;
    }
    if (!rss && !pss) continue;
    out[c] = { rss: round1(rss / clusters.length), pss: round1(pss / clusters.length) };
    total.rss += rss / clusters.length;
    total.pss += pss / clusters.length;
  }
  out.total = { rss: round1(total.rss), pss: round1(total.pss) };
  return out;
}

/** The report of one mode: snake_case, units in the names. */
export function modeReport(r: ModeResult): Record<string, unknown> {
  const per = perCluster(r.clusters, r.sharedEtcd ? { etcd: r.sharedEtcd } : undefined);
  const pick = (k: keyof Mem) => Object.fromEntries(Object.entries(per).map(([c, m]) => [c, m[k]]));
  return {
    etcd: r.mode,
    clusters_ready: r.clusters.length,
    stopped_because: r.stoppedBecause,
    // Shared mode: the one etcd member's memory divided among the clusters that use it.
    rss_mib_per_cluster: pick('rss'),
    pss_mib_per_cluster: pick('pss'),
    ...(r.sharedEtcd ? { shared_etcd_rss_mib: round1(r.sharedEtcd.rss), shared_etcd_pss_mib: round1(r.sharedEtcd.pss) } : {}),
    total_rss_mib: round1(r.clusters.reduce((s, c) => s + sumMem(c.mem).rss, r.sharedEtcd?.rss ?? 0)),
    time_to_ready_ms_first: r.clusters[0]?.readyMs,
    time_to_ready_ms_last: r.clusters.at(-1)?.readyMs,
    time_to_ready_ms_all: r.clusters.map((c) => c.readyMs),
  };
}

export function sumMem(m: ComponentMem): Mem {
  let rss = 0;
  let pss = 0;
  for (const v of Object.values(m)) {
    rss += v?.rss ?? 0;
    pss += v?.pss ?? 0;
  }
  return { rss, pss };
}

/** Whether one more cluster of `lastMib` fits in the budget on top of `usedMib`. */
export function fitsBudget(usedMib: number, lastMib: number, budgetGib: number): boolean {
  return usedMib + lastMib <= budgetGib * 1024;
}

// --- /proc ---

/** VmRSS and Pss (MiB) of every process whose process group is `pgid` (a container's processes). */
function groupMem(pgid: number): Mem {
  const m = { rss: 0, pss: 0 };
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      Object.assign(m, addMem(m, processMem(Number(d))));
    } catch {
      // gone meanwhile
    }
  }
  return m;
}

function processMem(pid: number): Mem {
  const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { rss: kb(rollup, 'Rss') / 1024, pss: kb(rollup, 'Pss') / 1024 };
}

const addMem = (a: Mem | undefined, b: Mem): Mem => ({ rss: (a?.rss ?? 0) + b.rss, pss: (a?.pss ?? 0) + b.pss });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- the environment: what `kokpit up --runtime sandbox` starts, without its state file ---

interface Env {
  cp: ControlPlane;
  kc: KubeConfig;
  runner: PodRunner;
  /** pid of the kwok the machine operator runs for each business cluster `namespace/name` (from its log). */
  kwok: Map<string, number>;
  /** Every pid measured, checked after the teardown. */
  seen: Set<number>;
  stop(): Promise<void>;
}

async function startEnv(dir: string, version: string, logFile: fs.WriteStream): Promise<Env> {
  const line = (lvl: string) => (m: string) => logFile.write(`${new Date().toISOString()} ${lvl} ${m}\n`);
  const kwok = new Map<string, number>();
  const info = line('info');
  const log: Logger = {
    info: (m) => {
      const k = /started kwok \(pid (\d+)\) for business cluster (\S+)/.exec(m);
      if (k) kwok.set(k[2], Number(k[1]));
      info(m);
    },
    warn: line('warn'),
    error: line('error'),
    debug: () => {},
  };
  let cp: ControlPlane | undefined;
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let proxy: NodePortProxy | undefined;
  let manager: Manager | undefined;
  const stop = async () => {
    // As the sandbox stops: reconcilers, then what runs the pods, then the meta cluster.
    await manager?.stop().catch((e) => log.error(`manager stop: ${e}`));
    await proxy?.stop().catch(() => {});
    await provisioner?.stop().catch(() => {});
    await runner?.stop().catch((e) => log.error(`pod runner stop: ${e}`));
    await cp?.stop().catch((e) => log.error(`control plane stop: ${e}`));
  };
  try {
    cp = await startControlPlane({
      kubernetesVersion: version,
      controllers: true,
      scheduler: false,
      // No `dir`: in the harness's own temp dir, a meta control plane left by a SIGKILLed run is reaped by the next start.
      clusterName: 'kokpit-density',
      readyTimeoutMs: 300_000,
      log: (l) => log.info(`[meta] ${l}`),
    });
    const kc = cp.kubeConfig();
    await installKokpitBase(kc);
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'density-meta-node',
      stateDir: path.join(dir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 1000, maxMs: 10_000 },
      binaries: defaultBinaryProvider(),
      stopGraceMs: 3000,
      log: (l) => log.info(l),
    });
    provisioner = await startHostPathProvisioner(kc, log.warn);
    proxy = await startNodePortProxy(kc, log.info);
    const operators = kokpitOperators({
      etcd: { resolver: podIPResolver, backupRoot: path.join(dir, 'backups'), unsafeNoFsync: true },
      cluster: { hostEndpoint: (_c, svc) => sandboxHostEndpoint(svc) },
    });
    manager = (
      await startKokpitManager(
        stepTimer([], () => {}),
        kc,
        operators,
        log,
      )
    ).manager;
    return { cp, kc, runner, kwok, seen: new Set(), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Memory of every pod in `ns` by business cluster and component (etcd pods by their EtcdCluster). */
async function measure(env: Env, ns: string, names: string[]): Promise<{ byCluster: Map<string, ComponentMem>; shared?: Mem }> {
  const pods = (await env.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns })).items;
  const byCluster = new Map<string, ComponentMem>(names.map((n) => [n, {}]));
  let shared: Mem | undefined;
  const memOf = (p: V1Pod) => {
    let m: Mem = { rss: 0, pss: 0 };
    for (const pid of env.runner.pids(ns, p.metadata!.name!)) {
      env.seen.add(pid);
      m = addMem(m, groupMem(pid));
    }
    return m;
  };
  for (const p of pods) {
    const l = p.metadata?.labels ?? {};
    const etcdCluster = l['kokpit.dev/etcd-cluster'];
    if (etcdCluster === SHARED_ETCD) shared = addMem(shared, memOf(p));
    else if (etcdCluster?.endsWith('-etcd') && byCluster.has(etcdCluster.slice(0, -5))) {
      const m = byCluster.get(etcdCluster.slice(0, -5))!;
      m.etcd = addMem(m.etcd, memOf(p));
    } else if (l['kokpit.dev/cluster'] && byCluster.has(l['kokpit.dev/cluster'])) {
      const m = byCluster.get(l['kokpit.dev/cluster'])!;
      const c = `kube-${l['kokpit.dev/component']}` as Component;
      m[c] = addMem(m[c], memOf(p));
    }
  }
  for (const n of names) {
    const pid = env.kwok.get(`${ns}/${n}`);
    if (pid === undefined || !isAlive(pid)) continue;
    env.seen.add(pid);
    byCluster.get(n)!.kwok = groupMem(pid);
  }
  return { byCluster, shared };
}

function kubectlNodes(kubectl: string, kubeconfig: string): Promise<{ ready: number; out: string }> {
  return new Promise((resolve) =>
    execFile(kubectl, ['--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers', '--request-timeout=10s'], (err, stdout, stderr) => {
      const lines = stdout.split('\n').filter((l) => l.trim());
      resolve({ ready: err ? 0 : lines.filter((l) => /\sReady\s/.test(l)).length, out: err ? stderr.trim() : stdout.trim() });
    }),
  );
}

type Cond = { type: string; status: string; reason?: string; message?: string };

/** Applies one BusinessCluster and its 2 kwok Machines; resolves with the ms until Ready and `kubectl get nodes` shows 2 Ready. */
async function addCluster(
  env: Env,
  ns: string,
  name: string,
  mode: EtcdMode,
  o: { deadlineS: number; kubectl: string; dir: string; interrupted: () => boolean },
): Promise<number> {
  const objects = makeObjectApi(env.kc);
  const bc = sampleBusinessCluster(name, ns) as KubernetesObject & { spec: Record<string, unknown> };
  if (mode === 'shared') bc.spec.etcd = { clusterRef: { name: SHARED_ETCD } };
  const t0 = Date.now();
  await applyObject(objects, bc, { fieldManager: 'bench-density' });
  for (const m of sampleMachines(name, ns)) await applyObject(objects, m, { fieldManager: 'bench-density' });
  const kubeconfig = path.join(o.dir, `${ns}-${name}.kubeconfig`);
  await waitFor(
    `BusinessCluster ${ns}/${name} Ready and kubectl get nodes: 2 Ready`,
    async (s) => {
      const live = await readObject<KubernetesObject & { status?: { conditions?: Cond[] } }>(objects, {
        apiVersion: API_VERSION,
        kind: 'BusinessCluster',
        metadata: { name, namespace: ns },
      });
      const conds = live?.status?.conditions ?? [];
      if (conds.find((c) => c.type === 'Ready')?.status !== 'True') {
        s.lastReason = conds
          .filter((c) => c.status !== 'True')
          .map((c) => `${c.type}=${c.status} ${c.reason ?? ''}: ${(c.message ?? '').slice(0, 200)}`)
          .join('; ');
        return undefined;
      }
      const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${name}-admin-kubeconfig`, namespace: ns },
      });
      if (!secret?.data?.value) return undefined;
      fs.writeFileSync(kubeconfig, Buffer.from(secret.data.value, 'base64'), { mode: 0o600 });
      const nodes = await kubectlNodes(o.kubectl, kubeconfig);
      s.lastReason = `Ready; kubectl get nodes: ${nodes.out.replace(/\s+/g, ' ').slice(0, 300)}`;
      return nodes.ready === 2 ? true : undefined;
    },
    // A thrown probe error is only a reason to retry; abortIf ends the wait.
    { timeoutMs: o.deadlineS * 1000, intervalMs: 2000, abortIf: () => (o.interrupted() ? 'interrupted' : undefined) },
  );
  return Date.now() - t0;
}

async function sharedEtcd(env: Env, ns: string, deadlineS: number, interrupted: () => boolean): Promise<void> {
  const objects = makeObjectApi(env.kc);
  await applyObject(
    objects,
    {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: SHARED_ETCD, namespace: ns },
      spec: { replicas: 1 },
    } as KubernetesObject,
    { fieldManager: 'bench-density' },
  );
  await waitFor(
    'the shared EtcdCluster Available',
    async () => {
      const e = await readObject<KubernetesObject & { status?: { conditions?: Cond[] } }>(objects, {
        apiVersion: API_VERSION,
        kind: 'EtcdCluster',
        metadata: { name: SHARED_ETCD, namespace: ns },
      });
      return e?.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True' || undefined;
    },
    { timeoutMs: deadlineS * 1000, intervalMs: 2000, abortIf: () => (interrupted() ? 'interrupted' : undefined) },
  );
}

async function runMode(
  mode: EtcdMode,
  o: DensityOptions,
  ctl: { interrupted: () => boolean; logFile: fs.WriteStream; kubectl: string },
): Promise<ModeResult & { baseline: Record<string, unknown>; leaked: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kokpit-bench-density-${mode}-`));
  const progress = (m: string) => {
    process.stderr.write(`density [${mode}] ${m}\n`);
    ctl.logFile.write(`${new Date().toISOString()} ${m}\n`);
  };
  const env = await startEnv(dir, o.version, ctl.logFile);
  const ns = `density-${mode}`;
  const clusters: ClusterResult[] = [];
  let stoppedBecause = `--max=${o.max} reached`;
  let shared: Mem | undefined;
  // Baseline: the harness's own control plane (no business cluster yet), same binaries, same run.
  const baselineMem: Record<string, number> = {};
  for (const p of env.cp.processes) baselineMem[p.name] = round1(processMem(p.pid).rss);
  const baseline = { meta_ready_ms: env.cp.timings.totalMs, meta_rss_mib: baselineMem };
  try {
    await applyObject(makeObjectApi(env.kc), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const etcdProblem =
      mode === 'shared'
        ? await sharedEtcd(env, ns, o.deadlineS, ctl.interrupted).then(
            () => undefined,
            (e: Error) => `the shared EtcdCluster not Available within ${o.deadlineS} s: ${e.message}`,
          )
        : undefined;
    if (etcdProblem) stoppedBecause = etcdProblem;
    let used = 0;
    let last = 0;
    for (let i = 1; i <= (etcdProblem ? 0 : o.max); i++) {
      if (ctl.interrupted()) {
        stoppedBecause = 'interrupted (SIGINT/SIGTERM)';
        break;
      }
      if (i > 1 && !fitsBudget(used, last, o.budgetGib)) {
        stoppedBecause = `budget: ${round1(used)} MiB used, one more of ${round1(last)} MiB would pass ${o.budgetGib} GiB`;
        break;
      }
      const name = `d${i}`;
      progress(`cluster ${name}: applying (load ${os.loadavg()[0].toFixed(1)})`);
      let readyMs: number;
      try {
        readyMs = await addCluster(env, ns, name, mode, {
          deadlineS: o.deadlineS,
          kubectl: ctl.kubectl,
          dir,
          interrupted: ctl.interrupted,
        });
      } catch (e) {
        stoppedBecause = ctl.interrupted()
          ? 'interrupted (SIGINT/SIGTERM)'
          : `cluster ${name} not Ready within ${o.deadlineS} s: ${(e as Error).message}`;
        progress(stoppedBecause);
        break;
      }
      const m = await measure(env, ns, [...clusters.map((c) => c.name), name]);
      shared = m.shared;
      last = sumMem(m.byCluster.get(name)!).rss;
      used = [...m.byCluster.values()].reduce((s, x) => s + sumMem(x).rss, shared?.rss ?? 0);
      clusters.push({ name, readyMs, mem: {} });
      progress(`cluster ${name}: Ready in ${readyMs} ms, ${round1(last)} MiB RSS; all clusters ${round1(used)} MiB`);
    }
    if (clusters.length) {
      // Final: every cluster measured at once, after the last one settled.
      await new Promise((r) => setTimeout(r, 10_000));
      const m = await measure(
        env,
        ns,
        clusters.map((c) => c.name),
      );
      for (const c of clusters) c.mem = m.byCluster.get(c.name)!;
      shared = m.shared;
    }
  } finally {
    progress('tearing down');
    await env.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Give the kernel a moment to reap, then anything still alive is a leak.
  await new Promise((r) => setTimeout(r, 2000));
  const leaked = [...env.seen].filter(isAlive);
  return { mode, clusters, stoppedBecause, sharedEtcd: mode === 'shared' ? shared : undefined, baseline, leaked };
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const o = parseDensityArgs(args);
  let kubectl = cachedBinaryPath('kubectl', o.version);
  if (!fs.existsSync(kubectl)) kubectl = cachedBinaryPath('kubectl', 'v1.33.13');
  if (!fs.existsSync(kubectl)) throw new Error(`density: no kubectl at ${kubectl} (npm run setup:bins)`);
  let interrupted = false;
  const onSignal = (sig: string) => {
    process.stderr.write(`density: ${sig}, stopping after tearing everything down\n`);
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const logPath = o.log ?? path.join(os.tmpdir(), `kokpit-bench-density-${Date.now()}.log`);
  const logFile = fs.createWriteStream(logPath, { flags: 'a' });
  process.stderr.write(`density: component logs in ${logPath}\n`);
  const modes: Record<string, unknown>[] = [];
  const baselines: Record<string, unknown>[] = [];
  const leaked: number[] = [];
  try {
    for (const mode of o.modes) {
      if (interrupted) break;
      const r = await runMode(mode, o, { interrupted: () => interrupted, logFile, kubectl });
      modes.push(modeReport(r));
      baselines.push(r.baseline);
      leaked.push(...r.leaked);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await new Promise((r) => logFile.end(r));
  }
  return {
    budget_gib: o.budgetGib,
    max: o.max,
    deadline_s: o.deadlineS,
    kubernetes_version: o.version,
    machines_per_cluster: 2,
    kubectl,
    modes,
    baseline: baselines,
    leaked_pids: leaked,
    interrupted,
    cpus: os.cpus().length,
    mem_total_gib: round1(os.totalmem() / 2 ** 30),
    loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    date: new Date().toISOString(),
  };
}
