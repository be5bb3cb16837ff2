// The manager's /metrics, /healthz and /readyz on a real API server: controller-runtime's metric names with
// values that follow what the operators did, the leader gauge, and the fleet gauges from the shared caches.
import * as assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { makeObjectApi } from '../../../src/kube';
import { Manager } from '../../../src/manager/manager';
import { kokpitOperators } from '../../../src/manager/operators';
import { DEFAULT_CLUSTER_WORKERS } from '../../../src/operators/cluster/operator';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { AuditWrites } from '../../support/audit-writes';

/** Samples of one metric as `{labels} → value` (labels rendered as k=v,… sorted). */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)]
      .map((l) => `${l[1]}=${l[2]}`)
      .sort()
      .join(',');
    out.set(labels, Number(m[3]));
  }
  return out;
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};

describe('manager: /metrics, /healthz and /readyz', function () {
  let cp: ControlPlane;
  let manager: Manager | undefined;
  before(async () => {
    cp = await startControlPlane({ audit: true });
    await installCRDs(cp.kubeConfig());
  });
  after(async () => {
    await manager?.stop();
    await cp?.stop();
  });

  it('serves controller-runtime metrics that count the reconciles, the leader gauge and the fleet gauges', async () => {
    const kc = cp.kubeConfig();
    await makeObjectApi(kc).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kokpit-system' } } as KubernetesObject);
    const audit = new AuditWrites(cp);
    const start = await audit.mark();
    manager = new Manager({
      kc,
      operators: kokpitOperators(),
      leaderElection: { namespace: 'kokpit-system', leaseDurationSec: 15 },
      metricsAddress: '127.0.0.1:0',
      probeAddress: '127.0.0.1:0',
    });
    await manager.start();
    assert.ok(manager.metricsURL && manager.probeURL);
    assert.deepEqual(await get(`${manager.probeURL}/healthz`), { status: 200, body: 'ok\n' });
    assert.deepEqual(await get(`${manager.probeURL}/readyz`), { status: 200, body: 'ok\n' });
    assert.equal((await get(`${manager.probeURL}/metrics`)).status, 404, 'metrics are on the metrics address only (another port here)');

    // Two clusters the catalog does not know (nothing is installed): each is reconciled and reported.
    for (const name of ['m1', 'm2']) {
      await makeObjectApi(kc).create({
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'BusinessCluster',
        metadata: { name, namespace: 'default' },
        spec: { version: 'v1.20.0', etcd: { clusterRef: { name: 'none' } } },
      } as KubernetesObject);
    }
    const text = await waitFor(
      'both clusters reconciled and their status in the cache',
      async () => {
        const t = (await get(`${manager!.metricsURL}/metrics`)).body;
        const reconciles = samples(t, 'controller_runtime_reconcile_total');
        const total = [...reconciles].filter(([k]) => k.includes('controller=businesscluster')).reduce((n, [, v]) => n + v, 0);
        const phases = samples(t, 'kokpit_business_clusters');
        return total >= 2 && [...phases.values()].reduce((a, b) => a + b, 0) === 2 ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const adds = samples(text, 'workqueue_adds_total').get('controller=businesscluster,name=businesscluster') ?? 0;
    assert.ok(adds >= 2, `workqueue_adds_total for businesscluster: ${adds}`);
    assert.ok((samples(text, 'controller_runtime_reconcile_time_seconds_count').get('controller=businesscluster') ?? 0) >= 2);
    assert.equal(samples(text, 'controller_runtime_max_concurrent_reconciles').get('controller=businesscluster'), DEFAULT_CLUSTER_WORKERS);
    assert.equal(samples(text, 'leader_election_master_status').get('name=kokpit-manager'), 1);
    for (const name of [
      'workqueue_depth',
      'workqueue_queue_duration_seconds_count',
      'workqueue_work_duration_seconds_count',
      'workqueue_retries_total',
      'controller_runtime_reconcile_errors_total',
    ]) {
      assert.ok(text.includes(`${name}{`), `${name} is exported`);
    }
    // Each cluster once, by phase and version, read from the shared cache (status the operator wrote).
    const fleet = samples(text, 'kokpit_business_clusters');
    assert.equal(
      [...fleet].filter(([k]) => k.includes('version=v1.20.0')).reduce((n, [, v]) => n + v, 0),
      2,
      JSON.stringify([...fleet]),
    );

    await manager.stop();
    await assert.rejects(fetch(`${manager.metricsURL}/metrics`), 'the endpoints close with the manager');
    // kokpit_api_writes_total agrees with the API server's own count of the manager's writes (its audit log):
    // the status writes, the events and the lease — none missed, none invented.
    const counted = samples(await manager.metrics.text(), 'kokpit_api_writes_total');
    const byServer = new Map<string, number>();
    for (const e of await audit.since(start, { userAgent: /^kokpit-/ })) {
      const kind =
        { businessclusters: 'BusinessCluster', leases: 'Lease', events: 'Event' }[e.objectRef!.resource!] ?? e.objectRef!.resource!;
      const key = `kind=${kind},subresource=${e.objectRef?.subresource ?? ''},verb=${e.verb}`;
      byServer.set(key, (byServer.get(key) ?? 0) + 1);
    }
    assert.ok((byServer.get('kind=BusinessCluster,subresource=status,verb=patch') ?? 0) >= 2, JSON.stringify([...byServer]));
    assert.deepEqual(new Map([...counted].filter(([, v]) => v > 0)), byServer);
    manager = undefined;
  });
});
