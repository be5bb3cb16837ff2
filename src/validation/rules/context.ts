// What a semantic rule sees: the document as plain JS, a way to report at a path, and the file's definitions.
import { isMap, isSeq, isScalar, type Node } from 'yaml';
import type { KindInfo } from '../../api/kinds';
import type { FindingData, PathSegment, Severity, ValidateOptions } from '../types';
import { itemAnchor, rangeOf, type Range } from '../walker';

export interface Definitions {
  components: Set<string>;
  addons: Set<string>;
}

export interface RuleContext {
  /** The document as plain JS (the walker's output). */
  value: Record<string, unknown>;
  /** undefined for the kind cluster config. */
  info?: KindInfo;
  opts: ValidateOptions;
  /** Components and Addons defined in the same text or passed in `opts`. */
  known: Definitions;
  /** Report at the value (`at: 'value'`) or the key (`at: 'key'`) of `path`; a missing path falls back to its
   *  nearest existing ancestor's key. `replaces` drops schema findings of these codes at the same path; `data` is for quick fixes. */
  report(
    path: readonly PathSegment[],
    at: 'key' | 'value',
    severity: Severity,
    code: string,
    message: string,
    replaces?: string[],
    data?: FindingData,
  ): void;
}

export type Rule = (ctx: RuleContext) => void;

/** The node at `path`: its value node and the key naming it (or the item anchor for sequence items). */
export function locate(root: Node | null, path: readonly PathSegment[]): { value?: Range; key?: Range; complete: boolean } {
  let cur: Node | null | undefined = root;
  let key: Range | undefined;
  for (const seg of path) {
    if (typeof seg === 'number' && isSeq(cur)) {
      const item = cur.items[seg] as Node | undefined;
      if (item === undefined) return { key, value: rangeOf(cur), complete: false };
      key = itemAnchor(item) ?? key;
      cur = item;
    } else if (typeof seg === 'string' && isMap(cur)) {
      let found;
      for (const p of cur.items) if (isScalar(p.key) ? String(p.key.value) === seg : false) found = p; // the last wins, as in toJS
      if (!found) return { key, value: rangeOf(cur), complete: false };
      key = rangeOf(found.key as Node) ?? key;
      cur = found.value as Node | null;
    } else {
      return { key, value: rangeOf(cur), complete: false };
    }
  }
  return { key, value: rangeOf(cur) ?? key, complete: true };
}

// Small readers for plain JS values.
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
export function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The plain value at `path`, or undefined. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
