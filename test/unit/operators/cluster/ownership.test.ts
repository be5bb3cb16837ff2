// Derived names and ownership (issue 19, security): which cluster names collide, and whose object a live one is.
import * as assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, EtcdCluster } from '../../../../src/api';
import { renderBusinessCluster, renderEtcdCluster } from '../../../../src/local/render';
import { collidingEndings, derivedNames, foreignOwner, managedEtcdSecrets, sharedNames } from '../../../../src/operators/cluster/ownership';

const self = { name: 'x', uid: 'uid-x' };
const obj = (meta: KubernetesObject['metadata']): KubernetesObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta });
const ref = (kind: string, name: string, uid: string, controller = true) => ({ apiVersion: 'v1', kind, name, uid, controller });

const bc = (name: string, etcd: Record<string, unknown>) =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name, namespace: 'ns' },
    spec: { version: 'v1.33.13', etcd },
  }) as unknown as BusinessCluster;
const keys = (objects: Array<{ kind: string; metadata: { name: string } }>) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('cluster operator: derived names and ownership', () => {
  it('derivedNames lists exactly what the cluster renders in the meta cluster (shared etcd and managed)', () => {
    assert.deepEqual(
      derivedNames('x', false)
        .map((o) => `${o.kind}/${o.name}`)
        .sort(),
      keys(renderBusinessCluster(bc('x', { clusterRef: { name: 'shared' } })).objects),
    );
    const managed = keys(renderBusinessCluster(bc('x', { managed: { replicas: 1 } })).objects);
    const etcdSecrets = Object.values(managedEtcdSecrets('x')).map((n) => `Secret/${n}`);
    assert.deepEqual(
      derivedNames('x', true)
        .map((o) => `${o.kind}/${o.name}`)
        .sort(),
      [...managed, ...etcdSecrets].sort(),
    );
    // The two etcd Secrets are the ones the etcd operator renders for `x-etcd`.
    const etcd = renderEtcdCluster({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'x-etcd', namespace: 'ns' },
      spec: { replicas: 1, version: '3.5.35' },
    } as unknown as EtcdCluster).objects;
    for (const s of etcdSecrets) assert.ok(keys(etcd).includes(s), `${s} in ${keys(etcd).join(', ')}`);
  });

  it('the name endings that collide are -front-proxy, -etcd and -apiserver, and each names the object both derive', () => {
    assert.deepEqual(collidingEndings(), ['apiserver', 'etcd', 'front-proxy']);
    const shared = (name: string) => ({ name, managedEtcd: false });
    const managed = (name: string) => ({ name, managedEtcd: true });
    assert.deepEqual(sharedNames(shared('x'), shared('x-front-proxy')), ['Secret/x-front-proxy-ca']);
    assert.deepEqual(sharedNames(managed('x'), shared('x-etcd')), ['Secret/x-etcd-ca']);
    assert.deepEqual(sharedNames(shared('x'), managed('x-apiserver')), ['Secret/x-apiserver-etcd-client']);
    // Without a managed etcd on the right side, -etcd and -apiserver are harmless.
    assert.deepEqual(sharedNames(shared('x'), shared('x-etcd')), []);
    assert.deepEqual(sharedNames(shared('x'), shared('x-apiserver')), []);
    // No other ending collides (every suffix of a cluster's names, tried as a cluster name ending).
    for (const end of ['ca', 'sa', 'admin', 'super', 'controller', 'scheduler', 'front', 'proxy', 'apiserver-etcd', 'etcd-0'])
      assert.deepEqual(sharedNames(managed('x'), managed(`x-${end}`)), [], end);
  });

  it('foreignOwner: its own by controller uid or (owner reference removed) by its label; anything else is named', () => {
    assert.equal(foreignOwner(obj({ name: 's', ownerReferences: [ref('BusinessCluster', 'x', 'uid-x')] }), self), undefined);
    assert.equal(foreignOwner(obj({ name: 's', labels: { 'kokpit.dev/cluster': 'x' } }), self), undefined);
    assert.equal(
      foreignOwner(obj({ name: 's', ownerReferences: [ref('BusinessCluster', 'x-front-proxy', 'uid-y')] }), self),
      'BusinessCluster x-front-proxy (uid uid-y)',
    );
    // A recreated cluster of the same name: the old one's objects are not its own (garbage collection removes them).
    assert.equal(
      foreignOwner(
        obj({ name: 's', ownerReferences: [ref('BusinessCluster', 'x', 'uid-old')], labels: { 'kokpit.dev/cluster': 'x' } }),
        self,
      ),
      'BusinessCluster x (uid uid-old)',
    );
    assert.equal(
      foreignOwner(obj({ name: 's', ownerReferences: [ref('EtcdCluster', 'x-etcd', 'uid-e')] }), self),
      'EtcdCluster x-etcd (uid uid-e)',
    );
    assert.equal(
      foreignOwner(obj({ name: 's', labels: { 'kokpit.dev/cluster': 'x-front-proxy' } }), self),
      'BusinessCluster x-front-proxy',
    );
    assert.match(foreignOwner(obj({ name: 's' }), self)!, /^no BusinessCluster/);
    // A non-controller reference to this cluster does not make a foreign controller's object its own.
    assert.equal(
      foreignOwner(
        obj({ name: 's', ownerReferences: [ref('BusinessCluster', 'x', 'uid-x', false), ref('BusinessCluster', 'y', 'uid-y')] }),
        self,
      ),
      'BusinessCluster y (uid uid-y)',
    );
  });
});
