// The validation engine on hostile YAML: bounded depth, bounded alias expansion, aliases and merge keys read as
// kubectl reads them, and the small traps (BOM, tab before a colon). Times are printed, never asserted.
import assert from 'node:assert/strict';
import { checkText, LIMITS, validateText, type Diagnostic } from '../../../src/validation';
import { aliasFan, billionLaughs, manyKeys, nestedBrackets, nestedDashes, nestedIndented } from '../../support/hostile-yaml';

const GOOD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdBackup\nmetadata:\n  name: nightly\nspec:\n  etcdClusterRef:\n    name: shared\n';
const BAD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: bad\nspec:\n  replicas: 4\n';

function timed<T>(what: string, run: () => T): T {
  const started = process.hrtime.bigint();
  const heap = process.memoryUsage().heapUsed;
  const result = run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`      ${what}: ${ms.toFixed(0)} ms, heap +${((process.memoryUsage().heapUsed - heap) / 1024 / 1024).toFixed(0)} MiB`);
  return result;
}

const codes = (found: Diagnostic[]) => found.map((d) => d.code);

describe('validation of hostile input', function () {
  this.timeout(120_000);

  describe('nesting', () => {
    for (const [name, text] of [
      ['1,000 nested "- " (2 KB)', nestedDashes(1000)],
      ['10,000 nested "["', nestedBrackets(10_000)],
      [`${LIMITS.maxDepth + 20} levels by indentation`, nestedIndented(LIMITS.maxDepth + 20)],
    ] as const) {
      it(`${name}: one too-deep error, and the documents around it are still checked`, () => {
        const found = timed(name, () => validateText(`${BAD}---\n${text}---\n${BAD}`));
        const deep = found.filter((d) => d.code === 'too-deep');
        assert.equal(deep.length, 1, JSON.stringify(found));
        assert.equal(deep[0].document, 1);
        assert.match(deep[0].message, new RegExp(`nesting deeper than ${LIMITS.maxDepth} levels`));
        assert.deepEqual(
          found.filter((d) => d.code === 'even-replicas').map((d) => d.document),
          [0, 2],
        );
      });
    }

    it('10,000 nested "- " (deep enough to overflow the yaml parser itself): one error; the documents before it are checked', () => {
      const found = timed('10,000 nested "- "', () => validateText(`${BAD}---\n${nestedDashes(10_000)}---\n${BAD}`));
      const deep = found.filter((d) => d.code === 'too-deep');
      assert.equal(deep.length, 1, JSON.stringify(found));
      assert.deepEqual(
        found.filter((d) => d.code === 'even-replicas').map((d) => d.document),
        [0],
      );
    });

    it('nesting within the bound is read', () => {
      assert.deepEqual(
        codes(validateText(nestedIndented(LIMITS.maxDepth - 5))).filter((c) => c === 'too-deep'),
        [],
      );
    });
  });

  describe('aliases', () => {
    it('a billion laughs stops at the expansion budget with one error at the alias', () => {
      const { diagnostics } = timed('billion laughs', () => checkText(billionLaughs()));
      const limit = diagnostics.filter((d) => d.code === 'alias-limit');
      assert.equal(limit.length, 1, JSON.stringify(diagnostics));
      assert.match(limit[0].message, /expand to more than 100000 values \(through \*[a-j]\)/);
    });

    it('5,000 aliases to a list of 2,000 strings (10 million values) stop at the budget', () => {
      const text = aliasFan(5000, 2000);
      const { diagnostics } = timed(`alias fan (${(text.length / 1024).toFixed(0)} KB)`, () => checkText(text));
      assert.deepEqual(diagnostics.filter((d) => d.code === 'alias-limit').length, 1);
    });

    it('aliased content is schema-checked where the alias stands, reported at the alias', () => {
      const text = [
        'apiVersion: kokpit.dev/v1alpha1',
        'kind: BusinessCluster',
        'metadata:',
        '  name: a',
        'spec:',
        '  version: v1.32.13',
        '  etcd:',
        '    managed: {}',
        '  apiServer:',
        '    service: &svc',
        '      type: NodePort',
        '  controllerManager: *svc',
        '',
      ].join('\n');
      const found = validateText(text);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0].code, 'unknown-field');
      assert.equal(found[0].path, 'spec.controllerManager.type');
      assert.match(found[0].message, /unknown field "type" in spec\.controllerManager .*\(through \*svc\)$/);
      assert.deepEqual([found[0].line, found[0].column], [12, 22]);
    });

    it('an alias to a valid value passes, and its value is the anchored one', () => {
      const text = `${GOOD.replace('  name: nightly\n', '  name: nightly\n  labels: &l {team: a}\n  annotations: *l\n')}`;
      const { diagnostics, documents } = checkText(text);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual((documents[0] as { metadata: unknown }).metadata, {
        name: 'nightly',
        labels: { team: 'a' },
        annotations: { team: 'a' },
      });
    });

    it('an alias inside the value it names, and an alias with no anchor, are errors, not a hang', () => {
      assert.ok(codes(validateText('a: &a [1, *a]\n')).includes('alias'));
      assert.ok(
        codes(validateText('a: &a {b: 1}\nc: *nope\n')).includes('alias'),
        JSON.stringify(validateText('a: &a {b: 1}\nc: *nope\n')),
      );
    });
  });

  describe('merge keys', () => {
    const cluster = (scheduler: string) =>
      [
        'apiVersion: kokpit.dev/v1alpha1',
        'kind: BusinessCluster',
        'metadata:',
        '  name: a',
        'spec:',
        '  version: v1.32.13',
        '  etcd:',
        '    managed: {}',
        '  controllerManager: &base',
        '    replicas: 2',
        '    extraArgs: {v: "4"}',
        `  scheduler:${scheduler}`,
        '',
      ].join('\n');

    it('are merged as kubectl merges them: explicit keys win', () => {
      const { diagnostics, documents } = checkText(cluster('\n    <<: *base\n    replicas: 3'));
      assert.deepEqual(diagnostics, []);
      const spec = (documents[0] as { spec: Record<string, unknown> }).spec;
      assert.deepEqual(spec.scheduler, { replicas: 3, extraArgs: { v: '4' } });
    });

    it('merged content is schema-checked, and a merge of a non-mapping is an error', () => {
      const bad = validateText(cluster('\n    <<: [*base, {replicas: 0, nope: 1}]'));
      assert.ok(
        bad.some((d) => d.code === 'unknown-field' && d.path === 'spec.scheduler.nope'),
        JSON.stringify(bad),
      );
      assert.ok(!bad.some((d) => d.code === 'minimum'), 'the first source sets replicas: the second one must not');
      assert.ok(codes(validateText(cluster('\n    <<: 3'))).includes('merge'));
    });
  });

  describe('small traps', () => {
    it('a byte order mark is not content (no false "missing apiVersion")', () => {
      assert.deepEqual(validateText(`\ufeff${GOOD}`), []);
    });

    it('a tab before the colon is not part of the key', () => {
      const text = BAD.replace('  replicas: 4\n', '  replicas: 3\n  version\t: 3.5.35\n').replace('kind: EtcdCluster', 'kind: EtcdCluster');
      assert.deepEqual(codes(validateText(text)), []);
    });

    it(`a text over ${LIMITS.maxChars / 1024 / 1024} MiB is one too-large error, not parsed`, () => {
      const found = timed('5 MiB text', () => validateText(`${GOOD}#${'x'.repeat(5 * 1024 * 1024)}\n`));
      assert.deepEqual(codes(found), ['too-large']);
    });

    it('40,000 keys in one mapping, through the fast reader and through the library (print the times)', () => {
      const text = manyKeys(40_000);
      assert.deepEqual(
        timed('40,000 keys, fast reader', () => validateText(text)),
        [],
      );
      // An anchor sends the text to the yaml library: still linear (no unique-key scan per key).
      const viaLibrary = text.replace('  name: hostile\n', '  name: &n hostile\n');
      assert.deepEqual(
        timed('40,000 keys, yaml library', () => validateText(viaLibrary)),
        [],
      );
    });
  });

  describe('fields that name DNS things', () => {
    const cluster = (extra: string) =>
      [
        'apiVersion: kokpit.dev/v1alpha1',
        'kind: BusinessCluster',
        'metadata:',
        '  name: a',
        'spec:',
        '  version: v1.32.13',
        '  etcd:',
        '    managed: {}',
        extra,
        '',
      ].join('\n');

    it('network.dnsDomain is a DNS-1123 subdomain', () => {
      assert.deepEqual(validateText(cluster('  network:\n    dnsDomain: cluster.local')), []);
      const bad = validateText(cluster('  network:\n    dnsDomain: "Corp Local\\e[31m"'));
      assert.deepEqual(
        bad.map((d) => [d.code, d.path]),
        [['pattern', 'spec.network.dnsDomain']],
      );
      assert.match(bad[0].message, /must be a DNS-1123 subdomain/);
    });

    it('apiServer.certSANs are DNS names (wildcards allowed) or IP addresses', () => {
      assert.deepEqual(validateText(cluster('  apiServer:\n    certSANs: [api.example.com, "*.example.com", 10.0.0.1, "fd00::1"]')), []);
      const bad = validateText(cluster('  apiServer:\n    certSANs: [API.example.com, "a b"]'));
      assert.deepEqual(
        bad.map((d) => [d.code, d.path]),
        [
          ['pattern', 'spec.apiServer.certSANs[0]'],
          ['pattern', 'spec.apiServer.certSANs[1]'],
        ],
      );
      assert.match(bad[0].message, /must be a DNS name .*; did you mean "api\.example\.com"\?/);
    });
  });
});
