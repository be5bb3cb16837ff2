// Finalizers for every operator: a merge patch guarded by the read resourceVersion, so others' finalizers are
// kept and a concurrent change fails with 409 (the pass is retried). Not server-side apply: an apply of
// metadata alone would drop the spec fields kokpit applied earlier under the same field manager.
import { PatchStrategy, type KubernetesObjectApi } from '@kubernetes/client-node';
import { FIELD_MANAGER, toKubeApiError } from '../kube';

type Finalizable = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; finalizers?: string[] };
};

export async function setFinalizers(objects: KubernetesObjectApi, obj: Finalizable, finalizers: string[]): Promise<void> {
  try {
    await objects.patch(
      {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, resourceVersion: obj.metadata.resourceVersion, finalizers },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (err) {
    throw toKubeApiError(
      err,
      `set finalizers of ${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`,
    );
  }
}

/** Adds `finalizer` unless present; returns whether a write was sent. */
export async function addFinalizer(objects: KubernetesObjectApi, obj: Finalizable, finalizer: string): Promise<boolean> {
  if (obj.metadata.finalizers?.includes(finalizer)) return false;
  await setFinalizers(objects, obj, [...(obj.metadata.finalizers ?? []), finalizer]);
  return true;
}

/** Removes `finalizer` when present; returns whether a write was sent. */
export async function removeFinalizer(objects: KubernetesObjectApi, obj: Finalizable, finalizer: string): Promise<boolean> {
  if (!obj.metadata.finalizers?.includes(finalizer)) return false;
  await setFinalizers(
    objects,
    obj,
    obj.metadata.finalizers.filter((f) => f !== finalizer),
  );
  return true;
}
