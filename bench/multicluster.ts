// `npm run bench -- multicluster [--clusters=10] [--rounds=3] [--lease-s=60]`: issue 18's figures on real processes
// (test/integration/multicluster/support.ts: a real meta control plane, N business clusters whose kube-apiservers run
// through the pod runner, the real OCM v1.0.0 hub and one hosted agent per cluster, kokpit's operators in-process).
//
// - apply: one ManifestWork (a ConfigMap) per cluster, all created at once; per cluster, the time from its create
//   request to the hub's ManifestWork showing Applied=True (polled every 100 ms). `rounds` rounds, new names each.
//   Floor, same run: the same ConfigMap server-side applied straight to each business apiserver, all at once (one
//   warmed-up client per apiserver, as the agents hold theirs).
// - feedback: a ManifestWork per cluster carrying a ConfigMap with a JSONPaths feedback rule (.data.observed) and the
//   ServerSideApply strategy (so the work agent never reverts the change); the bench writes data.observed in the
//   business cluster itself (its own field manager) and times from that write's answer until the hub's ManifestWork
//   feeds the value back (the write's own time is reported apart).
//   OCM's work agent polls (--status-sync-interval, 10 s by default; kokpit's agent sets 2 s: render/agent.ts).
// - loss: SIGSTOP of the last cluster's kube-apiserver (its process group, as loss.test.ts does) until its
//   ManagedCluster is no longer Available (with hosted agents OCM says False, ManagedClusterKubeAPIServerUnavailable:
//   the agent's /livez check every --cluster-healthcheck-period, which kokpit ties to the lease); then SIGCONT and the
//   time back to True.
// - memory: resident memory (/proc, every process of each container's process group) of the hub's pods and of each
//   hosted agent, by the pods the pod runner reports them for.
// Timings are printed with the machine's load: a shared 2-core machine makes them an upper bound.
import { CoreV1Api, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { applyObject, makeObjectApi, readObject, type ObjectRef } from '../src/kube';
import { AGENT_NAMESPACE, HUB_NAMESPACE, managedClusterName } from '../src/operators/multicluster/names';
import { STATUS_SYNC_INTERVAL } from '../src/operators/multicluster/render/agent';
import { cond, mcRef, startMulticlusterEnv, type MC, type MulticlusterEnv } from '../test/integration/multicluster/support';
import { flag } from './reconcile';

const NS = 'mcbench';
const AVAILABLE = 'ManagedClusterConditionAvailable';
/** OCM v1.0.0's defaults (pkg/work/spoke/options.go, pkg/registration/hub/lease/controller.go). */
const OCM_DEFAULT_STATUS_SYNC_S = 10;
const OCM_DEFAULT_LEASE_S = 60;
const OCM_LEASE_GRACE_TIMES = 5;

interface Work extends MC {
  status?: MC['status'] & {
    resourceStatus?: { manifests?: { statusFeedback?: { values?: { name: string; fieldValue: { string?: string } }[] } }[] };
  };
}

const clusterName = (i: number) => `c${String(i).padStart(2, '0')}`;
const ms = (t0: number) => Date.now() - t0;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const summary = (xs: number[]) => ({ p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)), max: Math.round(Math.max(...xs)) });

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

function work(cluster: string, name: string, feedback: boolean): KubernetesObject & ObjectRef {
  return {
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name, namespace: managedClusterName(NS, cluster) },
    spec: {
      workload: { manifests: [configMap(name, { from: 'hub' })] },
      ...(feedback
        ? {
            manifestConfigs: [
              {
                resourceIdentifier: { group: '', resource: 'configmaps', name, namespace: 'default' },
                feedbackRules: [{ type: 'JSONPaths', jsonPaths: [{ name: 'observed', path: '.data.observed' }] }],
                updateStrategy: { type: 'ServerSideApply' },
              },
            ],
          }
        : {}),
    },
  } as KubernetesObject & ObjectRef;
}

/** Polls `probe` every 100 ms until it returns a value (per-cluster timings need more than waitFor's usual pace). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

/** Creates one ManifestWork per cluster at once; per cluster, ms from its create request to Applied=True on the hub. */
async function applyRound(hub: KubernetesObjectApi, clusters: string[], name: string, feedback = false): Promise<number[]> {
  return Promise.all(
    clusters.map(async (c) => {
      const w = work(c, name, feedback);
      const t0 = Date.now();
      await applyObject(hub, w, { fieldManager: 'kokpit-bench' });
      await until(
        `${c}/${name} Applied`,
        async () => (cond(await readObject<Work>(hub, w), 'Applied') === 'True' ? true : undefined),
        300_000,
      );
      return ms(t0);
    }),
  );
}

