// Informers as a read cache for reconcilers (controller-runtime's cached client): a pass reads the objects it
// watches from the informers' stores instead of the API server, so a steady pass over an unchanged world costs no
// request. Structurally the kit's ObjectCache (kit/apply.ts), which layer 1 cannot import.
import type { KubernetesObject } from '@kubernetes/client-node';

type Ref = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

export interface InformerCache {
  /** Whether `ref`'s kind is watched here and its first list is in (a cache that has not synced cannot answer). */
  watches(ref: Ref): boolean;
  get(ref: Ref): KubernetesObject | undefined;
}

/** What the cache needs of an informer (its store, and whether the first list is in). */
interface Store {
  readonly hasSynced: boolean;
  get(name: string, namespace?: string): KubernetesObject | undefined;
}

export function informerCache(entries: Array<{ apiVersion: string; kind: string; informer: Store }>): InformerCache {
  const byKind = new Map(entries.map((e) => [`${e.apiVersion}/${e.kind}`, e.informer]));
  const of = (ref: Ref) => byKind.get(`${ref.apiVersion}/${ref.kind}`);
  return {
    watches: (ref) => of(ref)?.hasSynced ?? false,
    get: (ref) => of(ref)?.get(ref.metadata.name, ref.metadata.namespace),
  };
}
