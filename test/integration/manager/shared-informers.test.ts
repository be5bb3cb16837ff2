// One watch per resource type per process, counted by the API server itself (its /metrics), not by the code
// under test: the manager runs the three operators on shared informers, so the BusinessClusters and
// EtcdClusters two operators watch cost one WATCH each. The same count of the operators started one by one
// (each with informers of its own, as they ran before the manager shared them) shows two: the check can fail.
import * as assert from 'node:assert/strict';
import * as https from 'node:https';
import type { KubernetesObject } from '@kubernetes/client-node';
import { makeObjectApi } from '../../../src/kube';
import { Manager } from '../../../src/manager/manager';
import { kokpitOperators } from '../../../src/manager/operators';
import { startClusterOperator } from '../../../src/operators/cluster/operator';
import { startEtcdOperator } from '../../../src/operators/etcd/operator';
import { startMachineOperator } from '../../../src/operators/machine/operator';
import { startRolloutOperator } from '../../../src/operators/rollout/operator';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';

/** Every type the operators watch in the meta cluster, as `group/resource`. */
const WATCHED = [
  '/pods',
  '/secrets',
  '/services',
  'apps/deployments',
  'kokpit.dev/businessclusters',
  'kokpit.dev/components',
  'kokpit.dev/etcdbackups',
  'kokpit.dev/etcdclusters',
  'kokpit.dev/fleetrollouts',
  'kokpit.dev/kubernetesversions',
  'kokpit.dev/machines',
  'kokpit.dev/machinesets',
];

type Counts = Record<string, number>;

/** The apiserver's /metrics, whole (a few MB). */
function metrics(cp: ControlPlane): Promise<string> {
  return new Promise((resolve, reject) => {
    const { caPem: ca, certPem: cert, keyPem: key } = cp.adminTLS;
    https
      .get(`${cp.server}/metrics`, { ca, cert, key, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics: HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** A metric's WATCH samples summed by `group/resource` (all scopes, versions, codes). */
function watchSamples(text: string, metric: string): Counts {
  const out: Counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) || !line.includes('verb="WATCH"')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const id = `${labels.group}/${labels.resource}`;
    out[id] = (out[id] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

const minus = (a: Counts, b: Counts): Counts => Object.fromEntries(WATCHED.map((r) => [r, (a[r] ?? 0) - (b[r] ?? 0)]));

/**
 * WATCH requests per type that `run` made, as the API server counts them: its open watches
 * (`apiserver_longrunning_requests`) must show every type while running; once `run`'s stop has closed them
 * all, the request counter (`apiserver_request_total`, recorded when a watch ends) has the exact number.
 */
async function watchesOf(cp: ControlPlane, run: () => Promise<() => Promise<void>>): Promise<Counts> {
  const before = await metrics(cp);
  const [open0, total0] = [watchSamples(before, 'apiserver_longrunning_requests'), watchSamples(before, 'apiserver_request_total')];
  const stop = await run();
  try {
    await waitFor(
      'every watch open on the server',
      async () => {
        const open = minus(watchSamples(await metrics(cp), 'apiserver_longrunning_requests'), open0);
        return WATCHED.every((r) => open[r] >= 1) || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } finally {
    await stop();
  }
  return waitFor(
    'every watch closed on the server',
    async () => {
      const now = await metrics(cp);
      const open = minus(watchSamples(now, 'apiserver_longrunning_requests'), open0);
      return WATCHED.every((r) => open[r] === 0) ? minus(watchSamples(now, 'apiserver_request_total'), total0) : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

describe('manager: one watch per resource type, counted by the API server', function () {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
    await installCRDs(cp.kubeConfig());
  });
  after(async () => {
    await cp?.stop();
  });

  it('the three operators on one manager open exactly one WATCH per type, and reconcile through it', async function () {
    const kc = cp.kubeConfig();
    const watches = await watchesOf(cp, async () => {
      const manager = new Manager({ kc, operators: kokpitOperators() });
      await manager.start();
      assert.deepEqual(
        manager.operators.informers.specs.map((s) => `${s.apiVersion.includes('/') ? s.apiVersion.split('/')[0] : ''}/${s.plural}`).sort(),
        WATCHED,
      );
      // The cluster operator reconciles through the BusinessCluster informer it shares with the machine operator.
      await makeObjectApi(kc).create({
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'BusinessCluster',
        metadata: { name: 'shared', namespace: 'default' },
        spec: { version: 'v1.20.0', etcd: { clusterRef: { name: 'none' } } },
      } as KubernetesObject);
      await waitFor(
        'the cluster operator reports the unknown version',
        async () => {
          const bc = (await makeObjectApi(kc).read({
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'BusinessCluster',
            metadata: { name: 'shared', namespace: 'default' },
          })) as {
            status?: { conditions?: Array<{ type: string; reason: string }> };
          };
          return bc.status?.conditions?.find((c) => c.type === 'CatalogValid')?.reason === 'VersionNotInCatalog' || undefined;
        },
        { timeoutMs: 30_000 },
      );
      return () => manager.stop();
    });
    assert.deepEqual(watches, Object.fromEntries(WATCHED.map((r) => [r, 1])));
  });

  it('the same count sees two WATCHes of a type when two operators bring informers of their own', async function () {
    const kc = cp.kubeConfig();
    const watches = await watchesOf(cp, async () => {
      const alone = [
        await startEtcdOperator({ kc }),
        await startClusterOperator({ kc }),
        await startMachineOperator({ kc }),
        await startRolloutOperator({ kc }),
      ];
      return async () => void (await Promise.all(alone.map((o) => o.stop())));
    });
    // cluster, machine and rollout operators each watch BusinessClusters.
    assert.equal(watches['kokpit.dev/businessclusters'], 3, JSON.stringify(watches));
    assert.equal(watches['kokpit.dev/etcdclusters'], 2, JSON.stringify(watches));
  });
});
