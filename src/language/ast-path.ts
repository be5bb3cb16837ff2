// Paths in the YAML AST: which document holds an offset, and which key or value the offset is on.
import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { LIMITS, documentTarget, isTarget, parseWithLibrary, type DocumentTarget, type PathSegment } from '../validation';

/** The documents of `text` within the validator's bounds (size, depth): none for a text past them. */
export function boundedDocuments(text: string): Document.Parsed[] {
  return text.length > LIMITS.maxChars ? [] : parseWithLibrary(text);
}

export function documentAt(text: string, offset: number): Document.Parsed | undefined {
  const parsed = boundedDocuments(text);
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

const within = (node: Node | null | undefined, offset: number): boolean =>
  !!node?.range && node.range[0] <= offset && offset <= node.range[1];
const keyName = (key: unknown): string => (isScalar(key) ? String(key.value) : '');

/**
 * One level down from a map or sequence toward `offset`: the child whose range holds it, and its path segment.
 * `end` picks the range end: 1 = where the value ends, 2 = where the node ends (trailing comments included).
 * `lastItem`: in a sequence, the last item that holds the offset (items touch at their boundaries).
 */
function childAt(
  cur: Node | null | undefined,
  offset: number,
  end: 1 | 2,
  lastItem: boolean,
): { segment: PathSegment; node: Node } | undefined {
  const holds = (n: Node | null | undefined): n is Node => !!n?.range && n.range[0] <= offset && offset <= n.range[end];
  if (isMap(cur)) {
    const pair = cur.items.find((x) => holds(x.value as Node | null));
    return pair ? { segment: keyName(pair.key), node: pair.value as Node } : undefined;
  }
  if (isSeq(cur)) {
    let found = -1;
    cur.items.forEach((item, i) => {
      if (holds(item as Node | null) && (lastItem || found < 0)) found = i;
    });
    return found < 0 ? undefined : { segment: found, node: cur.items[found] as Node };
  }
  return undefined;
}

/** The key or scalar value under `offset`, with the path of the field it belongs to. */
export function nodeAt(root: Node | null, offset: number): NodeAtOffset | undefined {
  const path: PathSegment[] = [];
  let cur: Node | null | undefined = root;
  for (;;) {
    if (isScalar(cur)) return { path, node: cur, onKey: false };
    const key = isMap(cur) ? cur.items.map((x) => x.key as Node | null).find((k) => isScalar(k) && within(k, offset)) : undefined;
    if (isScalar(key)) return { path: [...path, String(key.value)], node: key, onKey: true };
    const next = childAt(cur, offset, 1, false);
    if (!next) return undefined;
    path.push(next.segment);
    cur = next.node;
  }
}

/** Where a marker scalar sits: as a key (then `present` holds its siblings) or as a value. */
export function findMarker(
  root: Node | null,
  marker: string,
  offset: number,
): { path: PathSegment[]; asKey: boolean; present: Set<string> } | undefined {
  const path: PathSegment[] = [];
  let cur: Node | null | undefined = root;
  for (;;) {
    if (isMap(cur)) {
      if (cur.items.some((x) => isScalar(x.key) && x.key.value === marker)) {
        const present = new Set(cur.items.filter((x) => isScalar(x.key) && x.key.value !== marker).map((x) => keyName(x.key)));
        return { path, asKey: true, present };
      }
      const valued = cur.items.find((x) => isScalar(x.value) && x.value.value === marker);
      if (valued) return { path: [...path, keyName(valued.key)], asKey: false, present: new Set() };
    }
    const next = childAt(cur, offset, 2, true);
    if (!next) return undefined;
    if (isSeq(cur) && isScalar(next.node) && next.node.value === marker)
      return { path: [...path, next.segment], asKey: false, present: new Set() };
    path.push(next.segment);
    cur = next.node;
  }
}
