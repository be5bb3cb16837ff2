// The rollout operator killed for real (issue 17: "the manager killed (SIGKILL, the real process) in the middle
// of each wave: the rollout completes, every cluster upgraded exactly once, counted from the audit log").
// `kokpit operator` (all four operators: etcd and cluster operators run the three business clusters' real control
// planes through the process pod runner in this test's process) is SIGKILLed right after named writes of a
// FleetRollout moving three clusters v1.32.0 → v1.33.13 in waves canary (1) / rest (2 at a time), and started
// again each time:
//   rollout/plan              the first status write: waves assigned, wave one marked started, no spec written yet
//   rollout/upgrade:canary    the canary's spec.version written (wave one in flight)
//   rollout/status:handover   the status write that ends the canary's soak and records wave two in flight, before
//                             wave two's spec writes (armed once the canary soaks)
//   rollout/upgrade:rest      the first spec.version write of wave two (wave two in flight)
// After the last restart the rollout must be Succeeded with the plan it recorded before anything started, every
// cluster's spec.version written exactly once by the rollout operator (its PATCHes in the meta API server's audit
// log, never a counter of the code under test), generation 2 (one spec change), and each wave started after the
// one before soaked. KOKPIT_CRASH_POINTS=a,b (or random:N; KOKPIT_TEST_SEED replays) chooses the points.
import * as assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, FleetRollout } from '../../../src/api';
import { kubernetesVersion } from '../../../src/catalog/versions';
import { waitFor } from '../../../src/controlplane';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { AGENTS } from '../../support/audit-writes';
import { ROLLOUT_FIELD_MANAGER } from '../../../src/operators/rollout/reconciler';
import { choosePoints, describeOutcome, point, testSeed, type CrashOutcome, type CrashPoint } from '../../support/crash-harness';
import { ensureNamespace, log, startCrashEnv, type CrashEnv } from './support';

const API = 'kokpit.dev/v1alpha1';
const NS = 'crash-rollout';
const FROM = 'v1.32.0';
const TO = 'v1.33.13';
const CLUSTERS = ['r1', 'r2', 'r3'];
const ROLLOUT = 'crash';
const SOAK_S = 15;

type Cluster = BusinessCluster & KubernetesObject;
type Rollout = FleetRollout & KubernetesObject;

const specWrite = (name: string, what: string, cluster: string) =>
  point(name, what, { resource: 'businessclusters', namespace: NS, name: cluster, verbs: ['patch'], userAgent: AGENTS.rollout });
const statusWrite = (name: string, what: string) =>
  point(name, what, { resource: 'fleetrollouts/status', name: ROLLOUT, userAgent: AGENTS.rollout });

/** r2 or r3, not the canary r1 written before. */
const waveTwo = (p: CrashPoint): CrashPoint => ({ ...p, match: (e) => p.match(e) && e.name !== 'r1' });

/** In pass order. The canary is r1 (wave one takes the first cluster by name); wave two is r2 and r3. */
const POINTS: CrashPoint[] = [
  statusWrite('rollout/plan', 'the first status write: every cluster assigned to its wave, no spec written yet'),
  specWrite('rollout/upgrade:canary', "the canary's spec.version written", 'r1'),
  statusWrite('rollout/status:handover', "the status write ending the canary's soak and starting wave two, before its spec writes"),
  waveTwo(specWrite('rollout/upgrade:rest', 'the first spec.version write of wave two', 'r*')),
];

