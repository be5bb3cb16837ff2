// A ManifestWorkReplicaSet and its Placement on real OCM v1.0.0 processes (support.ts: a real meta control plane,
// three business clusters run by the pod runner, the hub's registration, placement and work controllers, a hosted
// agent per cluster). The Placement, its ManagedClusterSetBinding and the ManifestWorkReplicaSet are created by
// `kokpit deploy FILE --selector env=dev` (the objects "Deploy to Clusters…" builds too: src/actions/deploy-to-clusters.ts):
// - a selector no cluster matches is refused, naming the labels the hub's clusters have, and nothing is created;
// - env=dev picks the two dev clusters: the Namespace, ConfigMap and Deployment are in those business API servers
//   and not in the prod one;
// - status feedback (WellKnownStatus) brings the Deployment's replicas back to the hub's ManifestWork;
// - relabelling (a dev→prod, c prod→dev) moves the work: gone from a (ManifestWork and objects), applied to c.
// Timings are printed (the test asserts no duration).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { buildDeployment, type DeployObject } from '../../../src/actions/deploy-to-clusters';
import { runCli } from '../../../src/cli/main';
import { waitFor } from '../../../src/controlplane';
import { readObject } from '../../../src/kube';
import { managedClusterName } from '../../../src/operators/multicluster/names';
import { ensureNamespace } from '../cluster/support';
import { cond, startMulticlusterEnv, webAppManifests, type MC, type MulticlusterEnv } from './support';

const NS = 'fleet';
const HUB_NS = 'apps';
const API = 'kokpit.dev/v1alpha1';
const FILE = webAppManifests('demo');

/** All three objects there, none being deleted. */
const ALL = /^ns,cm,deploy$/;

interface Work extends MC {
  status?: MC['status'] & {
    resourceStatus?: {
      manifests?: {
        resourceMeta: { kind: string; name: string };
        statusFeedback?: { values?: { name: string; fieldValue: { integer?: number } }[] };
      }[];
    };
  };
}

/** What of the file a business cluster holds: `ns`, `cm`, `deploy`, each with ` (deleting)` while it has a deletionTimestamp. */
async function present(kc: KubeConfig): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const found = async (what: string, read: () => Promise<{ metadata?: { deletionTimestamp?: Date } }>) => {
    try {
      return (await read()).metadata?.deletionTimestamp ? [`${what} (deleting)`] : [what];
    } catch (e) {
      if ((e as { code?: number }).code === 404) return [];
      throw e;
    }
  };
  return [
    ...(await found('ns', () => core.readNamespace({ name: 'demo' }))),
    ...(await found('cm', () => core.readNamespacedConfigMap({ name: 'settings', namespace: 'demo' }))),
    ...(await found('deploy', () => kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: 'demo' }))),
  ];
}

