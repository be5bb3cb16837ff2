// The editor and `kokpit validate` on addon versions side by side, from the same schema as the API
// server: spec.addons[].version is offered by completion and checked as a string; an Addon that is one
// version of another addon (spec.name) defines that addon for references in the same text; an Addon's
// spec.default must be a boolean.
import assert from 'node:assert/strict';
import { completionsAt } from '../../../src/language';
import { validateText } from '../../../src/validation';

const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
const ETCD = '  etcd:\n    managed:\n      replicas: 1\n';
const bc = (addons: string) =>
  `${HEAD}kind: BusinessCluster\nmetadata:\n  name: dev\nspec:\n  version: v1.32.13\n${ETCD}  addons:\n${addons}`;
const demo2 = `${HEAD}kind: Addon\nmetadata:\n  name: demo-2\nspec:\n  name: demo\n  version: 2.0.0\n  default: true\n  manifests: ""\n`;

describe('addon versions in the editor and kokpit validate', () => {
  it('completion offers spec.addons[].version beside name and parameters', () => {
    const text = bc('  - name: coredns\n    ');
    const labels = completionsAt(text, text.length).map((c) => c.label);
    assert.ok(labels.includes('version'), labels.join(', '));
  });

  it('a pinned version is a string (quoted or not), anything else is reported at its field', () => {
    assert.deepEqual(validateText(bc('  - name: coredns\n    version: "1.12.1"\n')), []);
    const found = validateText(bc('  - name: coredns\n    version: [1]\n'));
    assert.deepEqual(
      found.map((d) => `${d.severity} ${d.path}`),
      ['error spec.addons[0].version'],
    );
  });

  it('an Addon may be named like a version (coredns-1.12.1, as the API server allows) when spec.name says its addon', () => {
    const addon = (meta: string, name?: string) =>
      `${HEAD}kind: Addon\nmetadata:\n  name: ${meta}\nspec:\n${name ? `  name: ${name}\n` : ''}  version: 1.12.1\n  manifests: ""\n`;
    assert.deepEqual(validateText(addon('coredns-1.12.1', 'coredns')), []);
    const bare = validateText(addon('coredns-1.12.1'));
    assert.deepEqual(
      bare.map((d) => `${d.severity} ${d.path}`),
      ['error metadata.name'],
    );
    assert.match(bare[0].message, /has dots.*spec\.name, e\.g\. "name: coredns"/);
    // Still a DNS-1123 name: no capitals, no underscores.
    assert.deepEqual(
      validateText(addon('CoreDNS_1.12', 'coredns')).map((d) => `${d.severity} ${d.path}`),
      ['error metadata.name'],
    );
  });

  it('an Addon with spec.name defines that addon: a cluster naming it in the same text is not an unknown reference', () => {
    assert.deepEqual(validateText(`${demo2}---\n${bc('  - name: demo\n    version: 2.0.0\n')}`), []);
    assert.deepEqual(
      validateText(bc('  - name: demo\n')).map((d) => `${d.severity} ${d.code}`),
      ['warning unknown-addon'],
    );
    const bad = validateText(demo2.replace('default: true', 'default: "yes"'));
    assert.deepEqual(
      bad.map((d) => `${d.severity} ${d.path}`),
      ['error spec.default'],
    );
  });
});
