// `npm run bench -- rollout [--count=100] [--repeats=3]`: N BusinessClusters (meta side only, as the reconcile
// benchmark) moved from v1.32.0 to v1.33.13 by a FleetRollout in waves 1 / 10% / 100% (soak 0s, each wave all
// at once), against the same upgrades started directly in the same waves: spec.version set on each cluster of a
// wave, then wait until every one of them is Ready at the target, then the next wave.
//
// "Ready at the target" needs a business control plane, and 100 of them don't fit on this machine, so the
// cluster operator is not run: a stand-in plays its last step, the status write. It watches the clusters and,
// for each generation it has not answered, applies status { version: spec.version, observedGeneration, Ready=True }
// under its own User-Agent. Both ways wait on the same stand-in, so the difference is the rollout machinery:
// its passes, its status writes before each start, the informer round trips that wake it.
//
// Each way writes through a client of its own, as a person's kubectl and the operator would: the direct way's spec
// writes do not ride on the connections the bench itself opened preparing the clusters (a warm pool of ~100 there,
// where the operator's client opens its own as a wave grows).
//
// Times are interleaved (rollout first in odd repeats, direct first in even ones) and repeated on fresh clusters
// (a namespace per repeat and way); medians are reported. The rollout operator's writes are the ones the API
// server's audit log records with its User-Agent (test/support/audit-writes.ts), divided by the clusters moved.
// `--timeline` prints, per repeat and way, when each wave's spec writes went out and its last cluster turned Ready,
// and (the rollout) when each of its status writes was received and answered, all from the audit log's timestamps,
// and when each of the operator's passes ran.
import * as os from 'node:os';
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION, type BusinessCluster, type FleetRollout } from '../src/api';
import { Informer } from '../src/controller/informer';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../src/controlplane';
import { applyStatus } from '../src/kit';
import { applyObject, listObjects, makeObjectApi, readObject, withUserAgent } from '../src/kube';
import { startRolloutOperator, type RolloutOperator } from '../src/operators/rollout/operator';
import { waveCapacities } from '../src/operators/rollout/render/plan';
import { API, businessCluster, ensureNamespace, installDefaultVersions } from '../test/integration/cluster/support';
import { AGENTS, AuditWrites, msAfter as at, writesByResource, type AuditEvent } from '../test/support/audit-writes';

const FROM = 'v1.32.0';
const TO = 'v1.33.13';
const WAVES = [1, '10%', '100%'] as const;
const POLL_MS = 20;
const STAND_IN = 'kokpit-bench-status-stand-in';
const DIRECT = 'kokpit-bench-direct';
/** With --timeline: the rollout operator's passes of the rollout being timed, as [start, end] (ms, this process's clock). */
let passes: number[][] | undefined;

type Cluster = BusinessCluster & KubernetesObject;

