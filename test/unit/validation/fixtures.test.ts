// The fixture corpus: every valid example passes, every invalid document gets its expected diagnostics
// at the expected line and column (testFixture/invalid/expectations.json).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateText } from '../../../src/validation';

const root = join(__dirname, '..', '..', '..', 'testFixture');
const yamlIn = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

interface Expected {
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
}
interface FileExpectation {
  file: string;
  apiserverRejects: boolean;
  skipApiserver?: boolean;
  diagnostics: Expected[];
}
const expectations: { files: FileExpectation[] } = JSON.parse(readFileSync(join(root, 'invalid', 'expectations.json'), 'utf8'));

describe('testFixture/valid', () => {
  const files = yamlIn('valid');

  it('has an example of every kokpit kind and of the kind cluster config', () => {
    const kinds = new Set<string>();
    for (const f of files) for (const m of readFileSync(join(root, 'valid', f), 'utf8').matchAll(/^kind: (\w+)$/gm)) kinds.add(m[1]);
    for (const k of [
      'EtcdCluster',
      'EtcdBackup',
      'BusinessCluster',
      'KubernetesVersion',
      'Addon',
      'Component',
      'Machine',
      'MachineSet',
      'LocalEnvironment',
      'Cluster',
    ]) {
      assert.ok(kinds.has(k), `no valid example of ${k}`);
    }
  });

  for (const f of files) {
    it(`${f} has no findings`, () => {
      const found = validateText(readFileSync(join(root, 'valid', f), 'utf8'));
      assert.deepEqual(
        found.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`),
        [],
      );
    });
  }
});

describe('testFixture/invalid', () => {
  const files = yamlIn('invalid');

  it('holds at least 40 documents, each listed in expectations.json with at least one diagnostic', () => {
    assert.ok(files.length >= 40, `only ${files.length} invalid fixtures`);
    assert.deepEqual(expectations.files.map((e) => e.file).sort(), files);
    for (const e of expectations.files) {
      assert.ok(e.diagnostics.length > 0, `${e.file} expects nothing`);
      assert.equal(typeof e.apiserverRejects, 'boolean', `${e.file}: apiserverRejects`);
    }
  });

  for (const e of expectations.files) {
    it(`${e.file}: ${e.diagnostics.map((d) => `${d.line}:${d.column}`).join(', ')}`, () => {
      const found = validateText(readFileSync(join(root, 'invalid', e.file), 'utf8'));
      for (const want of e.diagnostics) {
        const hit = found.find(
          (d) => d.line === want.line && d.column === want.column && d.severity === want.severity && d.message.includes(want.message),
        );
        assert.ok(
          hit,
          `${e.file}: no ${want.severity} at ${want.line}:${want.column} containing ${JSON.stringify(want.message)}; ` +
            `got:\n${found.map((d) => `  ${d.line}:${d.column} ${d.severity} ${d.message}`).join('\n')}`,
        );
      }
      // A document the apiserver refuses must be an error for kokpit too (kokpit is at least as strict).
      if (e.apiserverRejects)
        assert.ok(
          found.some((d) => d.severity === 'error'),
          `${e.file}: the apiserver rejects it, kokpit reports no error`,
        );
    });
  }
});
