// Writes that only happen when something differs, for every operator: server-side apply with kokpit's one
// field manager after a compare with the live object, status through /status, and a canonical JSON form for
// hashing and comparing. A pass over an unchanged world makes zero write requests.
import { createHash } from 'node:crypto';
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type KubernetesObjectApi,
} from '@kubernetes/client-node';
import { API_VERSION } from '../api';
import { applyObject, deleteObject, FIELD_MANAGER, isConflict, readObject, toKubeApiError, type ObjectRef } from '../kube';

export { FIELD_MANAGER };

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

/** JSON with sorted keys and no undefined members: equal values give equal strings (hashes, comparisons). */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hex sha256 of the canonical JSON form, shortened: the hash every operator uses for content. */
export function contentHash(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJSON(value)).digest('hex').slice(0, length);
}

export function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropUndefined) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, dropUndefined(v)]),
    ) as T;
  }
  return value;
}

/**
 * Watch caches a pass may read instead of the API server (controller-runtime's cached client): the manager's shared
 * informers. Only kinds it `watches` (and has synced) are looked up; an object `get` does not hold may still exist
 * (e.g. without the label a watch selects on), so a miss is asked of the server.
 */
export interface ObjectCache {
  watches(ref: ObjectRef): boolean;
  get(ref: ObjectRef): KubernetesObject | undefined;
}

