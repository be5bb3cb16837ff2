// Maintenance a cluster gets on its own (issue 17), as pure functions of the cluster, the catalog, the rollouts
// and the clock: `spec.maintenance.autoUpdate.patch` moves it to the newest Supported patch of its minor inside a
// window; a version that became Unsupported is moved off inside a window whether or not autoUpdate is set, and
// one past its `expires` at once, windows or not (the catalog says it must not run any more; waiting for a window
// would keep it running). The target is the newest Supported, unexpired patch of the same minor, else of the next
// one (never a downgrade). A FleetRollout that holds the cluster has it to itself. status.maintenance.last is the
// only memory: written before spec.version changes, so a restarted manager follows the same action to its end.
import { compareVersions, findCondition, parseVersion, type ConditionInput } from '../../../kit';
import type { BusinessCluster, FleetRollout, KubernetesVersion, MaintenanceRecord } from '../../../api';
import { windowState } from '../../../validation/rules/maintenance';
import { clusterFacts, isTerminal, selects } from './plan';

export const MAINTENANCE_CONDITION = 'Maintenance';
/** How long an action may take before it counts as failed (the rollouts' default progressDeadline). */
export const MAINTENANCE_DEADLINE_MS = 30 * 60_000;
/** While a window is closed or an action is in flight, look again at least this often (the clock may jump). */
const RECHECK_MS = 30_000;
const EXPIRY_RECHECK_MS = 5 * 60_000;

export interface MaintenanceInput {
  cluster: BusinessCluster;
  catalog: readonly KubernetesVersion[];
  /** The active FleetRollout holding the cluster (holdingRollout), if any. */
  rollout?: string;
  now: Date;
}

