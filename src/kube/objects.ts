// Object verbs on the dynamic client, with kokpit's defaults (server-side apply as field manager
// `kokpit`) and errors that say which object failed and why.
import { PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { isNotFound, toKubeApiError } from './errors';

export const FIELD_MANAGER = 'kokpit';

/** Enough to address an object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** `Kind ns/name` or `Kind name`, for messages. */
export function describeRef(obj: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const name = obj.metadata?.name ?? '(no name)';
  return `${obj.kind ?? '(no kind)'} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${name}`;
}

function refOf(obj: KubernetesObject): ObjectRef {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
    throw new Error(`object needs apiVersion, kind and metadata.name: ${describeRef(obj)}`);
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } };
}

export interface ApplyOptions {
  fieldManager?: string;
  /** Take over fields another manager owns (default true: kokpit is the source of truth for what it renders). */
  force?: boolean;
  dryRun?: boolean;
  /**
   * Create only: the apply carries a resourceVersion no stored object has (etcd's first write is revision 2), a
   * precondition, so it creates the object when there is none and is refused with 409 Conflict when there is one.
   */
  onlyIfAbsent?: boolean;
}

/** A Secret's value under `key`, decoded from base64 as text (undefined when the Secret or the key is absent). */
export const secretText = (s: { data?: Record<string, string> } | undefined, key: string): string | undefined =>
  s?.data?.[key] !== undefined ? Buffer.from(s.data[key], 'base64').toString('utf8') : undefined;

/** The resourceVersion precondition of an apply that must not meet an existing object (ApplyOptions.onlyIfAbsent). */
export const NO_OBJECT_VERSION = '1';

/** Server-side apply: the server merges `obj` as the fields `fieldManager` owns. Returns the object as stored. */
export async function applyObject<T extends KubernetesObject>(client: KubernetesObjectApi, obj: T, opts: ApplyOptions = {}): Promise<T> {
  refOf(obj);
  // Server-managed metadata must not be part of an apply request.
  const { managedFields: _m, resourceVersion: _rv, uid: _u, creationTimestamp: _c, ...metadata } = obj.metadata ?? {};
  const body = { ...obj, metadata: opts.onlyIfAbsent ? { ...metadata, resourceVersion: NO_OBJECT_VERSION } : metadata } as T;
  try {
    return await client.patch(
      body,
      undefined,
      opts.dryRun ? 'All' : undefined,
      opts.fieldManager ?? FIELD_MANAGER,
      opts.force ?? true,
      PatchStrategy.ServerSideApply,
    );
  } catch (err) {
    throw toKubeApiError(err, `apply ${describeRef(obj)}`);
  }
}

export interface CreateOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

/** Plain create (fails if it exists). Use a client from `makeObjectApi(kc, {fieldValidation})` to validate strictly. */
export async function createObject<T extends KubernetesObject>(client: KubernetesObjectApi, obj: T, opts: CreateOptions = {}): Promise<T> {
  try {
    return await client.create(obj, undefined, opts.dryRun ? 'All' : undefined, opts.fieldManager ?? FIELD_MANAGER);
  } catch (err) {
    throw toKubeApiError(err, `create ${describeRef(obj)}`);
  }
}

/** The object, or undefined if it does not exist. */
export async function readObject<T extends KubernetesObject>(client: KubernetesObjectApi, ref: ObjectRef): Promise<T | undefined> {
  try {
    return await client.read<T>(ref as never);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw toKubeApiError(err, `read ${describeRef(ref)}`);
  }
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

/** Delete; returns false if the object was already gone. */
export async function deleteObject(client: KubernetesObjectApi, ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
  try {
    await client.delete(
      refOf(ref as KubernetesObject) as KubernetesObject,
      undefined,
      opts.dryRun ? 'All' : undefined,
      opts.gracePeriodSeconds,
      undefined,
      opts.propagationPolicy,
    );
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw toKubeApiError(err, `delete ${describeRef(ref)}`);
  }
}

/** List objects of one kind (all namespaces when `namespace` is omitted and the kind is namespaced). */
export async function listObjects<T extends KubernetesObject>(
  client: KubernetesObjectApi,
  apiVersion: string,
  kind: string,
  opts: { namespace?: string; labelSelector?: string } = {},
): Promise<T[]> {
  try {
    const list = await client.list<T>(apiVersion, kind, opts.namespace, undefined, undefined, undefined, undefined, opts.labelSelector);
    return list.items;
  } catch (err) {
    throw toKubeApiError(err, `list ${kind}${opts.namespace ? ` in ${opts.namespace}` : ''}`);
  }
}
