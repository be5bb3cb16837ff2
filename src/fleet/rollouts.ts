// How FleetRollouts look in the Fleet tree, as pure functions of the rollout object: the rollout (phase,
// done/total, target), its waves (progress) and each cluster row under its wave; and what a BusinessCluster's
// node says while a rollout moves it. The FleetModel (model.ts) places these nodes and keeps them current.
import type { FleetRollout, RolloutClusterState, RolloutClusterStatus } from '../api';
import type { FleetNode, FleetStatus } from './model';

/** `kokpit.rollout.<running|paused|finished>[.retryable]`: what the Pause, Resume and Retry menus match. */
export function rolloutContextValue(r: Pick<FleetRollout, 'spec' | 'status'>): string {
  const phase = r.status?.phase;
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const state = r.spec.paused ? 'paused' : finished ? 'finished' : 'running';
  const retryable = (r.status?.clusters ?? []).some((c) => c.state === 'Failed' || c.state === 'Skipped');
  return `kokpit.rollout.${state}${retryable ? '.retryable' : ''}`;
}

export function rolloutTarget(r: Pick<FleetRollout, 'spec'>): string {
  const t = r.spec.target;
  return t.kubernetesVersion ?? `${t.addon?.name} ${t.addon?.version}`;
}

const ROW_STATUS: Record<RolloutClusterState, FleetStatus> = {
  Pending: 'unknown',
  Upgrading: 'progress',
  Soaking: 'progress',
  Succeeded: 'ok',
  Failed: 'error',
  Skipped: 'warning',
};

