// The Fleet tree with Open Cluster Management (issue 18): under each business cluster its ManagedCluster (Joined,
// Available, lease) and the ManifestWorks of its hub namespace with per-manifest conditions and status feedback; a
// Placements group with each Placement's decisions; an Imported clusters group with each ManagedCluster that is no
// BusinessCluster's (`kokpit register`) and its works; nothing of it on a meta cluster without OCM.
import assert from 'node:assert/strict';
import { FleetModel } from '../../../src/fleet/model';
import { feedbackText, type ManagedCluster, type ManifestWork, type Placement, type PlacementDecision } from '../../../src/fleet/ocm';
import { businessCluster } from '../../support/objects';

const ALPHA = 'meta:meta/BusinessCluster/fleet/alpha';

function managed(name: string, cluster: string, available: { status: string; reason?: string } = { status: 'True' }): ManagedCluster {
  return {
    kind: 'ManagedCluster',
    metadata: { name, labels: { 'kokpit.dev/namespace': 'fleet', 'kokpit.dev/cluster': cluster } },
    spec: { hubAcceptsClient: true, leaseDurationSeconds: 15 },
    status: {
      conditions: [
        { type: 'HubAcceptedManagedCluster', status: 'True' },
        { type: 'ManagedClusterJoined', status: 'True', reason: 'ManagedClusterJoined' },
        { type: 'ManagedClusterConditionAvailable', ...available },
      ],
    },
  };
}

function work(name: string, namespace: string, readyReplicas?: number): ManifestWork {
  return {
    kind: 'ManifestWork',
    metadata: { name, namespace },
    spec: { workload: { manifests: [{}, {}] } },
    status: {
      conditions: [
        { type: 'Applied', status: 'True' },
        { type: 'Available', status: readyReplicas ? 'True' : 'False', reason: 'ResourcesNotAvailable' },
      ],
      resourceStatus: {
        manifests: [
          {
            resourceMeta: { ordinal: 1, group: 'apps', kind: 'Deployment', name: 'web', namespace: 'shop' },
            conditions: [
              { type: 'Applied', status: 'True' },
              { type: 'Available', status: readyReplicas ? 'True' : 'False' },
              { type: 'StatusFeedbackSynced', status: 'True' },
            ],
            statusFeedback: {
              values: [
                { name: 'readyReplicas', fieldValue: { type: 'Integer', integer: readyReplicas ?? 0 } },
                { name: 'replicas', fieldValue: { type: 'Integer', integer: 2 } },
              ],
            },
          },
          {
            resourceMeta: { ordinal: 0, kind: 'Namespace', name: 'shop' },
            conditions: [
              { type: 'Applied', status: 'True' },
              { type: 'Available', status: 'True' },
            ],
          },
        ],
      },
    },
  };
}

const placement = (name: string, selected: number): Placement => ({
  kind: 'Placement',
  metadata: { name, namespace: 'apps' },
  status: {
    numberOfSelectedClusters: selected,
    conditions: [{ type: 'PlacementSatisfied', status: 'True', reason: 'AllDecisionsScheduled' }],
  },
});
const decision = (name: string, placementName: string, clusters: string[]): PlacementDecision => ({
  kind: 'PlacementDecision',
  metadata: { name, namespace: 'apps', labels: { 'cluster.open-cluster-management.io/placement': placementName } },
  status: { decisions: clusters.map((clusterName) => ({ clusterName, reason: '' })) },
});

