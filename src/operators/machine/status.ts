// Writes that only happen when something changed: a steady-state pass makes no write request.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObjectApi } from '@kubernetes/client-node';
import { toKubeApiError } from '../../kube';
import { applyStatus } from '../cluster/apply';
import { canonicalJSON } from '../cluster/render/common';
import { API } from './names';

export interface WriteCounter {
  writes: number;
}

/** Applies `status` through /status unless it equals `previous` (same fields, same values). */
export async function writeStatusIfChanged(
  kc: KubeConfig,
  obj: { kind: string; metadata: { name: string; namespace?: string } },
  plural: string,
  previous: unknown,
  status: Record<string, unknown>,
  counter: WriteCounter,
): Promise<boolean> {
  if (canonicalJSON(dropUndefined(previous ?? {})) === canonicalJSON(dropUndefined(status))) return false;
  counter.writes++;
  if (obj.metadata.namespace) {
    await applyStatus(kc, { apiVersion: API, kind: obj.kind, metadata: obj.metadata }, plural, dropUndefined(status));
    return true;
  }
  const api = kc.makeApiClient(CustomObjectsApi);
  const body = { apiVersion: API, kind: obj.kind, metadata: { name: obj.metadata.name }, status: dropUndefined(status) };
  try {
    await api.patchClusterCustomObjectStatus(
      { group: 'kokpit.dev', version: 'v1alpha1', plural, name: obj.metadata.name, body, fieldManager: 'kokpit', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  } catch (err) {
    throw toKubeApiError(err, `apply status of ${obj.kind} ${obj.metadata.name}`);
  }
  return true;
}

/**
 * Sets the finalizer list with a merge patch guarded by resourceVersion (a concurrent change fails with 409
 * and the pass is retried). Not server-side apply: an apply of metadata alone would drop the spec fields
 * kokpit applied earlier under the same field manager (a MachineSet's Machine spec).
 */
export async function setFinalizers(
  objects: KubernetesObjectApi,
  obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; resourceVersion?: string } },
  finalizers: string[],
  counter: WriteCounter,
): Promise<void> {
  counter.writes++;
  try {
    await objects.patch(
      { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, resourceVersion: obj.metadata.resourceVersion, finalizers } },
      undefined,
      undefined,
      'kokpit',
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (err) {
    throw toKubeApiError(err, `set finalizers of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
  }
}

export function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropUndefined) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, dropUndefined(v)])) as T;
  }
  return value;
}
