// Phase planning of a MachineSet: which machines to create, delete and move to the new template in this
// pass. Pure: the reconciler passes in what it read (machines, the previous rollout state, the time).
import type { MachineSetSpec } from '../../api';

export interface MachineFacts {
  name: string;
  /** Number in the set (`<set>-<index>`). */
  index: number;
  /** Template hash the machine was last given. */
  hash: string | undefined;
  /** Running, its status computed from its current generation. */
  ready: boolean;
  failed: boolean;
  /** Why it failed (its ComponentsHealthy or Provisioned message), for the set's report. */
  message?: string;
}

export interface RolloutState {
  /** Phase the previous pass reported. */
  currentPhase?: number;
  /** When the pause after `currentPhase` began (the RolloutPaused condition's lastTransitionTime). */
  pausedSince?: Date;
}

export interface RolloutPlan {
  create: number[];
  delete: string[];
  update: string[];
  /** Failed machines on the current template outside a rollout: deleted, so the next pass creates them anew. */
  replace: string[];
  /** Phase in progress (the last one when nothing is rolling out). */
  currentPhase: number;
  /** Cumulative machine count each phase ends at. */
  phaseTargets: number[];
  rollingOut: boolean;
  paused: boolean;
  healthGateFailed: boolean;
  message: string;
  /** Look again then (end of a pause). */
  requeueAfterMs?: number;
  counts: { replicas: number; ready: number; updated: number };
}

/** `10m`, `1h30m`, `500ms` in milliseconds. */
export function parseDuration(d: string | undefined): number {
  if (!d) return 0;
  let ms = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|s|m|h)/g))
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return ms;
}

/** Cumulative machine counts per phase: ceil(percent of replicas), at least one machine per phase, never decreasing. */
export function phaseTargets(replicas: number, phases: ReadonlyArray<{ percent: number }> | undefined): number[] {
  const list = phases && phases.length ? phases : [{ percent: 100 }];
  let previous = 0;
  return list.map((p) => {
    const t = Math.min(replicas, Math.max(previous, Math.ceil((p.percent * replicas) / 100), replicas > 0 ? 1 : 0));
    previous = t;
    return t;
  });
}

// eslint-disable-next-line max-lines-per-function -- the rollout decision table in priority order, one early return per rule
export function planRollout(
  spec: Pick<MachineSetSpec, 'replicas' | 'rollout'>,
  desiredHash: string,
  machines: MachineFacts[],
  prev: RolloutState,
  now: Date,
): RolloutPlan {
  const replicas = spec.replicas;
  const phases = spec.rollout?.phases?.length ? spec.rollout.phases : [{ percent: 100 }];
  const maxUnavailable = Math.max(1, spec.rollout?.maxUnavailable ?? 1);
  const targets = phaseTargets(replicas, phases);

  const inRange = machines.filter((m) => m.index < replicas).sort((a, b) => a.index - b.index);
  const present = new Set(inRange.map((m) => m.index));
  const create = Array.from({ length: replicas }, (_, i) => i).filter((i) => !present.has(i));
  const del = machines
    .filter((m) => m.index >= replicas)
    .sort((a, b) => b.index - a.index)
    .map((m) => m.name);

  const updated = inRange.filter((m) => m.hash === desiredHash);
  const updatedReady = updated.filter((m) => m.ready).length;
  const outdated = inRange.filter((m) => m.hash !== desiredHash);
  const counts = { replicas: machines.length, ready: machines.filter((m) => m.ready).length, updated: updatedReady };
  const base = { create, delete: del, phaseTargets: targets, counts };

  if (!outdated.length) {
    const waiting = updated.length - updatedReady + create.length;
    // Repair did not help these: a fresh machine replaces each (no rollout is in progress to protect).
    const replace = updated.filter((m) => m.failed).map((m) => m.name);
    return {
      ...base,
      update: [],
      replace,
      currentPhase: targets.length - 1,
      rollingOut: false,
      paused: false,
      healthGateFailed: false,
      message: waiting ? `${waiting} of ${replicas} machines not ready yet` : `all ${replicas} machines updated and ready`,
    };
  }

  // Phase in progress: the first whose target is not met by updated, ready machines (new ones count once they exist).
  const phase = targets.findIndex((t) => updatedReady < t);
  if (phase < 0) {
    // Every phase met but machines are left on the old template: the last phase is below 100 %.
    return {
      ...base,
      update: [],
      replace: [],
      currentPhase: targets.length - 1,
      rollingOut: true,
      paused: false,
      healthGateFailed: false,
      message:
        `held at phase ${targets.length - 1}: ${updatedReady} of ${replicas} machines updated (last phase ` +
        `is ${phases[phases.length - 1].percent}%)`,
    };
  }

  const failed = updated.find((m) => m.failed);
  if (failed) {
    return {
      ...base,
      update: [],
      replace: [],
      currentPhase: phase,
      rollingOut: true,
      paused: false,
      healthGateFailed: true,
      message:
        `phase ${phase} stopped: its health gate failed (machine ${failed.name} ` +
        `Failed${failed.message ? `: ${failed.message}` : ''}); fix the cause or change the template to resume`,
    };
  }

  // A pause after the previous phase: begins when that phase completes, ends `pause` later.
  const pauseMs = phase > 0 ? parseDuration(phases[phase - 1].pause) : 0;
  if (pauseMs > 0 && (prev.currentPhase === undefined || prev.currentPhase < phase)) {
    const since = prev.currentPhase === phase - 1 && prev.pausedSince ? prev.pausedSince : now;
    const left = since.getTime() + pauseMs - now.getTime();
    if (left > 0) {
      return {
        ...base,
        update: [],
        replace: [],
        currentPhase: phase - 1,
        rollingOut: true,
        paused: true,
        healthGateFailed: false,
        requeueAfterMs: left,
        message:
          `phase ${phase - 1} complete (${updatedReady} of ${replicas} updated); pausing ` +
          `until ${new Date(since.getTime() + pauseMs).toISOString()}`,
      };
    }
  }

  const room = Math.max(0, targets[phase] - updated.length);
  // Machines already down go first and cost no availability; ready ones only within maxUnavailable.
  const down = outdated.filter((m) => !m.ready).slice(0, room);
  const unavailable = inRange.filter((m) => !m.ready).length + create.length;
  const availabilityBudget = Math.max(0, maxUnavailable - unavailable);
  const up = outdated.filter((m) => m.ready).slice(0, Math.min(room - down.length, availabilityBudget));
  const update = [...down, ...up].map((m) => m.name);
  return {
    ...base,
    update,
    replace: [],
    currentPhase: phase,
    rollingOut: true,
    paused: false,
    healthGateFailed: false,
    message: `phase ${phase} (${phases[phase].percent}%): ${updatedReady} of ${targets[phase]} machines updated and ready`,
  };
}
