// Defaulting, from the same `default` keywords the CRDs carry (so the apiserver and kokpit agree).
import { Value } from '@sinclair/typebox/value';
import { kindInfo, type BusinessCluster, type DefaultedBusinessCluster } from './kinds';

/** Returns a copy of `obj` with spec defaults filled in; unknown kinds are returned unchanged. */
export function withDefaults(obj: BusinessCluster): DefaultedBusinessCluster;
export function withDefaults<T extends { kind?: string; spec?: unknown }>(obj: T): T;
export function withDefaults<T extends { kind?: string; spec?: unknown }>(obj: T): T {
  const info = obj.kind ? kindInfo(obj.kind) : undefined;
  if (!info || obj.spec === undefined || obj.spec === null || typeof obj.spec !== 'object') return obj;
  const spec = Value.Default(info.spec, structuredClone(obj.spec));
  return { ...obj, spec };
}
