import type { V1Node } from '@kubernetes/client-node';
import { containsDesired } from '../../kit';

/**
 * Whether the live Node already has what we render. Taints are compared as a subset: the node lifecycle
 * controller adds its own (not-ready, unreachable), and re-applying ours over them would flap.
 */
export function nodeMatches(live: V1Node, desired: V1Node): boolean {
  const liveTaints = live.spec?.taints ?? [];
  const taintsPresent = (desired.spec?.taints ?? []).every((t) =>
    liveTaints.some((l) => l.key === t.key && l.effect === t.effect && (l.value ?? '') === (t.value ?? '')),
  );
  return taintsPresent && containsDesired(live, { metadata: desired.metadata, spec: { ...desired.spec, taints: undefined } });
}
