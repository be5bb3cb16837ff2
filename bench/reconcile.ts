// `npm run bench -- reconcile [--count=100] [--workers=2] [--requeue-ms=5000]`: N BusinessClusters on the
// harness control plane, reconciled by the cluster operator running in this process.
//
// What "applied" means here: the meta-cluster side of every cluster — 11 PKI Secrets, the apiserver Service
// and the apiserver/controller-manager/scheduler Deployments — exists, owned by its cluster, and each
// Deployment's secrets-hash annotation matches the live Secrets it mounts. The clock stops when the last
// cluster's pass has applied its controllers step (the reconciler's afterStep hook: its applies returned);
// the API is checked afterwards. 100 business kube-apiservers don't fit on this machine, so no pods run
// (no controller-manager, no kwok): the reconciler renders the controller Deployments without waiting for
// apiserver pods, then stops each pass at APIServerNotReady and requeues, which is the state measured.
// One shared real etcd is bound through spec.etcd.clusterRef, so every cluster gets its own prefix.
//
// Floor, same run: the same objects for N more clusters (another namespace), rendered with the pure render
// functions from the key material the operator made (no key generation) and server-side applied with the
// same client, field manager and concurrency (`workers` clusters at a time, objects in order), no reconciler.
//
// The operator's writes are the ones the API server's audit log records with its User-Agent
// (test/support/audit-writes.ts), not counted by the operator; no business API server runs, so none go there.
import * as os from 'node:os';
import { type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import {
  withDefaults,
  type BusinessCluster,
  type DefaultedBusinessCluster,
  type KubernetesVersion,
  type KubernetesVersionSpec,
} from '../src/api';
import { applyObject, listObjects, makeObjectApi } from '../src/kube';
import { startClusterOperator, type ClusterOperator } from '../src/operators/cluster/operator';
import { apiServerMountedSecrets, renderAPIServerDeployment, renderAPIServerService } from '../src/operators/cluster/render/apiserver';
import { contentHash, secretsHash, SECRETS_HASH_ANNOTATION } from '../src/operators/cluster/render/common';
import {
  controllerManagerMountedSecrets,
  renderControllerManagerDeployment,
  renderSchedulerDeployment,
  schedulerMountedSecrets,
} from '../src/operators/cluster/render/controllers';
import { etcdPrefix } from '../src/operators/cluster/render/etcd';
import type { ControlPlaneInputs } from '../src/operators/cluster/render/inputs';
import { renderSecret } from '../src/operators/cluster/render/pki';
import { names } from '../src/operators/cluster/names';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../src/controlplane';
import {
  API,
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  startPlainEtcd,
  type PlainEtcd,
} from '../test/integration/cluster/support';
import { AGENTS, AuditWrites, describeWrites, writesByResource, type AuditEvent } from '../test/support/audit-writes';
import { AuditTail } from '../test/support/crash-harness';

const NS = 'bench';
const FLOOR_NS = 'bench-floor';
const VERSION = 'v1.33.13';
const ETCD_REF = 'shared';
const PKI_SECRETS = 11;

type Obj = KubernetesObject & { type?: string; data?: Record<string, string>; spec?: any; status?: any };

export function flag(args: string[], name: string): string | undefined {
  return args.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export const clusterName = (i: number) => `c${String(i).padStart(3, '0')}`;
const clusterSpec = () => ({ version: VERSION, etcd: { clusterRef: { name: ETCD_REF } }, apiServer: { service: { type: 'NodePort' } } });

const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export interface ClusterObjects {
  secrets: Obj[];
  services: Obj[];
  deployments: Obj[];
}

/** Every Secret, Service and Deployment in `ns` labelled with a cluster, grouped by cluster. */
export async function objectsByCluster(kc: KubeConfig, ns: string): Promise<Map<string, ClusterObjects>> {
  const objects = makeObjectApi(kc);
  const out = new Map<string, ClusterObjects>();
  const group = (o: Obj) => {
    const c = o.metadata!.labels!['kokpit.dev/cluster'];
    if (!out.has(c)) out.set(c, { secrets: [], services: [], deployments: [] });
    return out.get(c)!;
  };
  const sel = { namespace: ns, labelSelector: 'kokpit.dev/cluster' };
  for (const s of await listObjects<Obj>(objects, 'v1', 'Secret', sel)) group(s).secrets.push(s);
  for (const s of await listObjects<Obj>(objects, 'v1', 'Service', sel)) group(s).services.push(s);
  for (const d of await listObjects<Obj>(objects, 'apps/v1', 'Deployment', sel)) group(d).deployments.push(d);
  return out;
}

/** Problems with one cluster's objects: count, controller owner, and pod-template hashes of the live Secrets. */
function checkCluster(name: string, uid: string, objs: ClusterObjects | undefined): string[] {
  if (!objs) return [`${name}: no objects`];
  const problems: string[] = [];
  const all = [...objs.secrets, ...objs.services, ...objs.deployments];
  // 6 certificates, the service-account keys and 4 kubeconfigs (admin, superadmin, controller-manager, scheduler).
  if (objs.secrets.length !== PKI_SECRETS || objs.services.length !== 1 || objs.deployments.length !== 3) {
    const have = `${objs.secrets.length} Secrets, ${objs.services.length} Services, ${objs.deployments.length} Deployments`;
    problems.push(`${name}: ${have} (want ${PKI_SECRETS}, 1, 3)`);
  }
  for (const o of all) {
    const owner = o.metadata?.ownerReferences?.find((r) => r.controller);
    if (owner?.kind !== 'BusinessCluster' || owner.uid !== uid)
      problems.push(`${name}: ${o.kind} ${o.metadata!.name} is not owned by its cluster`);
  }
  const hashes = Object.fromEntries(objs.secrets.map((s) => [s.metadata!.name!, contentHash(s.data ?? {})]));
  const mounted: Record<string, string[]> = {
    [names.apiServer(name)]: apiServerMountedSecrets(name),
    [names.controllerManager(name)]: controllerManagerMountedSecrets(name),
    [names.scheduler(name)]: schedulerMountedSecrets(name),
  };
  for (const d of objs.deployments) {
    const want = mounted[d.metadata!.name!];
    const have = d.spec?.template?.metadata?.annotations?.[SECRETS_HASH_ANNOTATION];
    try {
      if (!want || have !== secretsHash(want, hashes))
        problems.push(`${name}: Deployment ${d.metadata!.name} has a stale ${SECRETS_HASH_ANNOTATION}`);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  return problems;
}

export async function verify(
  kc: KubeConfig,
  ns: string,
  clusters: Map<string, string>,
): Promise<{ objectsPerCluster: number; maxDeploymentGeneration: number }> {
  const byCluster = await objectsByCluster(kc, ns);
  const problems = [...clusters].flatMap(([name, uid]) => checkCluster(name, uid, byCluster.get(name)));
  if (problems.length)
    throw new Error(`objects in ${ns} are not as rendered (${problems.length} problems): ${problems.slice(0, 5).join('; ')}`);
  const counts = [...byCluster.values()].map((o) => o.secrets.length + o.services.length + o.deployments.length);
  const gens = [...byCluster.values()].flatMap((o) => o.deployments.map((d) => d.metadata!.generation ?? 0));
  return { objectsPerCluster: Math.max(...counts), maxDeploymentGeneration: Math.max(...gens) };
}

/**
 * Applies BusinessClusters number `from` to `count - 1` in `ns` (at most 50 requests in flight); `paused` ones are left
 * alone by a running cluster operator (the fleet benchmark's floor runs beside its manager).
 */
export async function applyClusters(
  kc: KubeConfig,
  ns: string,
  count: number,
  from = 0,
  paused = false,
): Promise<Map<string, DefaultedBusinessCluster>> {
  const objects = makeObjectApi(kc);
  const applied: KubernetesObject[] = [];
  const spec = { ...clusterSpec(), ...(paused ? { paused: true } : {}) };
  // Users' applies go through their own field manager, as kubectl's would.
  await pool(
    Array.from({ length: count - from }, (_, i) => from + i),
    50,
    async (i) => void applied.push(await applyObject(objects, businessCluster(clusterName(i), ns, spec), { fieldManager: 'bench' })),
  );
  return new Map(applied.map((o) => [o.metadata!.name!, withDefaults(o as unknown as BusinessCluster)]));
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const count = Number(flag(args, 'count') ?? 100);
  const workers = Number(flag(args, 'workers') ?? 2);
  const waitRequeueMs = Number(flag(args, 'requeue-ms') ?? 5000);
  let cp: ControlPlane | undefined;
  let etcd: PlainEtcd | undefined;
  let operator: ClusterOperator | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let tail: AuditTail | undefined;
  try {
    // Both start together; if one fails, the other is still stopped in `finally`.
    const [cpStart, etcdStart] = await Promise.allSettled([startControlPlane({ audit: true }), startPlainEtcd()]);
    if (cpStart.status === 'fulfilled') cp = cpStart.value;
    if (etcdStart.status === 'fulfilled') etcd = etcdStart.value;
    if (cpStart.status === 'rejected') throw cpStart.reason;
    if (etcdStart.status === 'rejected') throw etcdStart.reason;
    const kc = cp!.kubeConfig();
    const audit = new AuditWrites(cp!);
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await ensureNamespace(kc, FLOOR_NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, ETCD_REF, etcd!);

    // --- The operator. ---
    const controllersApplied = new Map<string, number>();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    // When each cluster's controllers step finished: its scheduler Deployment (the step's last write), as the
    // API server's audit log shows it (the operator has no hook for this).
    tail = new AuditTail(cp!.auditLogPath!, (e) => {
      const cluster = e.name?.endsWith('-scheduler') ? e.name.slice(0, -'-scheduler'.length) : undefined;
      if (e.resource === 'deployments' && e.userAgent === AGENTS.cluster && cluster && !controllersApplied.has(cluster))
        controllersApplied.set(cluster, e.seenAt);
    });
    tail.start();
    operator = await startClusterOperator({ kc, waitRequeueMs }, { workers });
    const { reconciler, controller } = operator;
    const start = await audit.mark();
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const clusters = await applyClusters(kc, NS, count);
    await waitFor(
      `${count} clusters' objects applied`,
      async (s) => {
        s.lastReason = `${controllersApplied.size} applied, ${controller.stats.errors} reconcile errors`;
        return controllersApplied.size === count ? true : undefined;
      },
      { timeoutMs: 1_200_000, intervalMs: 50 },
    );
    const operatorMs = Math.max(...controllersApplied.values()) - t0;

    // Status catches up at the end of each pass: every cluster reports its pass stopped at the apiserver pods.
    const objects = makeObjectApi(kc);
    await waitFor(
      'every status reports the applied control plane',
      async (s) => {
        const items = await listObjects<Obj>(objects, API, 'BusinessCluster', { namespace: NS });
        const done = items.filter((b) => {
          const cond = (t: string) => b.status?.conditions?.find((x: { type: string }) => x.type === t);
          return cond('CertificatesReady')?.status === 'True' && cond('APIServerAvailable')?.reason === 'APIServerNotReady';
        }).length;
        s.lastReason = `${done}/${count}`;
        return done === count ? true : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 250 },
    );
    const statusMs = Date.now() - t0;
    const operatorCpuMs = cpuMs(process.cpuUsage(cpu0));
    const operatorWrites = await audit.since(start, { userAgent: AGENTS.cluster });
    const writes = operatorWrites.length;
    const kindOf = (e: AuditEvent) =>
      e.objectRef?.resource === 'events' ? 'events' : e.objectRef?.resource === 'businessclusters' ? 'status_and_finalizer' : 'objects';
    const writesBreakdown = { objects: 0, status_and_finalizer: 0, events: 0 };
    for (const e of operatorWrites) writesBreakdown[kindOf(e)]++;
    const reads = reconciler.metaApplier.reads;
    const reconciles = controller.stats.reconciles;
    const ownUids = new Map([...clusters].map(([n, c]) => [n, c.metadata.uid!]));
    const checked = await verify(kc, NS, ownUids);

    // Steady state: one explicit pass over every cluster, and the queue's own requeued passes (every
    // cluster waits on its apiserver pods, so each comes back every waitRequeueMs) — all must write nothing.
    const steadyStart = await audit.mark();
    const steadyReadsBefore = reconciler.metaApplier.reads;
    const queuedBefore = controller.stats.reconciles;
    const tSteady = Date.now();
    for (const name of clusters.keys()) await reconciler.reconcile(`${NS}/${name}`);
    const steadyPassMs = Date.now() - tSteady;
    await waitFor(`${count} requeued passes`, async () => (controller.stats.reconciles - queuedBefore >= count ? true : undefined), {
      timeoutMs: 120_000 + 4 * waitRequeueMs,
      intervalMs: 100,
    });
    const steady = await audit.since(steadyStart, { userAgent: AGENTS.cluster });
    if (steady.length) process.stderr.write(`steady-state writes:\n${describeWrites(steady)}\n`);
    const steadyPasses = count + (controller.stats.reconciles - queuedBefore);
    const steadyReadsPerPass = (reconciler.metaApplier.reads - steadyReadsBefore) / steadyPasses;
    const reconcileErrors = controller.stats.errors;
    clearInterval(sampler);
    await operator.stop();
    operator = undefined;

    // --- The floor: the same objects, rendered and applied directly. ---
    const floor = await applyFloor(kc, FLOOR_NS, count, workers, await objectsByCluster(kc, NS), etcd!.url);
    const [floorMs, floorCpuMs, floorWrites] = [floor.ms, floor.cpuMs, floor.writes];
    if (floor.objectsPerCluster !== checked.objectsPerCluster)
      throw new Error(`floor applied ${floor.objectsPerCluster} objects per cluster, the operator ${checked.objectsPerCluster}`);

    return {
      clusters: count,
      workers,
      wait_requeue_ms: waitRequeueMs,
      operator_ms: operatorMs,
      floor_ms: floorMs,
      ratio: Number((operatorMs / floorMs).toFixed(2)),
      status_settled_ms: statusMs,
      operator_process_cpu_ms: operatorCpuMs,
      floor_process_cpu_ms: floorCpuMs,
      objects_per_cluster: checked.objectsPerCluster,
      writes_per_cluster: Number((writes / count).toFixed(2)),
      writes_total: writesBreakdown,
      writes_by_resource: writesByResource(operatorWrites),
      floor_writes_per_cluster: Number((floorWrites / count).toFixed(2)),
      reads_per_cluster: Number((reads / count).toFixed(1)),
      passes_per_cluster: Number((reconciles / count).toFixed(2)),
      reconcile_errors: reconcileErrors,
      steady_writes: steady.length,
      steady_passes: steadyPasses,
      steady_reads_per_pass: Number(steadyReadsPerPass.toFixed(1)),
      steady_pass_ms_per_cluster: Number((steadyPassMs / count).toFixed(1)),
      max_deployment_generation: checked.maxDeploymentGeneration,
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      rss_before_operator_mb: Math.round(rssBefore / 2 ** 20),
      cpus: os.cpus().length,
      loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    };
  } finally {
    tail?.stop();
    clearInterval(sampler);
    await operator?.stop().catch(() => {});
    await Promise.allSettled([cp?.stop(), etcd?.stop()]);
  }
}

/**
 * The floor: the same objects for clusters `from` to `count - 1` in `ns`, rendered with the pure render functions from
 * the key material the operator made (`keyMaterial`, no key generation) and server-side applied with the same client,
 * field manager and concurrency (`workers` clusters at a time, objects in the reconciler's order), no reconciler.
 * `paused`: the floor's BusinessClusters say so, for a cluster operator running beside it to leave them alone.
 */
export async function applyFloor(
  kc: KubeConfig,
  ns: string,
  count: number,
  workers: number,
  keyMaterial: Map<string, ClusterObjects>,
  etcdURL: string,
  opts: { from?: number; paused?: boolean } = {},
): Promise<{ ms: number; cpuMs: number; writes: number; objectsPerCluster: number }> {
  const objects = makeObjectApi(kc);
  const releases = await catalogRelease(kc);
  const tFloor = Date.now();
  const floorCpu0 = process.cpuUsage();
  const floorClusters = await applyClusters(kc, ns, count, opts.from ?? 0, opts.paused);
  let floorWrites = 0;
  await pool([...floorClusters.values()], workers, async (c) => {
    const apply = (o: KubernetesObject) => {
      floorWrites++;
      return applyObject(objects, o, { fieldManager: 'kokpit', force: true }) as Promise<Obj>;
    };
    // The reconciler's order: Service, Secrets, then the Deployments that mount them.
    const service = await apply(renderAPIServerService({ cluster: c, serviceType: 'NodePort' }) as KubernetesObject);
    const secretHashes: Record<string, string> = {};
    for (const s of keyMaterial.get(c.metadata.name)!.secrets) {
      const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      const stored = await apply(
        renderSecret(c, s.metadata!.name!, s.metadata!.labels!['kokpit.dev/pki'], data, {
          type: s.type,
          annotations: s.metadata!.annotations,
        }) as KubernetesObject,
      );
      secretHashes[stored.metadata!.name!] = contentHash(stored.data ?? {});
    }
    const inputs: ControlPlaneInputs = {
      cluster: c,
      releases,
      secretHashes,
      etcd: { servers: etcdURL, prefix: etcdPrefix(c) },
      serviceType: service.spec.type,
    };
    for (const render of [renderAPIServerDeployment, renderControllerManagerDeployment, renderSchedulerDeployment])
      await apply(render(inputs) as KubernetesObject);
  });
  const ms = Date.now() - tFloor;
  const cpu = cpuMs(process.cpuUsage(floorCpu0));
  const checked = await verify(kc, ns, new Map([...floorClusters].map(([n, c]) => [n, c.metadata.uid!])));
  return { ms, cpuMs: cpu, writes: floorWrites, objectsPerCluster: checked.objectsPerCluster };
}

/** The catalog entry the clusters run, as the reconciler reads it from the API. */
export async function catalogRelease(kc: KubeConfig): Promise<ControlPlaneInputs['releases']> {
  const catalog = await listObjects<KubernetesVersion & KubernetesObject>(makeObjectApi(kc), API, 'KubernetesVersion');
  const spec: KubernetesVersionSpec | undefined = catalog.find((k) => k.spec.version === VERSION)?.spec;
  if (!spec) throw new Error(`${VERSION} is not in the catalog`);
  return { apiServer: spec, controllerManager: spec, scheduler: spec };
}
