// A cluster NotReady when its turn comes (issue 17: in CI a cluster whose coredns had 0/1 replicas for a few seconds
// after its machines joined was skipped at once and needed a manual retry). On a real API server, with the rollout
// operator alone and a clock the test moves (the test writes the clusters' status, as the cluster operator would):
// - the CRD defaults spec.notReadyGrace to 2m;
// - a (NotReady) waits: Pending with waitingSince and a message naming when it is skipped; it holds no slot, so b
//   (same wave, maxConcurrency 1) starts; the Progressing condition counts the wait;
// - passes while it waits write nothing (the rollout's resourceVersion stays);
// - past the grace a is Skipped `NotReady: … for 2m`, never asked to move;
// - once Ready, `kokpit rollout retry` (the annotation) starts it.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { RETRY_ANNOTATION } from '../../../src/api';
import type { ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { applyObject } from '../../../src/kube';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { businessCluster } from '../cluster/support';
import { API, FROM, TO, rolloutAccessors, startRolloutControlPlane } from './support';

const NS = 'grace';
const WHY = 'AddonsNotReady: coredns: 0/1 replicas available';

describe('FleetRollout: a cluster not Ready at its turn is waited for (spec.notReadyGrace) on a real API server', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  let clock = Date.parse('2026-01-06T12:00:00Z');
  const { objects, apply, readRollout, readBC, clusterStatus, rolloutWhere, specAt } = rolloutAccessors(() => kc, NS);

  /** The cluster operator's word for a cluster whose coredns is not up yet. */
  const notReady = (name: string) =>
    applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS } }, 'businessclusters', {
      phase: 'Running',
      version: FROM,
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'AddonsNotReady',
          message: 'coredns: 0/1 replicas available',
          observedGeneration: 1,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    });

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    for (const name of ['a', 'b']) {
      const bc = businessCluster(name, NS, { version: FROM, etcd: { clusterRef: { name: 'shared' } } });
      await apply({ ...bc, metadata: { name, namespace: NS, labels: { env: 'grace' } } });
    }
    await notReady('a');
    await clusterStatus('b', FROM, 1);
    op = await startRolloutOperator({ kc, now: () => new Date(clock) });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('waits visibly without a slot or a write per pass, skips past the grace; retry once Ready starts it', async function () {
    this.timeout(240_000);
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: 'grace' },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'grace' } } },
        waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1 }],
      },
    });
    const waiting = await rolloutWhere(
      'grace',
      'a waits, b upgrades',
      (r) => r.status?.clusters?.map((x) => `${x.name}:${x.state}`).join(' ') === 'a:Pending b:Upgrading',
    );
    assert.equal(waiting.spec.notReadyGrace, '2m', 'the CRD default');
    const a = waiting.status!.clusters![0];
    assert.equal(a.waitingSince, '2026-01-06T12:00:00Z');
    assert.equal(a.message, `WaitingForReady: ${WHY} (skipped at 2026-01-06T12:02:00Z unless Ready)`);
    const progressing = waiting.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.deepEqual([waiting.status!.phase, progressing.reason], ['Progressing', 'WaveInProgress']);
    assert.match(progressing.message!, /; 1 cluster\(s\) not Ready at their turn, waited for up to 2m \(spec\.notReadyGrace\)$/);
    await specAt('b', TO); // b took the slot a does not hold
    assert.equal((await readBC('a')).metadata.generation, 1, 'a is not asked to move');

    // The rollout does not wake on its own spec write (e60abe0), so the first pass after the start is the one that sees
    // b's new spec and moves b's row message on ("upgrading: running …"): one status write. Then passes while a waits
    // (the clock moves, the message does not): no status write.
    await op!.reconciler.reconcile('grace');
    const rv = (await readRollout('grace'))?.metadata.resourceVersion;
    for (const t of ['12:00:30', '12:01:00', '12:01:59']) {
      clock = Date.parse(`2026-01-06T${t}Z`);
      await op!.reconciler.reconcile('grace');
    }
    assert.equal((await readRollout('grace'))?.metadata.resourceVersion, rv, 'three passes while waiting wrote nothing');

    clock = Date.parse('2026-01-06T12:02:00Z');
    await op!.reconciler.reconcile('grace');
    const skipped = await rolloutWhere('grace', 'a skipped', (r) => r.status?.clusters?.[0].state === 'Skipped');
    const row = skipped.status!.clusters![0];
    assert.equal(row.message, `NotReady: ${WHY} for 2m; run \`kokpit rollout retry\` once it is Ready`);
    assert.deepEqual([row.finishedAt, row.waitingSince], ['2026-01-06T12:02:00Z', undefined]);
    assert.equal((await readBC('a')).metadata.generation, 1, 'a was never asked to move');

    await clusterStatus('b', TO, 2);
    await clusterStatus('a', FROM, 1);
    await rolloutWhere('grace', 'b done', (r) => r.status?.clusters?.[1].state === 'Succeeded');
    await applyObject(
      objects(),
      { apiVersion: API, kind: 'FleetRollout', metadata: { name: 'grace', annotations: { [RETRY_ANNOTATION]: '1' } } } as KubernetesObject,
      { fieldManager: 'kokpit-test-retry' },
    );
    const retried = await rolloutWhere('grace', 'a upgrading after the retry', (r) => r.status?.clusters?.[0].state === 'Upgrading');
    assert.equal(retried.status!.clusters![0].waitingSince, undefined);
    await specAt('a', TO);
  });
});