const refKey = (r: ObjectRef) => `${r.apiVersion}/${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;

export class Applier {
  /** Reads sent to the API server (benchmarks report reads per pass); writes are counted by the API server's audit log. */
  reads = 0;
  /** Reads answered by the cache. */
  cacheHits = 0;
  /**
   * What this applier wrote or deleted (undefined) in a watched kind, with the version the cache had then: until the
   * cache moves past it, a read gets what was written, so a pass right after a write does not decide from the older
   * copy (e.g. issue again a certificate it has just issued). No ordering of resourceVersions is assumed.
   */
  private readonly written = new Map<string, { obj: KubernetesObject | undefined; cacheVersion: string | undefined }>();
  /** Objects a create-only apply met though the cache did not hold them (unlabelled, or the cache behind): read from the server. */
  private readonly presentUncached = new Set<string>();
  /** Misses taken as absent without a request (`missMeansAbsent`). */
  assumedAbsent = 0;

  constructor(
    private readonly client: KubernetesObjectApi,
    private readonly cache?: ObjectCache,
  ) {}

  /**
   * The object as the cache has it (or this applier wrote it), else from the server. `owned`: the caller only cares
   * about an object it labelled itself (e.g. to prune it), so a miss in a watched kind means absent, with no request.
   * `missMeansAbsent`: the caller writes what it decides with `ensureAgainst`, create-only for such a miss, so a miss is
   * taken as absent with no request (a new cluster's objects); one met there after all is read from then on.
   */
  async read<T extends KubernetesObject>(
    ref: ObjectRef,
    opts: { owned?: boolean; missMeansAbsent?: boolean } = {},
  ): Promise<T | undefined> {
    if (this.cache?.watches(ref)) {
      const cached = this.cache.get(ref);
      const key = refKey(ref);
      const mine = this.written.get(key);
      if (mine && cached?.metadata?.resourceVersion === mine.cacheVersion) return mine.obj && (structuredClone(mine.obj) as T);
      this.written.delete(key);
      // A copy: callers may change what they read, and the cache is shared.
      if (cached) {
        this.cacheHits++;
        this.presentUncached.delete(key);
        return structuredClone(cached) as T;
      }
      if (opts.owned) return undefined;
      if (opts.missMeansAbsent && !this.presentUncached.has(key)) {
        this.assumedAbsent++;
        return undefined;
      }
    }
    this.reads++;
    return readObject<T>(this.client, ref);
  }

  /**
   * Applies `desired` unless the live object already matches; returns the live object either way. A miss in a watched
   * kind is most often an object that does not exist yet (a new cluster's): it is created by an apply that only
   * succeeds when nothing is there (one request instead of a read and an apply); when something is there after all
   * (without the label the watch selects on, or the cache behind) that apply is refused (409) and the object is read
   * and compared as usual.
   */
  async ensure<T extends KubernetesObject>(desired: T): Promise<T> {
    if (this.createOnly(desired as unknown as ObjectRef)) {
      try {
        return await this.ensureAgainst(desired, undefined);
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    return this.ensureAgainst(desired, await this.read<T>(desired as never));
  }

  /**
   * Like `ensure`, with the live object the caller has just read (undefined: it does not exist). Undefined for a miss
   * in a watched kind (read with `missMeansAbsent`) is written create-only: an object there after all refuses it with
   * 409 Conflict, which the caller gets, and from then on that object is read from the server.
   */
  async ensureAgainst<T extends KubernetesObject>(desired: T, live: T | undefined): Promise<T> {
    if (live && containsDesired(live, stripStatus(desired))) return live;
    const ref = desired as unknown as ObjectRef;
    const before = this.cacheVersion(ref);
    const onlyIfAbsent = !live && this.createOnly(ref);
    let stored: T;
    try {
      stored = await applyObject(this.client, desired, { fieldManager: FIELD_MANAGER, force: true, onlyIfAbsent });
    } catch (e) {
      if (onlyIfAbsent && isConflict(e)) this.presentUncached.add(refKey(ref));
      throw e;
    }
    if (before) this.written.set(refKey(ref), { obj: stored, cacheVersion: before.version });
    return stored;
  }

  /** A watched kind's object the cache does not hold and this applier knows nothing of: written create-only. */
  private createOnly(ref: ObjectRef): boolean {
    const key = refKey(ref);
    return !!this.cache?.watches(ref) && !this.cache.get(ref) && !this.written.has(key) && !this.presentUncached.has(key);
  }

  /** Deletes (background propagation); false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    const before = this.cacheVersion(ref);
    const deleted = await deleteObject(this.client, ref, { propagationPolicy: 'Background' });
    if (before) this.written.set(refKey(ref), { obj: undefined, cacheVersion: before.version });
    return deleted;
  }

  /** The cache's version of `ref` now (version undefined: not in it), or undefined when the kind is not cached. */
  private cacheVersion(ref: ObjectRef): { version: string | undefined } | undefined {
    return this.cache?.watches(ref) ? { version: this.cache.get(ref)?.metadata?.resourceVersion } : undefined;
  }
}

function stripStatus<T extends KubernetesObject>(o: T): T {
  const { status: _s, ...rest } = o as T & { status?: unknown };
  return rest as T;
}

/**
 * Server-side apply of `status` through the /status subresource of a kokpit object (namespaced or
 * cluster-scoped): fields kokpit set before and no longer sends are removed, others' fields are kept.
 */
export async function applyStatus(...args: Parameters<typeof applyStatusReturning>): Promise<void> {
  await applyStatusReturning(...args);
}

/** applyStatus, returning the object as the API server stored it (its new resourceVersion; no read after the write). */
export async function applyStatusReturning(
  kc: KubeConfig,
  obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
  plural: string,
  status: unknown,
  /** Another operator's status fields (a condition, a record) go under its own manager, so neither apply drops the other's. */
  fieldManager = FIELD_MANAGER,
  /** Only if the object is still at this resourceVersion (the one the status was decided from): else a 409 Conflict. */
  ifAt?: string,
): Promise<KubernetesObject> {
  const [group, version] = obj.apiVersion.split('/');
  const api = kc.makeApiClient(CustomObjectsApi);
  const ns = obj.metadata.namespace;
  const body = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata.name, ...(ns ? { namespace: ns } : {}), ...(ifAt ? { resourceVersion: ifAt } : {}) },
    status,
  };
  const common = { group, version, plural, name: obj.metadata.name, body, fieldManager, force: true };
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  try {
    return (await (ns
      ? api.patchNamespacedCustomObjectStatus({ ...common, namespace: ns }, ssa)
      : api.patchClusterCustomObjectStatus(common, ssa))) as KubernetesObject;
  } catch (err) {
    throw toKubeApiError(err, `apply status of ${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata.name}`);
  }
}

/** Applies `status` through /status unless it equals `previous` (same fields, same values). */
export async function writeStatusIfChanged(
  kc: KubeConfig,
  /** apiVersion defaults to kokpit's (list items may come without one). */
  obj: { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string } },
  plural: string,
  previous: unknown,
  status: Record<string, unknown>,
): Promise<boolean> {
  if (canonicalJSON(dropUndefined(previous ?? {})) === canonicalJSON(dropUndefined(status))) return false;
  await applyStatus(kc, { ...obj, apiVersion: obj.apiVersion ?? API_VERSION }, plural, dropUndefined(status));
  return true;
}
