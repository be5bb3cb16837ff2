// The rollout operator's own writes coming back through its watches wake no pass (issue 17's benchmark: each such pass
// rewrote the status in the middle of a wave handover). On a real API server, the rollout operator alone, the test
// writing the clusters' status as the cluster operator would:
// - wave one starts a: its row Upgrading, then its spec.version; the watch brings back both writes, and nothing else
//   happens to a, so no pass runs and the row keeps its start message (the rollout's resourceVersion stays);
// - the cluster operator's status (a Ready at the target) is not the rollout's write: it wakes the rollout, which
//   finishes a and starts b; b's status finishes the rollout.
import * as assert from 'node:assert/strict';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../../../src/controlplane';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { API, FROM, TO, rolloutAccessors, startRolloutControlPlane } from './support';

const NS = 'own-writes';
/** Long enough for the watch to bring back both writes many times over (they take milliseconds). */
const QUIET_MS = 3000;

describe('FleetRollout: its own writes coming back through the watch wake no pass (real API server)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  const { apply, readRollout, readBC, clusterStatus, rolloutWhere, readyClusterAtFrom } = rolloutAccessors(() => kc, NS);

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    for (const name of ['a', 'b']) {
      await readyClusterAtFrom(name, { env: 'own-writes' });
    }
    op = await startRolloutOperator({ kc });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('its status and spec writes wake nothing; the cluster operator status does', async function () {
    this.timeout(120_000);
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: 'own' },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'own-writes' } }, namespaces: [NS] },
        waves: [
          { name: 'one', clusters: 1, maxConcurrency: 1, soak: '0s' },
          { name: 'rest', clusters: '100%', maxConcurrency: 1, soak: '0s' },
        ],
      },
    });
    const started = await rolloutWhere('own', 'a upgrading', (r) => r.status?.clusters?.[0].state === 'Upgrading');
    assert.equal(started.status!.clusters![0].message, `spec.version ${FROM} → ${TO}`);
    // The row is written before the spec: wait for the spec write, then give the watch time to bring both back.
    const deadline = Date.now() + 30_000;
    while ((await readBC('a')).spec.version !== TO) {
      assert.ok(Date.now() < deadline, 'a asked to move within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const passes = op!.controller.stats.reconciles;
    const rv = (await readRollout('own'))!.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const quiet = (await readRollout('own'))!;
    assert.equal(op!.controller.stats.reconciles - passes, 0, `no pass in ${QUIET_MS} ms after a's spec write`);
    assert.equal(quiet.metadata.resourceVersion, rv, 'no status write');
    assert.equal(quiet.status!.clusters![0].message, `spec.version ${FROM} → ${TO}`, 'the row keeps its start message');

    // The cluster operator's word is not the rollout's own: it wakes the rollout, which hands over to wave two.
    await clusterStatus('a', TO, 2);
    await rolloutWhere('own', 'a done, b upgrading', (r) => r.status?.clusters?.map((x) => x.state).join(' ') === 'Succeeded Upgrading');
    assert.ok(op!.controller.stats.reconciles > passes);
    const deadlineB = Date.now() + 30_000;
    while ((await readBC('b')).spec.version !== TO) {
      assert.ok(Date.now() < deadlineB, 'b asked to move within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await clusterStatus('b', TO, 2);
    const done = await rolloutWhere('own', 'Succeeded', (r) => r.status?.phase === 'Succeeded');
    assert.deepEqual(
      done.status!.clusters!.map((x) => `${x.name}:${x.state}`),
      ['a:Succeeded', 'b:Succeeded'],
    );
  });
});