function rolloutStatus(r: FleetRollout): FleetStatus {
  const st = r.status;
  if (st?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False')) return 'error';
  switch (st?.phase) {
    case 'Succeeded':
      return st.counts?.skipped || st.counts?.failed ? 'warning' : 'ok';
    case 'Failed':
      return 'error';
    case 'Paused':
      return 'warning';
    case 'Progressing':
      // Started, but nothing left to start: only skipped clusters wait for a retry.
      return st.currentWave ? 'progress' : 'warning';
    default:
      return r.spec.paused ? 'warning' : 'unknown';
  }
}

function waveStatus(rows: RolloutClusterStatus[]): FleetStatus {
  const has = (s: RolloutClusterState) => rows.some((r) => r.state === s);
  if (!rows.length) return 'unknown';
  if (has('Failed')) return 'error';
  if (has('Upgrading') || has('Soaking')) return 'progress';
  if (has('Pending')) return 'unknown';
  return has('Skipped') ? 'warning' : 'ok';
}

const rowKey = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

/** The rollout's node; its children are the ids of `rolloutWaveNodes`. */
export function rolloutNode(id: string, parentId: string, r: FleetRollout): FleetNode {
  const st = r.status ?? {};
  const rows = st.clusters ?? [];
  const done = rows.filter((c) => c.state === 'Succeeded').length;
  const failed = rows.filter((c) => c.state === 'Failed').length;
  const skipped = rows.filter((c) => c.state === 'Skipped').length;
  const description = [
    `${st.phase ?? 'Pending'}${r.spec.paused && st.phase !== 'Paused' ? ' (paused)' : ''}`,
    `${done}/${rows.length}`,
    `→ ${rolloutTarget(r)}`,
    st.currentWave ? `wave ${st.currentWave}` : undefined,
    st.phase === 'WaitingForWindow' && st.nextWindow ? `next window ${st.nextWindow}` : undefined,
    failed ? `${failed} failed` : undefined,
    skipped ? `${skipped} skipped` : undefined,
  ];
  const tooltip = [
    `FleetRollout ${r.metadata.name} → ${rolloutTarget(r)}`,
    ...(st.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`),
    ...(st.lastFailure ? [`last failure: ${st.lastFailure.cluster}: ${st.lastFailure.message ?? st.lastFailure.reason}`] : []),
  ];
  return {
    id,
    parentId,
    kind: 'rollout',
    label: r.metadata.name,
    description: description.filter(Boolean).join(' · '),
    tooltip: tooltip.join('\n'),
    status: rolloutStatus(r),
    contextValue: rolloutContextValue(r),
    ref: { kind: 'FleetRollout', name: r.metadata.name },
    children: [],
  };
}

/** One node per wave of the spec (in order), each with its rows' progress; `rows` maps a wave id to its row nodes. */
export function rolloutWaveNodes(rolloutId: string, r: FleetRollout): { waves: FleetNode[]; rows: Map<string, FleetNode[]> } {
  const all = r.status?.clusters ?? [];
  const rowsOf = new Map<string, FleetNode[]>();
  const waves = r.spec.waves.map<FleetNode>((w) => {
    const id = `${rolloutId}/wave/${w.name}`;
    const mine = all.filter((c) => c.wave === w.name);
    const done = mine.filter((c) => c.state === 'Succeeded').length;
    rowsOf.set(
      id,
      mine.map((c) => rowNode(id, c)),
    );
    const soak = w.soak && w.soak !== '0s' ? `soak ${w.soak}` : undefined;
    return {
      id,
      parentId: rolloutId,
      kind: 'rolloutWave',
      label: w.name,
      description: [`${done}/${mine.length}`, r.status?.currentWave === w.name ? 'current' : undefined, soak].filter(Boolean).join(' · '),
      tooltip: `wave ${w.name}: up to ${w.clusters} of the selected clusters, ${w.maxConcurrency ?? 1} at a time`,
      status: waveStatus(mine),
      contextValue: 'kokpit.rolloutWave',
      children: [],
    };
  });
  return { waves, rows: rowsOf };
}

function rowNode(waveId: string, c: RolloutClusterStatus): FleetNode {
  const versions = c.to ? `${c.from ?? '?'} → ${c.to}` : undefined;
  const times = [c.startedAt && `started ${c.startedAt}`, c.finishedAt && `finished ${c.finishedAt}`].filter(Boolean).join(', ');
  return {
    id: `${waveId}/cluster/${rowKey(c)}`,
    parentId: waveId,
    kind: 'rolloutCluster',
    label: rowKey(c),
    // A row waiting for its cluster to be Ready says so; its message (the tooltip) says why and until when.
    description: [c.state, c.waitingSince ? 'waiting for Ready' : undefined, versions].filter(Boolean).join(' · '),
    tooltip: [c.message, times].filter(Boolean).join('\n') || c.state,
    status: ROW_STATUS[c.state],
    contextValue: `kokpit.rolloutCluster.${c.state.toLowerCase()}`,
    children: [],
  };
}

/** What a rollout says about one cluster: its row and the rollout's phase and target. */
export interface RolloutMention {
  rollout: string;
  phase?: string;
  target: string;
  /** The addon an addon rollout moves (its rows' versions are that addon's, not Kubernetes'). */
  addon?: string;
  row: RolloutClusterStatus;
}

/** The cluster rows of a rollout by `namespace/name`. */
export function mentions(r: FleetRollout): Map<string, RolloutMention> {
  const target = rolloutTarget(r);
  const addon = r.spec.target.addon?.name;
  return new Map(
    (r.status?.clusters ?? []).map((row) => [
      rowKey(row),
      { rollout: r.metadata.name, phase: r.status?.phase, target, ...(addon ? { addon } : {}), row },
    ]),
  );
}

/**
 * The version a cluster is moving to, for its node's description: `→ v1.33.13` while upgrading, with
 * `(soaking)` after it is Ready there, and `(wave-2, pending)` while its wave has not reached it in a rollout
 * still running (`(wave-2, waiting for Ready)` once its turn came while it was not Ready). Undefined when no running
 * rollout is moving it.
 */
export function movingTo(ms: Iterable<RolloutMention>): { text: string; tooltip: string } | undefined {
  const running = [...ms].filter((m) => m.phase !== 'Succeeded' && m.phase !== 'Failed');
  const pick =
    running.find((m) => m.row.state === 'Upgrading') ??
    running.find((m) => m.row.state === 'Soaking') ??
    running.find((m) => m.row.state === 'Pending');
  if (!pick) return undefined;
  const to = pick.addon && pick.row.to ? `${pick.addon} ${pick.row.to}` : (pick.row.to ?? pick.target);
  const pending = pick.row.waitingSince ? 'waiting for Ready' : 'pending';
  const suffix = pick.row.state === 'Soaking' ? ' (soaking)' : pick.row.state === 'Pending' ? ` (${pick.row.wave}, ${pending})` : '';
  return { text: `→ ${to}${suffix}`, tooltip: `FleetRollout ${pick.rollout}: wave ${pick.row.wave}, ${pick.row.state}` };
}

const ACTIVE_PHASES = new Set(['Progressing', 'Paused', 'WaitingForWindow']);
const PHASE_ICON: Record<string, string> = { Progressing: '$(sync~spin)', Paused: '$(debug-pause)', WaitingForWindow: '$(watch)' };

/** One rollout's progress in a few words: `3/5 · wave rest` plus what holds it (paused, window, failures). */
function progressWords(r: FleetRollout): string {
  const st = r.status ?? {};
  const rows = st.clusters ?? [];
  const done = rows.filter((c) => c.state === 'Succeeded').length;
  const failed = rows.filter((c) => c.state === 'Failed').length;
  return [
    `${done}/${rows.length}`,
    st.currentWave ? `wave ${st.currentWave}` : undefined,
    st.phase === 'Paused' ? 'paused' : undefined,
    st.phase === 'WaitingForWindow' ? `window ${st.nextWindow ?? '?'}` : undefined,
    failed ? `${failed} failed` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The status bar's line for the rollouts at work (Progressing, Paused or WaitingForWindow): one rollout shows its
 * own progress, several a count and the clusters done over all of them. Undefined when none is at work.
 */
export function activeRolloutsStatus(rollouts: readonly FleetRollout[]): { text: string; tooltip: string } | undefined {
  const active = rollouts
    .filter((r) => ACTIVE_PHASES.has(r.status?.phase ?? ''))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (!active.length) return undefined;
  const tooltip = active
    .map((r) => `FleetRollout ${r.metadata.name} → ${rolloutTarget(r)}: ${r.status?.phase}, ${progressWords(r)}`)
    .join('\n');
  if (active.length === 1) {
    const r = active[0];
    return { text: `${PHASE_ICON[r.status!.phase!]} ${r.metadata.name} ${progressWords(r)}`, tooltip };
  }
  const rows = active.flatMap((r) => r.status?.clusters ?? []);
  const done = rows.filter((c) => c.state === 'Succeeded').length;
  return { text: `$(sync~spin) ${active.length} rollouts ${done}/${rows.length}`, tooltip };
}
