// Paths in the YAML AST: which document holds an offset, and which key or value the offset is on.
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { documentTarget, isTarget, type DocumentTarget, type PathSegment } from '../validation';

const PARSE = { uniqueKeys: false, prettyErrors: false } as const;

export function documentAt(text: string, offset: number): Document.Parsed | undefined {
  const parsed = parseAllDocuments(text, PARSE);
  if (!Array.isArray(parsed)) return undefined;
  // Documents are in order; the last one starting at or before the offset holds it.
  let hit: Document.Parsed | undefined;
  for (const doc of parsed) {
    if (doc.range[0] <= offset) hit = doc;
    else break;
  }
  return hit;
}

/** apiVersion and kind as written at the top of the document, and the schema they select. */
export function targetOf(doc: Document.Parsed): { apiVersion?: unknown; kind?: unknown; target?: DocumentTarget } {
  const root = doc.contents;
  if (!isMap(root)) return {};
  let apiVersion: unknown;
  let kind: unknown;
  for (const p of root.items) {
    if (!isScalar(p.key)) continue;
    if (p.key.value === 'apiVersion' && isScalar(p.value)) apiVersion = p.value.value;
    if (p.key.value === 'kind' && isScalar(p.value)) kind = p.value.value;
  }
  const t = documentTarget(apiVersion, kind);
  return { apiVersion, kind, target: isTarget(t) ? t : undefined };
}

export interface NodeAtOffset {
  path: PathSegment[];
  /** The scalar under the offset (a key or a value). */
  node: Node;
  onKey: boolean;
}

const within = (node: Node | null | undefined, offset: number): boolean => !!node?.range && node.range[0] <= offset && offset <= node.range[1];

/** The key or scalar value under `offset`, with the path of the field it belongs to. */
export function nodeAt(root: Node | null, offset: number): NodeAtOffset | undefined {
  const path: PathSegment[] = [];
  let cur: Node | null | undefined = root;
  for (;;) {
    if (isMap(cur)) {
      let next: Node | null | undefined;
      for (const pair of cur.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && within(key, offset)) return { path: [...path, String(key.value)], node: key, onKey: true };
        if (within(pair.value as Node, offset)) {
          path.push(isScalar(key) ? String(key.value) : '');
          next = pair.value as Node;
          break;
        }
      }
      if (!next) return undefined;
      cur = next;
    } else if (isSeq(cur)) {
      const i = cur.items.findIndex((item) => within(item as Node, offset));
      if (i < 0) return undefined;
      path.push(i);
      cur = cur.items[i] as Node;
    } else if (isScalar(cur)) {
      return { path, node: cur, onKey: false };
    } else return undefined;
  }
}

/** Where a marker scalar sits: as a key (then `present` holds its siblings) or as a value. */
export function findMarker(root: Node | null, marker: string, offset: number): { path: PathSegment[]; asKey: boolean; present: Set<string> } | undefined {
  const path: PathSegment[] = [];
  let cur: Node | null | undefined = root;
  for (;;) {
    if (isMap(cur)) {
      let next: Node | null | undefined;
      for (const pair of cur.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && key.value === marker) {
          const present = new Set<string>();
          for (const p of cur.items) if (isScalar(p.key) && p.key.value !== marker) present.add(String(p.key.value));
          return { path, asKey: true, present };
        }
        if (isScalar(pair.value) && pair.value.value === marker) return { path: [...path, isScalar(key) ? String(key.value) : ''], asKey: false, present: new Set() };
        const v = pair.value as Node | null;
        if (v && v.range && v.range[0] <= offset && offset <= v.range[2]) {
          path.push(isScalar(key) ? String(key.value) : '');
          next = v;
          break;
        }
      }
      if (!next) return undefined;
      cur = next;
    } else if (isSeq(cur)) {
      let found = -1;
      cur.items.forEach((item, i) => {
        const n = item as Node | null;
        if (n?.range && n.range[0] <= offset && offset <= n.range[2]) found = i;
      });
      if (found < 0) return undefined;
      const item = cur.items[found] as Node;
      if (isScalar(item) && item.value === marker) return { path: [...path, found], asKey: false, present: new Set() };
      path.push(found);
      cur = item;
    } else return undefined;
  }
}
