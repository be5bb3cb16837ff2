// Status conditions as a list-map keyed by type, with CamelCase reasons. lastTransitionTime only moves
// when the status flips, so re-computing an unchanged condition changes nothing (and writes nothing).
import type { Condition } from '../../api';
import { mergeConditions as kitMerge, type ConditionInput as KitConditionInput } from '../../kit';

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

export type ConditionInput = KitConditionInput<ConditionType>;

/** Merges computed conditions into the previous list (the kit's merge, ordered by CONDITION_TYPES). */
export function mergeConditions(
  previous: Condition[] | undefined,
  computed: ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return kitMerge(previous, computed, generation, now, CONDITION_TYPES);
}

export { findCondition } from '../../kit';
