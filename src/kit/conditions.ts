// Status conditions as a list-map keyed by type, with CamelCase reasons, for every operator.
// lastTransitionTime only moves when the status flips, so re-computing an unchanged condition changes
// nothing and writes nothing.
import type { Condition } from '../api';

export interface ConditionInput<T extends string = string> {
  type: T;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

const iso = (now: Date) => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The transition time a condition keeps: the previous one while its status is unchanged, else now. */
export function transitionTime(previous: Condition[] | undefined, type: string, status: string, now: string): string {
  const old = previous?.find((c) => c.type === type);
  return old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now;
}

/**
 * Merges computed conditions into the previous list. A later observation of the same type wins (a step may
 * revise what an earlier one reported). With `order`, the list is sorted by it so the written list is stable.
 */
export function mergeConditions(
  previous: Condition[] | undefined,
  computed: ConditionInput[],
  generation: number | undefined,
  now: Date,
  order?: readonly string[],
): Condition[] {
  const latest = new Map(computed.map((c) => [c.type, c]));
  const out: Condition[] = [...latest.values()].map((c) => ({
    type: c.type,
    status: c.status,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: transitionTime(previous, c.type, c.status, iso(now)),
    reason: c.reason,
    ...(c.message ? { message: c.message } : {}),
  }));
  return order ? out.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type)) : out;
}

/** One condition with its transition time kept from `previous` while the status is unchanged. */
export function setCondition(previous: Condition[] | undefined, next: Condition, now: string): Condition {
  return { ...next, lastTransitionTime: transitionTime(previous, next.type, next.status, now) };
}

export function findCondition(list: Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}
