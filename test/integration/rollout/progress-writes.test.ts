// A wave's clusters finishing one after another cost the rollout a few status writes, not one each (issue 17's
// benchmark: the write that ends the wave must not queue behind them). On a real API server whose audit log counts the
// rollout operator's writes: ten clusters in one wave; the test plays the cluster operator, each cluster Ready at the
// target 30 ms after the one before; the rollout's status writes from the first Ready to Succeeded are counted. Rows
// that only turn Succeeded wait up to PROGRESS_WRITE_MS and go out together; the last one (the rollout Succeeded) at once.
import * as assert from 'node:assert/strict';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../../../src/controlplane';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { PROGRESS_WRITE_MS } from '../../../src/operators/rollout/reconciler';
import { AGENTS, AuditWrites } from '../../support/audit-writes';
import { API, TO, rolloutAccessors, startRolloutControlPlane } from './support';

const NS = 'progress-writes';
const N = 10;
const names = Array.from({ length: N }, (_, i) => `c${i}`);

describe('FleetRollout: clusters finishing one after another cost a few status writes (real API server, audit log)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  const { apply, clusterStatus, rolloutWhere, specAt, readyClusterAtFrom } = rolloutAccessors(() => kc, NS);

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS, { audit: true });
    kc = cp.kubeConfig();
    for (const name of names) {
      await readyClusterAtFrom(name, { env: 'progress' });
    }
    op = await startRolloutOperator({ kc });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('ten rows turning Succeeded one after another: a progress write per PROGRESS_WRITE_MS at most, then the final one', async function () {
    this.timeout(120_000);
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: 'progress' },
      spec: {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'progress' } }, namespaces: [NS] },
        waves: [{ name: 'all', clusters: '100%', maxConcurrency: N, soak: '0s' }],
      },
    });
    for (const name of names) await specAt(name, TO);
    await rolloutWhere('progress', 'every row Upgrading', (r) => r.status?.clusters?.every((x) => x.state === 'Upgrading') ?? false);
    const audit = new AuditWrites(cp);
    const mark = await audit.mark();
    const t0 = Date.now();
    for (const name of names) {
      await clusterStatus(name, TO, 2);
      await new Promise((r) => setTimeout(r, 30));
    }
    const lastReady = Date.now();
    await rolloutWhere('progress', 'Succeeded', (r) => r.status?.phase === 'Succeeded');
    const writes = await audit.since(mark, { userAgent: AGENTS.rollout, resource: 'fleetrollouts/status' });
    const succeededAfter = Date.now() - lastReady;
    console.log(
      `      ${N} clusters Ready over ${lastReady - t0} ms; ${writes.length} status write(s); Succeeded seen ${succeededAfter} ms later`,
    );
    // At most one progress write per PROGRESS_WRITE_MS of the spread (a loaded machine spreads the ten Ready writes),
    // plus the final one; without the hold it is one per row.
    const bound = 1 + Math.ceil((lastReady - t0) / PROGRESS_WRITE_MS);
    assert.ok(bound < N, `the Ready writes took ${lastReady - t0} ms: too slow for this test to tell`);
    assert.ok(writes.length >= 1, 'the final write');
    assert.ok(writes.length <= bound, `${writes.length} status writes for ${N} rows turning Succeeded (at most ${bound})`);
  });
});
