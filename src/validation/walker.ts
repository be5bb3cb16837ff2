// The schema walk: one pass over the YAML AST that checks every node against its compiled schema, reports
// findings at exact ranges and returns the plain JS value (so semantic rules need no second conversion).
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import type { CompiledSchema } from './schema';
import { describeTypes, didYouMean, jsonType, listValues, patternMessage, quote } from './messages';
import { formatPath, type PathSegment, type Severity } from './types';

export type Range = readonly [start: number, end: number];

export interface Finding {
  range: Range;
  severity: Severity;
  code: string;
  message: string;
  path: string;
}

type Sink = (f: Finding) => void;

export class SchemaWalker {
  private readonly path: PathSegment[] = [];

  constructor(
    private readonly doc: Document.Parsed,
    private sink: Sink,
    private readonly lineOf: (offset: number) => number,
  ) {}

  /** Walks `node` (a mapping value, sequence item or document root). `anchor` is where findings about the
   *  node as a whole go when it has no useful range of its own: the key naming it. */
  walk(node: unknown, schema: CompiledSchema | undefined, anchor: Range): unknown {
    if (schema?.anyOf) return this.walkUnion(node, schema, anchor);
    if (isScalar(node)) {
      const value = node.value;
      if (schema) this.checkScalar(node, value, schema, anchor);
      return value;
    }
    if (isMap(node)) return this.walkMap(node, schema, anchor);
    if (isSeq(node)) return this.walkSeq(node, schema, anchor);
    if (isAlias(node)) {
      // Anchors are rare in manifests: take the value, check only its type.
      const target = node.resolve(this.doc);
      const value = target ? target.toJS(this.doc) : null;
      if (schema?.types && !typeMatches(schema.types, value, undefined)) this.typeError(schema, value, anchor);
      return value;
    }
    // An absent value (`key:` followed by nothing).
    if (schema?.types && !schema.types.has('null')) this.typeError(schema, null, anchor);
    return null;
  }

