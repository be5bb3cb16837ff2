// A fast reader for the YAML manifests are written in: block mappings and sequences, plain and quoted
// one-line scalars, one-line flow collections, literal block scalars and comments. It builds the same node
// classes as the `yaml` library (Scalar, YAMLMap, YAMLSeq, Pair with source ranges), several times faster.
// Anything outside that subset (anchors, tags, folded or multi-line scalars, complex keys, directives, tabs
// in indentation, syntax errors) makes it give up: the caller then parses with the `yaml` library, which
// also produces the error messages. It never has to be right about YAML it does not understand.
import { Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { LIMITS } from './limits';

export interface FastDocument {
  contents: Node | null;
  errors: never[];
}

class Unsupported extends Error {}
const GIVE_UP = new Unsupported();

interface Line {
  /** Offset of the first character and of the line end (before `\r\n` or `\n`). */
  start: number;
  end: number;
  /** Offset of the first non-space character (`end` for blank lines). */
  content: number;
  /** Blank or comment-only: no structure. */
  empty: boolean;
}

/** Parses every document of `text`, or returns undefined when the text leaves the supported subset. */
export function fastParseAll(text: string): FastDocument[] | undefined {
  // A byte order mark is the library's to skip (its offsets count it), wherever it is.
  if (text.includes('\ufeff')) return undefined;
  try {
    return new Reader(text).documents();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

const LONE_CR = /\r(?!\n)/;
const CH_SPACE = 32;
const CH_TAB = 9;
const CH_HASH = 35;
const CH_DASH = 45;
const CH_COLON = 58;

class Reader {
  private readonly lines: Line[] = [];
  /** Collections open around the current one: past LIMITS.maxDepth the library path reports it. */
  private depth = 0;

  constructor(private readonly text: string) {
    if (LONE_CR.test(text)) throw GIVE_UP; // a line break of its own to the library
    let start = 0;
    const n = text.length;
    while (start <= n) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = n;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      let c = start;
      while (c < end && text.charCodeAt(c) === CH_SPACE) c++;
      if (c < end && text.charCodeAt(c) === CH_TAB) throw GIVE_UP;
      this.lines.push({ start, end, content: c, empty: c === end || text.charCodeAt(c) === CH_HASH });
      if (nl === n) break;
      start = nl + 1;
    }
  }

  documents(): FastDocument[] {
    const docs: FastDocument[] = [];
    const lines = this.lines;
    let from = 0;
    let segment = 0;
    for (let i = 0; i <= lines.length; i++) {
      if (i < lines.length && !this.markerAt(i)) continue;
      const hasContent = this.nextContent(from, i) < i;
      // Comments before the first `---` belong to the document it starts, as in the yaml library.
      if (segment > 0 || hasContent) docs.push({ contents: this.documentBody(from, i), errors: [] });
      segment++;
      from = i + 1;
    }
    return docs;
  }

  /** `---` (optionally with a comment) separates documents; `...`, `%` directives and `--- value` are left to the yaml library. */
  private markerAt(i: number): boolean {
    const l = this.lines[i];
    const t = this.text;
    if (l.content !== l.start) return false;
    const first = t.charCodeAt(l.start);
    if (first === 37 /* % */) throw GIVE_UP;
    if (t.startsWith('...', l.start) && (l.end === l.start + 3 || t.charCodeAt(l.start + 3) === CH_SPACE)) throw GIVE_UP;
    if (!t.startsWith('---', l.start)) return false;
    if (l.end === l.start + 3) return true;
    const next = t.charCodeAt(l.start + 3);
    if (next !== CH_SPACE && next !== CH_TAB) return false; // `---x` is a plain scalar
    const rest = t.slice(l.start + 3, l.end).trim();
    if (rest === '' || rest.startsWith('#')) return true;
    throw GIVE_UP;
  }

  private documentBody(from: number, to: number): Node | null {
    const first = this.nextContent(from, to);
    // As the library does: an empty scalar.
    if (first >= to) return emptyScalar(from < this.lines.length ? this.lines[from].start : this.text.length);
    const l = this.lines[first];
    if (l.content !== l.start) throw GIVE_UP; // an indented root: leave it to the library
    const [node, next] = this.block(first, l.content, -1, to);
    if (this.nextContent(next, to) < to) throw GIVE_UP; // something left over: a syntax error
    return node;
  }

  private nextContent(i: number, to = this.lines.length): number {
    while (i < to && this.lines[i].empty) i++;
    return i;
  }

  /** The block node starting at `pos` on line `i`; its items sit at column `pos - lineStart`. Returns the node
   *  and the index of the first line after it. `parentIndent` bounds it. */
  private block(i: number, pos: number, parentIndent: number, to: number): [Node, number] {
    const t = this.text;
    const col = pos - this.lines[i].start;
    if (col <= parentIndent) throw GIVE_UP;
    if (t.charCodeAt(pos) === CH_DASH && this.isSeqIndicator(pos, this.lines[i].end)) return this.sequence(i, col, to);
    if (this.findKeyEnd(pos, this.lines[i].end) >= 0) return this.mapping(i, pos, col, to);
    if (t.charCodeAt(pos) === 124 /* | */ || t.charCodeAt(pos) === 62 /* > */) return this.blockScalar(i, pos, parentIndent, to);
    // A lone scalar (or flow collection) as a document or item body must end on its line.
    // The library misreads a scalar on its own line below a comment (`a:\n#x\n  v`): left to it (found by the fuzz test).
    if (pos === this.lines[i].content && this.commentAbove(i)) throw GIVE_UP;
    const [value] = this.inlineValue(pos, this.lines[i].end);
    const next = i + 1;
    const after = this.nextContent(next, to);
    if (after < to && this.lines[after].content - this.lines[after].start > parentIndent) throw GIVE_UP;
    return [value, next];
  }

  private commentAbove(i: number): boolean {
    for (let j = i - 1; j >= 0 && this.lines[j].empty; j--) if (this.lines[j].content < this.lines[j].end) return true;
    return false;
  }

  private isSeqIndicator(pos: number, end: number): boolean {
    return pos + 1 === end || this.text.charCodeAt(pos + 1) === CH_SPACE;
  }

  private enter(): void {
    if (++this.depth > LIMITS.maxDepth) throw GIVE_UP;
  }

  private sequence(i: number, col: number, to: number): [YAMLSeq, number] {
    this.enter();
    const seq = new YAMLSeq();
    const t = this.text;
    let start = -1;
    let last = -1;
    while (i < to) {
      const l = this.lines[i];
      const pos = l.start + col;
      if (l.content !== pos || t.charCodeAt(pos) !== CH_DASH || !this.isSeqIndicator(pos, l.end)) break;
      if (start < 0) start = pos;
      let p = pos + 1;
      while (p < l.end && t.charCodeAt(p) === CH_SPACE) p++;
      let item: Node;
      if (p >= l.end || t.charCodeAt(p) === CH_HASH) {
        // `-` alone: the item is the indented block below, or empty.
        const below = this.nextContent(i + 1, to);
        if (below < to && this.lines[below].content - this.lines[below].start > col) {
          [item, i] = this.block(below, this.lines[below].content, col, to);
        } else {
          item = emptyScalar(pos + 1);
          i = i + 1;
        }
      } else {
        if (t.charCodeAt(p) === CH_DASH && this.isSeqIndicator(p, l.end)) throw GIVE_UP; // `- - x`
        [item, i] = this.block(i, p, col, to);
      }
      seq.items.push(item);
      last = endOf(item);
      i = this.nextContent(i, to);
    }
    seq.range = [start, last, last];
    this.depth--;
    return [seq, i];
  }

  private mapping(i: number, firstPos: number, col: number, to: number): [YAMLMap, number] {
    this.enter();
    const map = new YAMLMap();
    const t = this.text;
    let pos = firstPos;
    let last: number;
    for (;;) {
      const l = this.lines[i];
      const keyEnd = this.findKeyEnd(pos, l.end);
      if (keyEnd <= pos) throw GIVE_UP; // no key, or an empty one
      const key = this.keyScalar(pos, keyEnd);
      let p = keyEnd + 1;
      while (p < l.end && t.charCodeAt(p) === CH_SPACE) p++;
      let value: Node;
      if (p >= l.end || t.charCodeAt(p) === CH_HASH) {
        const below = this.nextContent(i + 1, to);
        const bl = below < to ? this.lines[below] : undefined;
        const belowCol = bl ? bl.content - bl.start : -1;
        // A nested block is indented more, except a sequence, which may sit at the key's column.
        if (
          bl &&
          (belowCol > col || (belowCol === col && t.charCodeAt(bl.content) === CH_DASH && this.isSeqIndicator(bl.content, bl.end)))
        ) {
          [value, i] = belowCol > col ? this.block(below, bl.content, col, to) : this.sequence(below, col, to);
        } else {
          value = emptyScalar(keyEnd + 1);
          i = i + 1;
        }
      } else {
        const c = t.charCodeAt(p);
        if (c === 124 /* | */ || c === 62 /* > */) [value, i] = this.blockScalar(i, p, col, to);
        else {
          [value] = this.inlineValue(p, l.end);
          i = i + 1;
          // A continuation line (multi-line plain scalar, or a mapping after a scalar) is beyond the subset.
          const below = this.nextContent(i, to);
          if (below < to && this.lines[below].content - this.lines[below].start > col) throw GIVE_UP;
        }
      }
      map.items.push(new Pair(key, value));
      last = Math.max(endOf(value), keyEnd);
      i = this.nextContent(i, to);
      if (i >= to) break;
      const nl = this.lines[i];
      const ncol = nl.content - nl.start;
      if (ncol < col) break;
      if (ncol > col) throw GIVE_UP;
      if (t.charCodeAt(nl.content) === CH_DASH && this.isSeqIndicator(nl.content, nl.end)) break; // the parent's next item or an error
      pos = nl.content;
    }
    map.range = [firstPos, last, last];
    this.depth--;
    return [map, i];
  }

  /** Offset of the `:` ending a key that starts at `pos`, or -1 when the line holds no key there. */
  private findKeyEnd(pos: number, end: number): number {
    const t = this.text;
    const c = t.charCodeAt(pos);
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const close = this.quotedEnd(pos, end);
      if (close < 0) return -1;
      let p = close;
      while (p < end && t.charCodeAt(p) === CH_SPACE) p++;
      return p < end && t.charCodeAt(p) === CH_COLON && (p + 1 === end || t.charCodeAt(p + 1) === CH_SPACE) ? p : -1;
    }
    // Indicators that cannot start a plain key (`,` `]` `}` included: found by the fuzz test).
    if (
      c === 91 ||
      c === 123 ||
      c === 63 /* ? */ ||
      c === 38 ||
      c === 42 ||
      c === 33 ||
      c === 124 ||
      c === 62 ||
      c === 37 ||
      c === 64 ||
      c === 96 ||
      c === CH_HASH ||
      c === 44 ||
      c === 93 ||
      c === 125
    )
      return -1;
    for (let p = pos; p < end; p++) {
      const ch = t.charCodeAt(p);
      if (ch === CH_TAB) throw GIVE_UP; // `version\t: x`: the library trims the tab from the key
      if (ch === CH_COLON && (p + 1 === end || t.charCodeAt(p + 1) === CH_SPACE)) return p;
      if (ch === CH_HASH && t.charCodeAt(p - 1) === CH_SPACE) return -1;
    }
    return -1;
  }

  private keyScalar(pos: number, colon: number): Scalar {
    const t = this.text;
    const c = t.charCodeAt(pos);
    if (c === 34 || c === 39) {
      const close = this.quotedEnd(pos, colon);
      return this.quoted(pos, close);
    }
    let end = colon;
    while (end > pos && t.charCodeAt(end - 1) === CH_SPACE) end--;
    return plain(t, pos, end);
  }

  /** A value that ends on its line: flow collection, quoted or plain scalar (then only a comment may follow). */
  private inlineValue(pos: number, end: number): [Node, number] {
    const t = this.text;
    const c = t.charCodeAt(pos);
    let node: Node;
    let p: number;
    if (c === 91 || c === 123) {
      [node, p] = this.flow(pos, end);
    } else if (c === 34 || c === 39) {
      const close = this.quotedEnd(pos, end);
      if (close < 0) throw GIVE_UP; // multi-line or unterminated
      node = this.quoted(pos, close);
      p = close;
    } else {
      if (
        c === 38 ||
        c === 42 ||
        c === 33 ||
        c === 37 ||
        c === 64 ||
        c === 96 ||
        c === 124 ||
        c === 62 ||
        c === 93 ||
        c === 125 ||
        c === 44
      )
        throw GIVE_UP;
      if ((c === CH_DASH || c === 63 || c === CH_COLON) && (pos + 1 === end || t.charCodeAt(pos + 1) === CH_SPACE)) throw GIVE_UP;
      let e = pos;
      for (; e < end; e++) {
        const ch = t.charCodeAt(e);
        if (ch === CH_HASH && t.charCodeAt(e - 1) === CH_SPACE) break;
        if (ch === CH_COLON && (e + 1 === end || t.charCodeAt(e + 1) === CH_SPACE)) throw GIVE_UP; // a mapping where a scalar must be
        if (ch === CH_TAB) throw GIVE_UP;
      }
      let s = e;
      while (s > pos && t.charCodeAt(s - 1) === CH_SPACE) s--;
      return [plain(t, pos, s), s];
    }
    const after = p;
    while (p < end && t.charCodeAt(p) === CH_SPACE) p++;
    // Only a comment may follow, and a comment needs a space before its `#` (`'q'#x` is an error).
    if (p < end && (t.charCodeAt(p) !== CH_HASH || p === after)) throw GIVE_UP;
    return [node, p];
  }

  /** End (exclusive, after the closing quote) of a quoted scalar on this line, or -1. */
  private quotedEnd(pos: number, end: number): number {
    const t = this.text;
    const q = t.charCodeAt(pos);
    for (let p = pos + 1; p < end; p++) {
      const ch = t.charCodeAt(p);
      if (q === 34 && ch === 92 /* \ */) {
        p++;
        continue;
      }
      if (ch === q) {
        if (q === 39 && t.charCodeAt(p + 1) === 39) {
          p++;
          continue;
        }
        return p + 1;
      }
    }
    return -1;
  }

  private quoted(pos: number, close: number): Scalar {
    const t = this.text;
    const raw = t.slice(pos + 1, close - 1);
    let value: string;
    let type: Scalar.Type;
    if (t.charCodeAt(pos) === 39) {
      value = raw.includes("''") ? raw.replace(/''/g, "'") : raw;
      type = 'QUOTE_SINGLE';
    } else {
      value = raw.includes('\\') ? unescapeDouble(raw) : raw;
      type = 'QUOTE_DOUBLE';
    }
    const s = new Scalar(value);
    s.type = type;
    s.source = value;
    s.range = [pos, close, close];
    return s;
  }

  /** A one-line flow collection: `[a, "b", {c: d}]` or `{name: x}`. */
  private flow(pos: number, end: number): [Node, number] {
    this.enter();
    const t = this.text;
    const open = t.charCodeAt(pos);
    const isSeq = open === 91;
    const close = isSeq ? 93 : 125;
    const coll = isSeq ? new YAMLSeq() : new YAMLMap();
    coll.flow = true;
    let p = pos + 1;
    const skip = () => {
      while (p < end && t.charCodeAt(p) === CH_SPACE) p++;
      if (p >= end) throw GIVE_UP; // the collection continues on the next line
    };
    skip();
    if (t.charCodeAt(p) === close) {
      coll.range = [pos, p + 1, p + 1];
      this.depth--;
      return [coll, p + 1];
    }
    for (;;) {
      skip();
      const key = this.flowScalarOrCollection(p, end, !isSeq);
      p = endOf(key);
      skip();
      if (!isSeq) {
        if (t.charCodeAt(p) !== CH_COLON) throw GIVE_UP;
        p++;
        skip();
        const value = this.flowScalarOrCollection(p, end, false);
        p = endOf(value);
        (coll as YAMLMap).items.push(new Pair(key, value));
        skip();
      } else {
        if (t.charCodeAt(p) === CH_COLON) throw GIVE_UP; // `[a: b]`: single-pair mappings
        (coll as YAMLSeq).items.push(key);
      }
      const ch = t.charCodeAt(p);
      if (ch === close) {
        coll.range = [pos, p + 1, p + 1];
        this.depth--;
        return [coll, p + 1];
      }
      if (ch !== 44 /* , */) throw GIVE_UP;
      p++;
      skip();
      if (t.charCodeAt(p) === close) throw GIVE_UP; // trailing comma: leave to the library
    }
  }

  private flowScalarOrCollection(p: number, end: number, isKey: boolean): Node {
    const t = this.text;
    const c = t.charCodeAt(p);
    if (c === 91 || c === 123) {
      if (isKey) throw GIVE_UP;
      return this.flow(p, end)[0];
    }
    if (c === 34 || c === 39) {
      const close = this.quotedEnd(p, end);
      if (close < 0) throw GIVE_UP;
      return this.quoted(p, close);
    }
    if (
      c === 38 ||
      c === 42 ||
      c === 33 ||
      c === 37 ||
      c === 64 ||
      c === 96 ||
      c === 124 ||
      c === 62 ||
      c === 44 ||
      c === 93 ||
      c === 125 ||
      c === CH_HASH ||
      c === 63
    )
      throw GIVE_UP;
    if (c === CH_DASH || c === CH_COLON) {
      // `-` and `:` start a plain scalar only before a safe character (`[-]` is an error): found by the fuzz test.
      const n = t.charCodeAt(p + 1);
      if (p + 1 >= end || n === CH_SPACE || n === 44 || n === 91 || n === 93 || n === 123 || n === 125) throw GIVE_UP;
    }
    let e = p;
    for (; e < end; e++) {
      const ch = t.charCodeAt(e);
      if (ch === 44 || ch === 93 || ch === 125 || ch === 91 || ch === 123) break;
      if (ch === CH_COLON) {
        const n = t.charCodeAt(e + 1);
        if (e + 1 === end || n === CH_SPACE || n === 44 || n === 93 || n === 125) break;
      }
      if (ch === CH_HASH && t.charCodeAt(e - 1) === CH_SPACE) throw GIVE_UP;
      if (ch === CH_TAB) throw GIVE_UP;
    }
    let s = e;
    while (s > p && t.charCodeAt(s - 1) === CH_SPACE) s--;
    if (s === p) throw GIVE_UP;
    return plain(t, p, s);
  }

  /** `|` and `|-` literal block scalars with auto-detected indentation; folding (`>`), keep (`+`) and
   *  explicit indentation are left to the library. */
  private blockScalar(i: number, pos: number, col: number, to: number): [Scalar, number] {
    const t = this.text;
    const l = this.lines[i];
    if (t.charCodeAt(pos) !== 124) throw GIVE_UP;
    let p = pos + 1;
    let strip = false;
    if (t.charCodeAt(p) === CH_DASH) {
      strip = true;
      p++;
    }
    const header = t.slice(p, l.end).trim();
    if (header !== '' && !header.startsWith('#')) throw GIVE_UP;
    if (p < l.end && t.charCodeAt(p) !== CH_SPACE) throw GIVE_UP; // `|x`, and `|#` with no space before the comment
    let indent = -1;
    const parts: string[] = [];
    let j = i + 1;
    let lastContent = i;
    let blanks = 0;
    for (; j < to; j++) {
      const line = this.lines[j];
      const blank = line.content === line.end;
      if (blank) {
        // Spaces beyond the indentation on an empty line are content: leave that to the library.
        const spaces = line.end - line.start;
        if (indent < 0 ? spaces > 0 : spaces > indent) throw GIVE_UP;
        blanks++;
        continue;
      }
      const c = line.content - line.start;
      if (indent < 0) {
        if (c <= col) break;
        indent = c;
      } else if (c < indent) break;
      for (let b = 0; b < blanks; b++) parts.push('');
      blanks = 0;
      parts.push(t.slice(line.start + indent, line.end));
      lastContent = j;
    }
    if (parts.length === 0) throw GIVE_UP; // an empty block scalar: rare, leave it to the library
    const lastLine = this.lines[lastContent];
    if (lastLine.end === t.length) throw GIVE_UP; // no final line break: chomping differs
    const value = parts.join('\n') + (strip ? '' : '\n');
    const s = new Scalar(value);
    s.type = 'BLOCK_LITERAL';
    s.source = value;
    // The library's range runs from the header to the end of the content's last line break.
    const endOffset = t.indexOf('\n', lastLine.end) + 1 || t.length;
    s.range = [pos, endOffset, endOffset];
    return [s, lastContent + 1];
  }
}

function endOf(node: Node): number {
  return node.range ? node.range[1] : 0;
}

function emptyScalar(at: number): Scalar {
  const s = new Scalar(null);
  s.range = [at, at, at];
  s.source = '';
  s.type = 'PLAIN';
  return s;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** Scalars the YAML 1.2 core schema reads as something other than a decimal number, bool, null or string. */
const EXOTIC =
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+)$/;

function plain(t: string, start: number, end: number): Scalar {
  const source = t.slice(start, end);
  let value: unknown = source;
  const c = source.charCodeAt(0);
  // Only strings that could be something else are checked against the core schema.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (INT.test(source)) value = Number(source);
    else if (FLOAT.test(source)) value = Number(source);
    else if (EXOTIC.test(source)) throw GIVE_UP;
  } else if (source === 'true' || source === 'True' || source === 'TRUE') value = true;
  else if (source === 'false' || source === 'False' || source === 'FALSE') value = false;
  else if (source === 'null' || source === 'Null' || source === 'NULL' || source === '~') value = null;
  const s = new Scalar(value);
  s.type = 'PLAIN';
  s.source = source;
  s.range = [start, end, end];
  return s;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };

function unescapeDouble(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    const r = ESCAPES[e];
    if (r === undefined) throw GIVE_UP;
    return r;
  });
}
