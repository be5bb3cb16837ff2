// Two BusinessClusters of one namespace whose derived names collide (issue 19, security): `x` and `x-front-proxy`
// both derive the Secret `x-front-proxy-ca` (x's front-proxy CA, x-front-proxy's cluster CA); `x` with a managed
// etcd and `x-etcd` both derive `x-etcd-ca`. On a real API server, in both orders: the cluster that came first keeps
// every object unchanged (resourceVersion, data, owner), the second stops with NameConflict naming the object and
// its owner, and deleting a cluster never deletes a same-named object that is not its own. No pods run (as in
// reconcile.test.ts): passes stop at APIServerAvailable, after every Secret has been written.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { ClusterReconciler } from '../../../src/operators/cluster/reconciler';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  readCluster,
  startPlainEtcd,
  type PlainEtcd,
} from './support';

const NS = 'bc-names';
const KINDS = [
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['kokpit.dev/v1alpha1', 'EtcdCluster'],
] as const;

type Snapshot = Map<string, { resourceVersion: string; owners: string; data: string }>;

describe('BusinessClusters whose derived names collide (real API server)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;

  before(async function () {
    [cp, etcd] = await Promise.all([startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) }), startPlainEtcd()]);
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
  });
  after(async () => {
    await Promise.all([cp?.stop(), etcd?.stop()]);
  });

  const objects = () => makeObjectApi(kc);
  const create = (name: string, etcdSpec: Record<string, unknown> = { clusterRef: { name: 'shared' } }) =>
    applyObject(
      objects(),
      businessCluster(name, NS, { version: 'v1.33.13', etcd: etcdSpec, apiServer: { service: { type: 'NodePort' } } }),
      {
        fieldManager: 'kokpit-test',
      },
    );
  const reconcile = (name: string) => new ClusterReconciler({ kc, waitRequeueMs: 1000 }).reconcile(`${NS}/${name}`);
  const condition = async (name: string, type: string) =>
    (await readCluster(kc, NS, name)).status?.conditions?.find((c) => c.type === type);

  /** Every Secret, Service, Deployment and EtcdCluster of the namespace: resourceVersion, owners and content. */
  async function snapshot(): Promise<Snapshot> {
    const out: Snapshot = new Map();
    for (const [apiVersion, kind] of KINDS)
      for (const o of await listObjects<KubernetesObject & { data?: unknown; spec?: unknown }>(objects(), apiVersion, kind, {
        namespace: NS,
      }))
        out.set(`${kind}/${o.metadata!.name}`, {
          resourceVersion: o.metadata!.resourceVersion!,
          owners: JSON.stringify(o.metadata!.ownerReferences ?? []),
          data: JSON.stringify(o.data ?? o.spec ?? {}),
        });
    return out;
  }
  /** Nothing that existed in `before` changed; returns what is new. */
  function assertUnchanged(before: Snapshot, after: Snapshot): string[] {
    for (const [k, v] of before) assert.deepEqual(after.get(k), v, `${k} unchanged`);
    return [...after.keys()].filter((k) => !before.has(k)).sort();
  }
  const ownedBy = (name: string) => new RegExp(`belongs to BusinessCluster ${name} \\(uid [0-9a-f-]{36}\\)`);

  it('x first, then x-front-proxy: x keeps Secret x-front-proxy-ca as it was; x-front-proxy stops with NameConflict', async () => {
    await create('fp');
    await reconcile('fp');
    assert.equal((await condition('fp', 'CertificatesReady'))?.status, 'True');
    const before = await snapshot();
    assert.ok(before.has('Secret/fp-front-proxy-ca'));

    await create('fp-front-proxy');
    const res = await reconcile('fp-front-proxy');
    await reconcile('fp-front-proxy'); // and again: a second pass changes nothing either
    await reconcile('fp'); // the first cluster's own pass still finds everything its own
    const added = assertUnchanged(before, await snapshot());
    assert.deepEqual(added, ['Service/fp-front-proxy-apiserver'], 'the second cluster made only its Service before the conflict');

    const c = await condition('fp-front-proxy', 'CertificatesReady');
    assert.equal(c?.status, 'False');
    assert.equal(c?.reason, 'NameConflict');
    assert.match(c!.message!, /^Secret fp-front-proxy-ca belongs to BusinessCluster fp \(uid /);
    assert.match(c!.message!, ownedBy('fp'));
    assert.equal((await condition('fp-front-proxy', 'Ready'))?.reason, 'NameConflict');
    assert.deepEqual(res, { requeueAfterMs: 12_000 }, 'looks again later, without backoff errors');
    assert.equal((await condition('fp', 'CertificatesReady'))?.status, 'True', 'the first cluster is not disturbed');
  });

  it('x-front-proxy first, then x: x-front-proxy keeps its CA; x stops with NameConflict at the same Secret', async () => {
    await create('fq-front-proxy');
    await reconcile('fq-front-proxy');
    const before = await snapshot();
    assert.ok(before.has('Secret/fq-front-proxy-ca'));

    await create('fq');
    await reconcile('fq');
    await reconcile('fq-front-proxy');
    const added = assertUnchanged(before, await snapshot());
    // Its own Service and CA (written before the front-proxy CA), nothing after the conflict.
    assert.deepEqual(added, ['Secret/fq-ca', 'Service/fq-apiserver']);
    const c = await condition('fq', 'CertificatesReady');
    assert.equal(c?.reason, 'NameConflict');
    assert.match(c!.message!, /^Secret fq-front-proxy-ca belongs to BusinessCluster fq-front-proxy \(uid /);
  });

  it('x with a managed etcd after x-etcd: refused before its EtcdCluster is made (x-etcd-ca is x-etcd’s CA)', async () => {
    await create('me-etcd');
    await reconcile('me-etcd');
    const before = await snapshot();
    await create('me', { managed: { replicas: 1 } });
    await reconcile('me');
    assert.deepEqual(assertUnchanged(before, await snapshot()), [], 'no EtcdCluster me-etcd, nothing else');
    const c = await condition('me', 'EtcdReady');
    assert.equal(c?.reason, 'NameConflict');
    assert.match(c!.message!, /^Secret me-etcd-ca belongs to BusinessCluster me-etcd \(uid /);
  });

  it('x-etcd after x with a managed etcd: the EtcdCluster’s CA Secret is not taken over', async () => {
    await create('mf', { managed: { replicas: 1 } });
    await reconcile('mf');
    // What the etcd operator would make for EtcdCluster mf-etcd (it does not run here): its CA, controlled by it.
    const etcdCluster = await readObject<KubernetesObject>(objects(), {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'mf-etcd', namespace: NS },
    });
    await applyObject(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'mf-etcd-ca',
        namespace: NS,
        labels: { 'kokpit.dev/etcd-cluster': 'mf-etcd' },
        ownerReferences: [
          { apiVersion: 'kokpit.dev/v1alpha1', kind: 'EtcdCluster', name: 'mf-etcd', uid: etcdCluster!.metadata!.uid!, controller: true },
        ],
      },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': Buffer.from(etcd.ca.certPem).toString('base64'), 'tls.key': Buffer.from(etcd.ca.keyPem).toString('base64') },
    } as KubernetesObject);
    const before = await snapshot();
    await create('mf-etcd');
    await reconcile('mf-etcd');
    assert.deepEqual(assertUnchanged(before, await snapshot()), ['Service/mf-etcd-apiserver']);
    const c = await condition('mf-etcd', 'CertificatesReady');
    assert.equal(c?.reason, 'NameConflict');
    assert.match(c!.message!, /^Secret mf-etcd-ca belongs to EtcdCluster mf-etcd \(uid /);
  });

  it('a Deployment of the same name that is not the cluster’s: neither updated nor deleted with the cluster', async () => {
    const theirs = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'dx-apiserver', namespace: NS, labels: { app: 'theirs' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'theirs' } },
        template: { metadata: { labels: { app: 'theirs' } }, spec: { containers: [{ name: 'c', image: 'theirs:1' }] } },
      },
    };
    await applyObject(objects(), theirs as KubernetesObject, { fieldManager: 'someone-else' });
    const before = await snapshot();
    await create('dx');
    await reconcile('dx');
    const c = await condition('dx', 'APIServerAvailable');
    assert.equal(c?.reason, 'NameConflict');
    assert.match(c!.message!, /^Deployment dx-apiserver belongs to no BusinessCluster/);
    assert.ok(!assertUnchanged(before, await snapshot()).includes('Deployment/dx-apiserver'));

    // Deleting the cluster (its finalizer stops its control-plane Deployments first): theirs stays.
    await objects().delete({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', metadata: { name: 'dx', namespace: NS } });
    await reconcile('dx');
    assert.equal(
      (await snapshot()).get('Deployment/dx-apiserver')?.resourceVersion,
      before.get('Deployment/dx-apiserver')!.resourceVersion,
    );
    const left = await readObject<KubernetesObject>(objects(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'dx-apiserver', namespace: NS },
    });
    assert.ok(left && !left.metadata!.deletionTimestamp, 'their Deployment is not deleted');
  });
});
