// FleetRollout on real control planes: a real meta control plane, and business clusters whose kube-apiserver,
// controller-manager and scheduler run as real processes through the pod runner (as in
// test/integration/cluster/podrunner.test.ts, with the same two stand-ins: a plain etcd behind an EtcdCluster
// the test marks Available, and a loopback proxy per cluster playing the load balancer).
//
// Six real clusters (each three control-plane processes) and one paused one:
// - a…e (v1.32.0) each with a MachineSet of kwok machines (a and e two, the others one) run by the machine
//   operator, their Nodes registered in the business cluster at kubelet v1.32.0, move to v1.33.13 in waves
//   1 / 2 / 2 (cumulative sizes 1, 3, 100%; two at a time) with a 10 s soak and includeMachines; the manager
//   (cluster, machine and rollout operators on shared informers) is stopped in wave two and a new one started;
//   the rollout completes, every cluster's spec and MachineSet changed exactly once (generation), each cluster's
//   Nodes report kubelet v1.33.13 in its own API server when its row is first seen soaking, and each wave started
//   only after every cluster of the one before had its machines there and soaked (order and timings printed).
// - f (v1.32.0) carries an apiserver flag only v1.33 refuses (SidecarContainers=false: locked on in 1.33), so
//   its upgrade never becomes Ready; g (a paused cluster, no processes) is in the wave after: the rollout fails
//   at f's deadline (maxFailures 0) and g's spec is untouched.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { FleetRollout, Machine, MachineSet } from '../../../src/api';
import { kubernetesVersion } from '../../../src/catalog/versions';
import { Operators } from '../../../src/controller/operator';
import { installCRDs, isNodeReady, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, listObjects, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  readCluster,
  startLoopbackLB,
  startPlainEtcd,
  type PlainEtcd,
} from '../cluster/support';
import { componentObject } from '../machine/support';
import { startFleetManager } from './support';

const NS = 'fleet';
const API = 'kokpit.dev/v1alpha1';
const FROM = 'v1.32.0';
const TO = 'v1.33.13';
const SOAK_S = 10;
const PROD = ['a', 'b', 'c', 'd', 'e'];
/** kwok machines per cluster (MachineSet `<cluster>-workers`): two where a set rolls machine by machine. */
const MACHINES: Record<string, number> = { a: 2, b: 1, c: 1, d: 1, e: 2 };

type Rollout = FleetRollout & KubernetesObject;

