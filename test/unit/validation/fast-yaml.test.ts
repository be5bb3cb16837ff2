// The fast manifest reader must agree with the yaml library on everything it accepts (values, node kinds,
// scalar types and ranges) and give up on everything else.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { fastParseAll } from '../../../src/validation/fast-yaml';
import { LIMITS } from '../../../src/validation/limits';
import { nestedIndented } from '../../support/hostile-yaml';
import { buildCorpus } from '../../../bench/validate';

/** A comparable outline of a node: kinds, values, scalar types and ranges. */
function outline(node: unknown): unknown {
  const n = node as Node | null;
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    const empty = n.value === null && n.range?.[0] === n.range?.[1];
    return { scalar: n.value, type: empty ? 'EMPTY' : n.type, range: empty ? undefined : [n.range?.[0], n.range?.[1]] };
  }
  if (isMap(n)) return { map: n.items.map((p) => [outline(p.key), outline(p.value)]), flow: !!n.flow, start: n.range?.[0] };
  if (isSeq(n)) return { seq: n.items.map(outline), flow: !!n.flow, start: n.range?.[0] };
  return { other: String(n) };
}

function agree(text: string, label: string): boolean {
  const fast = fastParseAll(text);
  if (!fast) return false;
  const lib = parseAllDocuments(text, { uniqueKeys: false });
  assert.ok(Array.isArray(lib));
  assert.ok(
    lib.every((d) => d.errors.length === 0),
    `${label}: the fast reader accepted a text with syntax errors`,
  );
  assert.deepEqual(
    fast.map((d) => outline(d.contents)),
    lib.map((d) => outline(d.contents)),
    label,
  );
  return true;
}

describe('fastParseAll', () => {
  const fixtures = join(__dirname, '..', '..', '..', 'testFixture');

  it('agrees with the yaml library on the fixtures it reads, and reads the valid ones', () => {
    for (const dir of ['valid', 'invalid']) {
      for (const f of readdirSync(join(fixtures, dir)).filter((n) => n.endsWith('.yaml'))) {
        const accepted = agree(readFileSync(join(fixtures, dir, f), 'utf8'), `${dir}/${f}`);
        if (dir === 'valid') assert.ok(accepted, `valid/${f} fell back to the yaml library`);
      }
    }
  });

  it('agrees on the benchmark corpus', () => {
    assert.ok(agree(buildCorpus(200).text, 'bench corpus'));
  });

  it('agrees on scalars, flow collections, block scalars, comments and document markers', () => {
    const cases = [
      "a: 1\nb: -2\nc: 3.0\nd: .5\ne: true\nf: False\ng: null\nh: ~\ni: \"x: y\"\nj: 'it''s'\nk: 0123\nl: -x\nm: v1.32.13\n",
      'a:\nb:\n  c:\n    - 1\n    -\n    - x: 1\n      y: [1, "two", {z: 3}]\n',
      'list:\n- a\n- b\nnext: {}\nempty: []\n',
      '# head\n---\na: 1\n---\n# only a comment\n---\nb: 2\n',
      'a: 1\n---\n',
      'script: |\n  line 1\n\n  line 3\n    indented\ntail: x\nstrip: |-\n  no newline\n',
      'url: http://example.com/a#b\nk8s: registry.k8s.io/pause:3.10\ncomment: value # trailing\n"quoted key": 1\n',
      'a: "esc \\" \\\\ \\n \\u00e9"\nb: \'\'\n',
      'a: 1\r\nb:\r\n  - x\r\n',
      '- top\n- level\n',
      '',
      '# nothing\n',
      'dup: 1\ndup: 2\n',
    ];
    for (const c of cases) assert.ok(agree(c, JSON.stringify(c)), `gave up on ${JSON.stringify(c)}`);
  });

  it('gives up on YAML beyond its subset and on syntax errors', () => {
    const cases = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: >\n  folded\n',
      'a: multi\n  line\n',
      'a: "multi\n  line"\n',
      '? complex\n: key\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: [1,\n  2]\n',
      'a:\n\tb: 1\n',
      'a: b: c\n',
      'a:\n  b: 1\n c: 2\n',
      'a: [1\n',
      'a: 0x1F\nb: .inf\nc: 1e3\n',
      '--- text\n',
      // Hostile input: a byte order mark, tabs the library trims, nesting past the depth bound.
      '\ufeffapiVersion: v1\n',
      'version\t: 1\n',
      'a: [\tb]\n',
      nestedIndented(LIMITS.maxDepth + 1),
      `a: ${'['.repeat(LIMITS.maxDepth + 1)}${']'.repeat(LIMITS.maxDepth + 1)}\n`,
    ];
    for (const c of cases) assert.equal(fastParseAll(c), undefined, JSON.stringify(c).slice(0, 80));
  });

  it('reads nesting up to the depth bound itself', () => {
    assert.ok(agree(nestedIndented(LIMITS.maxDepth - 3), 'nested to the bound'));
  });

  // Seeded: a failure prints the seed; FUZZ_SEED=<seed> repeats the run (FUZZ_RUNS=<n> for a longer one).
  it("fuzz: on generated documents it gives the library's tree or gives up, never a different answer", function () {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const runs = Number(process.env.FUZZ_RUNS ?? 3000);
    console.log(`      fuzz seed ${seed} (FUZZ_SEED=${seed} to repeat), ${runs} documents`);
    const rand = mulberry32(seed);
    let read = 0;
    for (let i = 0; i < runs; i++) {
      const text = fuzzDocument(rand);
      try {
        if (agree(text, `seed ${seed}, document ${i}: ${JSON.stringify(text)}`)) read++;
      } catch (e) {
        throw new Error(`fuzz seed ${seed}, document ${i}: ${(e as Error).message}`, { cause: e });
      }
    }
    console.log(`      the fast reader read ${read} of ${runs}; the rest fell back to the library`);
    // A generator the reader always gives up on would prove nothing.
    assert.ok(read > runs / 10, `the fast reader read only ${read} of ${runs} generated documents`);
  });
});

