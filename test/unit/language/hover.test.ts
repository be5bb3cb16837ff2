// Hover: the field's documentation (description, type, default, allowed values) from the schema.
import assert from 'node:assert/strict';
import { hoverAt } from '../../../src/language';

const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
const hover = (text: string, needle: string, delta = 0) => hoverAt(text, text.indexOf(needle) + delta);

describe('hoverAt', () => {
  const bc =
    `${HEAD}kind: BusinessCluster\nmetadata:\n  name: dev\nspec:\n  version: v1.32.13\n  etcd:\n    managed:\n` +
    `      replicas: 3\n  apiServer:\n    service:\n      type: NodePort\n  addons:\n    - name: coredns\n`;

  it('documents a key with its type, default and allowed values, and covers exactly the key', () => {
    const h = hover(bc, 'replicas', 2)!;
    assert.match(h.markdown, /^\*\*replicas\*\* · `integer`/);
    assert.match(h.markdown, /Allowed values: `1`, `3`, `5`/);
    assert.match(h.markdown, /Default: `1`/); // managed etcd defaults to one member
    assert.equal(bc.slice(h.range.offset, h.range.endOffset), 'replicas');
  });

  it('documents the field of a value under the cursor', () => {
    const h = hover(bc, 'NodePort', 1)!;
    assert.match(h.markdown, /^\*\*type\*\*/);
    assert.match(h.markdown, /`Auto` uses a LoadBalancer/);
    assert.equal(bc.slice(h.range.offset, h.range.endOffset), 'NodePort');
  });

  it('documents list items and required fields', () => {
    assert.match(hover(bc, 'coredns')!.markdown, /Name of an `Addon` definition/);
    assert.match(hover(bc, 'version')!.markdown, /^\*\*version\*\* · `string` · required/);
    assert.match(hover(bc, 'version')!.markdown, /Format: must be a Kubernetes version like v1\.32\.13/);
  });

  it('works in every document of a stream and in kind cluster configs', () => {
    const text = `${bc}---\napiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnetworking:\n  podSubnet: 10.244.0.0/16\n`;
    assert.match(hover(text, 'podSubnet')!.markdown, /Pod address range/);
  });

  it('returns nothing outside kokpit documents and for unknown fields', () => {
    assert.equal(hover('apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n', 'a: b'), undefined);
    assert.equal(hover(`${HEAD}kind: EtcdCluster\nspec:\n  bogus: 1\n`, 'bogus'), undefined);
  });
});