export interface MaintenanceDecision {
  /** spec.version to set, after status.maintenance is written. */
  setVersion?: string;
  /** status.maintenance.last as it should be (undefined: there is none). */
  last?: MaintenanceRecord;
  /** The Maintenance condition (undefined: nothing to say, e.g. no autoUpdate and a Supported version). */
  condition?: ConditionInput;
  requeueAfterMs?: number;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const cond = (status: ConditionInput['status'], reason: string, message: string): ConditionInput => ({
  type: MAINTENANCE_CONDITION,
  status,
  reason,
  message,
});

/** Whether a catalog entry is past its `expires`. */
export function isExpired(v: KubernetesVersion | undefined, now: Date): boolean {
  const at = v?.spec.expires ? Date.parse(v.spec.expires) : NaN;
  return !Number.isNaN(at) && at <= now.getTime();
}

/** The newest Supported, unexpired version of major.minor newer than `than`. */
function newestPatch(catalog: readonly KubernetesVersion[], major: number, minor: number, than: string, now: Date): string | undefined {
  return catalog
    .filter((v) => (v.spec.state ?? 'Supported') === 'Supported' && !isExpired(v, now))
    .map((v) => v.spec.version)
    .filter((v) => {
      const p = parseVersion(v);
      return p?.[0] === major && p[1] === minor && compareVersions(v, than) > 0;
    })
    .sort(compareVersions)
    .pop();
}

/** Where maintenance moves `version`: the newest patch of its minor; for a forced move, else the next minor's. */
export function maintenanceTarget(catalog: readonly KubernetesVersion[], version: string, forced: boolean, now: Date): string | undefined {
  const p = parseVersion(version);
  if (!p) return undefined;
  return newestPatch(catalog, p[0], p[1], version, now) ?? (forced ? newestPatch(catalog, p[0], p[1] + 1, version, now) : undefined);
}

/**
 * Whether maintenance has anything to look at on a cluster: autoUpdate, something it wrote before, or a version the
 * catalog marks Unsupported or with an end of life. The rest of the fleet costs it no pass at all.
 */
export function maintenanceRelevant(bc: BusinessCluster, catalog: readonly KubernetesVersion[]): boolean {
  if (bc.spec.maintenance?.autoUpdate?.patch || bc.status?.maintenance?.last) return true;
  if (bc.status?.conditions?.some((c) => c.type === MAINTENANCE_CONDITION)) return true;
  const entry = catalog.find((v) => v.spec.version === bc.spec.version);
  return entry?.spec.state === 'Unsupported' || entry?.spec.expires !== undefined;
}

/** The unfinished FleetRollout that holds a cluster (it selects it, or has a row for it not yet finished). */
export function holdingRollout(rollouts: readonly FleetRollout[], bc: BusinessCluster): string | undefined {
  const f = clusterFacts(bc);
  return rollouts.find((r) => {
    const done = r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed';
    const refused = findCondition(r.status?.conditions, 'Valid')?.status === 'False';
    if (done || refused) return false;
    const row = r.status?.clusters?.some((x) => x.namespace === f.namespace && x.name === f.name && !isTerminal(x.state));
    return row || selects(r.spec, f);
  })?.metadata.name;
}

/**
 * An action in flight, followed: undefined while it runs (with what to do meanwhile), or the finished record.
 * Finished: Ready at `to` (Succeeded), a condition no waiting fixes or the deadline (Failed), or spec.version moved
 * past `to` by someone else (Superseded).
 */
function follow(input: MaintenanceInput, last: MaintenanceRecord): { done: MaintenanceRecord } | { running: MaintenanceDecision } {
  const { cluster: bc, now } = input;
  const spec = bc.spec.version;
  const end = (result: MaintenanceRecord['result'], message: string) => ({ done: { ...last, finishedAt: iso(now), result, message } });
  if (compareVersions(spec, last.to) > 0 || parseVersion(spec) === undefined)
    return end('Superseded', `spec.version was set to ${spec} before ${last.to} was reached`);
  const f = clusterFacts(bc);
  if (spec === last.to && f.statusVersion === last.to && f.ready) return end('Succeeded', `Ready at ${last.to}`);
  if (spec === last.to && f.terminal) return end('Failed', f.terminal);
  const left = Date.parse(last.startedAt) + MAINTENANCE_DEADLINE_MS - now.getTime();
  if (left <= 0)
    return end('Failed', `not Ready at ${last.to} within ${MAINTENANCE_DEADLINE_MS / 60_000}m: ${f.notReady ?? 'still upgrading'}`);
  return {
    running: {
      // Older than `to`: the status was written but the spec write was lost (a restart in between): write it now.
      ...(compareVersions(spec, last.to) < 0 ? { setVersion: last.to } : {}),
      last,
      condition: cond('True', 'Updating', `${last.action}: ${last.from} → ${last.to} since ${last.startedAt}`),
      requeueAfterMs: Math.min(RECHECK_MS, left),
    },
  };
}

/** What maintenance does to one cluster now (decide), looking again when the cluster's version reaches its end of life:
 *  no event comes then (at least every few minutes, since the clock may jump). */
export function maintenanceDecision(input: MaintenanceInput): MaintenanceDecision {
  const d = decide(input);
  const expires = input.catalog.find((v) => v.spec.version === input.cluster.spec.version)?.spec.expires;
  const left = expires ? Date.parse(expires) - input.now.getTime() : NaN;
  if (!(left > 0)) return d;
  return { ...d, requeueAfterMs: Math.min(d.requeueAfterMs ?? Infinity, EXPIRY_RECHECK_MS, left) };
}

/**
 * What maintenance does to one cluster now. In order: an action in flight is followed to its end; a paused cluster,
 * one a rollout holds and one whose control plane does not run what it asks for yet are left alone; then the
 * target, the cluster's readiness (patch updates only) and its windows decide.
 */
function decide(input: MaintenanceInput): MaintenanceDecision {
  const { cluster: bc, catalog, now } = input;
  let last = bc.status?.maintenance?.last;
  if (last?.result === 'InProgress') {
    const r = follow(input, last);
    if ('running' in r) return r.running;
    last = r.done;
  }
  const keep = last ? { last } : {};
  const failed = last?.result === 'Failed' ? `; the last ${last.action} to ${last.to} failed: ${last.message ?? ''}` : '';
  const spec = bc.spec.version;
  const entry = catalog.find((v) => v.spec.version === spec);
  const expired = isExpired(entry, now);
  const unsupported = entry?.spec.state === 'Unsupported';
  const auto = bc.spec.maintenance?.autoUpdate?.patch === true;
  const f = clusterFacts(bc);
  // A forced move is for clusters that run the version; a new cluster asking for one is the cluster operator's to refuse.
  const runs = f.statusVersion === spec;
  const action: MaintenanceRecord['action'] | undefined =
    runs && expired ? 'MoveOffExpired' : runs && unsupported ? 'MoveOffUnsupported' : auto ? 'PatchUpdate' : undefined;
  if (!action) return keep;
  if (f.paused) return { ...keep, condition: cond('True', 'Paused', 'spec.paused: kokpit changes nothing on its own') };
  if (input.rollout)
    return { ...keep, condition: cond('True', 'InRollout', `left to FleetRollout ${input.rollout}, which holds this cluster`) };
  if (!runs)
    return {
      ...keep,
      condition: cond('Unknown', 'NotAtVersion', `the control plane runs ${f.statusVersion ?? 'nothing yet'}, spec.version is ${spec}`),
    };
  const forced = action !== 'PatchUpdate';
  const why = expired ? `${spec} expired at ${entry!.spec.expires}` : unsupported ? `${spec} is Unsupported` : 'autoUpdate.patch';
  const to = maintenanceTarget(catalog, spec, forced, now);
  const [maj, min] = parseVersion(spec) ?? [0, 0];
  if (!to && forced)
    return {
      ...keep,
      condition: cond(
        'False',
        'NoTarget',
        `${why}, and the catalog has no newer Supported v${maj}.${min}.x or v${maj}.${min + 1}.x to move to; add one (kokpit versions add)`,
      ),
    };
  if (!to)
    return { ...keep, condition: cond(failed ? 'False' : 'True', 'UpToDate', `${spec} is the newest Supported v${maj}.${min}.x${failed}`) };
  // A patch update waits for a Ready cluster; a forced one cannot: the cluster operator refuses an Unsupported version.
  if (!forced && !f.ready)
    return { ...keep, condition: cond('True', 'WaitingForReady', `${to} is available; waits for Ready first: ${f.notReady ?? ''}`) };
  if (action !== 'MoveOffExpired') {
    const w = windowState(f.windows, now);
    if ('invalid' in w) return { ...keep, condition: cond('False', 'InvalidMaintenanceWindow', w.invalid) };
    if (!w.open) {
      const next = w.nextStart ? `the next maintenance window opens at ${iso(w.nextStart)}` : 'its maintenance windows never open';
      return {
        ...keep,
        condition: cond(w.nextStart ? 'True' : 'False', 'WaitingForWindow', `${why}: ${spec} → ${to} waits; ${next}`),
        ...(w.nextStart ? { requeueAfterMs: Math.max(1000, Math.min(RECHECK_MS, w.nextStart.getTime() - now.getTime())) } : {}),
      };
    }
  }
  const started: MaintenanceRecord = { action, from: spec, to, startedAt: iso(now), result: 'InProgress', message: why };
  return {
    setVersion: to,
    last: started,
    condition: cond('True', 'Updating', `${action}: ${spec} → ${to} since ${started.startedAt}`),
    requeueAfterMs: RECHECK_MS,
  };
}
