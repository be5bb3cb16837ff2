// Machines, MachineSets and Components: component references, dependency sanity and rollout phases.
import { formatPath } from '../types';
import { arr, obj, valueAt, type RuleContext } from './context';
import { checkReferences } from './references';

export function checkMachine(ctx: RuleContext): void {
  checkReferences(ctx, ['spec', 'components'], 'Component', 'name');
}

export function checkMachineSet(ctx: RuleContext): void {
  checkReferences(ctx, ['spec', 'template', 'spec', 'components'], 'Component', 'name');
  checkRolloutPhases(ctx);
}

export function checkComponent(ctx: RuleContext): void {
  const self = obj(ctx.value.metadata)?.name;
  const deps = arr(valueAt(ctx.value, ['spec', 'dependsOn']));
  deps?.forEach((dep, i) => {
    if (dep === self)
      ctx.report(
        ['spec', 'dependsOn', i],
        'value',
        'error',
        'self-dependency',
        `spec.dependsOn[${i}]: a Component cannot depend on itself; remove "${dep}"`,
      );
  });
  // Known references minus the component itself (reported above).
  if (typeof self === 'string' && deps?.includes(self)) {
    const known = { ...ctx.known, components: new Set([...ctx.known.components, self]) };
    checkReferences({ ...ctx, known }, ['spec', 'dependsOn'], 'Component');
  } else checkReferences(ctx, ['spec', 'dependsOn'], 'Component');
}

/** Percents are cumulative shares of the set: each phase ends with more machines updated than the last. */
function checkRolloutPhases(ctx: RuleContext): void {
  const phases = arr(valueAt(ctx.value, ['spec', 'rollout', 'phases']));
  if (!phases) return;
  let previous: { percent: number; index: number } | undefined;
  phases.forEach((phase, i) => {
    const percent = obj(phase)?.percent;
    if (typeof percent !== 'number') return;
    const path = ['spec', 'rollout', 'phases', i, 'percent'];
    if (percent > 100) {
      ctx.report(
        path,
        'value',
        'error',
        'rollout-percent',
        `${formatPath(path)} is ${percent}: a phase's percent is the share of machines updated by its end, at most 100`,
        ['maximum'],
      );
    } else if (previous && percent <= previous.percent) {
      ctx.report(
        path,
        'value',
        'error',
        'rollout-order',
        `${formatPath(path)} is ${percent}, not more than phase ${previous.index + 1}'s ${previous.percent}: ` +
          `percents are cumulative, so each phase must be larger than the one before (e.g. 5, 50, 100)`,
      );
    }
    if (percent <= 100 && (!previous || percent > previous.percent)) previous = { percent, index: i };
  });
}
