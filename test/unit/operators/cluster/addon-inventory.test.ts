// The addon inventory's pure parts: encoding is stable (a steady pass must compare equal and write
// nothing), and the prune list is exactly "recorded before, rendered by no addon now".
import * as assert from 'node:assert/strict';
import {
  decodeInventory,
  encodeInventory,
  entryKey,
  entryOf,
  pruneList,
  sameInventory,
  unionInventory,
  type Inventory,
} from '../../../../src/operators/cluster/addon-inventory';

const e = (kind: string, name: string, namespace?: string, apiVersion = 'v1') => ({
  apiVersion,
  kind,
  name,
  ...(namespace ? { namespace } : {}),
});
const dns = [
  e('ServiceAccount', 'coredns', 'kube-system'),
  e('Deployment', 'coredns', 'kube-system', 'apps/v1'),
  e('ClusterRole', 'system:coredns', undefined, 'rbac.authorization.k8s.io/v1'),
];
const proxy = [e('DaemonSet', 'kube-proxy', 'kube-system', 'apps/v1'), e('ConfigMap', 'kube-proxy', 'kube-system')];

describe('addon inventory', () => {
  it('encodes one sorted JSON list per addon, independent of render order, and decodes it back', () => {
    const a = encodeInventory({ coredns: dns, 'kube-proxy': proxy });
    const b = encodeInventory({ 'kube-proxy': [...proxy].reverse(), coredns: [...dns].reverse() });
    assert.deepEqual(a, b);
    assert.deepEqual(Object.keys(a), ['coredns', 'kube-proxy']);
    assert.deepEqual(
      JSON.parse(a['kube-proxy']).map((x: { kind: string }) => x.kind),
      ['ConfigMap', 'DaemonSet'],
    );
    assert.ok(sameInventory(decodeInventory(a), { coredns: dns, 'kube-proxy': proxy }));
  });

  it('drops empty addons, duplicates and broken keys', () => {
    const inv = decodeInventory({ coredns: JSON.stringify([...dns, dns[0]]), empty: '[]', broken: '{not json', notalist: '{"a":1}' });
    assert.deepEqual(Object.keys(inv), ['coredns']);
    assert.equal(inv.coredns.length, 3);
  });

  it('entryOf omits an empty namespace; the key ignores the API version within a group', () => {
    assert.deepEqual(entryOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }), {
      apiVersion: 'v1',
      kind: 'Namespace',
      name: 'x',
    });
    assert.equal(entryKey(e('Deployment', 'a', 'ns', 'apps/v1')), entryKey(e('Deployment', 'a', 'ns', 'apps/v1beta2')));
    assert.notEqual(entryKey(e('Deployment', 'a', 'ns', 'apps/v1')), entryKey(e('Deployment', 'a', 'other', 'apps/v1')));
  });

  it('steady state: nothing to prune, the union equals what is stored', () => {
    const old: Inventory = { coredns: dns, 'kube-proxy': proxy };
    assert.deepEqual(pruneList(old, { coredns: [...dns].reverse(), 'kube-proxy': proxy }), []);
    assert.ok(sameInventory(unionInventory(old, old), old));
  });

  it('an addon removed from spec: all of its objects, namespaced before cluster-scoped, Namespaces last', () => {
    const withNs = [...dns, e('Namespace', 'dns-extra')];
    const list = pruneList({ coredns: withNs, 'kube-proxy': proxy }, { 'kube-proxy': proxy });
    assert.deepEqual(
      list.map((x) => `${x.addon}:${x.entry.kind}/${x.entry.name}`),
      ['coredns:ServiceAccount/coredns', 'coredns:Deployment/coredns', 'coredns:ClusterRole/system:coredns', 'coredns:Namespace/dns-extra'],
    );
  });

  it("an object that left an addon's rendering is pruned; one another addon still renders is kept", () => {
    const shared = e('ClusterRole', 'shared', undefined, 'rbac.authorization.k8s.io/v1');
    const old: Inventory = { coredns: [...dns, shared], 'kube-proxy': proxy };
    const next: Inventory = { coredns: dns.slice(0, 2), 'kube-proxy': [...proxy, shared] };
    assert.deepEqual(
      pruneList(old, next).map((x) => x.entry.name),
      ['system:coredns'],
    );
  });

  it('union records both the old and the new objects of an addon (written before applying)', () => {
    const u = unionInventory({ coredns: dns.slice(0, 1) }, { coredns: dns.slice(1), 'kube-proxy': proxy });
    assert.equal(u.coredns.length, 3);
    assert.equal(u['kube-proxy'].length, 2);
    // What the union adds is never pruned against the rendering that produced it.
    assert.deepEqual(
      pruneList(u, { coredns: dns.slice(1), 'kube-proxy': proxy }).map((x) => x.entry.name),
      ['coredns'],
    );
  });
});