describe('crash: the rollout operator SIGKILLed mid-wave (real `kokpit operator`, real control planes)', function () {
  let env: CrashEnv;
  const timings: string[] = [];
  const objects = () => makeObjectApi(env.kc);
  const readBC = async (name: string) =>
    (await readObject<Cluster>(objects(), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS } }))!;
  const readRollout = () => readObject<Rollout>(objects(), { apiVersion: API, kind: 'FleetRollout', metadata: { name: ROLLOUT } });
  const rowsOf = (r?: Rollout) => (r?.status?.clusters ?? []).map((x) => `${x.name}@${x.wave}:${x.state}`).join(' ');

  /** Every cluster Ready at `version` for its current generation. */
  const clustersReadyAt = (version: string, timeoutMs: number) =>
    waitFor(
      `${CLUSTERS.join(', ')} Ready at ${version}`,
      async (st) => {
        const cs = await Promise.all(CLUSTERS.map(readBC));
        const ok = (c: Cluster) =>
          c.status?.version === version &&
          c.status.observedGeneration === c.metadata.generation &&
          c.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
        st.lastReason = cs
          .map((c) => `${c.metadata.name}: ${c.status?.version} ${c.status?.conditions?.find((x) => x.type === 'Ready')?.message ?? ''}`)
          .join('; ');
        return cs.every(ok) || undefined;
      },
      { timeoutMs, intervalMs: 2000 },
    );

  before(async function () {
    this.timeout(900_000);
    const t = Date.now();
    env = await startCrashEnv('rollout');
    await ensureNamespace(env.kc, NS);
    // v1.32.0: a release whose binaries are built here too (installKokpitBase's catalog starts later).
    await applyObject(objects(), kubernetesVersion(FROM) as unknown as KubernetesObject);
    env.harness.startManager();
    for (const name of CLUSTERS) {
      const bc = {
        apiVersion: API,
        kind: 'BusinessCluster',
        metadata: { name, namespace: NS, labels: { rollout: 'crash' } },
        spec: { version: FROM, etcd: { managed: { replicas: 1 } }, apiServer: { service: { type: 'NodePort' } } },
      };
      await applyObject(objects(), bc as KubernetesObject, { fieldManager: 'kokpit-test' });
    }
    await clustersReadyAt(FROM, 720_000);
    timings.push(`environment and three clusters Ready at ${FROM}: ${Date.now() - t} ms`);
  });

  after(async function () {
    this.timeout(120_000);
    for (const t of timings) log(`timing: ${t}`);
    await env?.stop();
  });

  it('converges after a SIGKILL at each chosen point: the recorded plan, every cluster upgraded exactly once', async function () {
    this.timeout(1_500_000);
    const seed = testSeed(log);
    const points = choosePoints(POINTS, seed, log);
    const outcomes: CrashOutcome[] = [];
    const tStart = Date.now();
    await applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'FleetRollout',
        metadata: { name: ROLLOUT },
        spec: {
          target: { kubernetesVersion: TO },
          clusters: { selector: { matchLabels: { rollout: 'crash' } }, namespaces: [NS] },
          waves: [
            { name: 'canary', clusters: 1, soak: `${SOAK_S}s` },
            { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '5s' },
          ],
          progressDeadline: '10m',
        },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
    let plan: string | undefined;
    for (const p of points) {
      if (p.name === 'rollout/status:handover') {
        // The status write to kill after is the one that ends the soak: arm it while the canary soaks.
        if (!env.harness.manager?.running) env.harness.startManager();
        await waitFor(
          'the canary soaking',
          async (st) => {
            const r = await readRollout();
            st.lastReason = rowsOf(r);
            return r?.status?.clusters?.some((x) => x.wave === 'canary' && x.state === 'Soaking') || undefined;
          },
          { timeoutMs: 600_000, intervalMs: 250 },
        );
      }
      const t = Date.now();
      const o = await env.harness.crashAt(p, 600_000, { fresh: p.name === 'rollout/status:handover' });
      outcomes.push(o);
      const r = await readRollout();
      log(`${describeOutcome(o)}; rows now: ${rowsOf(r)}`);
      timings.push(`${p.name}: ${o.result} after ${Date.now() - t} ms`);
      if (p.name === 'rollout/plan') plan = rowsOf(r);
    }
    const killed = outcomes.filter((o) => o.result === 'killed');
    log(`${killed.length} kills, ${outcomes.length - killed.length} points passed before they were armed`);
    assert.ok(killed.length > 0, 'at least one point killed the manager');
    // The first status write carries the plan and wave one's start (the canary Upgrading, nothing else); the canary's
    // spec write comes after it, which is the audit log's order below.
    if (plan) assert.match(plan, /^r1@canary:Upgrading r2@rest:Pending r3@rest:Pending$/, 'the plan recorded before anything started');
    const rolloutWrites = env.harness.events.filter((e) => e.source === 'meta' && e.userAgent === AGENTS.rollout);
    const firstSpec = rolloutWrites.findIndex((e) => e.resource === 'businessclusters');
    const statusBefore = rolloutWrites
      .slice(0, firstSpec)
      .filter((e) => e.resource === 'fleetrollouts/status' && e.name === ROLLOUT).length;
    assert.ok(statusBefore >= 1, `the plan (with wave one's start) written before the first spec write (${statusBefore} status write(s))`);

    const tFinal = Date.now();
    if (!env.harness.manager?.running) env.harness.startManager();
    const done = await waitFor(
      `FleetRollout ${ROLLOUT} Succeeded`,
      async (st) => {
        const r = await readRollout();
        st.lastReason = `${r?.status?.phase}: ${rowsOf(r)}; ${r?.status?.conditions?.map((c) => `${c.type} ${c.reason}: ${c.message}`)}`;
        if (r?.status?.phase === 'Failed') throw new Error(`the rollout failed: ${st.lastReason}`);
        return r?.status?.phase === 'Succeeded' ? r : undefined;
      },
      { timeoutMs: 900_000, intervalMs: 1000 },
    );
    timings.push(`Succeeded ${Date.now() - tFinal} ms after the last restart, ${Date.now() - tStart} ms after the rollout was created`);
    await clustersReadyAt(TO, 300_000);

    // No duplicate or lost progress: one row per cluster, in the wave it was planned in, each done once.
    const rows = done.status!.clusters!;
    assert.deepEqual(
      rows.map((x) => `${x.name}@${x.wave}:${x.state} ${x.from}→${x.to}`),
      ['r1@canary', 'r2@rest', 'r3@rest'].map((w) => `${w}:Succeeded ${FROM}→${TO}`),
    );
    assert.deepEqual(done.status!.counts, { total: 3, pending: 0, upgrading: 0, soaking: 0, succeeded: 3, failed: 0, skipped: 0 });
    const t = (s?: string) => Date.parse(s!);
    const canary = rows[0];
    assert.ok(t(canary.finishedAt) - t(canary.readySince) >= SOAK_S * 1000, 'the canary soaked before it counted as done');
    for (const r of rows.slice(1)) assert.ok(t(r.startedAt) >= t(canary.finishedAt), `${r.name} started after the canary soaked`);

    // Exactly once, as the API server saw it: the rollout operator's PATCHes of each cluster (its spec.version),
    // across every manager that ran; and the spec changed once (generation 1 → 2).
    const specPatches = (name: string) =>
      env.harness.events.filter(
        (e) =>
          e.source === 'meta' &&
          e.resource === 'businessclusters' &&
          e.namespace === NS &&
          e.name === name &&
          e.userAgent === AGENTS.rollout &&
          ['patch', 'update'].includes(e.verb),
      );
    for (const name of CLUSTERS) {
      const writes = specPatches(name);
      log(`${name}: ${writes.length} spec write(s) by the rollout operator (audit log)`);
      const c = await readBC(name);
      // Never twice. Once as a logged success, or (0) a PATCH in flight when its manager was SIGKILLed: the API server
      // committed it but logged the cut-off request with an error code (the tail counts codes < 300), and no
      // restarted manager had to write it again. Then the rollout's field manager must own spec.version.
      assert.ok(writes.length <= 1, `${name}: spec.version written at most once by the rollout operator (${writes.length})`);
      if (writes.length === 0) {
        const owners = (c.metadata.managedFields ?? [])
          .filter((f) => (f.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:version'] !== undefined)
          .map((f) => f.manager);
        log(`${name}: no logged success; spec.version owned by ${owners.join(', ')}`);
        assert.ok(owners.includes(ROLLOUT_FIELD_MANAGER), `${name}: spec.version set by the rollout operator (${owners.join(', ')})`);
      }
      assert.equal(c.metadata.generation, 2, `${name}: one spec change since its creation`);
      assert.equal(c.spec.version, TO);
    }
    log(outcomes.map(describeOutcome).join('\n  '));
  });
});
