// Maintenance on its own on a real API server (issue 17), with an injectable clock and writes counted from the API
// server's audit log. The rollout operator runs alone (its maintenance controller beside the rollouts); no cluster
// operator runs, so the test writes the clusters' status (Ready at a version) itself, as the cluster operator would.
// - auto: v1.32.0, autoUpdate.patch, a nightly window 22:00–24:00 UTC. At 12:00 nothing is written to its spec
//   (the Maintenance condition says when the window opens); at 22:05 it moves to v1.32.13 (exactly one PATCH of the
//   BusinessCluster), and status.maintenance.last records it InProgress, then Succeeded once it is Ready there.
// - held: the same, but a FleetRollout selects it: the rollout moves it (to v1.33.13), maintenance leaves it alone.
// - old: v1.32.5 without autoUpdate and no windows; the catalog turns v1.32.5 Unsupported: it is moved to v1.32.13.
// - eol: v1.32.7 with its window closed; the catalog gives v1.32.7 an `expires` in the past: moved at once.
// And the catalog state the cluster operator sees (a meta-side pass, no pods): a Deprecated version the cluster
// already runs keeps being reconciled with a warning on CatalogValid; a new cluster asking for it is refused.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../../src/api';
import { kubernetesVersion } from '../../../src/catalog/versions';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { silentLogger } from '../../../src/controller/reconciler';
import { ClusterReconciler } from '../../../src/operators/cluster/reconciler';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { AGENTS, AuditWrites, assertWriteCount, type AuditMark } from '../../support/audit-writes';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  startPlainEtcd,
  type PlainEtcd,
} from '../cluster/support';

const API = 'kokpit.dev/v1alpha1';
const NS = 'maint';
type Cluster = BusinessCluster & KubernetesObject;
const nightly = [{ start: '22:00', duration: '2h', timeZone: 'UTC' }];

