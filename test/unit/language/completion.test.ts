// Completion from the same schemas the validator uses: keys, enum values, header values, new-document snippets.
import assert from 'node:assert/strict';
import { completionsAt } from '../../../src/language';
import { validateText } from '../../../src/validation';
import { KINDS } from '../../../src/api/kinds';
import { OCM_KINDS, ocmApiVersion } from '../../../src/api/ocm';

const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
/** Completions at the `|` in `text`. */
const at = (text: string) => completionsAt(text.replace('|', ''), text.indexOf('|'));
const labels = (text: string) => at(text).map((c) => c.label);

describe('completionsAt', () => {
  it('offers the keys of the object at the cursor that are not written yet', () => {
    const items = at(`${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n  replicas: 3\n  |\n`);
    assert.deepEqual(
      items.map((c) => c.label),
      ['version', 'storage', 'tls', 'quotaBackendBytes', 'backup', 'restoreFrom', 'resources'],
    );
    assert.equal(items.find((c) => c.label === 'storage')?.insertText, 'storage:\n  ');
    assert.match(items.find((c) => c.label === 'version')?.documentation ?? '', /etcd version, 3\.5\.0 or newer/);
  });

  it('puts required keys first', () => {
    const items = labels(`${HEAD}kind: BusinessCluster\nmetadata:\n  name: a\nspec:\n  |\n`);
    assert.deepEqual(items.slice(0, 2).sort(), ['etcd', 'version']);
    assert.ok(items.includes('network') && items.includes('paused'));
  });

  it('completes a partly typed key inside nested objects and list items', () => {
    assert.ok(labels(`${HEAD}kind: BusinessCluster\nmetadata:\n  name: a\nspec:\n  etcd:\n    man|\n`).includes('managed'));
    assert.deepEqual(labels(`${HEAD}kind: Machine\nmetadata:\n  name: a\nspec:\n  taints:\n    - key: a\n      |\n`), ['effect', 'value']);
  });

  it('offers enum values and booleans for a value, the default first', () => {
    assert.deepEqual(labels(`${HEAD}kind: BusinessCluster\nmetadata:\n  name: a\nspec:\n  apiServer:\n    service:\n      type: |\n`), [
      'Auto',
      'LoadBalancer',
      'NodePort',
      'ClusterIP',
    ]);
    assert.deepEqual(labels(`${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n  replicas: |\n`), ['3', '1', '5']);
    const paused = at(`${HEAD}kind: BusinessCluster\nmetadata:\n  name: a\nspec:\n  paused: |\n`);
    assert.deepEqual(
      paused.map((c) => `${c.label} ${c.detail ?? ''}`),
      ['false default', 'true '],
    );
    // Right after the colon the item brings its own space.
    assert.equal(at(`${HEAD}kind: Machine\nmetadata:\n  name: a\nspec:\n  provider:|\n`)[0].insertText, ' kwok');
  });

  it('offers apiVersion and kind values, kind-config aware', () => {
    assert.deepEqual(labels('apiVersion: |\n'), [
      'kokpit.dev/v1alpha1',
      'kind.x-k8s.io/v1alpha4',
      ...new Set(OCM_KINDS.map(ocmApiVersion)),
    ]);
    assert.ok(labels(`${HEAD}kind: |\n`).includes('MachineSet'));
    assert.deepEqual(labels('apiVersion: kind.x-k8s.io/v1alpha4\nkind: |\n'), ['Cluster']);
    assert.ok(labels('apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnetworking:\n  |\n').includes('podSubnet'));
  });

  it('offers nothing in comments and in documents kokpit does not know', () => {
    assert.deepEqual(at(`${HEAD}kind: EtcdCluster\nspec:\n  # repl|\n`), []);
    assert.deepEqual(at('apiVersion: apps/v1\nkind: Deployment\nspec:\n  |\n'), []);
  });

  it('an empty document gets a snippet per kind, and each snippet with its placeholders filled in validates', () => {
    const snippets = at('|').filter((c) => c.kind === 'snippet');
    // One per kokpit kind, the kind cluster config, and the OCM kinds a user writes.
    const ocm = ['ManifestWork', 'ManifestWorkReplicaSet', 'Placement', 'ManagedClusterSetBinding'].map((k) => `${k} (OCM)`);
    assert.deepEqual(
      snippets.map((s) => s.label).sort(),
      [...KINDS.map((k) => `${k.kind} (kokpit)`), 'kind Cluster config', ...ocm].sort(),
    );
    for (const s of snippets) {
      // `${1:text}` -> text; a placeholder without text in a list becomes a plausible value.
      const filled = s.insertText.replace(/\$\{\d+:([^}]*)\}/g, (_, t: string) => t.replace(/\\([$}\\])/g, '$1') || 'x');
      const errors = validateText(filled).filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => `${d.line}:${d.column} ${d.message}`),
        [],
        `${s.label}:\n${filled}`,
      );
    }
  });
});