/** The floor: the same ConfigMap server-side applied straight to every business apiserver at once. */
async function applyFloor(business: Map<string, KubernetesObjectApi>, name: string): Promise<number[]> {
  return Promise.all(
    [...business.values()].map(async (api) => {
      const t0 = Date.now();
      await applyObject(api, configMap(name, { from: 'floor' }) as KubernetesObject, { fieldManager: 'kokpit-bench' });
      return ms(t0);
    }),
  );
}

/** Per cluster: ms from writing data.observed in the business cluster to the hub's ManifestWork feeding it back. */
async function feedbackRound(hub: KubernetesObjectApi, business: Map<string, KubernetesObjectApi>, value: string) {
  return Promise.all(
    [...business.entries()].map(async ([c, api]) => {
      const w = work(c, 'bench-feedback', true);
      const tw = Date.now();
      await applyObject(api, configMap('bench-feedback', { observed: value }) as KubernetesObject, {
        fieldManager: 'kokpit-bench-business',
      });
      // From the business apiserver's answer: the change is stored by then (the write's own time is reported apart).
      const t0 = Date.now();
      await until(
        `${c}: feedback observed=${value}`,
        async () => {
          const m = (await readObject<Work>(hub, w))?.status?.resourceStatus?.manifests?.[0];
          return m?.statusFeedback?.values?.find((v) => v.name === 'observed')?.fieldValue.string === value ? true : undefined;
        },
        120_000,
      );
      return { feedback: ms(t0), write: t0 - tw };
    }),
  );
}

/** The process-group leaders of a namespace's pods (the pod runner starts each container in its own group), by pod. */
async function podGroups(env: MulticlusterEnv, namespace: string, labelSelector?: string): Promise<Map<string, number[]>> {
  const pods = await env.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  const out = new Map<string, number[]>();
  for (const p of pods.items) {
    const pids = (p.status?.containerStatuses ?? []).flatMap((s) => /^kokpit-process:\/\/(\d+)$/.exec(s.containerID ?? '')?.[1] ?? []);
    out.set(p.metadata!.name!, pids.map(Number));
  }
  return out;
}

/** Resident memory (MiB) of every process in the given process groups, from /proc. */
function groupRssMib(groups: number[]): number {
  const want = new Set(groups);
  let kb = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const pgrp = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[2]); // field 5 of proc(5)
      if (!want.has(pgrp)) continue;
      kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return kb / 1024;
}

async function memory(env: MulticlusterEnv, clusters: string[]) {
  const hub = await podGroups(env, HUB_NAMESPACE);
  const hubByPod = Object.fromEntries(
    [...hub].map(([pod, g]) => [pod.replace(/-[a-z0-9]+(-[a-z0-9]+)?$/, ''), Math.round(groupRssMib(g))]),
  );
  const hubTotal = groupRssMib([...hub.values()].flat());
  const agents = await Promise.all(
    clusters.map(async (c) => {
      const g = await podGroups(env, AGENT_NAMESPACE, `open-cluster-management.io/cluster-name=${managedClusterName(NS, c)}`);
      return groupRssMib([...g.values()].flat());
    }),
  );
  return {
    hub_rss_mib: Math.round(hubTotal),
    hub_rss_mib_by_pod: hubByPod,
    hub_rss_mib_per_cluster: Math.round((hubTotal / clusters.length) * 10) / 10,
    agent_rss_mib_per_cluster: summary(agents),
  };
}

