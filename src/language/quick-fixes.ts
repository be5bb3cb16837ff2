// Quick fixes for the validator's findings whose fix is obvious, computed from a finding's code and data
// (src/validation/types.ts `FindingData`): a misspelt field → the field it is close to, an even etcd member count →
// the odd counts beside it, a version outside the catalog → the nearest Supported one, a missing required field →
// a snippet of it. Pure: text in, edits (offsets into the text) out; the editor turns them into code actions.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { documentTarget, isTarget, parseWithLibrary, schemaAt, type Diagnostic, type PathSegment } from '../validation';
import { fieldSnippet } from './completion';

export interface TextEdit {
  offset: number;
  endOffset: number;
  /** Plain text, or VS Code snippet syntax when `QuickFix.snippet` is set. */
  newText: string;
}

export interface QuickFix {
  title: string;
  /** The finding it fixes. */
  diagnostic: Diagnostic;
  edit: TextEdit;
  /** The fix VS Code applies on "Fix" / auto-fix; at most one per finding. */
  preferred: boolean;
  /** `edit.newText` is a snippet (tab stops, placeholders). */
  snippet?: boolean;
}

/** Every quick fix for `diagnostics` (findings of `text`), in their order. */
export function quickFixes(text: string, diagnostics: readonly Diagnostic[]): QuickFix[] {
  return diagnostics.flatMap((d) => fixesFor(text, d));
}

export function fixesFor(text: string, d: Diagnostic): QuickFix[] {
  switch (d.code) {
    case 'unknown-field': {
      const { field, suggestion } = d.data ?? {};
      // A finding reported through an alias points at the alias, not the key: nothing to rename there.
      if (!field || !suggestion || text.slice(d.offset, d.endOffset) !== field) return [];
      return [{ title: `Change "${field}" to "${suggestion}"`, diagnostic: d, preferred: true, edit: replace(d, suggestion) }];
    }
    case 'even-replicas': {
      const { value, choices } = d.data ?? {};
      if (text.slice(d.offset, d.endOffset) !== String(value)) return [];
      return (choices ?? []).map((n, i) => ({
        title: `Use ${n} etcd member${n === 1 ? '' : 's'}`,
        diagnostic: d,
        preferred: i === 0,
        edit: replace(d, String(n)),
      }));
    }
    case 'unknown-version':
    case 'version-not-usable': {
      const old = unquote(text.slice(d.offset, d.endOffset));
      const nearest = old === undefined ? undefined : nearestVersion(old, d.data?.supported ?? []);
      if (!nearest) return [];
      return [
        { title: `Use ${nearest} (the nearest Supported version)`, diagnostic: d, preferred: true, edit: replaceScalar(text, d, nearest) },
      ];
    }
    case 'required': {
      const edit = d.data?.field ? insertRequired(text, d) : undefined;
      return edit ? [{ title: `Add the required field "${d.data!.field}"`, diagnostic: d, preferred: true, edit, snippet: true }] : [];
    }
    default:
      return [];
  }
}

function replace(d: Diagnostic, newText: string): TextEdit {
  return { offset: d.offset, endOffset: d.endOffset, newText };
}

