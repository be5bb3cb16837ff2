// The schema walk: one pass over the YAML AST that checks every node against its compiled schema, reports
// findings at exact ranges and returns the plain JS value (so semantic rules need no second conversion).
import {
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { LIMITS } from './limits';
import type { CompiledSchema } from './schema';
import { describeTypes, didYouMean, jsonType, listValues, patternMessage, quote } from './messages';
import { formatPath, type FindingData, type PathSegment, type Severity } from './types';

export type Range = readonly [start: number, end: number];

export interface Finding {
  range: Range;
  severity: Severity;
  code: string;
  message: string;
  path: string;
  data?: FindingData;
}

type Sink = (f: Finding) => void;

/** What expanding aliases and merge keys may still produce, shared by every document of a text. */
export interface ExpansionBudget {
  left: number;
}

export function expansionBudget(): ExpansionBudget {
  return { left: LIMITS.maxAliasValues };
}

/** The outermost alias (or merge key) being expanded: findings inside go to its range, naming it. */
interface Via {
  range: Range;
  name: string;
}

/** The state of one mapping's walk, shared by its own pairs and the ones merge keys bring in. */
interface MapWalk {
  obj: Record<string, unknown>;
  schema: CompiledSchema | undefined;
  suggested?: Set<string>;
}

/**
 * Aliases are read as kubectl reads them: the anchored value is checked against the schema of the place the alias
 * stands, like inline content, and merge keys (`<<: *base`) merge (explicit keys win, earlier sources win). Every
 * value an expansion produces is counted against a budget, so an alias bomb costs bounded time and memory.
 */
export class SchemaWalker {
  private readonly path: PathSegment[] = [];
  private via: Via | undefined;
  /** Anchored nodes being expanded: an alias to one of them is a cycle. */
  private readonly expanding = new Set<Node>();
  private targets: Map<Alias, Node | undefined> | undefined;
  /** Where limit errors go, whatever union branch is being tried. */
  private readonly rootSink: Sink;

  constructor(
    private readonly doc: Document.Parsed,
    private sink: Sink,
    private readonly lineOf: (offset: number) => number,
    private readonly budget: ExpansionBudget = expansionBudget(),
  ) {
    this.rootSink = sink;
  }

  /** Walks `node` (a mapping value, sequence item or document root). `anchor` is where findings about the
   *  node as a whole go when it has no useful range of its own: the key naming it. */
  walk(node: unknown, schema: CompiledSchema | undefined, anchor: Range): unknown {
    if (this.via && !this.spend()) return null;
    if (schema?.anyOf) return this.walkUnion(node, schema, anchor);
    if (isScalar(node)) {
      const value = node.value;
      if (schema) this.checkScalar(node, value, schema, anchor);
      return value;
    }
    if (isMap(node)) return this.walkMap(node, schema, anchor);
    if (isSeq(node)) return this.walkSeq(node, schema, anchor);
    if (isAlias(node)) return this.walkAlias(node, schema, anchor);
    // An absent value (`key:` followed by nothing).
    if (schema?.types && !schema.types.has('null')) this.typeError(schema, null, anchor);
    return null;
  }

  private walkMap(node: YAMLMap, schema: CompiledSchema | undefined, anchor: Range): Record<string, unknown> {
    const m: MapWalk = { obj: {}, schema };
    if (schema?.types && !schema.types.has('object')) {
      this.typeError(schema, m.obj, anchor);
      m.schema = undefined;
    }
    this.walkPairs(node, m, true, anchor);
    const effective = m.schema;
    if (effective && effective.required.length) {
      for (const name of effective.required) {
        if (Object.prototype.hasOwnProperty.call(m.obj, name) || m.suggested?.has(name)) continue;
        const where = this.path.length ? ` in ${formatPath(this.path)}` : '';
        this.report(anchor, 'error', 'required', `missing required field "${name}"${where}`, [...this.path, name], { field: name });
      }
    }
    return m.obj;
  }

  /** The pairs of `node` into `m.obj`, then what its merge keys bring in. `own`: the mapping as written (duplicate
   *  keys are errors); otherwise a merge source, whose keys only fill what is not set yet. */
  private walkPairs(node: YAMLMap, m: MapWalk, own: boolean, anchor: Range): void {
    const seen = own && node.items.length > 1 ? new Map<string, Pair>() : undefined;
    const merges: Pair[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (isMergeKey(keyNode)) {
        merges.push(pair);
        continue;
      }
      const key = keyText(keyNode);
      if (!own && Object.prototype.hasOwnProperty.call(m.obj, key)) continue;
      const keyRange = rangeOf(keyNode) ?? rangeOf(pair.value as Node | null) ?? anchor;
      this.path.push(key);
      if (seen) {
        const first = seen.get(key);
        if (first) {
          this.report(
            keyRange,
            'error',
            'duplicate-key',
            `duplicate key "${key}": it is already set on line ${this.lineOf(rangeOf(first.key as Node)?.[0] ?? 0)}; keep one of them`,
          );
        } else seen.set(key, pair);
      }
      const value = this.walk(pair.value, this.fieldSchema(m, key, keyRange), keyRange);
      if (key === '__proto__') Object.defineProperty(m.obj, key, { value, enumerable: true, writable: true, configurable: true });
      else m.obj[key] = value;
      this.path.pop();
    }
    for (const pair of merges) this.merge(pair, m, anchor);
  }

  /** The schema of field `key` of the mapping, reporting it when the mapping allows no such field. */
  private fieldSchema(m: MapWalk, key: string, keyRange: Range): CompiledSchema | undefined {
    const effective = m.schema;
    if (!effective) return undefined;
    const child = effective.properties?.get(key);
    if (child) return child;
    if (effective.additional !== 'forbidden') return effective.additional === 'free' ? undefined : effective.additional;
    const names = effective.properties ? [...effective.properties.keys()] : [];
    const guess = didYouMean(key, names);
    if (guess) (m.suggested ??= new Set()).add(guess);
    const where = this.path.length > 1 ? ` in ${formatPath(this.path.slice(0, -1))}` : '';
    const help = guess ? `; did you mean "${guess}"?` : names.length && names.length <= 8 ? ` (allowed: ${names.join(', ')})` : '';
    this.report(keyRange, 'error', 'unknown-field', `unknown field "${key}"${where}${help}`, this.path, {
      field: key,
      ...(guess ? { suggestion: guess } : {}),
    });
    return undefined;
  }

  /** `<<: *base`, `<<: {a: 1}` or `<<: [*a, *b]`: the sources' keys join the mapping unless already set. */
  private merge(pair: Pair, m: MapWalk, anchor: Range): void {
    const value = pair.value as Node | null;
    const at = rangeOf(pair.key as Node) ?? anchor;
    const sources = isSeq(value) ? (value.items as (Node | null)[]) : [value];
    for (const source of sources) {
      const range = rangeOf(source) ?? at;
      const target = isAlias(source) ? this.target(source, range) : source;
      if (target === null) continue; // reported
      if (!isMap(target)) {
        this.report(range, 'error', 'merge', 'a merge key (<<) takes a mapping, an alias to one, or a list of them');
        continue;
      }
      this.expand(target, { range, name: isAlias(source) ? `*${source.source}` : '<<' }, () => this.walkPairs(target, m, false, anchor));
    }
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
    if (effective.minItems !== undefined && arr.length < effective.minItems)
      this.report(anchor, 'error', 'min-items', `${this.subject()} needs at least ${effective.minItems} item(s), has ${arr.length}`);
    if (effective.maxItems !== undefined && arr.length > effective.maxItems)
      this.report(anchor, 'error', 'max-items', `${this.subject()} may have at most ${effective.maxItems} item(s), has ${arr.length}`);
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
      const keyPair = isMap(item) ? item.items.find((p) => keyText(p.key as Node) === keys[0]) : undefined;
      const range = rangeOf(keyPair?.value as Node | null) ?? itemAnchor(item);
      if (!range) continue;
      const label = keys.map((k) => `${k} ${quote((v as Record<string, unknown>)[k])}`).join(', ');
      this.path.push(i, keys[0]);
      this.report(
        range,
        'error',
        'duplicate-item',
        `${formatPath(this.path.slice(0, -2))} already has an item with ${label} (item ${first + 1}); each must be unique`,
      );
      this.path.length -= 2;
    }
  }

  private walkAlias(node: Alias, schema: CompiledSchema | undefined, anchor: Range): unknown {
    const range = rangeOf(node) ?? anchor;
    const target = this.target(node, range);
    if (target === null) return null;
    return this.expand(target, { range, name: `*${node.source}` }, () => this.walk(target, schema, this.via!.range));
  }

  /** The node an alias names, or null (reported) when there is none or it contains the alias. */
  private target(alias: Alias, range: Range): Node | null {
    const target = this.anchorTargets().get(alias);
    if (!target) {
      this.report(range, 'error', 'alias', `alias *${alias.source} has no anchor &${alias.source} before it`);
      return null;
    }
    if (this.expanding.has(target)) {
      this.report(range, 'error', 'alias', `alias *${alias.source} is inside the value it names`);
      return null;
    }
    return target;
  }

  private expand<T>(target: Node, via: Via, run: () => T): T {
    const outer = this.via;
    this.via ??= via;
    this.expanding.add(target);
    try {
      return run();
    } finally {
      this.expanding.delete(target);
      this.via = outer;
    }
  }

  /** One more value from an expansion; false (reported once per text) when the budget is spent. */
  private spend(): boolean {
    if (--this.budget.left >= 0) return true;
    if (this.budget.left === -1) {
      const f = { range: this.via!.range, severity: 'error' as const, code: 'alias-limit', path: formatPath(this.path) };
      this.rootSink({
        ...f,
        message:
          `aliases and merge keys expand to more than ${LIMITS.maxAliasValues} values (through ${this.via!.name}); ` +
          `kokpit stops expanding them`,
      });
    }
    return false;
  }

  /** Each alias's anchored node, as the library resolves it: the last anchor of that name before the alias. One
   *  walk of the document (the library's own resolve walks it once per alias). */
  private anchorTargets(): Map<Alias, Node | undefined> {
    if (this.targets) return this.targets;
    const targets = new Map<Alias, Node | undefined>();
    const anchors = new Map<string, Node>();
    const visit = (node: unknown): void => {
      if (isAlias(node)) {
        targets.set(node, anchors.get(node.source));
        return;
      }
      if (!isScalar(node) && !isCollection(node)) return;
      if (node.anchor) anchors.set(node.anchor, node);
      if (isMap(node)) {
        for (const p of node.items) {
          visit(p.key);
          visit(p.value);
        }
      } else if (isSeq(node)) for (const item of node.items) visit(item);
    };
    visit(this.doc.contents);
    return (this.targets = targets);
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

  private checkScalar(
    node: Node & { value: unknown; source?: string; type?: string },
    value: unknown,
    s: CompiledSchema,
    anchor: Range,
  ): void {
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
      if (s.pattern && !s.pattern.test(value))
        this.report(range, 'error', 'pattern', `${this.subject()} ${patternMessage(s.pattern, value)}`);
      const length = [...value].length;
      if (s.minLength !== undefined && length < s.minLength)
        this.report(
          range,
          'error',
          'min-length',
          `${this.subject()} must be at least ${s.minLength} characters long; ${quote(value)} has ${length}`,
        );
      if (s.maxLength !== undefined && length > s.maxLength)
        this.report(
          range,
          'error',
          'max-length',
          `${this.subject()} may be at most ${s.maxLength} characters long; ${quote(value)} has ${length}`,
        );
    } else if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum)
        this.report(range, 'error', 'minimum', `${this.subject()} must be at least ${s.minimum}; got ${value}`);
      if (s.maximum !== undefined && value > s.maximum)
        this.report(range, 'error', 'maximum', `${this.subject()} must be at most ${s.maximum}; got ${value}`);
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

  private report(
    range: Range,
    severity: Severity,
    code: string,
    message: string,
    path: readonly PathSegment[] = this.path,
    data?: FindingData,
  ): void {
    const extra = data ? { data } : {};
    if (this.via)
      this.sink({
        range: this.via.range,
        severity,
        code,
        message: `${message} (through ${this.via.name})`,
        path: formatPath(path),
        ...extra,
      });
    else this.sink({ range, severity, code, message, path: formatPath(path), ...extra });
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

/** A mapping key as text. Complex keys (never valid in a Kubernetes object) print as written, not expanded. */
export function keyText(key: Node | null | undefined): string {
  if (isScalar(key)) return String(key.value);
  if (!key) return '';
  if (isAlias(key)) return `*${key.source}`;
  return String(key);
}

/** `<<` as YAML 1.1 (and kubectl) read it: a plain key that merges mappings in. */
function isMergeKey(key: Node | null): boolean {
  if (!isScalar(key) || (key.type && key.type !== 'PLAIN')) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
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
