// FleetRollout with an addon target (issue 17: "a rollout with an addon target moves the pins wave by wave") on a
// real API server. What is real: the kube-apiserver and etcd, the CRDs (validation, list-map merging of
// spec.addons), the rollout operator and its server-side applies. What is played by the test: the cluster
// operator's last word — status.addons (version, ready) for the generation it saw — as test/integration/rollout/
// windows.test.ts plays status.version; rendering addons into a business cluster is the addons pass's own test
// (test/integration/cluster/addon-versions.test.ts).
// - a version the catalog does not offer: refused on the rollout's Valid condition, naming the versions it offers;
// - coredns 1.11.3 → 1.12.1 over a, b, c in waves 1 / 100% with a soak: a's pin moves first (kube-proxy's entry
//   and the rest of its spec kept), b and c only after a soaked; x, which has no coredns, is not a target.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { startRolloutOperator, type RolloutOperator } from '../../../src/operators/rollout/operator';
import { businessCluster } from '../cluster/support';
import { API, TO, rolloutAccessors, startRolloutControlPlane, type Rollout } from './support';

const NS = 'addons';
const OLD = '1.11.3';
const NEW = '1.12.1';
const SOAK_S = 3;

describe('FleetRollout: an addon target moves the pins wave by wave on a real API server', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let op: RolloutOperator | undefined;
  const { objects, apply, readRollout, readBC, rolloutWhere } = rolloutAccessors(() => kc, NS);

  /** The cluster operator's last word, played by the test: every addon at its pin (coredns unpinned: OLD), ready. */
  async function reportAddons(name: string): Promise<void> {
    const bc = await readBC(name);
    const gen = bc.metadata.generation ?? 1;
    const addons = (bc.spec.addons ?? []).map((a) => ({
      name: a.name,
      version: a.version ?? (a.name === 'coredns' ? OLD : '1.0'),
      ready: true,
    }));
    await applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS } }, 'businessclusters', {
      phase: 'Running',
      version: TO,
      observedGeneration: gen,
      addons,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: gen, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    });
  }

  async function cluster(name: string, addons: unknown[]): Promise<void> {
    const bc = businessCluster(name, NS, { version: TO, etcd: { clusterRef: { name: 'shared' } }, addons });
    await apply({ ...bc, metadata: { name, namespace: NS, labels: { env: 'prod' } } });
    await reportAddons(name);
  }

  const createRollout = (name: string, version: string) =>
    apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name },
      spec: {
        target: { addon: { name: 'coredns', version } },
        clusters: { selector: { matchLabels: { env: 'prod' } } },
        waves: [
          { name: 'canary', clusters: 1, soak: `${SOAK_S}s` },
          { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: `${SOAK_S}s` },
        ],
        progressDeadline: '5m',
      },
    });

  const state = (r: Rollout, n: string) => r.status?.clusters?.find((x) => x.name === n)?.state;
  const corednsPin = async (n: string) => (await readBC(n)).spec.addons?.find((a) => a.name === 'coredns')?.version;

  before(async function () {
    this.timeout(300_000);
    cp = await startRolloutControlPlane(NS);
    kc = cp.kubeConfig();
    // Two versions of coredns side by side (one object each), and kube-proxy.
    const manifests = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n';
    await apply({ apiVersion: API, kind: 'Addon', metadata: { name: 'coredns' }, spec: { version: OLD, manifests } });
    await apply({
      apiVersion: API,
      kind: 'Addon',
      metadata: { name: 'coredns-1-12-1' },
      spec: { name: 'coredns', version: NEW, manifests },
    });
    await apply({ apiVersion: API, kind: 'Addon', metadata: { name: 'kube-proxy' }, spec: { version: '1.0', manifests } });
    for (const n of ['a', 'b', 'c']) await cluster(n, [{ name: 'coredns', parameters: { replicas: 1 } }, { name: 'kube-proxy' }]);
    await cluster('x', [{ name: 'kube-proxy' }]);
    op = await startRolloutOperator({ kc });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await cp?.stop();
  });

  it('a version no Addon offers is refused on the rollout, naming what the catalog offers; nothing starts', async function () {
    this.timeout(120_000);
    await createRollout('nowhere', '9.9.9');
    const r = await rolloutWhere(
      'nowhere',
      'refused',
      (x) => x.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') ?? false,
    );
    const valid = r.status!.conditions!.find((c) => c.type === 'Valid')!;
    assert.equal(valid.reason, 'AddonVersionNotOffered');
    assert.equal(valid.message, `spec.target.addon.version 9.9.9 is not offered by addon coredns; available: ${OLD}, ${NEW}`);
    assert.deepEqual(r.status?.clusters ?? [], [], 'no cluster assigned');
    for (const n of ['a', 'b', 'c']) assert.equal((await readBC(n)).metadata.generation, 1, `${n} untouched`);
    await objects().delete({ apiVersion: API, kind: 'FleetRollout', metadata: { name: 'nowhere' } } as KubernetesObject);
  });

  it(`coredns ${OLD} → ${NEW}: canary first, the rest after its soak; x (no coredns) is not a target`, async function () {
    this.timeout(300_000);
    await createRollout('coredns', NEW);
    const canary = await rolloutWhere('coredns', 'a upgrading', (r) => state(r, 'a') === 'Upgrading');
    assert.deepEqual(
      canary.status!.clusters!.map((x) => `${x.name}@${x.wave}:${x.state}`),
      ['a@canary:Upgrading', 'b@rest:Pending', 'c@rest:Pending'],
    );
    assert.match(
      canary.status!.conditions!.find((c) => c.type === 'Valid')!.message!,
      /1 matching cluster\(s\) without coredns in spec\.addons are not targets/,
    );
    await waitFor('a pinned to the target', async () => ((await corednsPin('a')) === NEW ? true : undefined), { timeoutMs: 30_000 });
    const a = await readBC('a');
    // One entry of the list map merged by its key: the parameters and kube-proxy stay as the user applied them.
    assert.deepEqual(a.spec.addons, [{ name: 'coredns', version: NEW, parameters: { replicas: 1 } }, { name: 'kube-proxy' }]);
    const owner = a.metadata.managedFields?.find(
      (m) => m.subresource !== 'status' && m.manager !== 'kokpit-test' && JSON.stringify(m.fieldsV1 ?? {}).includes('"f:version"'),
    );
    assert.equal(owner?.manager, 'kokpit-rollout');
    assert.equal(await corednsPin('b'), undefined, 'b waits for the canary');

    // An overlapping rollout made later is refused naming this one, and the running one keeps its plan (b and c stay
    // Pending in their wave, not re-added as newcomers).
    await new Promise((r) => setTimeout(r, 1100));
    await createRollout('coredns-again', NEW);
    const again = await rolloutWhere(
      'coredns-again',
      'refused',
      (x) => x.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') ?? false,
    );
    assert.equal(again.status!.conditions!.find((c) => c.type === 'Valid')!.reason, 'OverlappingRollout');
    assert.match(again.status!.conditions!.find((c) => c.type === 'Valid')!.message!, /FleetRollout coredns,/);
    await new Promise((r) => setTimeout(r, 2000));
    const kept = (await readRollout('coredns'))!;
    assert.deepEqual(kept.status!.clusters!.map((x) => `${x.name}@${x.wave}:${x.state}${x.message ? ` (${x.message})` : ''}`).slice(1), [
      'b@rest:Pending',
      'c@rest:Pending',
    ]);
    await objects().delete({ apiVersion: API, kind: 'FleetRollout', metadata: { name: 'coredns-again' } } as KubernetesObject);

    await reportAddons('a');
    await rolloutWhere(
      'coredns',
      'b and c upgrading',
      (r) => state(r, 'a') === 'Succeeded' && state(r, 'b') === 'Upgrading' && state(r, 'c') === 'Upgrading',
    );
    await waitFor('b and c pinned', async () => ((await corednsPin('b')) === NEW && (await corednsPin('c')) === NEW ? true : undefined), {
      timeoutMs: 30_000,
    });
    await reportAddons('b');
    await reportAddons('c');
    const done = await rolloutWhere('coredns', 'Succeeded', (r) => r.status?.phase === 'Succeeded');
    const rows = done.status!.clusters!;
    assert.deepEqual(
      rows.map((r) => `${r.name}:${r.state} ${r.from}→${r.to}`),
      ['a', 'b', 'c'].map((n) => `${n}:Succeeded ${OLD}→${NEW}`),
    );
    const t = (s?: string) => Date.parse(s!);
    for (const r of rows) assert.ok(t(r.finishedAt) - t(r.readySince) >= SOAK_S * 1000, `${r.name} soaked`);
    const canaryDone = t(rows[0].finishedAt);
    for (const r of rows.slice(1)) assert.ok(t(r.startedAt) >= canaryDone, `${r.name} started after the canary soaked`);
    for (const n of ['a', 'b', 'c']) assert.equal((await readBC(n)).metadata.generation, 2, `${n}: spec changed once`);
    const x = await readBC('x');
    assert.equal(x.metadata.generation, 1, 'x untouched');
    assert.deepEqual(x.spec.addons, [{ name: 'kube-proxy' }]);
  });
});
