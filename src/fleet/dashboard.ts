// The Fleet dashboard as plain data: one row per BusinessCluster from the same objects the Fleet tree watches
// (BusinessClusters, their EtcdClusters, Machines, FleetRollouts), a ring of etcd DB size samples per etcd cluster
// and of API request rates per cluster (./api-rate.ts reads them) for the sparklines, and a row diff so a change
// to one cluster is one small update, not a re-render.
// The webview (src/extension/dashboard/, media/dashboard.js) only draws these rows.
import type { BusinessCluster, Condition, EtcdCluster, FleetRollout, Machine } from '../api';
import type { ClusterEvent } from './cluster-events';
import type { FleetStatus } from './model';
import { mentions, movingTo, type RolloutMention } from './rollouts';

export type EtcdHealth = 'healthy' | 'degraded' | 'down' | 'unknown';

/** Flat on purpose: the diff compares fields with `===` and the webview sorts on them. */
export interface DashboardRow {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  phase: string;
  status: FleetStatus;
  version: string;
  /** The version an upgrade or a running FleetRollout moves the cluster to. */
  target?: string;
  cpReady: number;
  cpTotal: number;
  etcd: string;
  etcdHealth: EtcdHealth;
  etcdReady: number;
  etcdTotal: number;
  /** The largest member's backend size, bytes. */
  dbSize?: number;
  machinesReady: number;
  machinesTotal: number;
  /** The newest of the cluster's Events (while the dashboard watches them) and its conditions with a message. */
  lastMessage?: string;
  lastTime?: string;
  /** Set when the last message is a Warning Event or a False condition. */
  lastWarning?: boolean;
  /** The DB size over the last hour as SVG polyline points in a SPARK_WIDTH × SPARK_HEIGHT box. */
  spark: string;
  /** The business apiserver's requests per second at the last two reads of its `/metrics` (while shown). */
  apiRate?: number;
  /** The request rate over the last hour, drawn like `spark`. */
  apiSpark: string;
  /** Why the rate could not be read (e.g. the cluster is not reachable from here). */
  apiError?: string;
}

/** One cluster's change: the whole row when new, only the changed fields otherwise, or its removal. */
export type RowUpdate = { id: string; row: DashboardRow } | { id: string; set: Partial<DashboardRow> } | { id: string; removed: true };

export const SPARK_WINDOW_MS = 60 * 60 * 1000;
export const SPARK_WIDTH = 60;
export const SPARK_HEIGHT = 16;
/** Samples closer than this replace the previous one, so a busy watch cannot flood the ring. */
const SAMPLE_SPACING_MS = 10_000;
const MAX_SAMPLES = SPARK_WINDOW_MS / SAMPLE_SPACING_MS;

export type DashboardObject = BusinessCluster | EtcdCluster | Machine | FleetRollout;
/** The kinds a row is made of: a subset of what the Fleet tree watches. */
export const DASHBOARD_KINDS = ['BusinessCluster', 'EtcdCluster', 'Machine', 'FleetRollout'] as const;
type Ref = { kind: string; namespace?: string; name: string };

const key = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;

/** The EtcdCluster a BusinessCluster keeps its state in: its own `<name>-etcd`, or the shared one it names. */
export function etcdOf(bc: BusinessCluster): string {
  return bc.spec.etcd?.clusterRef?.name ?? `${bc.metadata.name}-etcd`;
}

