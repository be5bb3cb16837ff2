// The API requests behind the editor's fleet actions, against any meta cluster (no vscode): guarded JSON patches,
// creating backups and restored clusters, listing backups and an object's events. Errors say what was attempted
// and the apiserver's answer, never a client stack.
import { ExponentialBackoff, handleWhen, noJitterGenerator, retry } from 'cockatiel';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, API_VERSION, type EtcdBackup, type EtcdCluster } from '../api';
import { createObject, KubeApiError, listObjects, makeObjectApi, toKubeApiError } from '../kube';
import type { EventLike, JsonPatchOp } from './fleet-actions';

export interface Ref {
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Edits made from the editor (spec.version, replicas) are the user's, not the reconcilers': their own field manager
 * keeps them apart from 'kokpit' in managedFields, like the CLI's 'kokpit-cli'.
 */
export const EDITOR_FIELD_MANAGER = 'kokpit-editor';

const describe = (r: Ref) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

function pluralOf(kind: string): string {
  const info = KINDS.find((k) => k.kind === kind && k.crd);
  if (!info) throw new Error(`${kind} is not a kokpit kind`);
  return info.plural;
}

/** The value at a JSON pointer, for explaining a failed `test`. */
export function valueAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/**
 * Sends a JSON patch whose `test` operations guard against changes made since the user looked. When a guard fails,
 * the error names the field and its value now instead of the apiserver's generic "rejected our request".
 */
export async function patchKokpitObject(
  kc: KubeConfig,
  ref: Ref,
  ops: JsonPatchOp[],
  fieldManager: string = EDITOR_FIELD_MANAGER,
): Promise<unknown> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const target = { group: GROUP, version: VERSION, namespace: ref.namespace ?? 'default', plural: pluralOf(ref.kind), name: ref.name };
  try {
    return await api.patchNamespacedCustomObject(
      { ...target, body: ops, fieldManager },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  } catch (e) {
    const failure = toKubeApiError(e, `patch ${describe(ref)}`);
    if (failure.statusCode === 404 || failure.statusCode === 0) throw failure;
    let now: unknown;
    try {
      now = await api.getNamespacedCustomObject(target);
    } catch {
      throw failure;
    }
    for (const t of ops.filter((o) => o.op === 'test')) {
      const value = valueAt(now, t.path);
      if (JSON.stringify(value) !== JSON.stringify(t.value)) {
        throw new Error(
          `${describe(ref)} changed meanwhile: ${t.path.slice(1).replace(/\//g, '.')} is now ${JSON.stringify(value)} ` +
            `(was ${JSON.stringify(t.value)}); nothing was changed, try again`,
          { cause: e },
        );
      }
    }
    throw failure;
  }
}

export async function createBackup(kc: KubeConfig, backup: EtcdBackup): Promise<EtcdBackup> {
  return (await createObject(makeObjectApi(kc), backup as unknown as KubernetesObject, {
    fieldManager: EDITOR_FIELD_MANAGER,
  })) as unknown as EtcdBackup;
}

export async function createEtcdCluster(kc: KubeConfig, cluster: EtcdCluster): Promise<EtcdCluster> {
  return (await createObject(makeObjectApi(kc), cluster as unknown as KubernetesObject, {
    fieldManager: EDITOR_FIELD_MANAGER,
  })) as unknown as EtcdCluster;
}

/**
 * Retries reads the apiserver answers with 429 (e.g. "storage is (re)initializing" for a kind nobody listed since it
 * started): a short, bounded backoff, then its own error.
 */
export async function retryTooManyRequests<T>(read: () => Promise<T>, attempts = 5, firstDelayMs = 200): Promise<T> {
  // cockatiel's retry policy: exponential backoff from firstDelayMs, no jitter, only for 429s.
  const policy = retry(
    handleWhen((e) => e instanceof KubeApiError && e.statusCode === 429),
    {
      maxAttempts: attempts - 1,
      backoff: new ExponentialBackoff({
        initialDelay: firstDelayMs,
        maxDelay: firstDelayMs * 2 ** attempts,
        exponent: 2,
        generator: noJitterGenerator,
      }),
    },
  );
  return policy.execute(() => read());
}

export async function listBackups(kc: KubeConfig, namespace: string): Promise<EtcdBackup[]> {
  return (await retryTooManyRequests(() =>
    listObjects(makeObjectApi(kc), API_VERSION, 'EtcdBackup', { namespace }),
  )) as unknown as EtcdBackup[];
}

export async function listEtcdClusterNames(kc: KubeConfig, namespace: string): Promise<Set<string>> {
  const items = await retryTooManyRequests(() => listObjects(makeObjectApi(kc), API_VERSION, 'EtcdCluster', { namespace }));
  return new Set(items.map((c) => c.metadata!.name!));
}

/** core/v1 Events whose involvedObject is `ref`. */
export async function listEvents(kc: KubeConfig, ref: Ref): Promise<EventLike[]> {
  const namespace = ref.namespace ?? 'default';
  try {
    const api = kc.makeApiClient(CoreV1Api);
    const fieldSelector = `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`;
    const list = await retryTooManyRequests(async () => {
      try {
        return await api.listNamespacedEvent({ namespace, fieldSelector });
      } catch (e) {
        throw toKubeApiError(e);
      }
    });
    return list.items as EventLike[];
  } catch (e) {
    throw toKubeApiError(e, `list events of ${describe(ref)}`);
  }
}