/** Replaces a scalar keeping its quotes. */
function replaceScalar(text: string, d: Diagnostic, value: string): TextEdit {
  const q = /^["']/.exec(text.slice(d.offset, d.endOffset))?.[0] ?? '';
  return replace(d, `${q}${value}${q}`);
}

function unquote(source: string): string | undefined {
  const m = /^(["']?)(v[0-9]+\.[0-9]+\.[0-9]+)\1$/.exec(source);
  return m?.[2];
}

function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^v([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The Supported version closest to `version`: fewest minors away, then the closest patch; on a tie the newer one
 *  (a running cluster cannot go down, so the newer of two equally near versions is the one that always works). */
export function nearestVersion(version: string, supported: readonly string[]): string | undefined {
  const want = parseVersion(version);
  if (!want) return undefined;
  let best: { v: string; key: [number, number, number, number] } | undefined;
  for (const v of supported) {
    const have = parseVersion(v);
    if (!have || v === version) continue;
    const minors = Math.abs(have[0] * 1000 + have[1] - (want[0] * 1000 + want[1]));
    const patches = minors === 0 ? Math.abs(have[2] - want[2]) : 0;
    const key: [number, number, number, number] = [minors, patches, -have[0] * 1000 - have[1], -have[2]];
    if (!best || compareKeys(key, best.key) < 0) best = { v, key };
  }
  return best?.v;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** `spec.addons[0].name` → ['spec', 'addons', 0, 'name']. */
export function parsePath(path: string): PathSegment[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

/** A snippet of the missing field, as the last entry of its block mapping (same indentation as its siblings). */
function insertRequired(text: string, d: Diagnostic): TextEdit | undefined {
  const doc = parseWithLibrary(text)[d.document];
  const root = doc?.contents as Node | null | undefined;
  if (!doc || doc.errors.length || !isMap(root)) return undefined;
  const target = documentTarget(scalarOf(root, 'apiVersion'), scalarOf(root, 'kind'));
  const path = parsePath(d.path);
  const parentPath = path.slice(0, -1);
  const parent = nodeAt(root, parentPath);
  const parentSchema = isTarget(target) ? schemaAt(target.schema, parentPath) : undefined;
  // Flow mappings ({a: 1}) and empty ones have no sibling to take the indentation from: no fix offered.
  if (!isTarget(target) || !parentSchema || !isMap(parent) || parent.flow || parent.items.length === 0) return undefined;
  const firstKey = (parent.items[0].key as Node).range![0];
  const indent = ' '.repeat(firstKey - (text.lastIndexOf('\n', firstKey - 1) + 1));
  const lines = fieldSnippet(target.kind, parentSchema, parentPath, d.data!.field!, indent);
  if (!lines.length) return undefined;
  const last = parent.items[parent.items.length - 1];
  const end = ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1];
  const body = lines.join('\n');
  if (text[end - 1] === '\n') return { offset: end, endOffset: end, newText: `${body}\n` };
  const lineEnd = text.indexOf('\n', end);
  if (lineEnd < 0) return { offset: text.length, endOffset: text.length, newText: `\n${body}` };
  return { offset: lineEnd + 1, endOffset: lineEnd + 1, newText: `${body}\n` };
}

function scalarOf(map: YAMLMap, key: string): unknown {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.value) ? pair.value.value : undefined;
}

function nodeAt(root: Node, path: readonly PathSegment[]): Node | null | undefined {
  let cur: Node | null | undefined = root;
  for (const seg of path) {
    if (typeof seg === 'number' && isSeq(cur)) cur = cur.items[seg] as Node | null;
    else if (typeof seg === 'string' && isMap(cur))
      cur = cur.items.findLast((p) => isScalar(p.key) && String(p.key.value) === seg)?.value as Node;
    else return undefined;
  }
  return cur;
}

/** The text after the edit. With `snippet`, placeholders become their default text (`${1:x}` → x, `$1` → ''),
 *  as VS Code inserts them before the user types. */
export function applyEdit(text: string, edit: TextEdit, snippet = false): string {
  const inserted = snippet ? snippetText(edit.newText) : edit.newText;
  return text.slice(0, edit.offset) + inserted + text.slice(edit.endOffset);
}

export function snippetText(snippet: string): string {
  let out = snippet;
  // Innermost first, so nested placeholders resolve too.
  for (let prev = ''; prev !== out;) {
    prev = out;
    out = out.replace(/\$\{\d+:((?:\\.|[^{}\\])*)\}/g, (_, d: string) => d).replace(/\$\{\d+\}|\$\d+/g, '');
  }
  return out.replace(/\\([$}\\])/g, '$1');
}
