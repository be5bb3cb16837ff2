// The dashboard's API request rate against a real kube-apiserver: one control plane plays both the meta cluster
// (it holds the Secret the BusinessCluster's status names) and the business cluster (its /metrics is read with
// that kubeconfig). The rate between two reads covers at least the requests the test made in between; a
// credential without `get /metrics` reads as HTTP 403 and an apiserver that is gone as a refused connection,
// each on the row, never thrown.
import assert from 'node:assert/strict';
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../../src/api';
import { ApiRateSampler, metricsReader } from '../../../src/fleet/api-rate';
import { DashboardModel } from '../../../src/fleet/dashboard';
import { businessCluster } from '../../support/objects';
import { suiteApiServer } from './support';

const NS = 'default';

describe('editor: the dashboard reads business apiservers’ request rates (real kube-apiserver)', function () {
  this.timeout(180_000);
  const api = suiteApiServer();

  /** A BusinessCluster whose status names a Secret holding `kubeconfig`. */
  async function clusterWith(name: string, kubeconfig: string): Promise<BusinessCluster> {
    await api.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: `${name}-admin-kubeconfig` }, data: { value: Buffer.from(kubeconfig).toString('base64') } },
    });
    const bc = businessCluster(name, NS) as BusinessCluster;
    bc.metadata.uid = `uid-${name}`;
    bc.status = { ...bc.status, kubeconfigSecretName: `${name}-admin-kubeconfig` } as BusinessCluster['status'];
    return bc;
  }

  /** A kubeconfig of a ServiceAccount with no role at all (a TokenRequest token). */
  async function unprivilegedKubeconfig(): Promise<string> {
    await api.core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'nobody' } } });
    const tr = await api.core.createNamespacedServiceAccountToken({
      namespace: NS,
      name: 'nobody',
      body: { spec: { expirationSeconds: 3600 } },
    });
    const k = new KubeConfig();
    k.loadFromOptions({
      clusters: [{ name: 'c', server: api.cp.server, caData: Buffer.from(api.cp.adminTLS.caPem).toString('base64') }],
      users: [{ name: 'nobody', token: tr.status!.token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'nobody' }],
      currentContext: 'c',
    });
    return k.exportConfig();
  }

  it('two reads give the rate, at least the requests made between them; 403 and a refused connection show on the row', async () => {
    const live = await clusterWith('live', api.cp.kubeconfigYaml);
    const forbidden = await clusterWith('forbidden', await unprivilegedKubeconfig());
    const gone = await clusterWith('gone', api.cp.kubeconfigYaml.replace(api.cp.server, 'https://127.0.0.1:1'));
    let t = Date.now();
    const model = new DashboardModel(() => t);
    for (const bc of [live, forbidden, gone]) model.upsert(bc);
    const reader = metricsReader(api.kc);

    const first = await reader.read(live);
    const rbac = api.kc.makeApiClient(RbacAuthorizationV1Api);
    const made = 25;
    for (let i = 0; i < made; i++) await rbac.listClusterRole({ limit: 1 });
    const second = await reader.read(live);
    console.log(`  apiserver_request_total ${first} → ${second} around ${made} requests of the test`);
    assert.ok(second - first >= made, `counter grew by ${second - first}, the test alone made ${made} requests`);

    const sampler = new ApiRateSampler({
      clusters: () => [live, forbidden, gone].map((bc) => ({ id: `${NS}/${bc.metadata.name}`, bc })),
      read: (bc) => reader.read(bc),
      onSample: (id, at, total) => model.recordApiRequests(id, at, total),
      now: () => t,
    });
    // The rate comes from the requests made between the rounds: the test makes them itself, since the suite's
    // apiserver may be idle then (a CI run saw 0 when it relied on background traffic).
    t += 30_000;
    await sampler.round();
    for (let i = 0; i < made; i++) await rbac.listClusterRole({ limit: 1 });
    t += 30_000;
    await sampler.round();
    const rows = Object.fromEntries(model.rows().map((r) => [r.name, r]));
    console.log(`  live: ${rows.live.apiRate?.toFixed(3)} req/s; forbidden: ${rows.forbidden.apiError}; gone: ${rows.gone.apiError}`);
    assert.ok((rows.live.apiRate ?? 0) >= made / 30, `live rate ${rows.live.apiRate}, the test made ${made} requests in 30 s`);
    assert.notEqual(rows.live.apiSpark, '');
    assert.equal(rows.live.apiError, undefined);
    assert.equal(rows.forbidden.apiError, 'GET /metrics: HTTP 403');
    assert.equal(rows.forbidden.apiRate, undefined);
    assert.match(rows.gone.apiError ?? '', /^GET \/metrics: .*ECONNREFUSED/);
  });
});
