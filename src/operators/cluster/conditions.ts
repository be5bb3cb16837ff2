// Status conditions as a list-map keyed by type, with CamelCase reasons. lastTransitionTime only moves
// when the status flips, so re-computing an unchanged condition changes nothing (and writes nothing).
import type { Condition } from '../../api';

export const CONDITION_TYPES = [
  'CatalogValid',
  'NetworkValid',
  'EtcdReady',
  'CertificatesReady',
  'APIServerAvailable',
  'ControlPlaneReady',
  'AddonsReady',
  'Ready',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

/** Merges computed conditions into the previous list; keeps lastTransitionTime when status is unchanged. */
export function mergeConditions(previous: Condition[] | undefined, computed: ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  // A later observation of the same type wins (a step may revise what an earlier one reported).
  const latest = new Map(computed.map((c) => [c.type, c]));
  const out: Condition[] = [];
  for (const c of latest.values()) {
    const prev = byType.get(c.type);
    out.push({
      type: c.type,
      status: c.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: c.reason,
      ...(c.message ? { message: c.message } : {}),
    });
  }
  // Order by the canonical list, so the written list is stable.
  return out.sort((a, b) => CONDITION_TYPES.indexOf(a.type as ConditionType) - CONDITION_TYPES.indexOf(b.type as ConditionType));
}

export function findCondition(list: Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}
