// Server-side apply that only writes when something differs. A pass over an unchanged cluster must make
// zero write requests, so each rendered object is compared with the live one first: every field we
// render must already hold our value (fields the server defaults or others own are left alone).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { applyObject, deleteObject, readObject, toKubeApiError, type ObjectRef } from '../../kube';
import { FIELD_MANAGER } from './names';

/** Whether `live` already holds every field of `desired` with the same value (arrays: same length, element-wise). */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return live === desired;
  if (Array.isArray(desired)) {
    // An empty list we render (e.g. a ClusterRole's `rules: []`) may be omitted by the server too.
    if (desired.length === 0 && live === undefined) return true;
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => containsDesired(live[i], d));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) {
    // An empty map we render may be omitted by the server.
    return live === undefined && Object.keys(desired).length === 0;
  }
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => containsDesired(l[k], v));
}

export class Applier {
  /** Write requests sent (applies), for tests and benchmarks. */
  writes = 0;
  reads = 0;

  constructor(private readonly client: KubernetesObjectApi) {}

  async read<T extends KubernetesObject>(ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<T | undefined> {
    this.reads++;
    return readObject<T>(this.client, ref);
  }

  /** Applies `desired` unless the live object already matches; returns the live object either way. */
  async ensure<T extends KubernetesObject>(desired: T): Promise<T> {
    return this.ensureAgainst(desired, await this.read<T>(desired as never));
  }

  /** Like `ensure`, with the live object the caller has just read (undefined: it does not exist). */
  async ensureAgainst<T extends KubernetesObject>(desired: T, live: T | undefined): Promise<T> {
    if (live && containsDesired(live, stripStatus(desired))) return live;
    this.writes++;
    return applyObject(this.client, desired, { fieldManager: FIELD_MANAGER, force: true });
  }

  /** Deletes (background propagation); false when it was already gone. Counted as a write. */
  async delete(ref: ObjectRef): Promise<boolean> {
    this.writes++;
    return deleteObject(this.client, ref, { propagationPolicy: 'Background' });
  }
}

function stripStatus<T extends KubernetesObject>(o: T): T {
  const { status: _s, ...rest } = o as T & { status?: unknown };
  return rest as T;
}

/**
 * Server-side apply of `status` through the /status subresource of a namespaced kokpit object:
 * fields kokpit set before and no longer sends are removed, others' fields are kept.
 */
export async function applyStatus(
  kc: KubeConfig,
  obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
  plural: string,
  status: unknown,
): Promise<void> {
  const [group, version] = obj.apiVersion.split('/');
  const api = kc.makeApiClient(CustomObjectsApi);
  const body = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status };
  try {
    await api.patchNamespacedCustomObjectStatus(
      { group, version, namespace: obj.metadata.namespace ?? 'default', plural, name: obj.metadata.name, body, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  } catch (err) {
    throw toKubeApiError(err, `apply status of ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
  }
}
