// Open Cluster Management kinds in the editor and `kokpit validate`: the committed CRDs (schemas/ocm) are exactly the
// module's, the fixtures in testFixture/ocm get their findings at the expected places, OCM's webhook rules are
// checked, and completion and hover read the same CRD schemas.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { OCM_KINDS, OCM_MANIFEST_SIZE_LIMIT, OCM_SCHEMA_DIR, ocmApiVersion, ocmSchemaFile } from '../../../src/api/ocm';
import { shouldValidate } from '../../../src/extension/model/documents';
import { completionsAt, hoverAt } from '../../../src/language';
import { validateText } from '../../../src/validation';
import { ocmSchemaDir } from '../../../src/validation/ocm-schemas';
import { ocmModuleDir, ocmSchemaFiles } from '../../../scripts/ocm-schemas';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = join(ROOT, 'testFixture', 'ocm');
const yamlIn = (dir: string) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
const show = (text: string) => validateText(text).map((d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`);

describe('OCM: schemas/ocm', () => {
  it('is what npm run generate copies from open-cluster-management.io/ocm@v1.0.0 (regenerate when this fails)', function () {
    this.timeout(60_000); // `go mod download -json` of a cached module
    const files = ocmSchemaFiles(ocmModuleDir(ROOT));
    assert.equal(files.size, OCM_KINDS.length);
    for (const [path, content] of files) assert.equal(readFileSync(join(ROOT, path), 'utf8'), content, `${path} is stale`);
    assert.deepEqual(readdirSync(join(ROOT, OCM_SCHEMA_DIR)).sort(), OCM_KINDS.map(ocmSchemaFile).sort());
  });

  it('agrees with the OCM kinds table: group, served version, plural, scope, short names', () => {
    assert.equal(ocmSchemaDir(), join(ROOT, OCM_SCHEMA_DIR));
    for (const k of OCM_KINDS) {
      const text = readFileSync(join(ROOT, OCM_SCHEMA_DIR, ocmSchemaFile(k)), 'utf8');
      assert.match(
        text,
        /^# Copied by `npm run generate` .* from open-cluster-management\.io\/ocm@v1\.0\.0 manifests\/cluster-manager\/hub\//,
      );
      const crd = parse(text);
      assert.equal(crd.spec.group, k.group);
      assert.equal(crd.spec.names.kind, k.kind);
      assert.equal(crd.spec.names.plural, k.plural);
      assert.equal(crd.spec.scope, k.scope);
      assert.deepEqual(crd.spec.names.shortNames ?? [], [...k.shortNames]);
      assert.deepEqual(
        crd.spec.versions.filter((v: { served: boolean }) => v.served).map((v: { name: string }) => v.name),
        [k.version],
      );
    }
  });
});

interface FileExpectation {
  file: string;
  apiserverRejects: boolean;
  skipApiserver?: boolean;
  diagnostics: Array<{ line: number; column: number; severity: string; message: string }>;
}

describe('OCM: testFixture/ocm', () => {
  it('has a valid example of every kind users write', () => {
    const kinds = new Set<string>();
    for (const f of yamlIn('valid'))
      for (const d of parseAllDocuments(readFileSync(join(FIXTURES, 'valid', f), 'utf8'))) kinds.add(d.get('kind') as string);
    for (const k of [
      'ManifestWork',
      'ManifestWorkReplicaSet',
      'Placement',
      'ManagedClusterSetBinding',
      'ManagedClusterSet',
      'ManagedCluster',
      'AddOnDeploymentConfig',
    ])
      assert.ok(kinds.has(k), `no valid example of ${k}`);
  });

  for (const f of yamlIn('valid')) {
    it(`valid/${f} has no findings`, () => assert.deepEqual(show(readFileSync(join(FIXTURES, 'valid', f), 'utf8')), []));
  }

  const expectations: { files: FileExpectation[] } = JSON.parse(readFileSync(join(FIXTURES, 'invalid', 'expectations.json'), 'utf8'));
  it('lists every invalid fixture in expectations.json', () => {
    assert.deepEqual(expectations.files.map((e) => e.file).sort(), yamlIn('invalid'));
  });
  for (const e of expectations.files) {
    it(`invalid/${e.file}: exactly ${e.diagnostics.map((d) => `${d.line}:${d.column}`).join(', ')}`, () => {
      const found = validateText(readFileSync(join(FIXTURES, 'invalid', e.file), 'utf8'));
      // Exactly the expected findings: a stray one (a schema too strict for OCM) fails too.
      assert.equal(found.length, e.diagnostics.length, show(readFileSync(join(FIXTURES, 'invalid', e.file), 'utf8')).join('\n'));
      for (const want of e.diagnostics) {
        assert.ok(
          found.some(
            (d) => d.line === want.line && d.column === want.column && d.severity === want.severity && d.message.includes(want.message),
          ),
          `${e.file}: no ${want.severity} at ${want.line}:${want.column} with "${want.message}"; got:\n` +
            found.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'),
        );
      }
    });
  }
});

describe('OCM: rules beyond the CRD schema', () => {
  const work = (manifests: string) =>
    'apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\nmetadata:\n  name: w\n  namespace: c1\n' +
    `spec:\n  workload:\n    manifests:\n${manifests}`;

  it("refuses manifests over OCM's 500 KiB limit, naming the size and the fix", () => {
    const big = 'x'.repeat(OCM_MANIFEST_SIZE_LIMIT / 2);
    const cm = (n: number) =>
      `      - apiVersion: v1\n        kind: ConfigMap\n        metadata:\n          name: c${n}\n        data:\n          v: ${big}\n`;
    assert.deepEqual(show(work(cm(1))), []);
    const found = validateText(work(cm(1) + cm(2)));
    assert.equal(found.length, 1);
    assert.equal(found[0].code, 'manifests-too-large');
    assert.match(found[0].message, /the manifests are \d+ bytes together, over OCM's limit of 512000: split them into several works/);
    assert.equal(found[0].line, 8);
  });

  it('a work without a workload at all needs manifests', () => {
    const found = validateText('apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\nmetadata:\n  name: w\nspec: {}\n');
    assert.deepEqual(
      found.map((d) => d.code),
      ['manifests-empty'],
    );
  });

  it('names the served apiVersion, and the kinds of a group, for a wrong version or kind', () => {
    assert.match(
      show('apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWorks\nmetadata:\n  name: w\n').join(),
      /did you mean "ManifestWork"\?/,
    );
    assert.match(
      show('apiVersion: work.open-cluster-management.io/v1alpha1\nkind: ManifestWork\nmetadata:\n  name: w\n').join(),
      /ManifestWork is served as work\.open-cluster-management\.io\/v1/,
    );
  });
});

describe('OCM: the editor checks OCM documents', () => {
  it('validates (and assists in) YAML that mentions an OCM group, and still not other YAML', () => {
    for (const k of OCM_KINDS) assert.equal(shouldValidate('yaml', `apiVersion: ${ocmApiVersion(k)}\nkind: ${k.kind}\n`), true, k.kind);
    assert.equal(shouldValidate('yaml', 'apiVersion: apps/v1\nkind: Deployment\n'), false);
  });
});

describe('OCM: completion and hover from the CRD schemas', () => {
  const at = (text: string) => completionsAt(text.replace('|', ''), text.indexOf('|'));
  const labels = (text: string) => at(text).map((c) => c.label);
  const WORK = 'apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\nmetadata:\n  name: w\n';

  it('offers the OCM apiVersions and, for one of them, its kinds', () => {
    const versions = labels('apiVersion: |\n');
    for (const k of OCM_KINDS) assert.ok(versions.includes(ocmApiVersion(k)), ocmApiVersion(k));
    assert.deepEqual(labels('apiVersion: cluster.open-cluster-management.io/v1beta1\nkind: |\n').sort(), [
      'Placement',
      'PlacementDecision',
    ]);
  });

  it('offers the fields of a ManifestWork spec and the values of an enum, the default first', () => {
    assert.deepEqual(labels(`${WORK}spec:\n  |\n`).sort(), ['deleteOption', 'executor', 'manifestConfigs', 'workload']);
    assert.deepEqual(labels(`${WORK}spec:\n  deleteOption:\n    propagationPolicy: |\n`), ['Foreground', 'Orphan', 'SelectivelyOrphan']);
    assert.equal(at(`${WORK}spec:\n  deleteOption:\n    propagationPolicy: |\n`)[0].detail, 'default');
    const rollout = labels(
      'apiVersion: work.open-cluster-management.io/v1alpha1\nkind: ManifestWorkReplicaSet\nmetadata:\n  name: r\n' +
        'spec:\n  placementRefs:\n    - name: p\n      rolloutStrategy:\n        type: |\n',
    );
    assert.deepEqual(rollout, ['All', 'Progressive', 'ProgressivePerGroup']);
  });

  it("hovers a Placement field with the CRD's description and an int-or-string's two types", () => {
    const text =
      'apiVersion: cluster.open-cluster-management.io/v1beta1\nkind: Placement\nmetadata:\n  name: p\nspec:\n  numberOfClusters: 2\n' +
      '  decisionStrategy:\n    groupStrategy:\n      clustersPerDecisionGroup: 50%\n';
    const n = hoverAt(text, text.indexOf('numberOfClusters') + 2);
    assert.match(n?.markdown ?? '', /\*\*numberOfClusters\*\* · `integer`/);
    assert.match(n?.markdown ?? '', /NumberOfClusters represents the desired number of ManagedClusters to be selected/);
    const g = hoverAt(text, text.indexOf('clustersPerDecisionGroup') + 2);
    assert.match(g?.markdown ?? '', /`integer or string`/);
  });
});