  private walkMap(node: YAMLMap, schema: CompiledSchema | undefined, anchor: Range): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    let effective = schema;
    if (schema?.types && !schema.types.has('object')) {
      this.typeError(schema, obj, anchor);
      effective = undefined;
    }
    const seen = node.items.length > 1 ? new Map<string, Pair>() : undefined;
    let suggested: Set<string> | undefined;
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyText(keyNode, this.doc);
      const keyRange = rangeOf(keyNode) ?? rangeOf(pair.value as Node | null) ?? anchor;
      this.path.push(key);
      if (seen) {
        const first = seen.get(key);
        if (first) {
          this.report(keyRange, 'error', 'duplicate-key', `duplicate key "${key}": it is already set on line ${this.lineOf(rangeOf(first.key as Node)?.[0] ?? 0)}; keep one of them`);
        } else seen.set(key, pair);
      }
      let child: CompiledSchema | undefined;
      if (effective) {
        child = effective.properties?.get(key);
        if (!child) {
          if (effective.additional === 'forbidden') {
            const names = effective.properties ? [...effective.properties.keys()] : [];
            const guess = didYouMean(key, names);
            if (guess) (suggested ??= new Set()).add(guess);
            const where = this.path.length > 1 ? ` in ${formatPath(this.path.slice(0, -1))}` : '';
            const help = guess ? `; did you mean "${guess}"?` : names.length && names.length <= 8 ? ` (allowed: ${names.join(', ')})` : '';
            this.report(keyRange, 'error', 'unknown-field', `unknown field "${key}"${where}${help}`);
          } else if (effective.additional !== 'free') child = effective.additional;
        }
      }
      const value = this.walk(pair.value, child, keyRange);
      if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      else obj[key] = value;
      this.path.pop();
    }
    if (effective && effective.required.length) {
      for (const name of effective.required) {
        if (Object.prototype.hasOwnProperty.call(obj, name) || suggested?.has(name)) continue;
        const where = this.path.length ? ` in ${formatPath(this.path)}` : '';
        this.report(anchor, 'error', 'required', `missing required field "${name}"${where}`, [...this.path, name]);
      }
    }
    return obj;
  }

  private walkSeq(node: YAMLSeq, schema: CompiledSchema | undefined, anchor: Range): unknown[] {
    const arr: unknown[] = [];
    let effective = schema;
    if (schema?.types && !schema.types.has('array')) {
      this.typeError(schema, arr, anchor);
      effective = undefined;
    }
    const items = node.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Node | null;
      this.path.push(i);
      arr.push(this.walk(item, effective?.items, itemAnchor(item) ?? anchor));
      this.path.pop();
    }
    if (!effective) return arr;
    if (effective.minItems !== undefined && arr.length < effective.minItems) this.report(anchor, 'error', 'min-items', `${this.subject()} needs at least ${effective.minItems} item(s), has ${arr.length}`);
    if (effective.maxItems !== undefined && arr.length > effective.maxItems) this.report(anchor, 'error', 'max-items', `${this.subject()} may have at most ${effective.maxItems} item(s), has ${arr.length}`);
    if (effective.listMapKeys) this.checkListMap(items as (Node | null)[], arr, effective.listMapKeys);
    return arr;
  }

  /** A list-map (`x-kubernetes-list-type: map`): no two items may share their key fields. */
  private checkListMap(items: (Node | null)[], values: unknown[], keys: readonly string[]): void {
    const seen = new Map<string, number>();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
      const id = JSON.stringify(keys.map((k) => (v as Record<string, unknown>)[k]));
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, i);
        continue;
      }
      const item = items[i];
      const keyPair = isMap(item) ? item.items.find((p) => keyText(p.key as Node, this.doc) === keys[0]) : undefined;
      const range = rangeOf(keyPair?.value as Node | null) ?? itemAnchor(item);
      if (!range) continue;
      const label = keys.map((k) => `${k} ${quote((v as Record<string, unknown>)[k])}`).join(', ');
      this.path.push(i, keys[0]);
      this.report(range, 'error', 'duplicate-item', `${formatPath(this.path.slice(0, -2))} already has an item with ${label} (item ${first + 1}); each must be unique`);
      this.path.length -= 2;
    }
  }

  private walkUnion(node: unknown, schema: CompiledSchema, anchor: Range): unknown {
    const saved = this.sink;
    let best: Finding[] | undefined;
    let value: unknown;
    for (const branch of schema.anyOf!) {
      const found: Finding[] = [];
      this.sink = (f) => found.push(f);
      value = this.walk(node, branch, anchor);
      if (found.length === 0) {
        this.sink = saved;
        return value;
      }
      // Prefer a branch whose type fits (its findings are about the content, not the type).
      if (!best || (best.some((f) => f.code === 'type') && !found.some((f) => f.code === 'type'))) best = found;
    }
    this.sink = saved;
    if (best && !best.every((f) => f.code === 'type')) for (const f of best) saved(f);
    else {
      const types = new Set<string>();
      for (const b of schema.anyOf!) for (const t of b.types ?? []) types.add(t);
      this.typeError({ ...schema, types }, value, anchor);
    }
    return value;
  }

  private checkScalar(node: Node & { value: unknown; source?: string; type?: string }, value: unknown, s: CompiledSchema, anchor: Range): void {
    const range = scalarRange(node) ?? anchor;
    if (s.types && !typeMatches(s.types, value, node)) {
      this.typeError(s, value, value === null ? anchor : range);
      return;
    }
    if (s.enumValues && !s.enumValues.includes(value)) {
      this.report(range, 'error', 'enum', `${this.subject()} must be one of ${listValues(s.enumValues)}; got ${quote(value)}`);
      return;
    }
    if (typeof value === 'string') {
      if (s.pattern && !s.pattern.test(value)) this.report(range, 'error', 'pattern', `${this.subject()} ${patternMessage(s.pattern, value)}`);
      const length = [...value].length;
      if (s.minLength !== undefined && length < s.minLength) this.report(range, 'error', 'min-length', `${this.subject()} must be at least ${s.minLength} characters long; ${quote(value)} has ${length}`);
      if (s.maxLength !== undefined && length > s.maxLength) this.report(range, 'error', 'max-length', `${this.subject()} may be at most ${s.maxLength} characters long; ${quote(value)} has ${length}`);
    } else if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) this.report(range, 'error', 'minimum', `${this.subject()} must be at least ${s.minimum}; got ${value}`);
      if (s.maximum !== undefined && value > s.maximum) this.report(range, 'error', 'maximum', `${this.subject()} must be at most ${s.maximum}; got ${value}`);
    }
  }

  private typeError(s: CompiledSchema, value: unknown, range: Range): void {
    const expected = describeTypes(s.types ?? []);
    let got = value === null ? 'an empty value' : describeTypes([jsonType(value)]);
    if (value !== null && typeof value !== 'object') got += ` ${quote(value)}`;
    let hint = '';
    if (s.types?.has('string') && (typeof value === 'number' || typeof value === 'boolean')) hint = ` — quote it: "${value}"`;
    this.report(range, 'error', 'type', `${this.subject()} must be ${expected}; got ${got}${hint}`);
  }

  private subject(): string {
    return this.path.length ? formatPath(this.path) : 'the document';
  }

  private report(range: Range, severity: Severity, code: string, message: string, path: readonly PathSegment[] = this.path): void {
    this.sink({ range, severity, code, message, path: formatPath(path) });
  }
}

function typeMatches(types: ReadonlySet<string>, value: unknown, node: { source?: string; type?: string } | undefined): boolean {
  switch (typeof value) {
    case 'string':
      return types.has('string');
    case 'boolean':
      return types.has('boolean');
    case 'number':
      if (types.has('number')) return true;
      // `3.0` parses to the integer 3, yet it is a float in JSON (and to the apiserver).
      return types.has('integer') && Number.isInteger(value) && !(node?.type === 'PLAIN' && /[.eE]/.test(node.source ?? ''));
    case 'bigint':
      return types.has('integer') || types.has('number');
    case 'object':
      if (value === null) return types.has('null');
      return Array.isArray(value) ? types.has('array') : types.has('object');
    default:
      return false;
  }
}

export function keyText(key: Node | null | undefined, doc: Document.Parsed): string {
  if (isScalar(key)) return String(key.value);
  if (!key) return '';
  return JSON.stringify(key.toJS(doc));
}

export function rangeOf(node: Node | null | undefined): Range | undefined {
  const r = node?.range;
  if (!r || r[1] <= r[0]) return undefined;
  return [r[0], r[1]];
}

function scalarRange(node: Node): Range | undefined {
  return rangeOf(node);
}

/** Findings about a whole sequence item go to its first key (`- name: x`) or to the item itself. */
export function itemAnchor(item: Node | null | undefined): Range | undefined {
  if (isMap(item) && item.items.length) return rangeOf(item.items[0].key as Node) ?? rangeOf(item);
  return rangeOf(item);
}
