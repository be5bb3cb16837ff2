// Reading YAML text into documents within bounds, for the validator, the editor features and the CLI alike.
// The `yaml` library composes nodes recursively: a few thousand nesting levels (a 2 KB file of `- - - …`)
// overflow the stack, and inside a regular expression that is a native abort rather than an exception. Its CST
// parser is iterative, so the depth of every document is measured on the CST first and a document deeper than
// MAX_DEPTH is never composed: it becomes an empty document carrying one error.
import { Composer, Document as YAMLDocument, Parser, YAMLParseError, type CST, type Document } from 'yaml';
import { fastParseAll } from './fast-yaml';
import { LIMITS } from './limits';

/** Parse options shared with the editor features: duplicate keys are reported by the walker (with the line of
 *  the first one), not by the parser. */
export const PARSE_OPTIONS = { uniqueKeys: false, prettyErrors: false, keepSourceTokens: false } as const;

/** Every document of `text`: the fast reader for the YAML manifests are written in, else the library with the
 *  depth bound. A leading byte order mark is not content (the editor strips it too). */
export function parseDocuments(text: string): Document.Parsed[] {
  const fast = fastParseAll(text);
  if (fast) return fast.map((d) => Object.assign(Object.create(FAST_DOCUMENT), d) as Document.Parsed);
  return parseWithLibrary(text);
}

/** The `yaml` library's documents (with their ranges and error recovery, as completion and hover need them), except
 *  that a document nested deeper than LIMITS.maxDepth is never composed: it has `contents: null` and one
 *  RESOURCE_EXHAUSTION error. The caller bounds the text's length. */
export function parseWithLibrary(text: string): Document.Parsed[] {
  const composer = new Composer(PARSE_OPTIONS);
  const docs: Document.Parsed[] = [];
  const tooDeep = new Map<number, number>(); // document index → offset where the bound was crossed
  let index = 0;
  const take = (it: Iterable<Document.Parsed>) => {
    for (const d of it) docs.push(d);
  };
  let overflow = false;
  try {
    for (const token of new Parser().parse(text)) {
      if (token.type === 'document') {
        const at = deeperThan(token, LIMITS.maxDepth);
        if (at !== undefined) {
          tooDeep.set(index, at);
          token.value = undefined; // composed as an empty document
        }
        index++;
      }
      take(composer.next(token));
    }
  } catch (e) {
    // The CST parser itself recurses on compact nesting (`- - - …` thousands deep); it runs no native code that
    // could abort, so the overflow is an exception. The documents before the deep one are kept.
    if (!(e instanceof RangeError)) throw e;
    overflow = true;
  }
  take(composer.end(false, text.length));
  for (const [i, at] of tooDeep) {
    const doc = docs[i];
    if (!doc) continue;
    doc.contents = null;
    doc.errors.unshift(tooDeepError(at, 'this document'));
  }
  if (overflow) docs.push(unreadDocument(docs.at(-1)?.range[2] ?? 0, text.length));
  return docs;
}

function tooDeepError(at: number, what: string): YAMLParseError {
  return new YAMLParseError(
    [at, at + 1],
    'RESOURCE_EXHAUSTION',
    `nesting deeper than ${LIMITS.maxDepth} levels: kokpit does not read ${what}`,
  );
}

/** Stands for the rest of a text the parser could not get through. */
function unreadDocument(at: number, end: number): Document.Parsed {
  const doc = new YAMLDocument(null, PARSE_OPTIONS) as unknown as Document.Parsed;
  doc.contents = null;
  doc.range = [at, end, end];
  doc.errors.push(tooDeepError(at, 'this document or the ones after it'));
  return doc;
}

/** Stands in for a parsed Document: the walker only needs one to resolve aliases, which the fast reader never yields. */
const FAST_DOCUMENT = new YAMLDocument();

/** The offset of the first node nested deeper than `max` collections in a CST document, or undefined. Iterative:
 *  the point is not to recurse on hostile input. */
function deeperThan(doc: CST.Document, max: number): number | undefined {
  const stack: Array<[CST.Token, number]> = doc.value ? [[doc.value, 0]] : [];
  while (stack.length) {
    const [token, depth] = stack.pop()!;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth >= max) return token.offset;
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}
