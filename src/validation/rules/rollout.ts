// FleetRollout rules: what the schema cannot say. rolloutSpecProblems is pure and plain-JS, so the rollout
// operator refuses the same specs with the same words (a condition) as the editor and `kokpit validate` do.
import { formatPath, type PathSegment } from '../types';
import { arr, obj, str, valueAt, type RuleContext } from './context';

export interface SpecProblem {
  path: PathSegment[];
  code: string;
  message: string;
}

const DURATION = /^([0-9]+(ms|s|m|h))+$/;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go-style duration (`90s`, `1h30m`); undefined when it is not one. */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || !DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]];
  return total;
}

/** `{count}` or `{percent}` of a count-or-percent value; undefined when it is neither. */
export function countOrPercent(v: unknown): { count: number } | { percent: number } | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { count: v };
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) {
    const percent = Number(v.slice(0, -1));
    return percent <= 100 ? { percent } : undefined;
  }
  return undefined;
}

/** Every problem of a FleetRollout spec that the schema does not catch, with the field it is at. */
export function rolloutSpecProblems(spec: unknown): SpecProblem[] {
  const out: SpecProblem[] = [];
  const s = obj(spec);
  if (!s) return out;
  const target = obj(s.target);
  if (target && 'kubernetesVersion' in target === 'addon' in target) {
    out.push({
      path: ['spec', 'target'],
      code: 'rollout-target',
      message: 'spec.target must set exactly one of kubernetesVersion or addon',
    });
  }
  if (target && 'addon' in target && s.includeMachines === true) {
    out.push({
      path: ['spec', 'includeMachines'],
      code: 'rollout-include-machines',
      message: 'spec.includeMachines applies to a kubernetesVersion target (kubelets follow the control plane), not to target.addon',
    });
  }
  const selector = obj(obj(s.clusters)?.selector);
  if (
    obj(s.clusters) &&
    Object.keys(obj(selector?.matchLabels) ?? {}).length === 0 &&
    (arr(selector?.matchExpressions) ?? []).length === 0
  ) {
    out.push({
      path: ['spec', 'clusters', 'selector'],
      code: 'rollout-empty-selector',
      message: 'spec.clusters.selector is empty: it would select every BusinessCluster; give matchLabels or matchExpressions',
    });
  }
  out.push(...waveProblems(arr(s.waves)));
  if (s.maxFailures !== undefined && !countOrPercent(s.maxFailures)) {
    out.push({
      path: ['spec', 'maxFailures'],
      code: 'rollout-count',
      message: `spec.maxFailures must be a count (0, 1, …) or a percent up to 100% ("10%"), got ${JSON.stringify(s.maxFailures)}`,
    });
  }
  if (s.progressDeadline !== undefined && durationMs(s.progressDeadline) === 0) {
    out.push({
      path: ['spec', 'progressDeadline'],
      code: 'rollout-deadline',
      message: 'spec.progressDeadline must be longer than 0 (a rollout never waits forever): e.g. 30m',
    });
  }
  return out;
}

function waveProblems(waves: unknown[] | undefined): SpecProblem[] {
  if (!waves?.length) return [];
  const out: SpecProblem[] = [];
  const names = new Set<string>();
  let lastCount = 0;
  let lastPercent = 0;
  waves.forEach((w, i) => {
    const wave = obj(w);
    if (!wave) return;
    const at = (field: string): PathSegment[] => ['spec', 'waves', i, field];
    const name = str(wave.name);
    if (name && names.has(name))
      out.push({ path: at('name'), code: 'rollout-wave-name', message: `${formatPath(at('name'))} "${name}" is used by an earlier wave` });
    if (name) names.add(name);
    if (wave.clusters === undefined) return;
    const size = countOrPercent(wave.clusters);
    if (!size || ('count' in size && size.count === 0) || ('percent' in size && size.percent === 0)) {
      out.push({
        path: at('clusters'),
        code: 'rollout-count',
        message:
          `${formatPath(at('clusters'))} must be a count of at least 1 or a percent from 1% to 100% ("25%"), ` +
          `got ${JSON.stringify(wave.clusters)}`,
      });
      return;
    }
    // Sizes are cumulative: a wave smaller than the one before would have nothing to do.
    if ('count' in size && size.count < lastCount) {
      out.push({
        path: at('clusters'),
        code: 'rollout-waves-order',
        message:
          `${formatPath(at('clusters'))} ${size.count} is smaller than an earlier wave's ${lastCount}; ` +
          `sizes are cumulative (1, 5, 100%)`,
      });
    }
    if ('percent' in size && size.percent < lastPercent) {
      out.push({
        path: at('clusters'),
        code: 'rollout-waves-order',
        message:
          `${formatPath(at('clusters'))} ${size.percent}% is smaller than an earlier wave's ${lastPercent}%; ` +
          `sizes are cumulative (10%, 50%, 100%)`,
      });
    }
    if ('count' in size) lastCount = Math.max(lastCount, size.count);
    else lastPercent = Math.max(lastPercent, size.percent);
  });
  const last = waves.length - 1;
  const lastSize = countOrPercent(obj(waves[last])?.clusters);
  if (obj(waves[last])?.clusters !== undefined && lastSize && !('percent' in lastSize && lastSize.percent === 100)) {
    out.push({
      path: ['spec', 'waves', last, 'clusters'],
      code: 'rollout-waves-total',
      message:
        `the last wave (spec.waves[${last}].clusters) must be "100%" so that every selected cluster is in a wave, ` +
        `got ${JSON.stringify(obj(waves[last])?.clusters)}`,
    });
  }
  return out;
}

const USABLE_STATES = new Set(['Supported', 'Preview']);

/** The editor's and `kokpit validate`'s FleetRollout rule: the spec problems, and the target against a known catalog. */
export function checkFleetRollout(ctx: RuleContext): void {
  for (const p of rolloutSpecProblems(ctx.value.spec)) ctx.report(p.path, 'value', 'error', p.code, p.message);
  const path = ['spec', 'target', 'kubernetesVersion'];
  const version = str(valueAt(ctx.value, path));
  const entries = ctx.opts.catalog;
  const catalog = entries ? entries.map((e) => e.version) : ctx.opts.catalogVersions;
  if (!catalog || !version || !/^v[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) return;
  const entry = entries?.find((e) => e.version === version);
  const usable = entries ? entries.filter((e) => USABLE_STATES.has(e.state ?? 'Supported')).map((e) => e.version) : catalog;
  if (entry && !USABLE_STATES.has(entry.state ?? 'Supported')) {
    ctx.report(
      path,
      'value',
      'error',
      'version-not-usable',
      `Kubernetes ${version} is ${entry.state} in the meta cluster's version catalog; a rollout can only move clusters ` +
        `to ${usable.join(', ') || 'a Supported version'}`,
    );
  } else if (!catalog.includes(version)) {
    ctx.report(
      path,
      'value',
      'error',
      'unknown-version',
      `Kubernetes ${version} is not in the meta cluster's version catalog (${usable.join(', ') || 'none'}); ` +
        `add a KubernetesVersion for it first`,
    );
  }
}
