// Quick fixes: each is applied to the text and the result re-validated — the finding is gone and nothing new appears.
import assert from 'node:assert/strict';
import { applyEdit, nearestVersion, quickFixes, type QuickFix } from '../../../src/language/quick-fixes';
import { validateText, type ValidateOptions } from '../../../src/validation';

const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
const BC = `${HEAD}kind: BusinessCluster\nmetadata:\n  name: p\nspec:\n`;

function fixes(text: string, opts: ValidateOptions = {}): QuickFix[] {
  return quickFixes(text, validateText(text, opts));
}

/** The text after `fix`, asserting it validates with no finding at all. */
function fixedValid(text: string, fix: QuickFix, opts: ValidateOptions = {}): string {
  const after = applyEdit(text, fix.edit, fix.snippet);
  assert.deepEqual(
    validateText(after, opts).map((d) => `${d.code}: ${d.message}`),
    [],
    `after "${fix.title}":\n${after}`,
  );
  return after;
}

describe('quick fixes for validator findings', () => {
  it('an unknown field close to a known one is renamed to it', () => {
    const text = `${BC}  version: v1.32.13\n  etcd:\n    manged:\n      replicas: 3\n`;
    const [fix, ...rest] = fixes(text);
    assert.equal(rest.length, 0);
    assert.equal(fix.title, 'Change "manged" to "managed"');
    assert.equal(fix.preferred, true);
    assert.match(fixedValid(text, fix), /\n {4}managed:\n/);
  });

  it('an unknown field with no close match gets no fix', () => {
    const text = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: e\nspec:\n  replicas: 3\n  zzzzzzzz: 1\n`;
    assert.equal(validateText(text)[0].code, 'unknown-field');
    assert.deepEqual(fixes(text), []);
  });

  it('even etcd replicas: the odd counts beside it, one more member preferred; each fix validates', () => {
    const text = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: e\nspec:\n  replicas: 4\n`;
    const found = fixes(text);
    assert.deepEqual(
      found.map((f) => [f.title, f.preferred]),
      [
        ['Use 5 etcd members', true],
        ['Use 3 etcd members', false],
      ],
    );
    assert.match(fixedValid(text, found[0]), /replicas: 5\n/);
    assert.match(fixedValid(text, found[1]), /replicas: 3\n/);
  });

  it('even replicas of a managed etcd inside a BusinessCluster: 2 → 3 (preferred) or 1', () => {
    const text = `${BC}  version: v1.32.13\n  etcd:\n    managed:\n      replicas: 2\n`;
    const found = fixes(text);
    assert.deepEqual(
      found.map((f) => f.edit.newText),
      ['3', '1'],
    );
    for (const f of found) fixedValid(text, f);
  });

  it('even replicas past the largest allowed count: that count', () => {
    const text = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: e\nspec:\n  replicas: 8\n`;
    assert.deepEqual(
      fixes(text).map((f) => f.title),
      ['Use 5 etcd members'],
    );
  });

  const catalog: ValidateOptions = {
    catalog: [
      { version: 'v1.31.14', state: 'Deprecated', reason: 'end of life' },
      { version: 'v1.32.13', state: 'Supported' },
      { version: 'v1.33.13', state: 'Supported' },
      { version: 'v1.34.1', state: 'Preview' },
    ],
  };

  it('a version not in the catalog → the nearest Supported version (quotes kept)', () => {
    const text = `${BC}  version: "v1.32.2"\n  etcd:\n    managed: {replicas: 3}\n`;
    assert.equal(validateText(text, catalog)[0].code, 'unknown-version');
    const [fix] = fixes(text, catalog);
    assert.equal(fix.title, 'Use v1.32.13 (the nearest Supported version)');
    assert.match(fixedValid(text, fix, catalog), /version: "v1\.32\.13"/);
  });

  it('a Deprecated version → the nearest Supported one, never a Preview one', () => {
    const text = `${BC}  version: v1.31.14\n  etcd:\n    managed: {replicas: 3}\n`;
    assert.equal(validateText(text, catalog)[0].code, 'version-not-usable');
    const [fix] = fixes(text, catalog);
    assert.match(fixedValid(text, fix, catalog), /version: v1\.32\.13\n/);
  });

  it('nearestVersion: fewest minors away, then the closest patch, the newer on a tie', () => {
    const supported = ['v1.31.14', 'v1.33.13', 'v1.33.2'];
    assert.equal(nearestVersion('v1.32.0', supported), 'v1.33.13'); // one minor either way: the newer
    assert.equal(nearestVersion('v1.33.5', supported), 'v1.33.2');
    assert.equal(nearestVersion('v1.29.0', supported), 'v1.31.14');
    assert.equal(nearestVersion('v1.40.0', []), undefined);
  });

  it('a missing required field → a snippet at its siblings’ indentation, placeholders filled with valid examples', () => {
    const text = `${BC}  etcd:\n    managed:\n      replicas: 3\n`;
    const [fix] = fixes(text);
    assert.equal(fix.title, 'Add the required field "version"');
    assert.equal(fix.snippet, true);
    assert.match(fix.edit.newText, /^ {2}version: \$\{1:v1\.\d+\.\d+\}\n$/);
    fixedValid(text, fix);
  });

  it('a missing required field inside a list item and at the end of a file without a final newline', () => {
    const text = `${BC}  version: v1.32.13\n  etcd:\n    managed: {replicas: 3}\n  addons:\n    - version: "1.0"`;
    const [fix] = fixes(text);
    assert.equal(fix.title, 'Add the required field "name"');
    assert.match(fixedValid(text, fix), /- version: "1\.0"\n {6}name: coredns$/);
  });

  it('multi-document: the fix lands in its own document', () => {
    const first = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: e\nspec:\n  replicas: 3\n`;
    const text = `${first}---\n${HEAD}kind: EtcdCluster\nmetadata:\n  name: f\nspec:\n  replicas: 2\n`;
    const [fix] = fixes(text);
    assert.ok(fix.edit.offset > first.length);
    fixedValid(text, fix);
  });

  it('no fix where the finding is reported through an alias or the mapping is a flow mapping', () => {
    const alias = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: e\nspec:\n  <<: {replicas: 3, verson: "3.5.35"}\n`;
    assert.deepEqual(
      validateText(alias).map((d) => [d.code, d.data?.suggestion]),
      [['unknown-field', 'version']],
    );
    assert.deepEqual(fixes(alias), []);
    const flow = `${HEAD}kind: BusinessCluster\nmetadata: {name: p}\nspec: {etcd: {managed: {replicas: 3}}}\n`;
    assert.equal(validateText(flow)[0].code, 'required');
    assert.deepEqual(fixes(flow), []);
  });
});
