// The rollout's decisions as pure functions of the spec, the clusters (as facts) and the rollout's own status:
// which clusters it selects, which wave each is in, and how every row moves on this pass. Nothing is kept in
// memory between passes, so a restarted manager makes the same decisions from the same status.
import { canonicalJSON, compareVersions } from '../../../kit';
import {
  WAVE_LABEL,
  type MaintenanceWindow,
  terminalClusterCondition,
  type BusinessCluster,
  type FleetRollout,
  type FleetRolloutSpec,
  type FleetRolloutStatus,
  type RolloutClusterState,
  type RolloutClusterStatus,
  type RolloutWave,
} from '../../../api';
import { windowState } from '../../../validation/rules/maintenance';
import { countOrPercent, durationMs } from '../../../validation/rules/rollout';
import {
  lacksAddon,
  machinesWaiting,
  positionAt,
  positionOf,
  targetField,
  type AddonFacts,
  type MachineSetFacts,
  type Position,
} from './target';

/** What the rollout needs to know of one BusinessCluster. */
export interface ClusterFacts {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  specVersion?: string;
  /** The version the whole control plane runs (status.version). */
  statusVersion?: string;
  /** Ready=True, for the cluster's current generation. */
  ready: boolean;
  /** Why not Ready (the Ready condition's reason and message). */
  notReady?: string;
  /** A condition no waiting fixes (a refused version, a missing catalog entry), for the current generation. */
  terminal?: string;
  paused: boolean;
  /** spec.maintenance.windows: the rollout starts the cluster only inside one (none: any time). */
  windows?: MaintenanceWindow[];
  /** spec.addons by name, with what status.addons reports (addon targets). */
  addons?: Record<string, AddonFacts>;
  /** The cluster's MachineSets (filled by the reconciler when spec.includeMachines). */
  machineSets?: MachineSetFacts[];
}

export function clusterFacts(bc: BusinessCluster): ClusterFacts {
  const gen = bc.metadata.generation ?? 0;
  const current = (c: { observedGeneration?: number }) => (c.observedGeneration ?? 0) >= gen;
  const conds = bc.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True' && current(ready) && (bc.status?.observedGeneration ?? 0) >= gen;
  const terminal = terminalClusterCondition(conds, gen);
  return {
    namespace: bc.metadata.namespace ?? 'default',
    name: bc.metadata.name,
    labels: bc.metadata.labels ?? {},
    specVersion: bc.spec.version,
    statusVersion: bc.status?.version,
    ready: isReady,
    ...(isReady
      ? {}
      : { notReady: ready ? `${ready.reason ?? 'NotReady'}${ready.message ? `: ${ready.message}` : ''}` : 'no Ready condition yet' }),
    ...(terminal ? { terminal: `${terminal.reason}: ${terminal.message ?? terminal.type}` } : {}),
    paused: bc.spec.paused === true,
    ...(bc.spec.maintenance?.windows?.length ? { windows: bc.spec.maintenance.windows } : {}),
    ...(bc.spec.addons?.length ? { addons: addonFacts(bc, (bc.status?.observedGeneration ?? 0) >= gen) } : {}),
  };
}

/** spec.addons joined with status.addons; an entry counts as ready only while the status describes the current spec. */
function addonFacts(bc: BusinessCluster, fresh: boolean): Record<string, AddonFacts> {
  const reported = new Map((bc.status?.addons ?? []).map((a) => [a.name, a]));
  const out: Record<string, AddonFacts> = {};
  for (const ref of bc.spec.addons ?? []) {
    const st = reported.get(ref.name);
    out[ref.name] = {
      ...(ref.version ? { pinned: ref.version } : {}),
      ...(st?.version ? { running: st.version } : {}),
      ready: fresh && st?.ready === true,
      ...(st?.message ? { message: st.message } : {}),
    };
  }
  return out;
}

type Selector = FleetRolloutSpec['clusters']['selector'];