export class DashboardModel {
  private readonly clusters = new Map<string, BusinessCluster>();
  private readonly etcds = new Map<string, EtcdCluster>();
  /** Machines by cluster key, then machine name. */
  private readonly machines = new Map<string, Map<string, Machine>>();
  /** What each rollout says about a cluster, by cluster key then rollout name. */
  private readonly rollouts = new Map<string, Map<string, RolloutMention>>();
  private readonly rolloutClusters = new Map<string, Set<string>>();
  private readonly samples = new Map<string, Array<[number, number]>>();
  /** By cluster key: the last counter read, the rates, and the last read's error. */
  private readonly apiCounter = new Map<string, [number, number]>();
  private readonly apiRates = new Map<string, Array<[number, number]>>();
  private readonly apiErrors = new Map<string, string>();
  /** The newest Event about each cluster (./cluster-events.ts), by cluster key. */
  private readonly events = new Map<string, ClusterEvent>();
  private readonly rowCache = new Map<string, DashboardRow>();
  /** Cluster keys by the key of the EtcdCluster they use, so an etcd change finds its rows without a scan. */
  private readonly onEtcd = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A model of everything `objectsOfKind` lists now (the watch caches the tree reads). */
  static of(objectsOfKind: (kind: string) => readonly unknown[], now?: () => number): DashboardModel {
    const m = new DashboardModel(now);
    for (const kind of DASHBOARD_KINDS) for (const o of objectsOfKind(kind)) m.upsert(o as DashboardObject);
    return m;
  }

  /** Adds or replaces an object; returns the ids of the rows it may change. */
  upsert(obj: DashboardObject): string[] {
    switch (obj.kind) {
      case 'BusinessCluster':
        return this.setCluster(key(obj.metadata.namespace, obj.metadata.name), obj);
      case 'EtcdCluster':
        return this.setEtcd(obj);
      case 'Machine':
        return this.setMachine(obj);
      case 'FleetRollout':
        return this.setRollout(obj.metadata.name, mentions(obj));
      default:
        return [];
    }
  }

  remove(ref: Ref): string[] {
    const k = key(ref.namespace, ref.name);
    switch (ref.kind) {
      case 'BusinessCluster':
        return this.setCluster(k, undefined);
      case 'EtcdCluster':
        this.etcds.delete(k);
        this.samples.delete(k);
        return this.touch(this.clustersOnEtcd(k));
      case 'Machine': {
        const [cluster] =
          [...this.machines].find(([, ms]) => ms.has(ref.name) && ms.get(ref.name)!.metadata.namespace === ref.namespace) ?? [];
        if (!cluster) return [];
        this.machines.get(cluster)!.delete(ref.name);
        return this.touch([cluster]);
      }
      case 'FleetRollout':
        return this.setRollout(ref.name, new Map());
      default:
        return [];
    }
  }

  /** Every row, by namespace/name. */
  rows(): DashboardRow[] {
    return [...this.clusters.keys()].sort().map((id) => this.row(id)!);
  }

  row(id: string): DashboardRow | undefined {
    const bc = this.clusters.get(id);
    if (!bc) return undefined;
    let row = this.rowCache.get(id);
    if (!row) {
      row = this.computeRow(id, bc);
      this.rowCache.set(id, row);
    }
    return row;
  }

  /** The (time, bytes) samples of the cluster's etcd DB size in the last hour, oldest first. */
  dbSamples(id: string): ReadonlyArray<[number, number]> {
    const bc = this.clusters.get(id);
    return bc ? (this.samples.get(key(bc.metadata.namespace, etcdOf(bc))) ?? []) : [];
  }

  private touch(ids: Iterable<string>): string[] {
    const out = [...ids];
    for (const id of out) this.rowCache.delete(id);
    return out;
  }

  private setCluster(k: string, bc: BusinessCluster | undefined): string[] {
    const old = this.clusters.get(k);
    if (old) this.onEtcd.get(key(old.metadata.namespace, etcdOf(old)))?.delete(k);
    if (bc) {
      this.clusters.set(k, bc);
      const ek = key(bc.metadata.namespace, etcdOf(bc));
      if (!this.onEtcd.has(ek)) this.onEtcd.set(ek, new Set());
      this.onEtcd.get(ek)!.add(k);
    } else {
      this.clusters.delete(k);
      for (const m of [this.apiCounter, this.apiRates, this.apiErrors, this.events]) m.delete(k);
    }
    return this.touch([k]);
  }

  private setEtcd(ec: EtcdCluster): string[] {
    const k = key(ec.metadata.namespace, ec.metadata.name);
    this.etcds.set(k, ec);
    const size = dbSize(ec);
    if (size !== undefined) this.sample(k, size);
    return this.touch(this.clustersOnEtcd(k));
  }

