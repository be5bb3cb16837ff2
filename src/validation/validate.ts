// validateText: YAML syntax, schema and semantic findings for every document of a (multi-document) text.
// One engine for the editor and `kokpit validate`; `checkText` also gives each document's plain value, so
// render/apply/diff act on exactly what was validated.
import { isMap, isScalar, type Document, type Node, type Pair } from 'yaml';
import { KOKPIT_KIND_NAMES, documentTarget, isTarget } from './document-schemas';
import { LIMITS, tooLargeMessage } from './limits';
import { parseDocuments } from './parse';
import { LineIndex } from './positions';
import { withArticle } from './messages';
import { runRules } from './rules';
import { locate, type Definitions, type RuleContext } from './rules/context';
import { formatPath, type Diagnostic, type Severity, type ValidateOptions } from './types';
import { SchemaWalker, expansionBudget, rangeOf, type ExpansionBudget, type Finding, type Range } from './walker';
import { API_VERSION } from '../api/common';
import { defaultAddons } from '../catalog';

export { PARSE_OPTIONS } from './parse';

/** Addons every meta cluster gets from kokpit: a BusinessCluster may always name them. */
const SHIPPED_ADDONS: readonly string[] = defaultAddons().map((a) => a.metadata.name);

export interface CheckedText {
  diagnostics: Diagnostic[];
  /** Each document's value as kubectl would read it (aliases and merge keys resolved); undefined for a document
   *  that does not parse. */
  documents: unknown[];
  /** Where each document's content starts (an offset into the text). */
  starts: number[];
}

export function validateText(text: string, opts: ValidateOptions = {}): Diagnostic[] {
  return checkText(text, opts).diagnostics;
}

export function checkText(text: string, opts: ValidateOptions = {}): CheckedText {
  const lines = new LineIndex(text);
  if (text.length > LIMITS.maxChars) {
    const f: Finding = {
      range: [0, 1],
      severity: 'error',
      code: 'too-large',
      message: `this text is ${tooLargeMessage(text.length)}`,
      path: '',
    };
    return { diagnostics: [toDiagnostic(lines, 0, f)], documents: [], starts: [] };
  }
  const docs = parseDocuments(text);
  const out: Diagnostic[] = [];
  const documents: unknown[] = [];
  const starts = docs.map((d) => (d.contents as Node | null)?.range?.[0] ?? d.range?.[0] ?? 0);
  const known = knownDefinitions(docs, opts);
  const budget = expansionBudget();

  docs.forEach((doc, index) => {
    const emit = (f: Finding) => out.push(toDiagnostic(lines, index, f));
    if (doc.errors.length) {
      // A document that does not parse gets only its syntax errors: schema findings on a half-read tree mislead.
      for (const e of doc.errors) {
        const code = e.code === 'RESOURCE_EXHAUSTION' ? 'too-deep' : 'yaml-syntax';
        emit({ range: [e.pos[0], Math.max(e.pos[1], e.pos[0] + 1)], severity: 'error', code, message: syntaxMessage(e.message), path: '' });
      }
      documents.push(undefined);
      return;
    }
    documents.push(validateDocument(doc, emit, lines, opts, known, budget));
  });
  return { diagnostics: out.sort((a, b) => a.offset - b.offset || a.endOffset - b.endOffset), documents, starts };
}

/** Findings of one parsed document; returns its plain value. */
function validateDocument(
  doc: Document.Parsed,
  emit: (f: Finding) => void,
  lines: LineIndex,
  opts: ValidateOptions,
  known: Definitions,
  budget: ExpansionBudget,
): unknown {
  const root = doc.contents as Node | null;
  const lineOf = (offset: number) => lines.position(offset).line;
  const walker = (sink: (f: Finding) => void) => new SchemaWalker(doc, sink, lineOf, budget);
  if (!isMap(root)) {
    return root ? walker(emit).walk(root, undefined, rangeOf(root) ?? [0, 0]) : null; // still catches duplicate keys
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
      emit({
        range: anchor,
        severity: 'error',
        code: 'required',
        message: `missing apiVersion: ${withArticle(kind)} needs "apiVersion: ${API_VERSION}"`,
        path: 'apiVersion',
      });
    }
    return walker(emit).walk(root, undefined, anchor); // duplicate keys only
  }

  const findings: Finding[] = [];
  const value = walker((f) => findings.push(f)).walk(root, target.schema, anchor) as Record<string, unknown>;
  const dropped = new Set<string>();
  const ctx: RuleContext = {
    value,
    info: target.info,
    opts,
    known,
    report(path, at, severity: Severity, code, message, replaces, data) {
      const where = locate(root, path);
      const range = (at === 'key' ? where.key : where.value) ?? where.key ?? where.value ?? anchor;
      const p = formatPath(path);
      findings.push({ range, severity, code, message, path: p, ...(data ? { data } : {}) });
      for (const r of replaces ?? []) dropped.add(`${p}\u0000${r}`);
    },
  };
  runRules(ctx, target.family, target.kind);
  for (const f of findings) if (!dropped.has(`${f.path}\u0000${f.code}`)) emit(f);
  return value;
}

/** Components and Addons this text defines, plus the ones the caller knows of. */
function knownDefinitions(docs: Document.Parsed[], opts: ValidateOptions): Definitions {
  const known: Definitions = {
    components: new Set(opts.knownComponents),
    addons: new Set([...SHIPPED_ADDONS, ...(opts.knownAddons ?? [])]),
  };
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
    const spec = findPair(root.items, 'spec')?.value;
    // One version of an addon (an Addon named coredns-1.12.1 with spec.name coredns) defines the addon coredns.
    const addonName = kind === 'Addon' && isMap(spec) ? scalarValue(findPair(spec.items, 'name')) : undefined;
    const name = addonName ?? (isMap(meta) ? scalarValue(findPair(meta.items, 'name')) : undefined);
    if (typeof name === 'string') (kind === 'Component' ? known.components : known.addons).add(name);
  }
}

/** Names of the Components and Addons a text defines (the CLI pools them across all files it checks). */
export function definedNames(text: string): { components: string[]; addons: string[] } {
  const known: Definitions = { components: new Set(), addons: new Set() };
  if (text.length <= LIMITS.maxChars) collectDefinitions(parseDocuments(text), known);
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
    ...(f.data ? { data: f.data } : {}),
  };
}