/** Kubernetes label-selector semantics (matchLabels AND every matchExpression). */
export function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]);
    const ok = e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** Whether the selector and namespaces pick the cluster (before the addon check of `selects`). */
export function matchesClusters(spec: FleetRolloutSpec, c: { namespace: string; labels: Record<string, string> }): boolean {
  const ns = spec.clusters.namespaces;
  return (!ns?.length || ns.includes(c.namespace)) && selectorMatches(spec.clusters.selector, c.labels);
}

/**
 * The clusters a rollout can concern: those its selector and namespaces match, and those it has a row for (a row stays
 * when its cluster stops matching). One predicate per rollout (its rows read once), for a walk over the fleet.
 */
export function concernedBy(r: Pick<FleetRollout, 'spec' | 'status'>): (bc: BusinessCluster) => boolean {
  const rows = new Set((r.status?.clusters ?? []).map(keyOf));
  return (bc) => {
    const c = { namespace: bc.metadata.namespace ?? 'default', labels: bc.metadata.labels ?? {} };
    return rows.has(keyOf({ namespace: c.namespace, name: bc.metadata.name })) || matchesClusters(r.spec, c);
  };
}

/** Whether the rollout selects the cluster: selector and namespaces, and for an addon target the addon in its spec.addons. */
export function selects(
  spec: FleetRolloutSpec,
  c: { namespace: string; labels: Record<string, string>; addons?: Record<string, AddonFacts> },
): boolean {
  return matchesClusters(spec, c) && !lacksAddon(spec, c);
}

const keyOf = (c: { namespace: string; name: string }) => `${c.namespace}/${c.name}`;
const byKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => keyOf(a).localeCompare(keyOf(b));

/** How many clusters each wave holds out of `total`, from the cumulative sizes (the last wave takes the rest). */
export function waveCapacities(waves: Pick<RolloutWave, 'clusters'>[], total: number): number[] {
  let before = 0;
  return waves.map((w, i) => {
    const size = countOrPercent(w.clusters);
    const want = !size ? total : 'count' in size ? size.count : Math.ceil((size.percent * total) / 100);
    const upTo = i === waves.length - 1 ? total : Math.min(total, Math.max(before, want));
    const n = upTo - before;
    before = upTo;
    return n;
  });
}

/**
 * The wave of every selected cluster. Clusters pinned by `kokpit.dev/wave` go to their wave; the rest fill
 * the waves in name order (namespace/name), so the same clusters always give the same plan.
 */
export function assignWaves(spec: FleetRolloutSpec, clusters: ClusterFacts[]): Array<{ namespace: string; name: string; wave: string }> {
  const names = spec.waves.map((w) => w.name);
  const capacity = waveCapacities(spec.waves, clusters.length);
  const sorted = [...clusters].sort(byKey);
  const wave = new Map<string, number>();
  for (const c of sorted) {
    const pin = names.indexOf(c.labels[WAVE_LABEL] ?? '');
    if (pin >= 0) {
      wave.set(keyOf(c), pin);
      capacity[pin]--;
    }
  }
  let w = 0;
  for (const c of sorted) {
    if (wave.has(keyOf(c))) continue;
    while (w < names.length - 1 && capacity[w] <= 0) w++;
    wave.set(keyOf(c), w);
    capacity[w]--;
  }
  return sorted
    .map((c) => ({ namespace: c.namespace, name: c.name, wave: names[wave.get(keyOf(c))!], order: wave.get(keyOf(c))! }))
    .sort((a, b) => a.order - b.order || byKey(a, b))
    .map(({ order: _o, ...row }) => row);
}

const TERMINAL_STATES = new Set<RolloutClusterState>(['Succeeded', 'Failed', 'Skipped']);
export const isTerminal = (s: RolloutClusterState) => TERMINAL_STATES.has(s);
const inFlight = (s: RolloutClusterState) => s === 'Upgrading' || s === 'Soaking';

/**
 * The rows of this pass. Before anything started the assignment is made afresh (so it follows the selector
 * and pins until the first cluster starts); after that every row keeps its wave, rows of clusters that no
 * longer match are dropped only while still Pending, and clusters that start matching join the last wave.
 */
