// The Fleet view's data path with Open Cluster Management on a real API server: the connection asks discovery
// whether OCM's kinds are served, and watches them only then. Without OCM's CRDs: the five kokpit groups, no
// Placements group, no OCM watch and no warning. With them (schemas/ocm, as `kokpit up --with-ocm` installs): a
// business cluster shows its ManagedCluster (Joined, Available, lease) and the ManifestWork of its hub namespace
// with per-manifest feedback; Placements lists a Placement with its decisions; a status change arrives by the watch.
// A connection made before OCM was installed finds it by asking again (ocmPollMs) and shows all of it, no Refresh;
// an imported cluster (`kokpit register`'s ManagedCluster, no BusinessCluster) is under Imported clusters with its work.
import assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { systemClock } from '../../../src/extension/model/clock';
import { FleetConnection } from '../../../src/extension/model/fleet-connection';
import type { Logger } from '../../../src/extension/model/logger';
import { informerStream, ocmServed } from '../../../src/extension/model/meta-cluster';
import { applyStatus } from '../../../src/kit';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { ocmSchemaDir } from '../../../src/validation/ocm-schemas';
import { businessCluster } from '../cluster/support';

const NS = 'fleet';
const CLUSTER_API = 'cluster.open-cluster-management.io';
const ALPHA = 'meta:meta/BusinessCluster/fleet/alpha';