  private sample(etcdKey: string, size: number): void {
    this.samples.set(etcdKey, pushSample(this.samples.get(etcdKey) ?? [], this.now(), size));
  }

  /** A read of the cluster's `apiserver_request_total` at `t` (or its error); returns the rows it changes. */
  recordApiRequests(id: string, t: number, total: number | Error): string[] {
    if (!this.clusters.has(id)) return [];
    if (total instanceof Error) {
      this.apiErrors.set(id, total.message);
      this.apiCounter.delete(id);
      return this.touch([id]);
    }
    this.apiErrors.delete(id);
    const rate = ratePerSecond(this.apiCounter.get(id), [t, total]);
    this.apiCounter.set(id, [t, total]);
    if (rate !== undefined) this.apiRates.set(id, pushSample(this.apiRates.get(id) ?? [], t, rate));
    return this.touch([id]);
  }

  /**
   * An Event about a cluster: kept when it is the newest seen for it; `removed` (an expired Event) forgets it if it
   * is the one kept. Events of clusters not (yet) in the model are dropped: a new cluster's own Events come later.
   */
  recordEvent(ev: ClusterEvent, removed = false): string[] {
    const kept = this.events.get(ev.id);
    if (removed) {
      if (kept?.event !== ev.event) return [];
      this.events.delete(ev.id);
      return this.touch([ev.id]);
    }
    if (!this.clusters.has(ev.id) || (kept && kept.event !== ev.event && kept.time > ev.time)) return [];
    this.events.set(ev.id, ev);
    return this.touch([ev.id]);
  }

  private clustersOnEtcd(etcdKey: string): string[] {
    return [...(this.onEtcd.get(etcdKey) ?? [])];
  }

  private setMachine(m: Machine): string[] {
    const cluster = key(m.metadata.namespace, m.spec.clusterRef.name);
    // A machine moved to another cluster (rare) leaves its old one.
    const moved = [...this.machines].filter(
      ([c, ms]) => c !== cluster && ms.get(m.metadata.name)?.metadata.namespace === m.metadata.namespace,
    );
    for (const [, ms] of moved) ms.delete(m.metadata.name);
    if (!this.machines.has(cluster)) this.machines.set(cluster, new Map());
    this.machines.get(cluster)!.set(m.metadata.name, m);
    return this.touch([cluster, ...moved.map(([c]) => c)]);
  }

  private setRollout(rollout: string, now: Map<string, RolloutMention>): string[] {
    const before = this.rolloutClusters.get(rollout) ?? new Set();
    for (const k of before) if (!now.has(k)) this.rollouts.get(k)?.delete(rollout);
    for (const [k, m] of now) {
      if (!this.rollouts.has(k)) this.rollouts.set(k, new Map());
      this.rollouts.get(k)!.set(rollout, m);
    }
    this.rolloutClusters.set(rollout, new Set(now.keys()));
    return this.touch(new Set([...before, ...now.keys()]));
  }

  private computeRow(id: string, bc: BusinessCluster): DashboardRow {
    const ns = bc.metadata.namespace ?? 'default';
    const etcdName = etcdOf(bc);
    const ec = this.etcds.get(key(ns, etcdName));
    const components = bc.status?.components ?? [];
    const ms = [...(this.machines.get(id)?.values() ?? [])];
    const last = this.lastSaid(id, bc);
    return {
      id,
      namespace: ns,
      name: bc.metadata.name,
      phase: bc.status?.phase ?? 'Pending',
      status: clusterStatus(bc),
      version: bc.status?.version ?? bc.spec.version,
      target: targetVersion(bc, this.rollouts.get(id)?.values()),
      cpReady: components.filter((c) => (c.readyReplicas ?? 0) >= (c.replicas ?? 1)).length,
      cpTotal: components.length,
      etcd: etcdName,
      ...etcdFacts(ec),
      machinesReady: ms.filter((m) => m.status?.conditions?.some((c) => c.type === 'NodeReady' && c.status === 'True')).length,
      machinesTotal: ms.length,
      ...last,
      spark: sparkline(this.samples.get(key(ns, etcdName)) ?? [], this.now()),
      ...this.apiFacts(id),
    };
  }

