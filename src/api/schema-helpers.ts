// Small TypeBox builders that keep every schema structural (valid as a CRD openAPIV3Schema)
// while still giving precise TypeScript types. Nothing here knows about kokpit kinds.
import { type TSchema, type TUnsafe, type ObjectOptions, type TProperties } from '@sinclair/typebox';
import { Type } from './typebox';

/** A string restricted to a fixed set of values. Rendered as `enum`, which CRDs and editors both understand. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  opts: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** An integer restricted to a fixed set of values. */
export function IntegerEnum<const T extends readonly number[]>(
  values: T,
  opts: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'integer', enum: [...values], ...opts });
}

/** map[string]string — `additionalProperties` instead of TypeBox's patternProperties, which CRDs reject. */
export function StringMap(opts: { description?: string } = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, ...opts });
}

/** Free-form values (addon parameters, template metadata): kept as-is by the apiserver. */
export function FreeForm(opts: { description?: string } = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...opts });
}

/** Any JSON value (an addon parameter's default). */
export function AnyValue(opts: { description?: string } = {}): TUnsafe<unknown> {
  return Type.Unsafe<unknown>({ 'x-kubernetes-preserve-unknown-fields': true, ...opts });
}

/** A closed object: unknown keys are errors in the editor (`additionalProperties: false` is stripped for CRDs,
 *  where pruning plus strict field validation give the same result). */
export function Struct<T extends TProperties>(props: T, opts: ObjectOptions = {}) {
  return Type.Object(props, { additionalProperties: false, ...opts });
}

/** A list whose items are identified by one key (conditions by `type`, members by `name`). */
export function ListMap<T extends TSchema>(item: T, key: string, opts: { description?: string; maxItems?: number } = {}) {
  return Type.Array(item, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key], ...opts });
}

/** A CEL rule carried on the CRD (the editor reports the same rule with a friendlier message). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
}
export function withCel<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules } as T;
}
