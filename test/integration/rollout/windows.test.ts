// Maintenance windows on a real API server (issue 17: "a maintenance window in the future: nothing starts until it
// opens, injectable clock"). The rollout operator runs alone with a clock the test moves; no cluster operator runs,
// so the test writes the clusters' status (Ready at v1.32.0) itself, as the cluster operator would.
// - w: a daily window 22:00–24:00 UTC; at 12:00 the rollout waits (phase WaitingForWindow, status.nextWindow, the
//   cluster's spec untouched); at 22:05 it starts w.
// - bad: a window whose cron schedule does not parse (the CRD cannot check cron): skipped at once with the
//   validator's words on the rollout's status, instead of holding the rollout.
// And the catalog changing under a running rollout (issue 17, catalog states): its target turned Deprecated while
// c1 upgrades: c2 (not started) is skipped with the reason, c1 finishes, the rollout ends Failed with
// TargetNotUsable and c2 untouched; once the version is Supported again, `kokpit rollout retry` (the annotation)
// starts c2.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { RETRY_ANNOTATION } from '../../../src/api';
import { kubernetesVersion } from '../../../src/catalog/versions';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject } from '../../../src/kube';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { businessCluster } from '../cluster/support';
import { API, FROM, TO, rolloutAccessors, startRolloutControlPlane } from './support';

const NS = 'windows';

describe('FleetRollout: maintenance windows and catalog changes on a real API server (injectable clock)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  let clock = Date.parse('2026-01-06T12:00:00Z');
  const { objects, apply, readRollout, readBC, clusterStatus, rolloutWhere, specAt } = rolloutAccessors(() => kc, NS);

  async function readyCluster(name: string, windows: unknown[], env = 'windows'): Promise<void> {
    const bc = businessCluster(name, NS, { version: FROM, etcd: { clusterRef: { name: 'shared' } }, maintenance: { windows } });
    await apply({ ...bc, metadata: { name, namespace: NS, labels: { env } } });
    await clusterStatus(name, FROM, 1);
  }

  const createRollout = (name: string, env: string, waves: unknown[]) =>
    apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name },
      spec: { target: { kubernetesVersion: TO }, clusters: { selector: { matchLabels: { env } } }, waves },
    });

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    await readyCluster('w', [{ start: '22:00', duration: '2h', timeZone: 'UTC' }]);
    await readyCluster('bad', [{ schedule: '0 2 * * Tux', duration: '2h' }]);
    op = await startRolloutOperator({ kc, now: () => new Date(clock) });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('outside the window nothing starts (WaitingForWindow, next opening on status); when it opens the cluster starts', async function () {
    this.timeout(180_000);
    await createRollout('nightly', 'windows', [{ name: 'all', clusters: '100%', maxConcurrency: 2 }]);
    const waiting = await rolloutWhere('nightly', 'waiting for a window', (r) => r.status?.phase === 'WaitingForWindow');
    const rows = waiting.status!.clusters!;
    assert.deepEqual(
      rows.map((r) => `${r.name}:${r.state}`),
      ['bad:Skipped', 'w:Pending'],
    );
    assert.equal(rows[1].message, 'WaitingForWindow: its next maintenance window opens at 2026-01-06T22:00:00Z');
    assert.match(
      rows[0].message!,
      /^InvalidMaintenanceWindow: spec\.maintenance\.windows\[0\]\.schedule "0 2 \* \* Tux" is not a cron schedule: .*Tux/,
    );
    assert.equal(waiting.status!.nextWindow, '2026-01-06T22:00:00Z');
    const progressing = waiting.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.reason, 'WaitingForWindow');
    assert.match(progressing.message!, /1 cluster\(s\) wait for their maintenance window, the next opens at 2026-01-06T22:00:00Z/);
    for (const n of ['w', 'bad']) {
      const c = await readBC(n);
      assert.equal(c?.spec.version, FROM, `${n} keeps its version`);
      assert.equal(c?.metadata.generation, 1, `${n}'s spec was never changed`);
    }

    clock = Date.parse('2026-01-06T22:05:00Z');
    const started = await waitFor(
      'cluster w asked for the target once its window opened',
      async (st) => {
        const [r, c] = await Promise.all([readRollout('nightly'), readBC('w')]);
        st.lastReason = `${r?.status?.phase} ${JSON.stringify(r?.status?.clusters)}; w spec.version ${c?.spec.version}`;
        return c?.spec.version === TO && r?.status?.clusters?.find((x) => x.name === 'w')?.state === 'Upgrading' ? r : undefined;
      },
      // The operator looks again at least every 30 s while a cluster waits; no event is needed.
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    assert.equal(started.status!.phase, 'Progressing');
    assert.equal(started.status!.nextWindow, undefined, 'nothing waits any more');
    assert.equal(started.status!.clusters!.find((x) => x.name === 'w')!.startedAt, '2026-01-06T22:05:00Z');
    const bad = await readBC('bad');
    assert.equal(bad?.metadata.generation, 1, 'the skipped cluster stays untouched');
  });

  it('target turned Deprecated mid-rollout: in-flight finishes, the rest skipped, Failed; retry resumes once Supported', async function () {
    this.timeout(180_000);
    await readyCluster('c1', [], 'catalog');
    await readyCluster('c2', [], 'catalog');
    await createRollout('catalog', 'catalog', [
      { name: 'one', clusters: 1 },
      { name: 'rest', clusters: '100%' },
    ]);
    await rolloutWhere('catalog', 'c1 upgrading', (r) => r.status?.clusters?.find((x) => x.name === 'c1')?.state === 'Upgrading');
    await apply(kubernetesVersion(TO, 'Deprecated'));
    const skipped = await rolloutWhere(
      'catalog',
      'c2 skipped',
      (r) => r.status?.clusters?.find((x) => x.name === 'c2')?.state === 'Skipped',
    );
    assert.deepEqual(
      skipped.status!.clusters!.map((x) => `${x.name}:${x.state}`),
      ['c1:Upgrading', 'c2:Skipped'],
    );
    assert.match(skipped.status!.clusters![1].message!, /^TargetNotUsable: spec\.target\.kubernetesVersion v1\.33\.13 is Deprecated/);
    const during = skipped.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.deepEqual([skipped.status!.phase, during.status, during.reason], ['Progressing', 'True', 'TargetNotUsable']);
    assert.match(during.message!, /no new cluster starts, the 1 in flight finish/);

    await clusterStatus('c1', TO, 2);
    const failed = await rolloutWhere('catalog', 'Failed', (r) => r.status?.phase === 'Failed');
    assert.deepEqual(
      failed.status!.clusters!.map((x) => `${x.name}:${x.state}`),
      ['c1:Succeeded', 'c2:Skipped'],
    );
    assert.equal(failed.status!.conditions!.find((c) => c.type === 'Progressing')!.reason, 'TargetNotUsable');
    assert.equal((await readBC('c2'))?.metadata.generation, 1, 'c2 was never asked to move');

    await apply(kubernetesVersion(TO));
    await applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'FleetRollout',
        metadata: { name: 'catalog', annotations: { [RETRY_ANNOTATION]: '1' } },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test-retry' },
    );
    await rolloutWhere(
      'catalog',
      'c2 upgrading after the retry',
      (r) => r.status?.clusters?.find((x) => x.name === 'c2')?.state === 'Upgrading',
    );
    await specAt('c2', TO);
  });
});
