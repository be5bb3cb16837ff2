// Closes the loop between the editor's schemas and the real API: every valid fixture is accepted by a
// server-side dry-run create against the generated CRDs, every invalid fixture is rejected exactly when
// testFixture/invalid/expectations.json says `apiserverRejects`, and wherever the apiserver rejects a
// document the editor's validator must report an error on it. Every failure names the document.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../../src/api/kinds';
import { installCRDs, httpsRequest, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { KIND_API_VERSION, definedNames, validateText, type Diagnostic } from '../../../src/validation';

const FIXTURES = path.resolve(__dirname, '../../../testFixture');
const VALID = path.join(FIXTURES, 'valid');
const INVALID = path.join(FIXTURES, 'invalid');
const EXPECTATIONS = path.join(INVALID, 'expectations.json');

interface Expectation {
  file: string;
  apiserverRejects: boolean;
  /** Not an API object (kind config, LocalEnvironment) or does not parse. */
  skipApiserver?: boolean;
}

/** kokpit's file formats: validated by the editor, never sent to a cluster. */
const FILE_KINDS = new Set(KINDS.filter((k) => !k.crd).map((k) => k.kind));
function isFileFormat(apiVersion: unknown, kind: unknown): boolean {
  return (
    apiVersion === KIND_API_VERSION ||
    (typeof apiVersion === 'string' && apiVersion.startsWith('kokpit.dev/') && FILE_KINDS.has(String(kind)))
  );
}

interface Doc {
  index: number;
  /** The document's own text, sent as is (application/yaml) so Strict also sees duplicate keys. */
  source: string;
  parses: boolean;
  obj: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
}

function readDocs(text: string): Doc[] {
  // uniqueKeys off: a duplicate key is for the apiserver to judge, not a reason not to ask it.
  return parseAllDocuments(text, { uniqueKeys: false }).map((d, index) => {
    const parses = d.errors.length === 0;
    const js = parses ? (d.toJS() as unknown) : undefined;
    return {
      index,
      source: text.slice(d.range[0], d.range[2]),
      parses,
      obj: js && typeof js === 'object' && !Array.isArray(js) ? (js as Doc['obj']) : undefined,
    };
  });
}

function docLabel(file: string, d: Doc): string {
  const kind = typeof d.obj?.kind === 'string' ? d.obj.kind : '(no kind)';
  const name = typeof d.obj?.metadata?.name === 'string' ? d.obj.metadata.name : '(no name)';
  return `${file} document ${d.index} (${kind} ${name})`;
}

type Verdict =
  | { outcome: 'accepted' }
  | { outcome: 'rejected'; message: string }
  /** No request can be made: it does not parse, has no apiVersion/kind, or its kind is not served. */
  | { outcome: 'unaddressable'; message: string };

interface Resource {
  plural: string;
  namespaced: boolean;
}

/** Dry-run creates through the apiserver's own discovery, with the admin client certificate. */
class DryRun {
  private readonly discovery = new Map<string, Map<string, Resource> | undefined>();
  constructor(private readonly cp: ControlPlane) {}

  private async resources(apiVersion: string): Promise<Map<string, Resource> | undefined> {
    if (this.discovery.has(apiVersion)) return this.discovery.get(apiVersion);
    const url = `${this.cp.server}/${apiVersion.includes('/') ? 'apis' : 'api'}/${apiVersion}`;
    const r = await httpsRequest(url, this.cp.adminTLS, { timeoutMs: 10_000 });
    let out: Map<string, Resource> | undefined;
    if (r.status === 200) {
      const list = JSON.parse(r.body) as { resources: Array<{ name: string; kind: string; namespaced: boolean }> };
      out = new Map(list.resources.filter((x) => !x.name.includes('/')).map((x) => [x.kind, { plural: x.name, namespaced: x.namespaced }]));
    } else if (r.status !== 404) {
      throw new Error(`discovery of ${apiVersion}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }
    this.discovery.set(apiVersion, out);
    return out;
  }

  /** Whether the apiserver serves this apiVersion/kind at all. */
  async served(apiVersion: unknown, kind: unknown): Promise<boolean> {
    return typeof apiVersion === 'string' && typeof kind === 'string' && !!(await this.resources(apiVersion))?.get(kind);
  }

  async create(d: Doc): Promise<Verdict> {
    if (!d.parses) return { outcome: 'unaddressable', message: 'does not parse' };
    const apiVersion = d.obj?.apiVersion;
    const kind = d.obj?.kind;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      return { outcome: 'unaddressable', message: 'no apiVersion or kind: the object cannot be decoded' };
    }
    const res = (await this.resources(apiVersion))?.get(kind);
    if (!res) return { outcome: 'unaddressable', message: `${apiVersion} ${kind} is not served` };
    const ns = typeof d.obj?.metadata?.namespace === 'string' ? d.obj.metadata.namespace : 'default';
    // The URL follows the resource's scope; a cluster-scoped object's namespace is the server's to drop.
    const url =
      `${this.cp.server}/${apiVersion.includes('/') ? 'apis' : 'api'}/${apiVersion}` +
      `${res.namespaced ? `/namespaces/${ns}` : ''}/${res.plural}?dryRun=All&fieldValidation=Strict`;
    const r = await httpsRequest(url, this.cp.adminTLS, {
      method: 'POST',
      body: d.source,
      contentType: 'application/yaml',
      timeoutMs: 10_000,
    });
    if (r.status >= 200 && r.status < 300) return { outcome: 'accepted' };
    if (r.status >= 400 && r.status < 500) {
      let message = r.body;
      try {
        message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
      } catch {
        /* not a Status */
      }
      return { outcome: 'rejected', message: `HTTP ${r.status}: ${message}` };
    }
    // 5xx or nothing: the test environment failed, not the fixture.
    throw new Error(`dry-run create of ${apiVersion} ${kind}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }
}

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/** The editor's findings, with names defined anywhere in the same directory known (as `kokpit validate` does). */
function editorFindings(dir: string, files: string[]): Map<string, Diagnostic[]> {
  const texts = files.map((f) => ({ f, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
  const knownComponents = new Set<string>();
  const knownAddons = new Set<string>();
  for (const { text } of texts) {
    const n = definedNames(text);
    n.components.forEach((c) => knownComponents.add(c));
    n.addons.forEach((a) => knownAddons.add(a));
  }
  return new Map(
    texts.map(({ f, text }) => [f, validateText(text, { knownComponents: [...knownComponents], knownAddons: [...knownAddons] })]),
  );
}

const describeFinding = (d: Diagnostic) => `${d.line}:${d.column} ${d.severity} ${d.message}`;

describe('fixtures on a real kube-apiserver (server-side dry-run create, fieldValidation=Strict)', function () {
  // Fail loudly, never skip: the fixtures are part of the contract between editor and apiserver.
  if (!fs.existsSync(VALID) || !fs.existsSync(EXPECTATIONS)) {
    it('has testFixture/valid and testFixture/invalid/expectations.json', () => {
      assert.fail(`missing ${fs.existsSync(VALID) ? EXPECTATIONS : VALID}: the editor/apiserver fixture test has nothing to check`);
    });
    return;
  }
  const validFiles = yamlFiles(VALID);
  const invalidFiles = yamlFiles(INVALID);
  const expectations = (JSON.parse(fs.readFileSync(EXPECTATIONS, 'utf8')) as { files: Expectation[] }).files;
  const validFindings = editorFindings(VALID, validFiles);
  // Each invalid file stands alone: a Component defined in one must not hide a finding in another.
  const invalidFindings = new Map(invalidFiles.map((f) => [f, validateText(fs.readFileSync(path.join(INVALID, f), 'utf8'))]));

  let cp: ControlPlane;
  let dryRun: DryRun;
  before(async function () {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    await installCRDs(cp.kubeConfig());
    dryRun = new DryRun(cp);
  });
  after(async () => cp?.stop());

  it('has fixtures, and an expectation for every invalid file and no other', () => {
    assert.ok(validFiles.length > 0, `no YAML in ${VALID}`);
    assert.ok(invalidFiles.length > 0, `no YAML in ${INVALID}`);
    assert.deepEqual(expectations.map((e) => e.file).sort(), invalidFiles);
  });

  describe('valid/', () => {
    for (const file of validFiles) {
      it(`${file}: every API object is accepted, and the editor reports no error`, async () => {
        const problems: string[] = [];
        const findings = validFindings.get(file) ?? [];
        const docs = readDocs(fs.readFileSync(path.join(VALID, file), 'utf8'));
        for (const d of docs) {
          const label = `valid/${docLabel(file, d)}`;
          const errors = findings.filter((f) => f.document === d.index && f.severity === 'error');
          if (d.obj && isFileFormat(d.obj.apiVersion, d.obj.kind)) {
            // A file format, not an API object: make sure the cluster really does not serve it.
            if (await dryRun.served(d.obj.apiVersion, d.obj.kind))
              problems.push(`${label}: treated as a file format, but the apiserver serves it`);
          } else {
            const v = await dryRun.create(d);
            if (v.outcome !== 'accepted') {
              problems.push(
                `${label}: the apiserver ${v.outcome === 'rejected' ? 'rejects' : 'cannot take'} it (${v.message})` +
                  (errors.length === 0 ? ' while the editor accepts it' : ''),
              );
            }
          }
          if (errors.length) {
            problems.push(`${label}: the editor reports ${errors.map(describeFinding).join('; ')}, but it is a valid fixture`);
          }
        }
        assert.deepEqual(problems, [], problems.join('\n'));
        assert.ok(docs.length > 0, `valid/${file} has no document`);
      });
    }
  });

  describe('invalid/', () => {
    for (const exp of expectations) {
      const what = exp.skipApiserver ? 'is no API object' : exp.apiserverRejects ? 'is rejected' : 'is accepted (a kokpit-only rule)';
      it(`${exp.file}: ${what}; the editor flags it`, async () => {
        const problems: string[] = [];
        const findings = invalidFindings.get(exp.file) ?? [];
        const docs = readDocs(fs.readFileSync(path.join(INVALID, exp.file), 'utf8'));
        const verdicts: Verdict[] = [];
        for (const d of docs) {
          const label = `invalid/${docLabel(exp.file, d)}`;
          const v = await dryRun.create(d);
          verdicts.push(v);
          if (exp.skipApiserver && v.outcome !== 'unaddressable') {
            problems.push(`${label}: expectations.json says skipApiserver, but the apiserver ${v.outcome} it`);
          }
          const errors = findings.filter((f) => f.document === d.index && f.severity === 'error');
          if (v.outcome !== 'accepted' && errors.length === 0) {
            problems.push(
              `${label}: the apiserver ${v.outcome === 'rejected' ? 'rejects' : 'cannot take'} it (${v.message}), ` +
                `but the editor reports no error`,
            );
          }
        }
        const rejected = verdicts.some((v) => v.outcome !== 'accepted');
        if (rejected !== exp.apiserverRejects) {
          const detail = verdicts
            .map((v, i) => `document ${i}: ${v.outcome}${v.outcome === 'accepted' ? '' : ` (${v.message})`}`)
            .join('; ');
          problems.push(
            `invalid/${docLabel(exp.file, docs[0])}: expectations.json says apiserverRejects=${exp.apiserverRejects}, ` +
              `but the apiserver ${rejected ? 'rejects' : 'accepts'} it: ${detail}`,
          );
        }
        // An invalid fixture the editor does not flag at all is no fixture.
        if (findings.length === 0) problems.push(`invalid/${exp.file}: the editor reports nothing`);
        assert.deepEqual(problems, [], problems.join('\n'));
      });
    }
  });
});