export function planRows(
  spec: FleetRolloutSpec,
  selected: ClusterFacts[],
  previous: RolloutClusterStatus[] | undefined,
  finished: boolean,
): RolloutClusterStatus[] {
  const started = (previous ?? []).some((r) => r.state !== 'Pending');
  if (!started) {
    // A row waiting for its cluster to be Ready keeps its wait (and its message) while it stays in the same wave.
    const waiting = new Map((previous ?? []).filter((r) => r.waitingSince).map((r) => [keyOf(r), r]));
    return assignWaves(spec, selected).map((a) => {
      const w = waiting.get(keyOf(a));
      const kept = w?.wave === a.wave ? { waitingSince: w.waitingSince, ...(w.message ? { message: w.message } : {}) } : {};
      return { ...a, state: 'Pending' as const, ...kept };
    });
  }
  const chosen = new Set(selected.map(keyOf));
  const rows = (previous ?? []).filter((r) => r.state !== 'Pending' || chosen.has(keyOf(r)));
  if (finished) return rows;
  const have = new Set(rows.map(keyOf));
  const last = spec.waves[spec.waves.length - 1].name;
  const joining = selected.filter((c) => !have.has(keyOf(c))).sort(byKey);
  return [
    ...rows,
    ...joining.map((c) => ({
      namespace: c.namespace,
      name: c.name,
      wave: last,
      state: 'Pending' as const,
      message: 'started matching after the rollout began',
    })),
  ];
}

/** A new `kokpit.dev/retry` value: Skipped and Failed rows go back to Pending (their wave is kept); a row waiting for its
 *  cluster to be Ready starts its wait afresh. */
export function retryRows(rows: RolloutClusterStatus[]): RolloutClusterStatus[] {
  return rows.map((r) =>
    r.state === 'Skipped' || r.state === 'Failed' || r.waitingSince
      ? { namespace: r.namespace, name: r.name, wave: r.wave, state: 'Pending', message: 'retry requested' }
      : r,
  );
}

/** spec.notReadyGrace when unset (the CRD's default). */
export const DEFAULT_NOT_READY_GRACE = '2m';

/** How long a cluster not Ready at its turn is waited for: the spec's text (for messages) and in milliseconds. */
export interface Grace {
  text: string;
  ms: number;
}

export function graceOf(spec: Pick<FleetRolloutSpec, 'notReadyGrace'>): Grace {
  const text = spec.notReadyGrace ?? DEFAULT_NOT_READY_GRACE;
  return { text, ms: durationMs(text) ?? durationMs(DEFAULT_NOT_READY_GRACE)! };
}

/** The row without its wait for Ready (it moved on, or its turn is over). */
const unwaited = ({ waitingSince: _w, ...row }: RolloutClusterStatus): RolloutClusterStatus => row;

/** When a waiting row is skipped unless its cluster is Ready by then. */
const graceEnd = (r: RolloutClusterStatus, grace: Grace) => Date.parse(r.waitingSince ?? '') + grace.ms;

export interface Advance {
  rows: RolloutClusterStatus[];
  /** Rows whose cluster must have spec.version = row.to (started this pass or earlier, still in flight). */
  inFlight: RolloutClusterStatus[];
  currentWave?: string;
  failed: number;
  allowedFailures: number;
  /** Newly failed this pass (for lastFailure). */
  failures: RolloutClusterStatus[];
  /** Rows of the current wave that would start but wait for their maintenance window, and when the first opens. */
  waitingForWindow: number;
  /** Rows of the current wave whose cluster was not Ready at its turn, waited for within spec.notReadyGrace. */
  waitingForReady: number;
  nextWindow?: Date;
  requeueAfterMs?: number;
}