  /** The newer of the kept Event and the newest condition with a message (an Event on a tie: it says more). */
  private lastSaid(id: string, bc: BusinessCluster): Pick<DashboardRow, 'lastMessage' | 'lastTime' | 'lastWarning'> {
    const cnd = lastCondition(bc.status?.conditions);
    const ev = this.events.get(id);
    const cndTime = cnd?.lastTransitionTime ? new Date(cnd.lastTransitionTime).toISOString() : '';
    if (ev && ev.time >= cndTime) {
      return { lastMessage: ev.reason ? `${ev.reason}: ${ev.message}` : ev.message, lastTime: ev.time, lastWarning: ev.type === 'Warning' };
    }
    if (!cnd) return { lastMessage: undefined, lastTime: undefined, lastWarning: undefined };
    return { lastMessage: cnd.message, lastTime: cnd.lastTransitionTime, lastWarning: cnd.status === 'False' };
  }

  private apiFacts(id: string): Pick<DashboardRow, 'apiRate' | 'apiSpark' | 'apiError'> {
    const rates = this.apiRates.get(id) ?? [];
    const last = rates[rates.length - 1];
    return { apiRate: last?.[1], apiSpark: sparkline(rates, this.now()), apiError: this.apiErrors.get(id) };
  }
}

function clusterStatus(bc: BusinessCluster): FleetStatus {
  const ready = bc.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return 'ok';
  switch (bc.status?.phase) {
    case 'Degraded':
      return 'error';
    case 'Running':
      return ready?.status === 'False' ? 'warning' : 'ok';
    case undefined:
      return 'unknown';
    default:
      return 'progress';
  }
}

/** The upgrade in flight (the cluster operator's), else the spec the status has not reached, else a running rollout's. */
function targetVersion(bc: BusinessCluster, ms: Iterable<RolloutMention> | undefined): string | undefined {
  if (bc.status?.upgrade?.to) return bc.status.upgrade.to;
  if (bc.status?.version && bc.status.version !== bc.spec.version) return bc.spec.version;
  const moving = movingTo(ms ?? []);
  return moving?.text.replace(/^→ /, '');
}

export function dbSize(ec: EtcdCluster): number | undefined {
  const sizes = (ec.status?.members ?? []).map((m) => m.dbSize).filter((s): s is number => s !== undefined);
  return sizes.length ? Math.max(...sizes) : undefined;
}

function etcdFacts(ec: EtcdCluster | undefined): Pick<DashboardRow, 'etcdHealth' | 'etcdReady' | 'etcdTotal' | 'dbSize'> {
  if (!ec) return { etcdHealth: 'unknown', etcdReady: 0, etcdTotal: 0 };
  const members = ec.status?.members ?? [];
  const total = ec.spec.replicas ?? members.length;
  const ready = ec.status?.readyMembers ?? members.filter((m) => m.healthy).length;
  const health: EtcdHealth =
    ec.status?.phase === 'QuorumLost' || (total > 0 && ready <= total / 2)
      ? 'down'
      : ready < total || ec.status?.phase === 'Degraded'
        ? 'degraded'
        : ec.status?.phase
          ? 'healthy'
          : 'unknown';
  return { etcdHealth: health, etcdReady: ready, etcdTotal: total, dbSize: dbSize(ec) };
}

/** The newest condition that says something: by lastTransitionTime, failing conditions first among equals. */
export function lastCondition(conditions: Condition[] | undefined): Condition | undefined {
  const said = (conditions ?? []).filter((c) => c.message);
  const rank = (c: Condition) => `${c.lastTransitionTime ?? ''}${c.status === 'False' ? '1' : '0'}`;
  return said.reduce<Condition | undefined>((best, c) => (!best || rank(c) > rank(best) ? c : best), undefined);
}

