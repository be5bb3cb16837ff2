// Status conditions as a list-map keyed by type with CamelCase reasons. lastTransitionTime only moves when
// the status flips, so recomputing an unchanged condition writes nothing.
import type { Condition } from '../../api';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

export function mergeConditions(
  previous: Condition[] | undefined,
  computed: ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  return computed.map((c) => {
    const prev = byType.get(c.type);
    return {
      type: c.type,
      status: c.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime:
        prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: c.reason,
      ...(c.message ? { message: c.message } : {}),
    };
  });
}

export function findCondition(list: Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}