describe('Fleet view: OCM nodes only when the meta cluster serves OCM, from real watches', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  const warnings: string[] = [];
  /** Warnings but a fresh CRD's transient 429 on its first watch (storage initializing), which the informer retries. */
  const realWarnings = () => warnings.filter((w) => !/HTTP 429: storage is \(re\)initializing/.test(w));
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => void warnings.push(m),
    error: (m) => void warnings.push(String(m)),
  };
  /** The kinds each connection opened a watch for. */
  let watched: string[] = [];
  /** Made before OCM is installed, and kept open. */
  let early: FleetConnection | undefined;
  const connect = async () => {
    watched = [];
    const c = new FleetConnection({
      ocmPollMs: 500,
      name: 'meta',
      streams: (k) => {
        watched.push(k.kind);
        return informerStream(kc, k, logger);
      },
      ocmServed: () => ocmServed(kc),
      clock: systemClock,
      logger,
      debounceMs: 10,
    });
    await c.start();
    return c;
  };
  const apply = (o: KubernetesObject) => applyObject(makeObjectApi(kc), o, { fieldManager: 'kokpit-test' });

  before(async function () {
    this.timeout(180_000);
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    for (const name of [NS, 'fleet-alpha', 'apps']) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await apply(businessCluster('alpha', NS, { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } } }));
  });
  after(async () => {
    await early?.stop();
    await cp?.stop();
  });

  it('without OCM: no Placements group, no OCM node, no warning, no OCM watch', async function () {
    this.timeout(60_000);
    assert.equal(await ocmServed(kc), false);
    const c = await connect();
    try {
      await waitFor('alpha listed', async () => c.model.get(ALPHA), { timeoutMs: 30_000 });
      assert.deepEqual(
        c.model.children(c.model.rootId).map((n) => n.label),
        ['etcd clusters', 'Business clusters', 'Rollouts', 'Versions', 'Addons'],
      );
      assert.ok(!watched.includes('ManagedCluster') && !watched.includes('ManifestWork'), watched.join(', '));
      assert.deepEqual(realWarnings(), []);
    } finally {
      await c.stop();
    }
    early = await connect();
  });

  it('with OCM: ManagedCluster, ManifestWork with feedback and Placement decisions in the tree; changes come by watch', async function () {
    this.timeout(180_000);
    await installCRDs(kc, ocmSchemaDir());
    await waitFor('OCM served', async () => (await ocmServed(kc)) || undefined, { timeoutMs: 60_000 });
    const mc = {
      apiVersion: `${CLUSTER_API}/v1`,
      kind: 'ManagedCluster',
      metadata: { name: 'fleet-alpha', labels: { 'kokpit.dev/namespace': NS, 'kokpit.dev/cluster': 'alpha' } },
      spec: { hubAcceptsClient: true, leaseDurationSeconds: 15 },
    };
    const at = '2026-01-01T00:00:00Z';
    const mcStatus = (available: string, reason: string) => ({
      conditions: [
        { type: 'ManagedClusterJoined', status: 'True', reason: 'ManagedClusterJoined', message: 'joined', lastTransitionTime: at },
        { type: 'ManagedClusterConditionAvailable', status: available, reason, message: 'm', lastTransitionTime: at },
      ],
    });
    // Retried: a fresh CRD answers 429 while its storage initializes.
    await waitFor('ManagedCluster applied', async () => (await apply(mc), true), { timeoutMs: 60_000 });
    await applyStatus(kc, mc, 'managedclusters', mcStatus('True', 'ManagedClusterAvailable'));
    const work = {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: 'web', namespace: 'fleet-alpha' },
      spec: { workload: { manifests: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } }] } },
    };
    await waitFor('ManifestWork applied', async () => (await apply(work), true), { timeoutMs: 60_000 });
    await applyStatus(kc, work, 'manifestworks', {
      conditions: [
        { type: 'Applied', status: 'True', reason: 'AppliedManifestWorkComplete', message: 'm', lastTransitionTime: at },
        { type: 'Available', status: 'True', reason: 'ResourcesAvailable', message: 'm', lastTransitionTime: at },
      ],
      resourceStatus: {
        manifests: [
          {
            resourceMeta: {
              ordinal: 0,
              group: 'apps',
              version: 'v1',
              kind: 'Deployment',
              resource: 'deployments',
              name: 'web',
              namespace: 'shop',
            },
            conditions: [{ type: 'Applied', status: 'True', reason: 'AppliedManifestComplete', message: 'm', lastTransitionTime: at }],
            statusFeedback: { values: [{ name: 'readyReplicas', fieldValue: { type: 'Integer', integer: 2 } }] },
          },
        ],
      },
    });
    const placement = { apiVersion: `${CLUSTER_API}/v1beta1`, kind: 'Placement', metadata: { name: 'dev', namespace: 'apps' }, spec: {} };
    await waitFor('Placement applied', async () => (await apply(placement), true), { timeoutMs: 60_000 });
    const decision = {
      apiVersion: `${CLUSTER_API}/v1beta1`,
      kind: 'PlacementDecision',
      metadata: { name: 'dev-decision-1', namespace: 'apps', labels: { 'cluster.open-cluster-management.io/placement': 'dev' } },
    };
    await waitFor('PlacementDecision applied', async () => (await apply(decision), true), { timeoutMs: 60_000 });
    await applyStatus(kc, decision, 'placementdecisions', { decisions: [{ clusterName: 'fleet-alpha', reason: '' }] });

    // An imported cluster: kokpit register's ManagedCluster (no BusinessCluster behind it) and a work in its namespace.
    const edge = {
      apiVersion: `${CLUSTER_API}/v1`,
      kind: 'ManagedCluster',
      metadata: { name: 'edge-1', labels: { 'kokpit.dev/imported': 'edge-1', 'app.kubernetes.io/managed-by': 'kokpit' } },
      spec: { hubAcceptsClient: true, leaseDurationSeconds: 60 },
    };
    await apply(edge);
    await applyStatus(kc, edge, 'managedclusters', mcStatus('True', 'ManagedClusterAvailable'));
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge-1' } });
    await apply({ ...work, metadata: { name: 'web', namespace: 'edge-1' } });

    // The connection made before OCM was there shows it all, without a Refresh.
    const edgeId = 'meta:meta/ManagedCluster/edge-1';
    const edgeNode = await waitFor('the imported cluster in the early connection', async () => early!.model.get(edgeId), {
      timeoutMs: 30_000,
    });
    assert.equal(edgeNode.description, 'imported · Joined · Available · lease 60s');
    assert.equal(early!.model.parent(edgeId)?.label, 'Imported clusters');
    await waitFor('its work', async () => early!.model.get(`${edgeId}/work/web`), { timeoutMs: 30_000 });
    await waitFor('the ManagedCluster under alpha', async () => early!.model.get(`${ALPHA}/managedCluster/fleet-alpha`), {
      timeoutMs: 30_000,
    });
    assert.deepEqual(
      early!.model.children(early!.model.rootId).map((n) => n.label),
      ['etcd clusters', 'Business clusters', 'Imported clusters', 'Rollouts', 'Placements', 'Versions', 'Addons'],
    );

    const c = await connect();
    try {
      const mcId = `${ALPHA}/managedCluster/fleet-alpha`;
      const node = await waitFor('the ManagedCluster node', async () => c.model.get(mcId), { timeoutMs: 30_000 });
      assert.equal(node.description, 'Joined · Available · lease 15s');
      assert.deepEqual(watched.slice(-4), ['ManagedCluster', 'Placement', 'PlacementDecision', 'ManifestWork']);
      const workId = `${ALPHA}/work/web`;
      await waitFor('the work manifest', async () => c.model.get(`${workId}/manifest/0`), { timeoutMs: 30_000 });
      assert.equal(c.model.get(`${workId}/manifest/0`)!.label, 'Deployment shop/web');
      assert.match(c.model.get(`${workId}/manifest/0`)!.description!, /readyReplicas=2/);
      assert.ok(c.model.children(c.model.rootId).some((n) => n.label === 'Placements'));
      const placed = await waitFor(
        'the decision under the placement',
        async () => c.model.children('meta:meta/Placement/apps/dev').map((n) => n.label)[0],
        { timeoutMs: 30_000 },
      );
      assert.equal(placed, 'fleet-alpha');
      // The hub marks the cluster Unknown: the watch brings it to the node.
      await applyStatus(kc, mc, 'managedclusters', mcStatus('Unknown', 'ManagedClusterLeaseUpdateStopped'));
      await waitFor(
        'Available=Unknown on the node',
        async () =>
          /Available=Unknown \(ManagedClusterLeaseUpdateStopped\)/.test(c.model.get(mcId)?.description ?? '') ? true : undefined,
        { timeoutMs: 30_000 },
      );
      assert.equal(c.model.get(mcId)!.status, 'warning');
      assert.deepEqual(realWarnings(), []);
    } finally {
      await c.stop();
    }
  });
});
