// The multicluster operator where OCM's hub is not installed, on a real API server: the BusinessCluster says so with a
// precise condition (after installing the agent's CRDs in the business cluster), and its deletion is not held up
// by the finalizer. The meta control plane plays the business cluster too (its admin kubeconfig is the cluster's).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { startMulticlusterOperator, type MulticlusterOperator } from '../../../src/operators/multicluster/operator';
import { businessCluster, ensureNamespace, readCluster } from '../cluster/support';

const NS = 'fleet';
const API = 'kokpit.dev/v1alpha1';

describe('multicluster: without the OCM hub', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: MulticlusterOperator | undefined;

  before(async function () {
    this.timeout(120_000);
    cp = await startControlPlane({});
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'x-admin-kubeconfig' }, stringData: { value: kc.exportConfig() } },
    });
    await applyObject(makeObjectApi(kc), businessCluster('x', NS, { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } } }), {
      fieldManager: 'kokpit-test',
    });
    await applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'x', namespace: NS } }, 'businessclusters', {
      kubeconfigSecretName: 'x-admin-kubeconfig',
    });
    op = await startMulticlusterOperator({
      kc,
      manifestsRoot: path.resolve(__dirname, '../../..'),
      pollMs: { waiting: 500, steady: 5000 },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('says the hub is missing and how to install it, after putting the agent CRDs in the business cluster', async function () {
    const c = await waitFor(
      'ManagedCluster condition HubNotInstalled',
      async (st) => {
        const bc = await readCluster(kc, NS, 'x');
        const cond = bc.status?.conditions?.find((x) => x.type === 'ManagedCluster');
        st.lastReason = JSON.stringify(cond);
        return cond?.reason === 'HubNotInstalled' ? cond : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(c.status, 'False');
    assert.match(c.message ?? '', /the OCM hub is not installed in the meta cluster \(kokpit up --with-ocm\)/);
    const crds = (await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition()).items.map((x) => x.metadata!.name!);
    for (const name of ['appliedmanifestworks.work.open-cluster-management.io', 'clusterclaims.cluster.open-cluster-management.io'])
      assert.ok(crds.includes(name), `${name} in the business cluster`);
    const bc = await readCluster(kc, NS, 'x');
    assert.ok(bc.metadata?.finalizers?.includes('kokpit.dev/multicluster'));
  });

  it('a deleted BusinessCluster is not held up by the finalizer', async function () {
    await makeObjectApi(kc).delete({
      apiVersion: API,
      kind: 'BusinessCluster',
      metadata: { name: 'x', namespace: NS },
    } as KubernetesObject);
    await waitFor(
      'BusinessCluster x gone',
      async () =>
        !(await readObject(makeObjectApi(kc), { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'x', namespace: NS } })) ||
        undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});
