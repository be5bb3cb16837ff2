// The fast manifest reader must agree with the yaml library on everything it accepts (values, node kinds,
// scalar types and ranges) and give up on everything else.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { fastParseAll } from '../../../src/validation/fast-yaml';
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
  assert.ok(lib.every((d) => d.errors.length === 0), `${label}: the fast reader accepted a text with syntax errors`);
  assert.deepEqual(fast.map((d) => outline(d.contents)), lib.map((d) => outline(d.contents)), label);
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
      'a: 1\nb: -2\nc: 3.0\nd: .5\ne: true\nf: False\ng: null\nh: ~\ni: "x: y"\nj: \'it\'\'s\'\nk: 0123\nl: -x\nm: v1.32.13\n',
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
    ];
    for (const c of cases) assert.equal(fastParseAll(c), undefined, JSON.stringify(c));
  });
});