describe('multicluster: a ManifestWorkReplicaSet placed by labels on real OCM (Deploy to Clusters)', function () {
  let env: MulticlusterEnv;
  const business = new Map<string, KubeConfig>();
  const deployment = buildDeployment({ fileName: 'demo-app.yaml', text: FILE, selector: { env: 'dev' }, namespace: HUB_NS });
  const workRef = (cluster: string) => ({
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name: deployment.name, namespace: managedClusterName(NS, cluster) },
  });
  let created = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-deploy-it-'));
  const ref = (o: DeployObject) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
  });
  const lap = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  /** Per cluster: the ManifestWork's Applied condition (or `none`) and what its business API server holds. */
  async function where(clusters: string[]): Promise<Record<string, { work: string; objects: string[] }>> {
    const out: Record<string, { work: string; objects: string[] }> = {};
    for (const c of clusters) {
      const w = await readObject<Work>(env.objects(), workRef(c));
      out[c] = { work: w ? `Applied=${cond(w, 'Applied') ?? '?'}` : 'none', objects: await present(business.get(c)!) };
    }
    return out;
  }

  before(async function () {
    this.timeout(900_000);
    env = await startMulticlusterEnv({
      namespace: NS,
      clusters: [
        { name: 'a', labels: { env: 'dev' } },
        { name: 'b', labels: { env: 'dev' } },
        { name: 'c', labels: { env: 'prod' } },
      ],
      steadyMs: 30_000,
    });
    await env.waitAvailable(['a', 'b', 'c']);
    env.log(`three ManagedClusters Joined and Available (${env.elapsed().toFixed(1)} s since start)`);
    for (const c of ['a', 'b', 'c']) business.set(c, await env.businessKubeConfig(c));
    await ensureNamespace(env.kc, HUB_NS);
  });

  after(async function () {
    this.timeout(180_000);
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('env=dev: the Namespace, ConfigMap and Deployment are in the two dev clusters only', async function () {
    this.timeout(600_000);
    // `kokpit deploy` as a user runs it: a selector no cluster matches is refused with nothing created, then env=dev.
    const file = path.join(dir, 'demo-app.yaml');
    fs.writeFileSync(file, FILE);
    const kokpit = async (selector: string) => {
      const out: string[] = [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), progress: () => {}, isTTY: false, cwd: dir };
      const code = await runCli(['deploy', file, '--selector', selector, '-n', HUB_NS, '--kubeconfig', env.cp.kubeconfigPath], io);
      return { code, out: out.join('\n') };
    };
    const none = await kokpit('env=qa');
    assert.equal(none.code, 1, none.out);
    assert.match(
      none.out,
      /no ManagedCluster has env=qa \(of 3: fleet-a, fleet-b, fleet-c\); present: env=dev \(2\), env=prod \(1\); nothing created/,
    );
    assert.equal(await readObject(env.objects(), ref(deployment.objects[1])), undefined, 'no Placement was created');
    const t = (created = Date.now());
    const done = await kokpit('env=dev');
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /3 objects of .*demo-app\.yaml go to fleet-a, fleet-b \(env=dev\) as ManifestWorkReplicaSet apps\/demo-app/);
    const state = await waitFor(
      'the work Applied on a and b, their objects in place',
      async (st) => {
        const s = await where(['a', 'b']);
        st.lastReason = JSON.stringify(s);
        return Object.values(s).every((x) => x.work === 'Applied=True' && ALL.test(x.objects.join())) ? s : undefined;
      },
      { timeoutMs: 540_000, intervalMs: 1000 },
    );
    env.log(`applied on a and b ${lap(t)} after the ManifestWorkReplicaSet was created: ${JSON.stringify(state)}`);
    const decisions = await waitFor(
      'a PlacementDecision',
      async () => {
        const list = await env
          .objects()
          .list(
            'cluster.open-cluster-management.io/v1beta1',
            'PlacementDecision',
            HUB_NS,
            undefined,
            undefined,
            undefined,
            undefined,
            `cluster.open-cluster-management.io/placement=${deployment.name}`,
          );
        const names = (list.items as { status?: { decisions?: { clusterName: string }[] } }[]).flatMap(
          (d) => d.status?.decisions?.map((x) => x.clusterName) ?? [],
        );
        return names.length ? names.sort() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    assert.deepEqual(decisions, ['fleet-a', 'fleet-b']);
    assert.deepEqual(await where(['c']), { c: { work: 'none', objects: [] } });
    const cm = await business.get('a')!.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'settings', namespace: 'demo' });
    assert.deepEqual(cm.data, { greeting: 'hello from the hub' });
  });

  it("status feedback: the hub's ManifestWork shows the Deployment's replicas", async function () {
    this.timeout(300_000);
    const replicas = await waitFor(
      'the Deployment replicas fed back on a and b',
      async (st) => {
        const values = await Promise.all(
          ['a', 'b'].map(async (c) => {
            const w = await readObject<Work>(env.objects(), workRef(c));
            const m = w?.status?.resourceStatus?.manifests?.find((x) => x.resourceMeta.kind === 'Deployment');
            return m?.statusFeedback?.values?.find((v) => v.name === 'Replicas')?.fieldValue.integer;
          }),
        );
        st.lastReason = `Replicas: ${JSON.stringify(values)}`;
        return values.every((v) => v === 2) ? values : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    assert.deepEqual(replicas, [2, 2]);
    env.log(`feedback Replicas=2 on both hub ManifestWorks ${lap(created)} after the ManifestWorkReplicaSet was created`);
  });

  it('relabelling a (dev→prod) and c (prod→dev) moves the work: removed from a, applied to c', async function () {
    this.timeout(600_000);
    const t = Date.now();
    for (const [name, env_] of [
      ['a', 'prod'],
      ['c', 'dev'],
    ])
      await env
        .objects()
        .patch(
          { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace: NS, labels: { env: env_ } } } as KubernetesObject,
          undefined,
          undefined,
          'kokpit-test',
          undefined,
          PatchStrategy.MergePatch,
        );
    let appliedOnC: string | undefined;
    let goneFromA: string | undefined;
    const state = await waitFor(
      'the work gone from a, Applied on c, still on b',
      async (st) => {
        const s = await where(['a', 'b', 'c']);
        st.lastReason = JSON.stringify(s);
        if (!appliedOnC && s.c.work === 'Applied=True' && ALL.test(s.c.objects.join())) appliedOnC = lap(t);
        if (!goneFromA && s.a.work === 'none' && s.a.objects.length === 0) goneFromA = lap(t);
        return appliedOnC && goneFromA && s.b.work === 'Applied=True' && ALL.test(s.b.objects.join()) ? s : undefined;
      },
      { timeoutMs: 540_000, intervalMs: 1000 },
    );
    env.log(`after relabelling: applied on c in ${appliedOnC}, removed from a in ${goneFromA}: ${JSON.stringify(state)}`);
    const mwrs = await readObject<KubernetesObject & { status?: { summary?: Record<string, number> } }>(
      env.objects(),
      ref(deployment.objects[2]),
    );
    env.log(`ManifestWorkReplicaSet summary: ${JSON.stringify(mwrs?.status?.summary)}`);
  });
});