export interface AdvanceInput {
  spec: FleetRolloutSpec;
  target: string;
  rows: RolloutClusterStatus[];
  facts: Map<string, ClusterFacts>;
  now: Date;
  /** Set when the target left the usable catalog states after the rollout began (why): nothing new starts. */
  targetUnusable?: string;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const since = (t: string | undefined, now: Date) => (t ? now.getTime() - Date.parse(t) : 0);

/** What the rollout moves: the target's kind and whether machines follow. */
export type Axis = Pick<FleetRolloutSpec, 'target' | 'includeMachines'>;

/**
 * Where a cluster stands against `to`: its position (undefined: the addon is not in its spec), whether the control
 * plane or addon is Ready at `to`, and with includeMachines (Kubernetes targets) what its MachineSets still wait for
 * once the control plane is there.
 */
export function standing(f: ClusterFacts, axis: Axis, to: string): { pos?: Position; at: boolean; machines?: string } {
  const pos = positionOf(f, axis);
  const at = positionAt(pos, to);
  const machines = at && axis.includeMachines && !axis.target.addon ? machinesWaiting(f, to) : undefined;
  return { ...(pos ? { pos } : {}), at, ...(machines ? { machines } : {}) };
}

/** Moves one in-flight row on: Upgrading → Soaking (Ready at the target) → Succeeded (soaked), or Failed. */
export function advanceRow(
  row: RolloutClusterStatus,
  f: ClusterFacts | undefined,
  axis: Axis,
  times: { soakMs: number; deadlineMs: number; now: Date },
): RolloutClusterStatus {
  const { soakMs, deadlineMs, now } = times;
  const fail = (reason: string, message: string): RolloutClusterStatus => ({
    ...row,
    state: 'Failed',
    finishedAt: iso(now),
    message: `${reason}: ${message}`,
  });
  if (!f) return fail('ClusterGone', 'the BusinessCluster was deleted');
  const s = standing(f, axis, row.to ?? '');
  if (!s.pos)
    return { ...row, state: 'Skipped', finishedAt: iso(now), message: `AddonRemoved: ${axis.target.addon?.name} left spec.addons` };
  const done = s.at && !s.machines;
  const running = `running ${s.pos.running ?? 'unknown'}`;
  if (row.state === 'Upgrading') {
    if (done) {
      const soaking: RolloutClusterStatus = { ...row, state: 'Soaking', readySince: iso(now), message: `Ready at ${row.to}; soaking` };
      return soakMs <= 0 ? { ...soaking, state: 'Succeeded', finishedAt: iso(now), message: `Ready at ${row.to}` } : soaking;
    }
    if (f.terminal) return fail('UpgradeRefused', f.terminal);
    const why = s.machines ? `control plane Ready at ${row.to}; ${s.machines}` : `${running}${s.pos.notReady ? `; ${s.pos.notReady}` : ''}`;
    const state = s.machines ? why : `${running}; ${s.pos.notReady ?? 'Ready'}`;
    if (since(row.startedAt, now) >= deadlineMs)
      return fail('ProgressDeadlineExceeded', `not Ready at ${row.to} within ${Math.round(deadlineMs / 1000)}s (${state})`);
    return { ...row, message: s.machines ? why : `upgrading: ${why}` };
  }
  if (row.state === 'Soaking') {
    if (!done) return fail('DegradedDuringSoak', s.machines ?? s.pos.notReady ?? `runs ${s.pos.running ?? 'unknown'}, not ${row.to}`);
    if (since(row.readySince, now) >= soakMs)
      return { ...row, state: 'Succeeded', finishedAt: iso(now), message: `Ready at ${row.to}, soaked ${Math.round(soakMs / 1000)}s` };
  }
  return row;
}

/**
 * Starts one Pending row, or says why it is done or skipped without an upgrade. A cluster not Ready at its turn
 * is waited for up to `grace` (the row stays Pending with `waitingSince`), then skipped.
 */
export function startRow(
  row: RolloutClusterStatus,
  f: ClusterFacts | undefined,
  axis: Axis,
  target: string,
  now: Date,
  grace: Grace = { text: '0s', ms: 0 },
): RolloutClusterStatus {
  const end = (state: RolloutClusterState, message: string): RolloutClusterStatus => ({
    ...unwaited(row),
    state,
    finishedAt: iso(now),
    message,
  });
  if (!f) return end('Skipped', 'ClusterGone: the BusinessCluster was deleted before its turn');
  if (f.paused) return end('Skipped', 'ClusterPaused: spec.paused is true; unpause it and run `kokpit rollout retry`');
  const s = standing(f, axis, target);
  if (!s.pos) return end('Skipped', `AddonNotInSpec: ${axis.target.addon?.name} is not in spec.addons; an addon rollout only moves pins`);
  // Addon versions may go back (a bad release); Kubernetes versions never do.
  const newer = axis.target.addon ? undefined : [f.specVersion, f.statusVersion].find((v) => v && compareVersions(v, target) > 0);
  if (newer) return end('Skipped', `DowngradeRefused: the cluster is at ${newer}, newer than ${target}`);
  if (s.at && !s.machines) return { ...end('Succeeded', `already Ready at ${target}`), from: target, to: target };
  // An unreachable or unhealthy cluster is waited for a bounded time, then skipped (retry it once it is Ready).
  if (!f.ready) return waitForReady(row, f.notReady ?? 'not Ready', grace, now);
  const then = axis.includeMachines && !axis.target.addon ? ", then the MachineSets' kubelet" : '';
  return {
    ...unwaited(row),
    state: 'Upgrading',
    from: s.pos.running ?? s.pos.desired,
    to: target,
    startedAt: iso(now),
    message: `${targetField(axis)} ${s.pos.desired ?? 'default'} → ${target}${then}`,
  };
}

/**
 * A Pending row whose cluster is not Ready at its turn: it stays Pending from when that was first seen
 * (`waitingSince`, kept across passes) until the grace ends, then it is skipped. The message names the end of the
 * grace, not a countdown, so a waiting row is written once, not on every pass.
 */
export function waitForReady(row: RolloutClusterStatus, why: string, grace: Grace, now: Date): RolloutClusterStatus {
  const waiting = { ...row, waitingSince: row.waitingSince ?? iso(now) };
  const end = graceEnd(waiting, grace);
  if (now.getTime() < end) return { ...waiting, message: `WaitingForReady: ${why} (skipped at ${iso(new Date(end))} unless Ready)` };
  const waited = grace.ms > 0 ? ` for ${grace.text}` : '';
  return {
    ...unwaited(row),
    state: 'Skipped',
    finishedAt: iso(now),
    message: `NotReady: ${why}${waited}; run \`kokpit rollout retry\` once it is Ready`,
  };
}

/**
 * A row startRow would start, held to its cluster's maintenance windows: it starts inside one, stays Pending
 * (with when the next opens) outside, and is skipped when its windows are invalid or never open.
 */
export function windowGate(
  started: RolloutClusterStatus,
  pending: RolloutClusterStatus,
  f: ClusterFacts | undefined,
  now: Date,
): { row: RolloutClusterStatus; nextStart?: Date } {
  const w = windowState(f?.windows, now);
  if (w.open) return { row: started };
  const skip = (message: string) => ({ row: { ...pending, state: 'Skipped' as const, finishedAt: iso(now), message } });
  if ('invalid' in w) return skip(`InvalidMaintenanceWindow: ${w.invalid}`);
  if (!w.nextStart) return skip('NoMaintenanceWindow: its maintenance windows never open; fix them or set spec.ignoreWindows');
  return {
    row: { ...pending, message: `WaitingForWindow: its next maintenance window opens at ${iso(w.nextStart)}` },
    nextStart: w.nextStart,
  };
}

/** The failures tolerated: a count, or a percent of all rows (rounded down). */
export function allowedFailures(maxFailures: FleetRolloutSpec['maxFailures'], total: number): number {
  const v = countOrPercent(maxFailures ?? 0);
  if (!v) return 0;
  return 'count' in v ? v.count : Math.floor((v.percent * total) / 100);
}

/** What the current wave's rows wait for this pass: their maintenance window (and when the first opens), or Ready. */
interface Held {
  window: number;
  nextWindow?: Date;
  ready: number;
}

/**
 * The Pending rows of `wave` at their turn start, up to the wave's free slots. A row waiting for its cluster to be
 * Ready holds no slot, and is looked at even when none is free (its grace may end; once Ready it waits for a slot
 * like any other row). `seen` collects the rows looked at.
 */
function startWave(
  input: AdvanceInput,
  wave: RolloutWave,
  rows: RolloutClusterStatus[],
  held: Held,
  seen: Set<string>,
): RolloutClusterStatus[] {
  const { spec, target, facts, now } = input;
  const grace = graceOf(spec);
  let slots = wave.maxConcurrency - rows.filter((r) => r.wave === wave.name && inFlight(r.state)).length;
  return rows.map((r) => {
    if (r.wave !== wave.name || r.state !== 'Pending' || (slots <= 0 && !r.waitingSince)) return r;
    seen.add(keyOf(r));
    const f = facts.get(keyOf(r));
    let next = startRow(r, f, spec, target, now, grace);
    let nextStart: Date | undefined;
    // Outside its maintenance windows it is not the cluster's turn yet: it waits for the window, not for Ready.
    if ((next.state === 'Upgrading' || next.waitingSince) && !spec.ignoreWindows) {
      const gated = windowGate(next, unwaited(r), f, now);
      next = gated.row;
      nextStart = gated.nextStart;
    }
    if (slots <= 0 && !isTerminal(next.state) && !next.waitingSince) {
      const { waitingSince: _w, message: _m, ...queued } = r;
      return queued;
    }
    if (nextStart) {
      held.window++;
      if (!held.nextWindow || nextStart < held.nextWindow) held.nextWindow = nextStart;
    }
    if (next.waitingSince) held.ready++;
    if (next.state === 'Upgrading') slots--;
    return next;
  });
}

/**
 * One pass over the rows: in-flight rows move on; then, unless paused or past the failure budget, Pending rows
 * of the current wave (the first wave with a row not yet done) start, up to the wave's maxConcurrency.
 */
export function advance(input: AdvanceInput & { paused: boolean }): Advance {
  const { spec, now } = input;
  const deadlineMs = durationMs(spec.progressDeadline) ?? 30 * 60_000;
  const waveOf = new Map(spec.waves.map((w) => [w.name, w]));
  const soakOf = (r: RolloutClusterStatus) => durationMs(waveOf.get(r.wave)?.soak ?? '0s') ?? 0;
  const failures: RolloutClusterStatus[] = [];
  let rows = input.rows.map((r) => {
    // A target withdrawn mid-rollout: the clusters not started yet are skipped with the reason (retry once the
    // catalog offers it again); those in flight carry on, their soak and deadline still watched.
    if (input.targetUnusable && r.state === 'Pending')
      return { ...unwaited(r), state: 'Skipped' as const, finishedAt: iso(now), message: `TargetNotUsable: ${input.targetUnusable}` };
    if (!inFlight(r.state)) return r;
    const next = advanceRow(r, input.facts.get(keyOf(r)), spec, { soakMs: soakOf(r), deadlineMs, now });
    if (next.state === 'Failed') failures.push(next);
    return next;
  });
  const allowed = allowedFailures(spec.maxFailures, rows.length);
  const failedCount = () => rows.filter((r) => r.state === 'Failed').length;
  const currentWave = () => spec.waves.find((w) => rows.some((r) => r.wave === w.name && !isTerminal(r.state)));
  const held: Held = { window: 0, ready: 0 };
  const seen = new Set<string>();
  // A wave whose every cluster is skipped or already done hands over to the next in the same pass; one with a
  // cluster waiting to be Ready does not (that cluster is still Pending).
  for (let w = currentWave(), n = 0; w && n < spec.waves.length && !input.paused && failedCount() <= allowed; w = currentWave(), n++) {
    const wave = w;
    rows = startWave(input, wave, rows, held, seen);
    if (rows.some((r) => r.wave === wave.name && !isTerminal(r.state))) break;
  }
  // A row that waited for Ready but was not looked at this pass (paused, past the failure budget, a retry moved the
  // current wave back) leaves its wait: its grace starts afresh at its next turn.
  rows = rows.map((r) => {
    if (!r.waitingSince || seen.has(keyOf(r))) return r;
    const { waitingSince: _w, message: _m, ...queued } = r;
    return queued;
  });
  const flying = rows.filter((r) => inFlight(r.state));
  const waits = flying.map((r) => (r.state === 'Soaking' ? soakOf(r) - since(r.readySince, now) : deadlineMs - since(r.startedAt, now)));
  if (held.nextWindow) waits.push(held.nextWindow.getTime() - now.getTime());
  const grace = graceOf(spec);
  for (const r of rows) if (r.waitingSince) waits.push(graceEnd(r, grace) - now.getTime());
  // Cluster events wake the rollout too; the timer covers soaks ending, deadlines passing, windows opening and graces ending.
  const requeueAfterMs = waits.length ? Math.max(1000, Math.min(30_000, ...waits.map((w) => w + 100))) : undefined;
  return {
    rows,
    inFlight: flying,
    currentWave: currentWave()?.name,
    failed: failedCount(),
    allowedFailures: allowed,
    failures,
    waitingForWindow: held.window,
    waitingForReady: held.ready,
    ...(held.nextWindow ? { nextWindow: held.nextWindow } : {}),
    requeueAfterMs,
  };
}

export type Counts = {
  total: number;
  pending: number;
  upgrading: number;
  soaking: number;
  succeeded: number;
  failed: number;
  skipped: number;
};

export function countRows(rows: RolloutClusterStatus[]): Counts {
  const n = (s: RolloutClusterState) => rows.filter((r) => r.state === s).length;
  return {
    total: rows.length,
    pending: n('Pending'),
    upgrading: n('Upgrading'),
    soaking: n('Soaking'),
    succeeded: n('Succeeded'),
    failed: n('Failed'),
    skipped: n('Skipped'),
  };
}

/** A row without its message (which moves while a cluster upgrades: the cluster operator's words). */
const unworded = ({ message: _m, ...row }: RolloutClusterStatus) => canonicalJSON(row);

/**
 * Whether `next` only records clusters finishing: rows in flight turned Succeeded, an upgrading row's message, and the
 * counts and Progressing message that follow. Nothing starts, soaks, fails, waits or is skipped; the wave and phase
 * stay. Such a write may wait a little (the reconciler batches them): a restart recomputes it from the clusters, since
 * a row in flight whose cluster is done at the target turns Succeeded again.
 */
export function onlyProgress(prev: FleetRolloutStatus, next: FleetRolloutStatus): boolean {
  const same = (a: unknown, b: unknown) => canonicalJSON(a ?? null) === canonicalJSON(b ?? null);
  if (prev.phase !== next.phase || prev.currentWave !== next.currentWave || prev.nextWindow !== next.nextWindow) return false;
  if (!same(prev.lastFailure, next.lastFailure) || prev.lastRetry !== next.lastRetry || prev.observedGeneration !== next.observedGeneration)
    return false;
  const before = prev.clusters ?? [];
  const after = next.clusters ?? [];
  if (before.length !== after.length) return false;
  const rowsMoved = before.every((r, i) => {
    const n = after[i];
    if (keyOf(r) !== keyOf(n) || r.wave !== n.wave) return false;
    if (r.state === n.state) return r.state === 'Upgrading' ? unworded(r) === unworded(n) : same(r, n);
    return inFlight(r.state) && n.state === 'Succeeded';
  });
  if (!rowsMoved) return false;
  const conditions = (s: FleetRolloutStatus) =>
    (s.conditions ?? []).map(({ message, ...c }) => ({ ...c, ...(c.type === 'Progressing' ? {} : { message }) }));
  return same(conditions(prev), conditions(next));
}