describe('FleetRollout: business clusters upgraded in waves on real control planes', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let runner: PodRunner;
  let stateDir: string;
  let manager: Operators | undefined;
  const lbs = new Map<string, Awaited<ReturnType<typeof startLoopbackLB>>>();
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
  const log = (l: string) => process.stderr.write(`  [+${secs()}s] ${l}\n`);

  /** "The manager": the cluster, machine and rollout operators on one set of shared informers (support.ts). */
  const startManager = () => startFleetManager(kc, (name) => lbs.get(name)?.url, log);

  const objects = () => makeObjectApi(kc);
  const rollout = (name: string) => readObject<Rollout>(objects(), { apiVersion: API, kind: 'FleetRollout', metadata: { name } });
  const createCluster = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) =>
    applyObject(
      objects(),
      {
        ...businessCluster(name, NS, {
          version: FROM,
          etcd: { clusterRef: { name: 'shared' } },
          apiServer: { service: { type: 'ClusterIP' }, ...((extra.apiServer as object) ?? {}) },
          ...extra,
        }),
        metadata: { name, namespace: NS, labels },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
  const createRollout = (name: string, spec: Record<string, unknown>) =>
    applyObject(objects(), { apiVersion: API, kind: 'FleetRollout', metadata: { name }, spec } as KubernetesObject, {
      fieldManager: 'kokpit-test',
    });

  const readSet = (n: string) =>
    readObject<MachineSet & KubernetesObject>(objects(), {
      apiVersion: API,
      kind: 'MachineSet',
      metadata: { name: `${n}-workers`, namespace: NS },
    });
  /** Cluster `n`'s kwok machines as the meta cluster's Machines and the Nodes in `n`'s own API server (through the
   *  admin kubeconfig Secret the cluster operator wrote) report them: kubelet versions and readiness. */
  async function machinesOf(n: string) {
    const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${n}-admin-kubeconfig`, namespace: NS },
    });
    const bkc = loadKubeConfig({ kubeconfigYaml: Buffer.from(secret?.data?.value ?? '', 'base64').toString('utf8') });
    const [machines, nodes] = await Promise.all([
      listObjects<Machine & KubernetesObject>(objects(), API, 'Machine', {
        namespace: NS,
        labelSelector: `kokpit.dev/machineset=${n}-workers`,
      }),
      bkc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'kokpit.dev/machine' }),
    ]);
    const machineKubelets = machines.map((m) => `${m.metadata.name} ${m.status?.phase} ${m.status?.kubeletVersion}`).sort();
    const nodeKubelets = nodes.items
      .map((x) => `${x.metadata!.name} ${isNodeReady(x) ? 'Ready' : 'NotReady'} ${x.status?.nodeInfo?.kubeletVersion}`)
      .sort();
    /** Every one of the set's machines Running, its Node Ready, both at kubelet `v`. */
    const allAt = (v: string) =>
      machines.length === MACHINES[n] &&
      nodes.items.length === MACHINES[n] &&
      machineKubelets.every((m) => m.endsWith(` Running ${v}`)) &&
      nodeKubelets.every((x) => x.endsWith(` Ready ${v}`));
    return { allAt, text: `Machines [${machineKubelets.join(', ')}], Nodes in ${n} [${nodeKubelets.join(', ')}]` };
  }

  /** Follows a rollout until `done` says so, printing every row transition with the time it was seen. */
  async function follow(
    name: string,
    done: (r: Rollout) => boolean,
    timeoutMs: number,
    onPoll?: (r: Rollout) => Promise<void>,
  ): Promise<Rollout> {
    const seen = new Map<string, string>();
    return waitFor(
      `FleetRollout ${name}`,
      async (st) => {
        const r = await rollout(name);
        if (!r) return undefined;
        for (const row of r.status?.clusters ?? []) {
          const line = `${row.state}${row.message ? ` (${row.message})` : ''}`;
          if (seen.get(row.name) !== line) log(`${name}: ${row.name} [wave ${row.wave}] ${line}`);
          seen.set(row.name, line);
        }
        const conditions = (r.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`);
        st.lastReason = `phase ${r.status?.phase}; ${conditions.join('; ')}`;
        await onPoll?.(r);
        return done(r) ? r : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  before(async function () {
    this.timeout(600_000);
    [cp, etcd] = await Promise.all([startControlPlane({ controllers: true, log: (l) => log(`[controlplane] ${l}`) }), startPlainEtcd()]);
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    // v1.32.0: a release whose controller-manager and scheduler are built here too, so the clusters start Ready.
    await applyObject(objects(), kubernetesVersion(FROM) as unknown as KubernetesObject);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-rollout-'));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
    });
    for (const n of [...PROD, 'f'])
      lbs.set(n, await startLoopbackLB(kc, NS, `kokpit.dev/cluster=${n},kokpit.dev/component=apiserver`, 6443));
    manager = await startManager();
    for (const n of PROD) await createCluster(n, { env: 'prod' });
    await createCluster(
      'f',
      { env: 'canary' },
      { apiServer: { service: { type: 'ClusterIP' }, extraArgs: { 'feature-gates': 'SidecarContainers=false' } } },
    );
    await createCluster('g', { env: 'canary' }, { paused: true });
    await applyObject(objects(), componentObject('containerd', '1.7.0'));
    await applyObject(objects(), componentObject('kubelet', FROM, ['containerd']));
    for (const n of PROD)
      await applyObject(
        objects(),
        {
          apiVersion: API,
          kind: 'MachineSet',
          metadata: { name: `${n}-workers`, namespace: NS },
          spec: {
            clusterRef: { name: n },
            replicas: MACHINES[n],
            template: {
              spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'kubelet', version: FROM }] },
            },
          },
        } as KubernetesObject,
        { fieldManager: 'kokpit-test' },
      );
    await waitFor(
      'a…f Ready at v1.32.0',
      async (st) => {
        const states = await Promise.all(
          [...PROD, 'f'].map(async (n) => {
            const c = await readCluster(kc, NS, n);
            const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
            return {
              n,
              ok: c.status?.version === FROM && ready?.status === 'True',
              why: `${n}: ${c.status?.version ?? '-'} ${ready?.reason ?? '-'} ${ready?.message ?? ''}`,
            };
          }),
        );
        st.lastReason = states.map((s) => s.why).join('; ');
        return states.every((s) => s.ok) || undefined;
      },
      { timeoutMs: 480_000, intervalMs: 2000 },
    );
    log('six business clusters Ready at v1.32.0');
    await waitFor(
      "a…e's kwok machines Running, their Nodes Ready at kubelet v1.32.0",
      async (st) => {
        const views = await Promise.all(PROD.map(async (n) => ({ n, v: await machinesOf(n) })));
        st.lastReason = views.map(({ n, v }) => `${n}: ${v.text}`).join('; ');
        return views.every(({ v }) => v.allAt(FROM)) || undefined;
      },
      { timeoutMs: 300_000, intervalMs: 2000 },
    );
    log(`kwok machines joined: ${PROD.map((n) => `${n} ${MACHINES[n]}`).join(', ')}`);
  });

  after(async function () {
    this.timeout(120_000);
    await manager?.stop();
    for (const lb of lbs.values()) await lb.stop();
    await runner?.stop();
    await Promise.all([cp?.stop(), etcd?.stop()]);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('bad input: a target outside the catalog and an overlapping rollout are refused with a condition; nothing starts', async function () {
    await createRollout('nowhere', {
      target: { kubernetesVersion: 'v1.99.0' },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      waves: [{ name: 'all', clusters: '100%' }],
    });
    const r = await follow(
      'nowhere',
      (x) => x.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') ?? false,
      30_000,
    );
    const valid = r.status!.conditions!.find((c) => c.type === 'Valid')!;
    assert.equal(valid.reason, 'VersionNotInCatalog');
    assert.match(valid.message!, /v1\.99\.0 is not in the version catalog/);
    assert.deepEqual(r.status?.clusters ?? [], [], 'no cluster assigned, none started');
    await objects().delete({ apiVersion: API, kind: 'FleetRollout', metadata: { name: 'nowhere' } } as KubernetesObject);
  });

  it(
    'waves 1/2/2 with a soak and includeMachines: each wave starts after the one before had its kwok machines at the target ' +
      'and soaked; the manager restarted mid-wave resumes; every cluster and MachineSet upgraded once',
    async function () {
      this.timeout(1_800_000);
      const created = Date.now();
      await createRollout('to-133', {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'prod' } }, namespaces: [NS] },
        waves: [
          { name: 'canary', clusters: 1, soak: `${SOAK_S}s` },
          { name: 'early', clusters: 3, maxConcurrency: 2, soak: `${SOAK_S}s` },
          { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: `${SOAK_S}s` },
        ],
        includeMachines: true,
        // Generous: on the shared 2-core machine a control plane upgrade right after the manager restart once took 7 min.
        progressDeadline: '10m',
      });
      // A second rollout over the same clusters, made after the first: refused, naming the first.
      await new Promise((r) => setTimeout(r, 1000));
      await createRollout('overlap', {
        target: { kubernetesVersion: TO },
        clusters: { selector: { matchLabels: { env: 'prod' } } },
        waves: [{ name: 'all', clusters: '100%' }],
      });
      const overlap = await follow(
        'overlap',
        (x) => x.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') ?? false,
        30_000,
      );
      const why = overlap.status!.conditions!.find((c) => c.type === 'Valid')!;
      assert.equal(why.reason, 'OverlappingRollout');
      assert.match(why.message!, /FleetRollout to-133/);
      await objects().delete({ apiVersion: API, kind: 'FleetRollout', metadata: { name: 'overlap' } } as KubernetesObject);

      let restartedDuring: string | undefined;
      // Each cluster's machines as its API server reports them the first time its row is seen soaking (or done).
      const atSoak = new Map<string, { state: string; ok: boolean; text: string }>();
      const done = await follow(
        'to-133',
        // Failed too: a failed rollout says why at once instead of at the timeout.
        (r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed',
        1_700_000,
        async (r) => {
          for (const x of r.status?.clusters ?? []) {
            if ((x.state !== 'Soaking' && x.state !== 'Succeeded') || atSoak.has(x.name)) continue;
            const v = await machinesOf(x.name);
            atSoak.set(x.name, { state: x.state, ok: v.allAt(TO), text: v.text });
            log(`${x.name} seen ${x.state}: ${v.text}`);
          }
          const b = r.status?.clusters?.find((x) => x.wave === 'early' && x.state === 'Upgrading');
          if (restartedDuring || !b) return;
          restartedDuring = `wave ${b.wave}, ${b.name} ${b.state}`;
          log(`stopping the manager (${restartedDuring})`);
          await manager!.stop();
          manager = await startManager();
          log('a new manager is running');
        },
      );
      assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.conditions));
      assert.ok(restartedDuring, 'the manager was restarted mid-rollout');
      const rows = done.status!.clusters!;
      const row = (n: string) => rows.find((x) => x.name === n)!;
      const t = (s?: string) => Date.parse(s!);
      for (const r of rows)
        log(`${r.name} [${r.wave}] started ${r.startedAt}, Ready at target ${r.readySince}, done ${r.finishedAt}: ${r.message}`);
      // Issue 17's "five real clusters upgraded in ≤ 3 minutes in total": the whole rollout, and how much of it is the
      // soaks (3 × SOAK_S) and each row's own upgrade (start → Ready at the target, machines included).
      const own = rows.map((r) => `${r.name} ${((Date.parse(r.readySince!) - Date.parse(r.startedAt!)) / 1000).toFixed(1)} s`);
      const total = ((Date.now() - created) / 1000).toFixed(1);
      log(`rollout created → Succeeded in ${total} s (soaks ${3 * SOAK_S} s); upgrades: ${own.join(', ')}`);
      assert.deepEqual(
        rows.map((r) => `${r.name}@${r.wave}:${r.state} ${r.from}→${r.to}`),
        ['a@canary', 'b@early', 'c@early', 'd@rest', 'e@rest'].map((w) => `${w}:Succeeded v1.32.0→v1.33.13`),
      );
      for (const r of rows)
        assert.ok(t(r.finishedAt) - t(r.readySince) >= SOAK_S * 1000, `${r.name} stayed Ready ${SOAK_S}s before it counted as done`);
      const waves = ['canary', 'early', 'rest'].map((w) => rows.filter((r) => r.wave === w));
      for (let i = 1; i < waves.length; i++) {
        const prevDone = Math.max(...waves[i - 1].map((r) => t(r.finishedAt)));
        for (const next of waves[i])
          assert.ok(
            t(next.startedAt) >= prevDone,
            `${next.name} (wave ${next.wave}) started after every cluster of wave ${waves[i - 1][0].wave} soaked`,
          );
      }
      // includeMachines: the rollout set each MachineSet's kubelet once, after the cluster started and before its soak
      // (the API server's managedFields time); the Nodes in the cluster's own API server were at the target by then.
      for (const r of rows) {
        const set = (await readSet(r.name))!;
        const entry = set.metadata.managedFields?.find((m) => m.manager === 'kokpit-rollout');
        assert.match(JSON.stringify(entry?.fieldsV1 ?? {}), /k:\{\\"name\\":\\"kubelet\\"\}/, `${r.name}: kubelet set by the rollout`);
        assert.equal(set.spec.template.spec.components?.find((c) => c.name === 'kubelet')?.version, TO);
        assert.equal(set.metadata.generation, 2, `${r.name}-workers: template changed once`);
        // Date or RFC 3339 string, as the client hands it out.
        const at = new Date(entry!.time!).getTime();
        assert.ok(
          at >= Math.floor(t(r.startedAt) / 1000) * 1000 && at <= t(r.readySince),
          `${r.name}: kubelet moved within the row (${new Date(at).toISOString()})`,
        );
        const seen = atSoak.get(r.name);
        assert.ok(seen?.ok, `${r.name}: machines at ${TO} when its row was seen ${seen?.state}: ${seen?.text}`);
        log(
          `${r.name}: MachineSet kubelet → ${TO} at ${new Date(at).toISOString()}; soak from ${r.readySince}; ` +
            `when seen ${seen!.state}: ${seen!.text}`,
        );
      }
      for (const [i, w] of waves.entries()) {
        const start = Math.min(...w.map((r) => t(r.startedAt)));
        const s = (x: number) => `+${((x - t(row('a').startedAt)) / 1000).toFixed(0)}s`;
        log(
          `wave ${i + 1} (${w[0].wave}: ${w.map((r) => r.name).join(', ')}): started ${s(start)}, machines at ${TO} and soaking ` +
            `${s(Math.max(...w.map((r) => t(r.readySince))))}, done ${s(Math.max(...w.map((r) => t(r.finishedAt))))}`,
        );
      }
      // maxConcurrency 2: both clusters of a later wave ran side by side.
      assert.equal(row('b').startedAt, row('c').startedAt, 'b and c started in the same pass');
      assert.deepEqual(done.status!.counts, { total: 5, pending: 0, upgrading: 0, soaking: 0, succeeded: 5, failed: 0, skipped: 0 });
      for (const n of PROD) {
        const c = await readCluster(kc, NS, n);
        assert.equal(c.status?.version, TO, n);
        // Created at generation 1; exactly one spec change since (a second one would move it again).
        assert.equal(c.metadata?.generation, 2, `${n}: spec changed once`);
        const owner = c.metadata?.managedFields?.find((m) => JSON.stringify(m.fieldsV1 ?? {}).includes('"f:version"'));
        assert.equal(owner?.manager, 'kokpit-rollout', `${n}: spec.version set by the rollout`);
      }
      log(
        `rollout to-133: ${rows.map((r) => `${r.name} ${((t(r.finishedAt) - t(r.startedAt)) / 1000).toFixed(0)}s`).join(', ')}; ` +
          `first start to last finish ${((Math.max(...rows.map((r) => t(r.finishedAt))) - t(row('a').startedAt)) / 1000).toFixed(0)}s`,
      );
    },
  );

  it('a cluster whose upgrade fails stops the rollout at maxFailures 0; the next wave stays untouched', async function () {
    this.timeout(600_000);
    await createRollout('canary', {
      target: { kubernetesVersion: TO },
      clusters: { selector: { matchLabels: { env: 'canary' } } },
      waves: [
        { name: 'first', clusters: 1, soak: '5s' },
        { name: 'second', clusters: '100%' },
      ],
      maxFailures: 0,
      progressDeadline: '90s',
    });
    const r = await follow('canary', (x) => x.status?.phase === 'Failed', 400_000);
    const rows = r.status!.clusters!;
    assert.deepEqual(
      rows.map((x) => `${x.name}@${x.wave}:${x.state}`),
      ['f@first:Failed', 'g@second:Pending'],
    );
    assert.match(rows[0].message!, /^ProgressDeadlineExceeded: not Ready at v1\.33\.13 within 90s/);
    assert.equal(r.status!.lastFailure?.cluster, `${NS}/f`);
    const progressing = r.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.reason, 'FailureBudgetExceeded');
    log(`canary failed: ${progressing.message}`);
    const g = await readCluster(kc, NS, 'g');
    assert.equal((g as unknown as { spec: { version: string } }).spec.version, FROM, 'g keeps its version');
    assert.equal(g.metadata?.generation, 1, 'g was never touched');
    // f really was asked to move, and its control plane says why it is not Ready.
    const f = await readCluster(kc, NS, 'f');
    assert.equal((f as unknown as { spec: { version: string } }).spec.version, TO);
    log(
      `f: ${(f.status?.conditions ?? [])
        .filter((c) => c.status === 'False')
        .map((c) => `${c.type} ${c.reason}: ${c.message}`)
        .join('; ')}`,
    );
  });
});
