// Every contributed snippet, with each placeholder at its default, is a valid manifest of its kind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_VERSION, DEFAULT_ETCD_VERSION, KINDS, SHIPPED_KUBERNETES_VERSIONS } from '../../../src/api';
import { expandSnippet } from '../../../src/extension/model/snippet';
import { offlineValidationOptions } from '../../../src/extension/model/validation-options';
import { validateText } from '../../../src/validation';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}

function contributedSnippets(): Snippet[] {
  const entries: { language: string; path: string }[] = pkg.contributes.snippets;
  assert.deepEqual(
    entries.map((e) => e.language),
    ['yaml'],
  );
  const file = JSON.parse(readFileSync(join(ROOT, entries[0].path), 'utf8')) as Record<string, Snippet>;
  return Object.values(file);
}

const snippets = contributedSnippets();
const byKind = new Map(snippets.map((s) => [(parse(expandSnippet(s.body)) as { kind: string }).kind, s]));

describe('snippets', () => {
  it('one snippet per kind, prefixed kokpit-<kind>', () => {
    assert.deepEqual([...byKind.keys()].sort(), KINDS.map((k) => k.kind).sort());
    assert.equal(snippets.length, KINDS.length);
    for (const [kind, s] of byKind) {
      assert.equal(s.prefix, `kokpit-${kind.toLowerCase()}`);
      assert.ok(s.description.startsWith(`${kind}:`), s.description);
    }
  });

  for (const info of KINDS) {
    it(`${info.kind}: the defaults validate with no error and no warning, as the editor validates`, () => {
      const text = expandSnippet(byKind.get(info.kind)!.body);
      const found = validateText(text, offlineValidationOptions());
      assert.deepEqual(
        found.map((d) => `${d.severity} ${d.line}:${d.column} ${d.path} [${d.code}] ${d.message}`),
        [],
        text,
      );
      const obj = parse(text);
      assert.equal(obj.apiVersion, API_VERSION);
      assert.equal(obj.kind, info.kind);
    });
  }

  it('the check has teeth: a broken default is reported', () => {
    const text = expandSnippet(byKind.get('EtcdCluster')!.body)
      .replace(/replicas: 3/, 'replicas: 2')
      .replace('spec:', 'spec:\n  replicaz: 1');
    const errors = validateText(text).filter((d) => d.severity === 'error');
    assert.ok(
      errors.some((d) => d.path === 'spec.replicas'),
      JSON.stringify(errors),
    );
    assert.ok(
      errors.some((d) => d.path.startsWith('spec.replicaz') || d.code === 'unknown-field'),
      JSON.stringify(errors),
    );
  });

  it('default versions follow the release defaults', () => {
    const etcd = parse(expandSnippet(byKind.get('EtcdCluster')!.body));
    assert.equal(etcd.spec.version, DEFAULT_ETCD_VERSION);
    const bc = parse(expandSnippet(byKind.get('BusinessCluster')!.body));
    assert.ok((SHIPPED_KUBERNETES_VERSIONS as readonly string[]).includes(bc.spec.version), bc.spec.version);
    const env = parse(expandSnippet(byKind.get('LocalEnvironment')!.body));
    for (const c of env.spec.businessClusters) assert.ok((SHIPPED_KUBERNETES_VERSIONS as readonly string[]).includes(c.spec.version));
    const kv = parse(expandSnippet(byKind.get('KubernetesVersion')!.body));
    assert.equal(kv.spec.etcd.recommendedVersion, DEFAULT_ETCD_VERSION);
    assert.equal(kv.metadata.name, kv.spec.version);
  });
});
