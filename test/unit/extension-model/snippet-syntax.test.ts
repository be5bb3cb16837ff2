import assert from 'node:assert/strict';
import { expandSnippet, SnippetSyntaxError } from '../../../src/extension/model/snippet';

describe('extension model: snippet expansion', () => {
  it('keeps plain text and drops bare tabstops', () => {
    assert.equal(expandSnippet(['a: 1', '$0']), 'a: 1\n');
  });

  it('uses placeholder defaults, nested ones included', () => {
    assert.equal(expandSnippet('name: ${1:etcd-${2:main}}'), 'name: etcd-main');
  });

  it('takes the first choice', () => {
    assert.equal(expandSnippet('replicas: ${3|3,1,5|}'), 'replicas: 3');
  });

  it('fills mirrors from the placeholder wherever it is defined', () => {
    assert.equal(expandSnippet('image: x:$1\nversion: ${1:v1.2.3} ${1}'), 'image: x:v1.2.3\nversion: v1.2.3 v1.2.3');
  });

  it('honours escapes', () => {
    assert.equal(expandSnippet('cost: \\$5 \\} \\\\'), 'cost: $5 } \\');
  });

  it('leaves template braces alone', () => {
    assert.equal(expandSnippet('v: "{{ .params.${1:x} }}"'), 'v: "{{ .params.x }}"');
  });

  it('rejects variables and broken syntax', () => {
    assert.throws(() => expandSnippet('name: $TM_FILENAME'), SnippetSyntaxError);
    assert.throws(() => expandSnippet('name: ${1:open'), SnippetSyntaxError);
    assert.throws(() => expandSnippet('name: ${1|a,b}'), SnippetSyntaxError);
  });
});
