// validateText: YAML syntax, schema and semantic findings for every document of a (multi-document) text.
// One engine for the editor and `kokpit validate`.
import { Document as YAMLDocument, isMap, isScalar, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import { fastParseAll } from './fast-yaml';
import { KOKPIT_KIND_NAMES, documentTarget, isTarget } from './document-schemas';
import { LineIndex } from './positions';
import { withArticle } from './messages';
import { runRules } from './rules';
import { locate, type Definitions, type RuleContext } from './rules/context';
import { formatPath, type Diagnostic, type Severity, type ValidateOptions } from './types';
import { SchemaWalker, rangeOf, type Finding, type Range } from './walker';
import { API_VERSION } from '../api/common';
import { defaultAddons } from '../catalog';

/** Addons every meta cluster gets from kokpit: a BusinessCluster may always name them. */
const SHIPPED_ADDONS: readonly string[] = defaultAddons().map((a) => a.metadata.name);

/** Parse options shared with the editor features: duplicate keys are reported by the walker (with the
 *  line of the first one), not by the parser. */
export const PARSE_OPTIONS = { uniqueKeys: false, prettyErrors: false, keepSourceTokens: false } as const;

export function validateText(text: string, opts: ValidateOptions = {}): Diagnostic[] {
  const lines = new LineIndex(text);
  const docs = parseDocuments(text);
  const out: Diagnostic[] = [];
  const known = knownDefinitions(docs, opts);

  docs.forEach((doc, index) => {
    const emit = (f: Finding) => out.push(toDiagnostic(lines, index, f));
    if (doc.errors.length) {
      // A document that does not parse gets only its syntax errors: schema findings on a half-read tree mislead.
      for (const e of doc.errors) {
        emit({ range: [e.pos[0], Math.max(e.pos[1], e.pos[0] + 1)], severity: 'error', code: 'yaml-syntax', message: syntaxMessage(e.message), path: '' });
      }
      return;
    }
    validateDocument(doc, emit, lines, opts, known);
  });
  return out.sort((a, b) => a.offset - b.offset || a.endOffset - b.endOffset);
}

function validateDocument(doc: Document.Parsed, emit: (f: Finding) => void, lines: LineIndex, opts: ValidateOptions, known: Definitions): void {
  const root = doc.contents as Node | null;
  const lineOf = (offset: number) => lines.position(offset).line;
  if (!isMap(root)) {
    if (root) new SchemaWalker(doc, emit, lineOf).walk(root, undefined, rangeOf(root) ?? [0, 0]); // still catches duplicate keys
    return;
  }
  const apiVersionPair = findPair(root.items, 'apiVersion');
  const kindPair = findPair(root.items, 'kind');
  const apiVersion = scalarValue(apiVersionPair);
  const kind = scalarValue(kindPair);
  const target = documentTarget(apiVersion, kind);
  const anchor: Range = rangeOf(kindPair?.key as Node) ?? rangeOf(apiVersionPair?.key as Node) ?? firstLine(root);

  if (!isTarget(target)) {
    if (target) {
      const pair = target.field === 'apiVersion' ? apiVersionPair : kindPair;
      const range = rangeOf(pair?.value as Node) ?? rangeOf(pair?.key as Node) ?? anchor;
      emit({ range, severity: 'error', code: target.code, message: target.message, path: target.field });
    } else if (apiVersion === undefined && typeof kind === 'string' && KOKPIT_KIND_NAMES.includes(kind)) {
      emit({ range: anchor, severity: 'error', code: 'required', message: `missing apiVersion: ${withArticle(kind)} needs "apiVersion: ${API_VERSION}"`, path: 'apiVersion' });
    }
    new SchemaWalker(doc, emit, lineOf).walk(root, undefined, anchor); // duplicate keys only
    return;
  }

  const findings: Finding[] = [];
  const value = new SchemaWalker(doc, (f) => findings.push(f), lineOf).walk(root, target.schema, anchor) as Record<string, unknown>;
  const dropped = new Set<string>();
  const ctx: RuleContext = {
    value,
    info: target.info,
    opts,
    known,
    report(path, at, severity: Severity, code, message, replaces) {
      const where = locate(root, path);
      const range = (at === 'key' ? where.key : where.value) ?? where.key ?? where.value ?? anchor;
      const p = formatPath(path);
      findings.push({ range, severity, code, message, path: p });
      for (const r of replaces ?? []) dropped.add(`${p}\u0000${r}`);
    },
  };
  runRules(ctx, target.family, target.kind);
  for (const f of findings) if (!dropped.has(`${f.path}\u0000${f.code}`)) emit(f);
}

/** The fast reader for the YAML manifests are written in; the yaml library for anything else (and for errors).
 *  Both give the library's node classes, so everything downstream is the same. */
function parseDocuments(text: string): Document.Parsed[] {
  const fast = fastParseAll(text);
  if (fast) return fast.map((d) => Object.assign(Object.create(FAST_DOCUMENT), d) as Document.Parsed);
  const parsed = parseAllDocuments(text, PARSE_OPTIONS);
  return Array.isArray(parsed) ? parsed : [];
}

/** Stands in for a parsed Document: the walker only needs it to resolve aliases, which the fast reader never yields. */
const FAST_DOCUMENT = new YAMLDocument();

/** Components and Addons this text defines, plus the ones the caller knows of. */
function knownDefinitions(docs: Document.Parsed[], opts: ValidateOptions): Definitions {
  const known: Definitions = { components: new Set(opts.knownComponents), addons: new Set([...SHIPPED_ADDONS, ...(opts.knownAddons ?? [])]) };
  collectDefinitions(docs, known);
  return known;
}

function collectDefinitions(docs: Document.Parsed[], known: Definitions): void {
  for (const doc of docs) {
    const root = doc.contents;
    if (!isMap(root)) continue;
    const kind = scalarValue(findPair(root.items, 'kind'));
    if (kind !== 'Component' && kind !== 'Addon') continue;
    if (scalarValue(findPair(root.items, 'apiVersion')) !== API_VERSION) continue;
    const meta = findPair(root.items, 'metadata')?.value;
    const name = isMap(meta) ? scalarValue(findPair(meta.items, 'name')) : undefined;
    if (typeof name === 'string') (kind === 'Component' ? known.components : known.addons).add(name);
  }
}

/** Names of the Components and Addons a text defines (the CLI pools them across all files it checks). */
export function definedNames(text: string): { components: string[]; addons: string[] } {
  const known: Definitions = { components: new Set(), addons: new Set() };
  collectDefinitions(parseDocuments(text), known);
  return { components: [...known.components], addons: [...known.addons] };
}

function findPair(items: Pair[], key: string): Pair | undefined {
  let found: Pair | undefined;
  for (const p of items) if (isScalar(p.key) && p.key.value === key) found = p;
  return found;
}

function scalarValue(pair: Pair | undefined): unknown {
  return isScalar(pair?.value) ? pair.value.value : undefined;
}

function firstLine(node: Node): Range {
  const start = node.range?.[0] ?? 0;
  return [start, start + 1];
}

/** The parser's message without its position suffix (line and column are in the diagnostic already). */
function syntaxMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function toDiagnostic(lines: LineIndex, document: number, f: Finding): Diagnostic {
  const [offset, endOffset] = f.range;
  const start = lines.position(offset);
  const end = lines.position(endOffset);
  return {
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    offset,
    endOffset,
    severity: f.severity,
    message: f.message,
    path: f.path,
    code: f.code,
    document,
  };
}
