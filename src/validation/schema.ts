// A JSON schema compiled once into the shape the walker needs (maps, sets, RegExps), so validating
// a document never re-reads raw keywords. Supports exactly what kokpit's generated schemas use.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  title?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [keyword: string]: unknown;
}

export interface CompiledSchema {
  raw: JsonSchema;
  /** Allowed JSON types; undefined when any type is fine. */
  types?: ReadonlySet<string>;
  properties?: Map<string, CompiledSchema>;
  /** What happens to keys not in `properties`. */
  additional: CompiledSchema | 'forbidden' | 'free';
  required: readonly string[];
  enumValues?: readonly unknown[];
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: CompiledSchema;
  anyOf?: CompiledSchema[];
  /** Items of a list-map must differ in these keys (the apiserver enforces it too). */
  listMapKeys?: readonly string[];
}

const cache = new WeakMap<JsonSchema, CompiledSchema>();

export function compileSchema(raw: JsonSchema): CompiledSchema {
  const hit = cache.get(raw);
  if (hit) return hit;
  const c: CompiledSchema = { raw, additional: 'free', required: raw.required ?? [] };
  cache.set(raw, c); // before recursing, so a self-referencing schema terminates
  if (raw.type !== undefined) c.types = new Set(Array.isArray(raw.type) ? raw.type : [raw.type]);
  if (raw.properties) {
    c.properties = new Map();
    for (const [k, v] of Object.entries(raw.properties)) c.properties.set(k, compileSchema(v));
  }
  if (raw.additionalProperties === false && !raw['x-kubernetes-preserve-unknown-fields']) c.additional = 'forbidden';
  else if (raw.additionalProperties && typeof raw.additionalProperties === 'object') c.additional = compileSchema(raw.additionalProperties);
  if (raw.enum) c.enumValues = raw.enum;
  if (raw.pattern !== undefined) c.pattern = new RegExp(raw.pattern, 'u');
  if (raw.minimum !== undefined) c.minimum = raw.minimum;
  if (raw.maximum !== undefined) c.maximum = raw.maximum;
  if (raw.minLength !== undefined) c.minLength = raw.minLength;
  if (raw.maxLength !== undefined) c.maxLength = raw.maxLength;
  if (raw.minItems !== undefined) c.minItems = raw.minItems;
  if (raw.maxItems !== undefined) c.maxItems = raw.maxItems;
  if (raw.items) c.items = compileSchema(raw.items);
  if (raw.anyOf) c.anyOf = raw.anyOf.map(compileSchema);
  if (raw['x-kubernetes-list-type'] === 'map' && raw['x-kubernetes-list-map-keys']) c.listMapKeys = raw['x-kubernetes-list-map-keys'];
  return c;
}

/** The schema of the value at `path` below `root` (object keys and array indexes), or undefined when the
 *  path leaves the schema. Used by the editor (hover, completion) and by messages. */
export function schemaAt(root: CompiledSchema, path: readonly (string | number)[]): CompiledSchema | undefined {
  let s: CompiledSchema | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    s = objectBranch(s);
    if (typeof seg === 'number') s = s.items;
    else s = s.properties?.get(seg) ?? (typeof s.additional === 'object' ? s.additional : undefined);
  }
  return s;
}

/** For `anyOf` unions the branch that describes an object or array (what a path can descend into). */
function objectBranch(s: CompiledSchema): CompiledSchema {
  if (!s.anyOf) return s;
  return s.anyOf.find((b) => b.properties || b.items || b.types?.has('object') || b.types?.has('array')) ?? s;
}

/** A short human name of the schema's type, e.g. `integer`, `string`, `string or null`, `object`. */
export function typeLabel(s: CompiledSchema): string {
  if (s.types) return [...s.types].join(' or ');
  if (s.anyOf) return s.anyOf.map(typeLabel).join(' or ');
  return 'any';
}
