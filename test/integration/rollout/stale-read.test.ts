// The rollout reconciler decides from its cache's copy of the rollout (no GET per pass); a copy behind the API server
// must cost a conflict, never a lost write. On a real API server: the rollout's status is written "by another
// manager" (wave one started, a's row Upgrading with its own startedAt) while this reconciler's cache still holds the
// copy from before (no status). Its pass decides from that copy, so its status write carries the old
// resourceVersion as a precondition: the API server answers 409, nothing is written, and the pass is made again from
// a fresh read. The row the other manager recorded keeps its startedAt, and a's spec is written once.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, KubernetesVersion, RolloutClusterStatus } from '../../../src/api';
import type { ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { listObjects, makeObjectApi } from '../../../src/kube';
import { RolloutReconciler } from '../../../src/operators/rollout/reconciler';
import { API, FROM, TO, rolloutAccessors, startRolloutControlPlane, type Rollout } from './support';

const NS = 'stale-read';
const NAME = 'stale';
/** The other manager's start of a, a few seconds ago (inside the progress deadline), as the operator writes times. */
const OTHER_START = new Date(Date.now() - 5000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('FleetRollout: a stale cached copy costs a conflict, not a lost write (real API server)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  const { apply, readRollout, readBC, readyClusterAtFrom } = rolloutAccessors(() => kc, NS);

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    for (const name of ['a', 'b']) {
      await readyClusterAtFrom(name, { env: 'stale' });
    }
  });

  after(async function () {
    this.timeout(60_000);
    await cp?.stop();
  });

  it('the pass decided from the old copy is refused (409) and made again from the API server', async function () {
    this.timeout(120_000);
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: NAME },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'stale' } }, namespaces: [NS] },
        waves: [
          { name: 'one', clusters: 1, soak: '0s' },
          { name: 'rest', clusters: '100%', soak: '0s' },
        ],
      },
    });
    const stale = (await readRollout(NAME))!;
    assert.equal(stale.status, undefined, 'the cached copy has no status yet');
    // Another manager's pass, just before this one took over: a started, b waiting for wave two.
    const rows: RolloutClusterStatus[] = [
      { namespace: NS, name: 'a', wave: 'one', state: 'Upgrading', from: FROM, to: TO, startedAt: OTHER_START, message: 'by the other' },
      { namespace: NS, name: 'b', wave: 'rest', state: 'Pending' },
    ];
    await applyStatus(kc, stale as never, 'fleetrollouts', { phase: 'Progressing', currentWave: 'one', clusters: rows });

    const objects = makeObjectApi(kc);
    const clusters = await listObjects<BusinessCluster & KubernetesObject>(objects, API, 'BusinessCluster', { namespace: NS });
    const versions = await listObjects<KubernetesVersion & KubernetesObject>(objects, API, 'KubernetesVersion');
    const reconciler = new RolloutReconciler({
      kc,
      cache: {
        rollout: () => structuredClone(stale) as Rollout,
        clusters: () => clusters,
        versions: () => versions,
        rollouts: () => [stale],
        machineSets: () => [],
      },
    });
    await reconciler.reconcile(NAME);

    const after = (await readRollout(NAME))!;
    const a = after.status?.clusters?.find((r) => r.name === 'a');
    assert.equal(a?.state, 'Upgrading');
    assert.equal(a?.startedAt, OTHER_START, "the other manager's start is kept (decided from the fresh copy, not overwritten)");
    assert.equal(after.status?.clusters?.find((r) => r.name === 'b')?.state, 'Pending');
    assert.equal((await readBC('a')).spec.version, TO, "a's spec written by the pass made again");
    assert.equal((await readBC('b')).spec.version, FROM, 'b untouched (wave two)');
  });
});