/** SIGSTOP of a cluster's kube-apiserver until its ManagedCluster is not Available; SIGCONT and back to True. */
async function loss(env: MulticlusterEnv, cluster: string, leaseS: number) {
  const groups = [...(await podGroups(env, NS, `kokpit.dev/cluster=${cluster},kokpit.dev/component=apiserver`)).values()].flat();
  const signal = (sig: NodeJS.Signals) =>
    groups.forEach((g) => {
      try {
        process.kill(-g, sig);
      } catch {
        /* gone */
      }
    });
  const available = async () =>
    (await readObject<MC>(env.objects(), mcRef(managedClusterName(NS, cluster))))?.status?.conditions?.find((c) => c.type === AVAILABLE);
  const t0 = Date.now();
  signal('SIGSTOP');
  try {
    const lost = await until(
      `${cluster} not Available`,
      async () => ((a) => (a && a.status !== 'True' ? a : undefined))(await available()),
      (OCM_LEASE_GRACE_TIMES * leaseS + 180) * 1000,
    );
    const lostMs = ms(t0);
    const t1 = Date.now();
    signal('SIGCONT');
    await until(`${cluster} Available again`, async () => ((await available())?.status === 'True' ? true : undefined), 300_000);
    return { loss_detected_ms: lostMs, loss_status: `${lost.status}(${lost.reason})`, loss_recovered_after_sigcont_ms: ms(t1) };
  } finally {
    signal('SIGCONT');
  }
}

// One sequential scenario (start, four measurements, stop) reads best as one function.
export async function run(args: string[]): Promise<Record<string, unknown>> {
  const n = Number(flag(args, 'clusters') ?? 10);
  const rounds = Number(flag(args, 'rounds') ?? 3);
  const leaseS = Number(flag(args, 'lease-s') ?? OCM_DEFAULT_LEASE_S);
  const clusters = Array.from({ length: n }, (_, i) => clusterName(i));
  const load0 = os.loadavg();
  const t0 = Date.now();
  const env = await startMulticlusterEnv({
    namespace: NS,
    clusters: clusters.map((name) => ({ name, multicluster: { leaseDurationSeconds: leaseS } })),
  });
  try {
    await env.waitAvailable(clusters, 1_800_000);
    const setupS = Math.round((Date.now() - t0) / 1000);
    env.log(`${n} clusters Joined and Available`);
    // One client each, reused: the object API's discovery is then cached, as the agents' and controllers' are.
    const hub = env.objects();
    const business = new Map<string, KubernetesObjectApi>();
    for (const c of clusters) business.set(c, makeObjectApi(await env.businessKubeConfig(c)));
    await applyFloor(business, 'bench-warm-up');

    const apply: number[] = [];
    const floor: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      floor.push(...(await applyFloor(business, `bench-floor-${r}`)));
      apply.push(...(await applyRound(hub, clusters, `bench-apply-${r}`)));
      env.log(`apply round ${r}: ${JSON.stringify(summary(apply.slice(-n)))} ms`);
    }

    await applyRound(hub, clusters, 'bench-feedback', true);
    const feedback: number[] = [];
    const writes: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const round = await feedbackRound(hub, business, `r${r}`);
      feedback.push(...round.map((x) => x.feedback));
      writes.push(...round.map((x) => x.write));
      env.log(`feedback round ${r}: ${JSON.stringify(summary(feedback.slice(-n)))} ms`);
    }

    const mem = await memory(env, clusters);
    env.log(`memory: ${JSON.stringify(mem)}`);
    const lost = await loss(env, clusters[clusters.length - 1], leaseS);
    env.log(`loss: ${JSON.stringify(lost)}`);
    const load1 = os.loadavg();
    return {
      clusters: n,
      rounds,
      setup_s: setupS,
      apply_ms: summary(apply),
      apply_floor_ms: summary(floor),
      apply_goal_p95_ms: 3000,
      feedback_ms: summary(feedback),
      feedback_goal_ms: 5000,
      feedback_business_write_ms: summary(writes),
      status_sync_interval_s: parseFloat(STATUS_SYNC_INTERVAL),
      ocm_default_status_sync_interval_s: OCM_DEFAULT_STATUS_SYNC_S,
      ...lost,
      loss_goal_ms: 60_000,
      lease_duration_s: leaseS,
      cluster_healthcheck_period_s: leaseS,
      ocm_default_lease_duration_s: OCM_DEFAULT_LEASE_S,
      ocm_lease_grace_s: OCM_LEASE_GRACE_TIMES * leaseS,
      ocm_default_lease_grace_s: OCM_LEASE_GRACE_TIMES * OCM_DEFAULT_LEASE_S,
      ...mem,
      cpus: os.cpus().length,
      loadavg_1m_start: Math.round(load0[0] * 100) / 100,
      loadavg_1m_end: Math.round(load1[0] * 100) / 100,
    };
  } finally {
    await env.stop();
  }
}