/**
 * Requests per second between two reads of the counter; a counter that went down means the apiserver restarted
 * (Prometheus' `rate` counts the new value as the increase). Undefined before a second read.
 */
export function ratePerSecond(prev: [number, number] | undefined, next: [number, number]): number | undefined {
  if (!prev || next[0] <= prev[0]) return undefined;
  const increase = next[1] >= prev[1] ? next[1] - prev[1] : next[1];
  return increase / ((next[0] - prev[0]) / 1000);
}

/** Appends a sample to a one-hour ring; samples closer than SAMPLE_SPACING_MS replace the previous one. */
function pushSample(ring: Array<[number, number]>, now: number, value: number): Array<[number, number]> {
  const last = ring[ring.length - 1];
  if (last && now - last[0] < SAMPLE_SPACING_MS && ring.length > 1) ring[ring.length - 1] = [now, value];
  else ring.push([now, value]);
  // The newest sample older than the window stays: it is the value at the window's start.
  while (ring.length > MAX_SAMPLES || (ring.length > 1 && ring[1][0] <= now - SPARK_WINDOW_MS)) ring.shift();
  return ring;
}

/**
 * SVG polyline points for the last hour: x is time (now at the right), y is size (the smallest at the bottom). A size
 * seen before the hour holds from its start, so an etcd whose size has not changed draws a flat line.
 */
export function sparkline(samples: ReadonlyArray<[number, number]>, now: number): string {
  const start = now - SPARK_WINDOW_MS;
  const before = samples.filter(([t]) => t < start).pop();
  const recent: Array<[number, number]> = [
    ...(before ? [[start, before[1]] as [number, number]] : []),
    ...samples.filter(([t]) => t >= start),
  ];
  if (!recent.length) return '';
  const sizes = recent.map(([, s]) => s);
  const lo = Math.min(...sizes);
  const span = Math.max(...sizes) - lo || 1;
  const x = (t: number) => (SPARK_WIDTH * (t - start)) / SPARK_WINDOW_MS;
  const y = (s: number) => SPARK_HEIGHT - 1 - ((SPARK_HEIGHT - 2) * (s - lo)) / span;
  const pts = recent.map(([t, s]) => [x(t), y(s)]);
  // The last value holds until now, so a quiet etcd draws a flat line to the right edge.
  pts.push([SPARK_WIDTH, pts[pts.length - 1][1]]);
  return pts.map(([a, b]) => `${+a.toFixed(1)},${+b.toFixed(1)}`).join(' ');
}

/** The smallest message that turns `prev` into `next` on the webview; undefined when nothing shows differently. */
export function diffRow(id: string, prev: DashboardRow | undefined, next: DashboardRow | undefined): RowUpdate | undefined {
  if (!next) return prev ? { id, removed: true } : undefined;
  if (!prev) return { id, row: next };
  const set: Partial<Record<keyof DashboardRow, unknown>> = {};
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)]) as Set<keyof DashboardRow>;
  for (const k of keys) if (prev[k] !== next[k]) set[k] = next[k];
  return Object.keys(set).length ? { id, set: set as Partial<DashboardRow> } : undefined;
}

/**
 * What the webview has been sent, so changed ids become the updates it still lacks: `full()` once (and after a
 * reconnect), then `updates(ids)` for each batch of changes.
 */
export class DashboardFeed {
  private sent = new Map<string, DashboardRow>();

  constructor(private readonly model: DashboardModel) {}

  full(): DashboardRow[] {
    const rows = this.model.rows();
    this.sent = new Map(rows.map((r) => [r.id, r]));
    return rows;
  }

  updates(ids: Iterable<string>): RowUpdate[] {
    const out: RowUpdate[] = [];
    for (const id of new Set(ids)) {
      const next = this.model.row(id);
      const u = diffRow(id, this.sent.get(id), next);
      if (!u) continue;
      if (next) this.sent.set(id, next);
      else this.sent.delete(id);
      out.push(u);
    }
    return out;
  }
}
