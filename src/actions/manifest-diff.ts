// "Diff": what applying one document would change, as the API server computes it — a server-side dry-run apply under
// the same field manager as Apply, beside the live object. Both sides drop what the server keeps for itself
// (managedFields, resourceVersion, generation, uid, creationTimestamp), so only meaningful changes show.
import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { applyObject, FIELD_MANAGER, readObject, type ObjectRef } from '../kube';

/** Server-maintained metadata that changes on every write and says nothing about the object. */
const NOISE = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'] as const;

export interface ManifestDiff {
  /** The live object as YAML; '' when it does not exist yet. */
  live: string;
  /** The object the server would store after the apply, as YAML. */
  applied: string;
  /** Whether the object exists yet. */
  exists: boolean;
  changed: boolean;
}

/** A copy of `obj` without the server's bookkeeping. */
export function withoutNoise(obj: KubernetesObject): KubernetesObject {
  const copy = structuredClone(obj) as KubernetesObject & { metadata?: Record<string, unknown> };
  if (copy.metadata) for (const k of NOISE) delete copy.metadata[k];
  return copy;
}

/** The two sides of the diff editor, from the live object (undefined: not there yet) and the dry-run result. */
export function diffTexts(live: KubernetesObject | undefined, dryRun: KubernetesObject): ManifestDiff {
  const left = live ? stringify(withoutNoise(live)) : '';
  const right = stringify(withoutNoise(dryRun));
  return { live: left, applied: right, exists: !!live, changed: left !== right };
}

/** Reads the live object and dry-runs the apply of `obj` (same field manager as Apply); nothing is stored. */
export async function dryRunDiff(client: KubernetesObjectApi, obj: KubernetesObject, fieldManager = FIELD_MANAGER): Promise<ManifestDiff> {
  const ref = obj as ObjectRef;
  const live = await readObject(client, ref);
  const dryRun = await applyObject(client, obj, { dryRun: true, fieldManager });
  return diffTexts(live, dryRun);
}