describe('Fleet tree: Open Cluster Management', () => {
  it('a meta cluster without OCM has no Placements group and no OCM nodes', () => {
    const m = new FleetModel('meta');
    m.upsert(businessCluster('alpha', 'fleet'));
    assert.deepEqual(
      m.children(m.rootId).map((n) => n.label),
      ['etcd clusters', 'Business clusters', 'Rollouts', 'Versions', 'Addons'],
    );
    assert.ok(!m.children(ALPHA).some((n) => n.kind === 'managedCluster' || n.kind === 'manifestWork'));
  });

  it("a business cluster shows its ManagedCluster's Joined, Available and lease, whichever arrives first", () => {
    const m = new FleetModel('meta');
    m.upsert(managed('fleet-alpha', 'alpha'));
    const changed = m.upsert(businessCluster('alpha', 'fleet'));
    const node = m.children(ALPHA).find((n) => n.kind === 'managedCluster')!;
    assert.ok(changed.includes(node.id));
    assert.equal(node.label, 'ManagedCluster fleet-alpha');
    assert.equal(node.description, 'Joined · Available · lease 15s');
    assert.equal(node.status, 'ok');
    assert.match(node.tooltip!, /Available=Unknown after 75 s without a renewal/);
    assert.deepEqual(node.ref, { kind: 'ManagedCluster', name: 'fleet-alpha' });
    // The Placements group appears with OCM, after Rollouts.
    assert.deepEqual(
      m.children(m.rootId).map((n) => n.label),
      ['etcd clusters', 'Business clusters', 'Rollouts', 'Placements', 'Versions', 'Addons'],
    );
  });

  it('loss: Available=False (apiserver stopped) is an error, Unknown (lease not renewed) a warning, both with the reason', () => {
    const m = new FleetModel('meta');
    m.upsert(businessCluster('alpha', 'fleet'));
    m.upsert(managed('fleet-alpha', 'alpha'));
    const id = `${ALPHA}/managedCluster/fleet-alpha`;
    assert.ok(
      m.upsert(managed('fleet-alpha', 'alpha', { status: 'False', reason: 'ManagedClusterKubeAPIServerUnavailable' })).includes(id),
    );
    assert.equal(m.get(id)!.description, 'Joined · Available=False (ManagedClusterKubeAPIServerUnavailable) · lease 15s');
    assert.equal(m.get(id)!.status, 'error');
    m.upsert(managed('fleet-alpha', 'alpha', { status: 'Unknown', reason: 'ManagedClusterLeaseUpdateStopped' }));
    assert.equal(m.get(id)!.description, 'Joined · Available=Unknown (ManagedClusterLeaseUpdateStopped) · lease 15s');
    assert.equal(m.get(id)!.status, 'warning');
    assert.deepEqual(m.upsert(managed('fleet-alpha', 'alpha', { status: 'Unknown', reason: 'ManagedClusterLeaseUpdateStopped' })), []);
  });

  it('works in the hub namespace under the cluster, manifests in ordinal order with conditions and status feedback', () => {
    const m = new FleetModel('meta');
    m.upsert(businessCluster('alpha', 'fleet'));
    m.upsert(work('shop', 'fleet-alpha')); // before its ManagedCluster: shown once the cluster is known
    m.upsert(work('elsewhere', 'fleet-beta'));
    m.upsert(managed('fleet-alpha', 'alpha'));
    const works = m.children(ALPHA).filter((n) => n.kind === 'manifestWork');
    assert.deepEqual(
      works.map((w) => [w.label, w.description, w.status]),
      [['ManifestWork shop', 'Applied · Available=False (ResourcesNotAvailable) · 2 manifests', 'warning']],
    );
    const manifests = () => m.children(works[0].id).map((n) => [n.label, n.description]);
    assert.deepEqual(manifests(), [
      ['Namespace shop', 'Applied · Available'],
      ['Deployment shop/web', 'Applied · Available=False · readyReplicas=0 · replicas=2'],
    ]);
    // Feedback changes: the manifest node (and the work) refresh.
    const changed = m.upsert(work('shop', 'fleet-alpha', 2));
    assert.ok(changed.includes(`${works[0].id}/manifest/1`));
    assert.deepEqual(manifests()[1], ['Deployment shop/web', 'Applied · Available · readyReplicas=2 · replicas=2']);
    assert.equal(m.get(works[0].id)!.status, 'ok');
    // A deleted work leaves the tree.
    assert.ok(m.remove({ kind: 'ManifestWork', namespace: 'fleet-alpha', name: 'shop' }).includes(ALPHA));
    assert.equal(m.get(works[0].id), undefined);
    assert.equal(m.get(`${works[0].id}/manifest/1`), undefined);
  });

  it('a deleted ManagedCluster takes its node and its works off the cluster', () => {
    const m = new FleetModel('meta');
    m.upsert(businessCluster('alpha', 'fleet'));
    m.upsert(managed('fleet-alpha', 'alpha'));
    m.upsert(work('shop', 'fleet-alpha'));
    m.remove({ kind: 'ManagedCluster', name: 'fleet-alpha' });
    assert.deepEqual(
      m.children(ALPHA).map((n) => n.kind),
      ['controlPlaneComponent', 'controlPlaneComponent', 'controlPlaneComponent'],
    );
  });

  it('Placements list each placement with the clusters its decisions chose; decisions follow their placement by label', () => {
    const m = new FleetModel('meta');
    m.showOcm();
    m.upsert(decision('dev-decision-1', 'dev', ['fleet-beta', 'fleet-alpha']));
    m.upsert(decision('other-decision-1', 'prod', ['fleet-gamma']));
    m.upsert(placement('dev', 2));
    const group = 'meta:meta/placements';
    const [dev] = m.children(group);
    assert.equal(dev.id, 'meta:meta/Placement/apps/dev');
    assert.equal(dev.description, 'apps · 2 selected · Satisfied');
    assert.deepEqual(
      m.children(dev.id).map((n) => n.label),
      ['fleet-alpha', 'fleet-beta'],
    );
    // Relabelled cluster: the decision changes, the placement's children follow.
    const changed = m.upsert(decision('dev-decision-1', 'dev', ['fleet-gamma']));
    assert.ok(changed.includes(dev.id));
    assert.deepEqual(
      m.children(dev.id).map((n) => n.label),
      ['fleet-gamma'],
    );
    assert.deepEqual(m.remove({ kind: 'Placement', namespace: 'apps', name: 'dev' }), [group]);
    assert.deepEqual(m.children(group), []);
  });

  it('imported clusters: a group after Business clusters with each state and works; gone with the last one', () => {
    const m = new FleetModel('meta');
    m.upsert(businessCluster('alpha', 'fleet'));
    m.upsert(managed('fleet-alpha', 'alpha'));
    const imported = (name: string, available = 'True'): ManagedCluster => {
      const mc = managed(name, 'x', { status: available, ...(available === 'True' ? {} : { reason: 'ManagedClusterLeaseUpdateStopped' }) });
      return {
        ...mc,
        metadata: {
          name,
          labels: { 'kokpit.dev/imported': name, 'app.kubernetes.io/managed-by': 'kokpit', env: 'dev' },
          annotations: { 'kokpit.dev/imported-server': 'https://10.0.0.9:6443' },
        },
      };
    };
    assert.ok(!m.children(m.rootId).some((n) => n.label === 'Imported clusters'), 'no group while nothing is imported');
    m.upsert(work('shop', 'edge-1')); // before its ManagedCluster: shown once it is known
    const changed = m.upsert(imported('edge-1'));
    assert.ok(changed.includes(m.rootId));
    assert.deepEqual(
      m.children(m.rootId).map((n) => n.label),
      ['etcd clusters', 'Business clusters', 'Imported clusters', 'Rollouts', 'Placements', 'Versions', 'Addons'],
    );
    m.upsert({ ...imported('other'), metadata: { name: 'other' } }); // registered by other means
    const group = 'meta:meta/imported';
    assert.deepEqual(
      m.children(group).map((n) => [n.id, n.label, n.description, n.status]),
      [
        ['meta:meta/ManagedCluster/edge-1', 'edge-1', 'imported · Joined · Available · lease 15s', 'ok'],
        ['meta:meta/ManagedCluster/other', 'other', 'not kokpit’s · Joined · Available · lease 15s', 'ok'],
      ],
    );
    assert.match(
      m.get('meta:meta/ManagedCluster/edge-1')!.tooltip!,
      /imported by kokpit register \(cluster at https:\/\/10\.0\.0\.9:6443\)/,
    );
    // Its works, with their manifests, as under a business cluster; the business cluster's ManagedCluster stays there.
    const [shop] = m.children('meta:meta/ManagedCluster/edge-1');
    assert.equal(shop.label, 'ManifestWork shop');
    assert.deepEqual(
      m.children(shop.id).map((n) => n.label),
      ['Namespace shop', 'Deployment shop/web'],
    );
    assert.ok(m.children(ALPHA).some((n) => n.id === `${ALPHA}/managedCluster/fleet-alpha`));
    assert.ok(m.upsert(work('shop', 'edge-1', 2)).includes(`${shop.id}/manifest/1`));
    // Loss shows on the node; deregistered clusters leave, and the group with the last one.
    m.upsert(imported('edge-1', 'Unknown'));
    assert.equal(m.get('meta:meta/ManagedCluster/edge-1')!.status, 'warning');
    assert.ok(m.remove({ kind: 'ManagedCluster', name: 'edge-1' }).includes(group));
    assert.equal(m.get(shop.id), undefined);
    assert.deepEqual(m.remove({ kind: 'ManagedCluster', name: 'other' }), [m.rootId]);
    assert.ok(!m.children(m.rootId).some((n) => n.label === 'Imported clusters'));
    assert.equal(m.get(group), undefined);
  });

  it('status feedback values of every type read as name=value', () => {
    assert.equal(feedbackText({ name: 'ready', fieldValue: { type: 'Boolean', boolean: false } }), 'ready=false');
    assert.equal(feedbackText({ name: 'phase', fieldValue: { type: 'String', string: 'Running' } }), 'phase=Running');
    assert.equal(feedbackText({ name: 'raw', fieldValue: { type: 'JsonRaw', jsonRaw: '{"a":1}' } }), 'raw={"a":1}');
    assert.equal(feedbackText({ name: 'missing' }), 'missing=?');
  });
});