/** A small seeded PRNG (mulberry32): the same seed gives the same documents. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'version', 'k-1', '"q k"', "'s'", 'x y', 'a:b', '<<', 'a#b', '-x', 'true', '1', 'é', 'x.y/z', '"a\\"b"', "'it''s'"];
const SCALARS = [
  '1',
  '-2',
  '3.0',
  '.5',
  '0123',
  'true',
  'False',
  'null',
  '~',
  '"a: b"',
  "'it''s'",
  'x # c',
  'x#c',
  '"\\u00e9 \\t"',
  'v1.32.13',
  'http://x/y#z',
  'registry.k8s.io/pause:3.10',
  '',
  '[1, 2]',
  '{a: 1}',
  '[a, [b, {c: d}]]',
  '[]',
  '{}',
  '-x',
];
/** Values the reader should mostly give up on, mixed in now and then. */
const TRICKY = [
  '0x1F',
  '1e3',
  '.inf',
  '@x',
  '&a x',
  '*a',
  '!!str 1',
  '>',
  '|',
  '"unterminated',
  '[1,',
  'a: b',
  '- x',
  "'q' x",
  '[a, ]',
  '{a}',
  '? x',
  ': x',
];
const NOISE = ['\t', ':', '#', '-', ' ', '\n', '"', "'", '[', ']', '{', '}', ',', '\ufeff', '&', '*', '|', '>', '?', '\r\n', '---\n', '  '];

/** A document from manifest-like pieces (mappings, sequences at and below the key column, flow collections,
 *  block scalars, comments, markers, CRLF), then a few random characters inserted anywhere. */
function fuzzDocument(rand: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const scalar = () => (rand() < 0.05 ? pick(TRICKY) : pick(SCALARS));
  const step = () => 1 + Math.floor(rand() * 3);
  const lines: string[] = [];
  const block = (indent: number, depth: number): void => {
    const pad = ' '.repeat(indent);
    const seq = rand() < 0.3;
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.08) lines.push(`${pad}# ${scalar()}`);
      else if (r < 0.12) lines.push('');
      const lead = seq ? `${pad}- ` : `${pad}${pick(KEYS)}:`;
      const nest = depth < 4 ? rand() : 1;
      if (nest < 0.3) {
        lines.push(lead.trimEnd());
        block(indent + (seq || rand() < 0.7 ? step() : 0), depth + 1);
      } else if (nest < 0.4) {
        lines.push(`${lead}${seq ? '' : ' '}|${rand() < 0.5 ? '-' : ''}`);
        for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) lines.push(`${pad}  ${scalar()}`);
      } else if (nest < 0.5 && seq) {
        lines.push(`${lead}${pick(KEYS)}: ${scalar()}`);
        lines.push(`${pad}  ${pick(KEYS)}: ${scalar()}`);
      } else lines.push(`${lead}${seq ? '' : ' '}${scalar()}`);
    }
  };
  const docs = 1 + Math.floor(rand() * 2);
  for (let d = 0; d < docs; d++) {
    if (d > 0 || rand() < 0.2) lines.push(rand() < 0.8 ? '---' : '--- # c');
    block(0, 0);
  }
  let text = lines.join(rand() < 0.1 ? '\r\n' : '\n') + (rand() < 0.9 ? '\n' : '');
  for (let m = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 2); m > 0; m--) {
    const at = Math.floor(rand() * (text.length + 1));
    text = text.slice(0, at) + pick(NOISE) + text.slice(at);
  }
  return text;
}