function flag(args: string[], name: string): string | undefined {
  return args.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const clusterName = (i: number) => `c${String(i).padStart(3, '0')}`;

/** The cluster operator's last step, played for every cluster of the given namespaces (see the header). */
class StatusStandIn {
  private readonly informers: Informer<Cluster>[] = [];
  private readonly answered = new Map<string, number>();
  writes = 0;

  constructor(private readonly kc: KubeConfig) {}

  async watch(ns: string): Promise<void> {
    const api = this.kc.makeApiClient(CustomObjectsApi);
    const informer = new Informer<Cluster>(this.kc, {
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/businessclusters`,
      list: async () =>
        (await api.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'businessclusters',
        })) as KubernetesListObject<Cluster>,
    });
    informer.onEvent((bc, kind) => {
      if (kind !== 'delete') void this.answer(bc);
    });
    this.informers.push(informer);
    await informer.start();
  }

  private async answer(bc: Cluster): Promise<void> {
    const gen = bc.metadata.generation ?? 1;
    const key = `${bc.metadata.namespace}/${bc.metadata.name}`;
    if ((bc.status?.observedGeneration ?? 0) >= gen || (this.answered.get(key) ?? 0) >= gen) return;
    this.answered.set(key, gen);
    this.writes++;
    const ready = { type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: gen, lastTransitionTime: new Date().toISOString() };
    await applyStatus(this.kc, bc as never, 'businessclusters', {
      phase: 'Running',
      version: bc.spec.version,
      observedGeneration: gen,
      conditions: [ready],
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

async function clustersAt(kc: KubeConfig, ns: string, version: string): Promise<number> {
  const items = await listObjects<Cluster>(makeObjectApi(kc), API, 'BusinessCluster', { namespace: ns });
  return items.filter(
    (b) =>
      b.status?.version === version &&
      b.spec.version === version &&
      (b.status?.observedGeneration ?? 0) >= (b.metadata.generation ?? 1) &&
      b.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

async function untilAt(kc: KubeConfig, ns: string, version: string, want: number): Promise<void> {
  await waitFor(
    `${want} clusters in ${ns} Ready at ${version}`,
    async (s) => {
      const n = await clustersAt(kc, ns, version);
      s.lastReason = `${n}/${want}`;
      return n >= want ? true : undefined;
    },
    { timeoutMs: 600_000, intervalMs: POLL_MS },
  );
}

/** N clusters at FROM in a fresh namespace, Ready there (the stand-in answers) before anything is timed. */
async function prepare(kc: KubeConfig, standIn: StatusStandIn, ns: string, count: number): Promise<void> {
  await ensureNamespace(kc, ns);
  await standIn.watch(ns);
  const objects = makeObjectApi(kc);
  const spec = { version: FROM, etcd: { clusterRef: { name: 'shared' } }, apiServer: { service: { type: 'NodePort' } } };
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      applyObject(
        objects,
        { ...businessCluster(clusterName(i), ns, spec), metadata: { name: clusterName(i), namespace: ns, labels: { bench: ns } } },
        {
          fieldManager: 'bench',
        },
      ),
    ),
  );
  await untilAt(kc, ns, FROM, count);
}

/**
 * Per wave: its first and last spec write received, and its last cluster's Ready status answered; with the rollout's
 * own status writes (received → answered). From the API server's audit log, ms after `t0` (see the header).
 */
function timeline(events: AuditEvent[], ns: string, count: number, t0: number): Record<string, unknown> {
  const sizes = waveCapacities(
    WAVES.map((clusters) => ({ clusters })),
    count,
  );
  const waveOf = (name?: string) => {
    let i = Number(name?.slice(1) ?? NaN);
    for (let w = 0; w < sizes.length; w++) if ((i -= sizes[w]) < 0) return w;
    return -1;
  };
  const inNs = events.filter((e) => e.objectRef?.namespace === ns);
  const waves = sizes.map((size, w) => {
    const mine = inNs.filter((e) => waveOf(e.objectRef?.name) === w);
    const spec = mine.filter((e) => e.objectRef?.resource === 'businessclusters' && !e.objectRef.subresource);
    const ready = mine.filter((e) => e.userAgent === STAND_IN && e.objectRef?.subresource === 'status');
    const times = (xs: AuditEvent[], f: (e: AuditEvent) => string | undefined) => xs.map((e) => at(t0, f(e))).sort((a, b) => a - b);
    return {
      size,
      spec_first_ms: times(spec, (e) => e.requestReceivedTimestamp)[0],
      spec_last_ms: times(spec, (e) => e.stageTimestamp).at(-1),
      ready_last_ms: times(ready, (e) => e.stageTimestamp).at(-1),
    };
  });
  const status = events
    .filter((e) => e.objectRef?.resource === 'fleetrollouts' && e.objectRef.subresource === 'status' && e.objectRef.name === ns)
    .map((e) => [at(t0, e.requestReceivedTimestamp), at(t0, e.stageTimestamp)]);
  return { waves, ...(status.length ? { rollout_status_writes_ms: status } : {}) };
}

async function byRollout(
  kc: KubeConfig,
  audit: AuditWrites,
  ns: string,
  count: number,
): Promise<{ ms: number; writes: AuditEvent[]; timeline: Record<string, unknown> }> {
  const objects = makeObjectApi(kc);
  const rollout = {
    apiVersion: API,
    kind: 'FleetRollout',
    metadata: { name: ns },
    spec: {
      target: { kubernetesVersion: TO },
      clusters: { selector: { matchLabels: { bench: ns } }, namespaces: [ns] },
      // Each wave all at once (maxConcurrency = every cluster), as the direct way starts them.
      waves: WAVES.map((clusters, i) => ({ name: `wave-${i + 1}`, clusters, maxConcurrency: count, soak: '0s' })),
      maxFailures: 0,
      progressDeadline: '30m',
      paused: false,
    },
  };
  const mark = await audit.mark();
  const mine: number[][] = (passes = []);
  const t0 = Date.now();
  await applyObject(objects, rollout as KubernetesObject, { fieldManager: 'bench' });
  await waitFor(
    `FleetRollout ${ns} Succeeded`,
    async (s) => {
      const r = await readObject<FleetRollout & KubernetesObject>(objects, {
        apiVersion: API,
        kind: 'FleetRollout',
        metadata: { name: ns },
      });
      s.lastReason = `${r?.status?.phase}: ${r?.status?.conditions?.find((c) => c.type === 'Progressing')?.message}`;
      if (r?.status?.phase === 'Failed') throw new Error(`the rollout failed: ${s.lastReason}`);
      return r?.status?.phase === 'Succeeded' ? true : undefined;
    },
    { timeoutMs: 600_000, intervalMs: POLL_MS },
  );
  const ms = Date.now() - t0;
  if ((await clustersAt(kc, ns, TO)) !== count) throw new Error(`the rollout Succeeded but not every cluster in ${ns} is Ready at ${TO}`);
  const all = await audit.since(mark);
  const created = all.find((e) => e.objectRef?.resource === 'fleetrollouts' && e.objectRef.name === ns && !e.objectRef.subresource);
  return {
    ms,
    writes: all.filter((e) => e.userAgent === AGENTS.rollout),
    timeline: {
      ...timeline(all, ns, count, Date.parse(created?.requestReceivedTimestamp ?? '')),
      // Each pass as start+duration, ms after this process sent the rollout (the audit times start at its receipt).
      passes: mine.map(([a, b]) => `${a - t0}+${b - a}`).join(' '),
    },
  };
}

/** The same waves by hand: spec.version on each cluster of a wave (its own field manager, as the rollout's), then wait. */
async function direct(
  kc: KubeConfig,
  writer: KubeConfig,
  audit: AuditWrites,
  ns: string,
  count: number,
): Promise<{ ms: number; timeline: Record<string, unknown> }> {
  const objects = makeObjectApi(writer);
  const mark = await audit.mark();
  const sizes = waveCapacities(
    WAVES.map((clusters) => ({ clusters })),
    count,
  );
  const t0 = Date.now();
  let done = 0;
  for (const size of sizes) {
    const wave = Array.from({ length: size }, (_, i) => clusterName(done + i));
    await Promise.all(
      wave.map((name) =>
        applyObject(
          objects,
          { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: ns }, spec: { version: TO } } as never,
          {
            fieldManager: 'bench-direct',
            force: true,
          },
        ),
      ),
    );
    done += size;
    await untilAt(kc, ns, TO, done);
  }
  const ms = Date.now() - t0;
  const all = await audit.since(mark);
  const first = all.find((e) => e.objectRef?.namespace === ns && e.objectRef.resource === 'businessclusters' && !e.objectRef.subresource);
  return { ms, timeline: timeline(all, ns, count, Date.parse(first?.requestReceivedTimestamp ?? '')) };
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const count = Number(flag(args, 'count') ?? 100);
  const repeats = Number(flag(args, 'repeats') ?? 3);
  const showTimeline = args.includes('--timeline');
  const trace = (way: string, rep: number, t: Record<string, unknown>) => {
    if (showTimeline) process.stderr.write(`${JSON.stringify({ timeline: way, repeat: rep, ...t })}\n`);
  };
  let cp: ControlPlane | undefined;
  let operator: RolloutOperator | undefined;
  let standIn: StatusStandIn | undefined;
  try {
    cp = await startControlPlane({ audit: true });
    const kc = cp.kubeConfig();
    const audit = new AuditWrites(cp);
    await installCRDs(kc);
    await installDefaultVersions(kc);
    standIn = new StatusStandIn(withUserAgent(kc, STAND_IN));
    operator = await startRolloutOperator({ kc });
    if (showTimeline) {
      const r = operator.reconciler;
      const reconcile = r.reconcile.bind(r);
      r.reconcile = async (k: string) => {
        const s0 = Date.now();
        try {
          return await reconcile(k);
        } finally {
          passes?.push([s0, Date.now()]);
        }
      };
    }
    const directWriter = withUserAgent(kc, DIRECT);
    const rolloutMs: number[] = [];
    const directMs: number[] = [];
    const writes: AuditEvent[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const rNs = `rollout-${rep}`;
      const dNs = `direct-${rep}`;
      await prepare(kc, standIn, rNs, count);
      await prepare(kc, standIn, dNs, count);
      const ways = [
        async () => {
          const r = await byRollout(kc, audit, rNs, count);
          rolloutMs.push(r.ms);
          writes.push(...r.writes);
          trace('rollout', rep, { ms: r.ms, ...r.timeline });
        },
        async () => {
          const d = await direct(kc, directWriter, audit, dNs, count);
          directMs.push(d.ms);
          trace('direct', rep, { ms: d.ms, ...d.timeline });
        },
      ];
      for (const way of rep % 2 === 0 ? ways : [...ways].reverse()) await way();
    }
    const moved = count * repeats;
    const spec = writes.filter((e) => e.objectRef?.resource === 'businessclusters').length;
    const rolloutStatus = writes.filter((e) => e.objectRef?.resource === 'fleetrollouts').length;
    return {
      clusters: count,
      repeats,
      waves: WAVES.join('/'),
      rollout_ms: median(rolloutMs),
      direct_ms: median(directMs),
      ratio: Number((median(rolloutMs) / median(directMs)).toFixed(2)),
      rollout_ms_all: rolloutMs,
      direct_ms_all: directMs,
      writes_per_cluster: Number((writes.length / moved).toFixed(2)),
      spec_writes_per_cluster: Number((spec / moved).toFixed(2)),
      rollout_status_writes_per_rollout: Number((rolloutStatus / repeats).toFixed(1)),
      writes_by_resource: writesByResource(writes),
      reconciles: operator.controller.stats.reconciles,
      reconcile_errors: operator.controller.stats.errors,
      stand_in_status_writes: standIn.writes,
      poll_ms: POLL_MS,
      cpus: os.cpus().length,
      loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    };
  } finally {
    await operator?.stop().catch(() => {});
    await standIn?.stop().catch(() => {});
    await cp?.stop();
  }
}
