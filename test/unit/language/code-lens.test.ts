// Where the manifest actions stand: one entry per kokpit document, on the line its content starts.
import assert from 'node:assert/strict';
import { documentLenses, lensAt } from '../../../src/language/code-lens';
import { LineIndex } from '../../../src/validation';

const TEXT = [
  '# a fleet',
  'apiVersion: kokpit.dev/v1alpha1',
  'kind: EtcdCluster',
  'metadata:',
  '  name: etcd-a',
  '  namespace: fleet',
  'spec:',
  '  replicas: 3',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: not-ours',
  '---',
  '',
  'kind: BusinessCluster',
  'apiVersion: kokpit.dev/v1alpha1',
  'metadata: {name: prod}',
  'spec: {version: v1.32.13}',
  '---',
  'apiVersion: kokpit.dev/v1alpha1',
  'kind: Machine',
  '---',
  'apiVersion: kokpit.dev/v1alpha1',
  'kind: NotAKind',
  '',
].join('\n');

describe('CodeLens positions', () => {
  it('one entry per kokpit document of a multi-document file, on its first content line, with its name', () => {
    const lines = new LineIndex(TEXT);
    const found = documentLenses(TEXT).map((l) => ({ ...l, line: lines.position(l.offset).line }));
    assert.deepEqual(found, [
      {
        document: 0,
        offset: TEXT.indexOf('apiVersion'),
        line: 2,
        kind: 'EtcdCluster',
        name: 'etcd-a',
        namespace: 'fleet',
        renderable: true,
      },
      { document: 2, offset: TEXT.indexOf('kind: Business'), line: 16, kind: 'BusinessCluster', name: 'prod', renderable: true },
      { document: 3, offset: TEXT.indexOf('apiVersion: kokpit.dev/v1alpha1\nkind: Machine'), line: 21, kind: 'Machine', renderable: false },
    ]);
  });

  it('the document under the cursor', () => {
    const lenses = documentLenses(TEXT);
    assert.equal(lensAt(lenses, 0)?.document, 0);
    assert.equal(lensAt(lenses, TEXT.indexOf('{name: prod}'))?.document, 2);
    assert.equal(lensAt(lenses, TEXT.length)?.document, 3);
  });

  it('nothing in YAML that is not kokpit’s', () => {
    assert.deepEqual(documentLenses('apiVersion: v1\nkind: ConfigMap\n'), []);
    assert.deepEqual(documentLenses('- [unclosed'), []);
  });
});