describe('maintenance on its own: autoUpdate.patch, moves off Unsupported versions, catalog states (real API server)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let audit: AuditWrites;
  let op: RolloutOperator | undefined;
  let clock = Date.parse('2026-01-06T12:00:00Z');
  /** The maintenance controller's debug line of every pass (`maintenance: <key>: <reason>: <message>`). */
  const passes: string[] = [];
  const passesOf = (name: string) => passes.filter((m) => m.startsWith(`maintenance: ${NS}/${name}:`)).length;
  const objects = () => makeObjectApi(kc);
  const readBC = (name: string) =>
    readObject<Cluster>(objects(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS } });
  const addVersion = (v: string, state: 'Supported' | 'Deprecated' | 'Unsupported' = 'Supported') =>
    applyObject(objects(), kubernetesVersion(v, state) as unknown as KubernetesObject, { fieldManager: 'kokpit-test' });
  /** PATCHes of the BusinessCluster itself (not /status) by the rollout operator's client, since `from`. */
  const specPatches = (from: AuditMark, name: string) =>
    audit.since(from, { userAgent: AGENTS.rollout, resource: 'businessclusters', name, except: (e) => !!e.objectRef?.subresource });
  const statusWrites = (from: AuditMark, name: string) =>
    audit.since(from, { userAgent: AGENTS.rollout, resource: 'businessclusters/status', name });

  async function readyCluster(name: string, version: string, maintenance: Record<string, unknown>, env = name): Promise<void> {
    const bc = businessCluster(name, NS, { version, etcd: { clusterRef: { name: 'shared' } }, maintenance });
    await applyObject(objects(), { ...bc, metadata: { name, namespace: NS, labels: { env } } }, { fieldManager: 'kokpit-test' });
    await clusterStatus(name, version, 1);
  }

  /** The cluster operator's last word, played by the test: Ready at `version` for `generation`. */
  async function clusterStatus(name: string, version: string, generation: number): Promise<void> {
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      observedGeneration: generation,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    await applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS } }, 'businessclusters', {
      phase: 'Running',
      version,
      observedGeneration: generation,
      conditions: [ready],
    });
  }

  const clusterWhere = (name: string, what: string, ok: (c: Cluster) => boolean) =>
    waitFor(
      `${name}: ${what}`,
      async (st) => {
        const c = await readBC(name);
        st.lastReason = `spec.version ${c?.spec.version}; ${JSON.stringify({ m: c?.status?.maintenance, c: c?.status?.conditions })}`;
        return c && ok(c) ? c : undefined;
      },
      // A closed window is looked at again at least every 30 s; no event is needed when the clock moves.
      { timeoutMs: 90_000, intervalMs: 300 },
    );
  const maintenanceCondition = (c: Cluster) => c.status?.conditions?.find((x) => x.type === 'Maintenance');
  const versionManager = (c: Cluster) =>
    c.metadata.managedFields?.find((m) => JSON.stringify(m.fieldsV1 ?? {}).includes('"f:version"') && !m.subresource)?.manager;

  before(async function () {
    this.timeout(300_000);
    [cp, etcd] = await Promise.all([startControlPlane({ audit: true }), startPlainEtcd()]);
    kc = cp.kubeConfig();
    audit = new AuditWrites(cp);
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    for (const v of ['v1.32.0', 'v1.32.5']) await addVersion(v);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await Promise.all([cp?.stop(), etcd?.stop()]);
  });

  it('autoUpdate.patch: nothing written while the window is closed; inside it, v1.32.0 → v1.32.13 once, recorded', async function () {
    this.timeout(240_000);
    await readyCluster('auto', 'v1.32.0', { windows: nightly, autoUpdate: { patch: true } });
    await readyCluster('held', 'v1.32.0', { windows: nightly, autoUpdate: { patch: true } });
    await applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'FleetRollout',
        metadata: { name: 'held' },
        spec: {
          target: { kubernetesVersion: 'v1.33.13' },
          clusters: { selector: { matchLabels: { env: 'held' } } },
          waves: [{ name: 'all', clusters: '100%' }],
        },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
    const start = await audit.mark();
    op = await startRolloutOperator({ kc, now: () => new Date(clock), log: { ...silentLogger, debug: (m) => void passes.push(m) } });

    const waiting = await clusterWhere('auto', 'waiting for its window', (c) => maintenanceCondition(c)?.reason === 'WaitingForWindow');
    assert.equal(
      maintenanceCondition(waiting)!.message,
      'autoUpdate.patch: v1.32.0 → v1.32.13 waits; the next maintenance window opens at 2026-01-06T22:00:00Z',
    );
    const held = await clusterWhere('held', 'left to the rollout', (c) => maintenanceCondition(c)?.reason === 'InRollout');
    assert.equal(maintenanceCondition(held)!.message, 'left to FleetRollout held, which holds this cluster');
    // More passes while closed (a label change is an event): still no write of any kind.
    const closed = await audit.mark();
    const before = passesOf('auto');
    await applyObject(
      objects(),
      { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'auto', namespace: NS, labels: { touched: '1' } } } as KubernetesObject,
      { fieldManager: 'kokpit-test-label' },
    );
    await waitFor('another maintenance pass of auto', async () => passesOf('auto') > before || undefined, { timeoutMs: 60_000 });
    assertWriteCount(
      [...(await specPatches(closed, 'auto')), ...(await statusWrites(closed, 'auto'))],
      0,
      'auto while its window is closed',
    );
    assertWriteCount(await specPatches(start, 'auto'), 0, 'auto spec while its window is closed');
    assert.equal((await readBC('auto'))!.metadata.generation, 1);

    clock = Date.parse('2026-01-06T22:05:00Z');
    const moving = await clusterWhere('auto', 'moved to v1.32.13', (c) => c.spec.version === 'v1.32.13' && !!c.status?.maintenance?.last);
    assert.deepEqual(moving.status!.maintenance!.last, {
      action: 'PatchUpdate',
      from: 'v1.32.0',
      to: 'v1.32.13',
      startedAt: '2026-01-06T22:05:00Z',
      result: 'InProgress',
      message: 'autoUpdate.patch',
    });
    assert.equal(versionManager(moving), 'kokpit-maintenance');
    clock = Date.parse('2026-01-06T22:20:00Z');
    await clusterStatus('auto', 'v1.32.13', 2);
    const done = await clusterWhere('auto', 'Succeeded', (c) => c.status?.maintenance?.last?.result === 'Succeeded');
    assert.equal(done.status!.maintenance!.last!.finishedAt, '2026-01-06T22:20:00Z');
    assert.equal(maintenanceCondition(done)!.reason, 'UpToDate');
    assert.equal(
      (done.status!.conditions ?? []).find((x) => x.type === 'Ready')?.status,
      'True',
      "the cluster operator's condition is kept",
    );
    assertWriteCount(await specPatches(start, 'auto'), 1, 'PATCHes of auto (spec.version) by the rollout operator');

    // held: the rollout moved it, not maintenance; nothing recorded.
    const rolled = await clusterWhere('held', 'moved by the rollout', (c) => c.spec.version === 'v1.33.13');
    assert.equal(versionManager(rolled), 'kokpit-rollout');
    assert.equal(rolled.status?.maintenance, undefined);
    assertWriteCount(await specPatches(start, 'held'), 1, 'PATCHes of held (by the rollout)');
  });

  it('a version that turns Unsupported is moved off without autoUpdate: v1.32.5 → v1.32.13, recorded', async function () {
    this.timeout(120_000);
    await readyCluster('old', 'v1.32.5', {});
    const start = await audit.mark();
    await addVersion('v1.32.5', 'Unsupported');
    const moved = await clusterWhere('old', 'moved off v1.32.5', (c) => c.spec.version === 'v1.32.13' && !!c.status?.maintenance?.last);
    assert.deepEqual(
      [moved.status!.maintenance!.last!.action, moved.status!.maintenance!.last!.from, moved.status!.maintenance!.last!.result],
      ['MoveOffUnsupported', 'v1.32.5', 'InProgress'],
    );
    assertWriteCount(await specPatches(start, 'old'), 1, 'PATCHes of old');
  });

  it('past its expires a version is moved off at once, window closed; the API server refuses an expires not a date', async function () {
    this.timeout(120_000);
    clock = Date.parse('2026-01-07T12:00:00Z');
    await addVersion('v1.32.7');
    await readyCluster('eol', 'v1.32.7', { windows: nightly });
    const withExpiry = (expires: string) => {
      const v = kubernetesVersion('v1.32.7');
      return { ...v, spec: { ...v.spec, expires } } as unknown as KubernetesObject;
    };
    await assert.rejects(applyObject(objects(), withExpiry('next tuesday'), { fieldManager: 'kokpit-test' }), /spec\.expires/);
    const start = await audit.mark();
    await applyObject(objects(), withExpiry('2026-01-07T11:00:00Z'), { fieldManager: 'kokpit-test' });
    const moved = await clusterWhere('eol', 'moved off v1.32.7', (c) => c.spec.version === 'v1.32.13' && !!c.status?.maintenance?.last);
    const last = moved.status!.maintenance!.last!;
    assert.deepEqual([last.action, last.from, last.startedAt], ['MoveOffExpired', 'v1.32.7', '2026-01-07T12:00:00Z']);
    assert.equal(last.message, 'v1.32.7 expired at 2026-01-07T11:00:00Z');
    assertWriteCount(await specPatches(start, 'eol'), 1, 'PATCHes of eol');
  });

  it('Deprecated: a cluster running it keeps being reconciled (warning on CatalogValid); a new cluster is refused', async function () {
    this.timeout(120_000);
    // The cluster operator's pass, meta side (no pods: it goes on to wait for the apiserver Deployment).
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    const spec = { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } }, apiServer: { service: { type: 'NodePort' } } };
    await applyObject(objects(), businessCluster('running', NS, spec), { fieldManager: 'kokpit-test' });
    await r.reconcile(`${NS}/running`);
    await addVersion('v1.33.13', 'Deprecated');
    try {
      await r.reconcile(`${NS}/running`);
      const conds = (await readBC('running'))!.status!.conditions!;
      const catalog = conds.find((c) => c.type === 'CatalogValid')!;
      assert.deepEqual([catalog.status, catalog.reason], ['True', 'VersionDeprecated']);
      assert.match(
        catalog.message!,
        /^v1\.33\.13 is Deprecated: this cluster keeps being reconciled, but no new cluster or upgrade can use it/,
      );
      assert.equal(conds.find((c) => c.type === 'APIServerAvailable')?.reason, 'APIServerNotReady', 'the pass went on past the catalog');

      await applyObject(objects(), businessCluster('fresh', NS, spec), { fieldManager: 'kokpit-test' });
      await r.reconcile(`${NS}/fresh`);
      const refused = (await readBC('fresh'))!.status!.conditions!.find((c) => c.type === 'CatalogValid')!;
      assert.deepEqual([refused.status, refused.reason], ['False', 'VersionNotUsable']);

      // status.maintenance is another manager's: the cluster operator's steady pass neither rewrites nor drops it.
      const record = { action: 'PatchUpdate', from: 'v1.33.12', to: 'v1.33.13', startedAt: '2026-01-06T22:05:00Z', result: 'Succeeded' };
      const ref = { apiVersion: API, kind: 'BusinessCluster', metadata: { name: 'running', namespace: NS } };
      await applyStatus(kc, ref, 'businessclusters', { maintenance: { last: record } }, 'kokpit-test-maintenance');
      const { writes } = await audit.during({ userAgent: AGENTS.cluster }, () => r.reconcile(`${NS}/running`));
      assertWriteCount(writes, 0, "the cluster operator's steady pass over a cluster with status.maintenance");
      assert.deepEqual((await readBC('running'))!.status!.maintenance, { last: record });
    } finally {
      await addVersion('v1.33.13');
    }
  });
});
