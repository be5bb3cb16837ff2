// "Deploy to Clusters…" (fake vscode): a quick pick of the labels the hub's ManagedClusters carry, a name box proposing
// the file's name (checked as `kokpit deploy` checks it), then the binding, Placement and ManifestWorkReplicaSet
// applied under the editor's field manager. A file with nothing to deploy, or no connection, is refused before any
// question or request. The hub is test/support/fake-ocm-hub.ts (ManagedClusters env=dev, env=dev, env=prod).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { fakeHub, fakeHubKubeconfig, type FakeHub } from '../../support/fake-ocm-hub';
import { fake, installFakeVscode, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const FILE =
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n';
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('Deploy to Clusters… (editor): labels from the hub, the CLI’s objects and checks', function () {
  this.timeout(20_000);
  let state: FakeState;
  let hub: FakeHub;
  let deploy: (services: unknown, arg?: unknown) => Promise<void>;
  let services: { runtime: unknown; fleet: any };

  before(() => installFakeVscode());

  async function connect(ocm = true) {
    hub = await fakeHub(ocm);
    // Loaded by path after the fake is installed: the root tsconfig does not compile src/extension.
    const { FleetController } = require(join(ROOT, 'src', 'extension', 'fleet', 'controller.ts'));
    deploy = require(join(ROOT, 'src', 'extension', 'commands', 'deploy-to-clusters.ts')).deployToClustersCommands[
      'kokpit.deployToClusters'
    ];
    const runtime = {
      logger: silent,
      clock: { now: () => Date.now(), setTimeout: (fn: () => void) => setTimeout(fn, 0), clearTimeout: (h: any) => clearTimeout(h) },
      kube: {
        load: () => {
          const kc = new KubeConfig();
          kc.loadFromString(fakeHubKubeconfig(hub.url));
          return kc;
        },
        probe: async () => undefined,
        stream: () => ({ onEvent: () => undefined, start: async () => undefined, stop: async () => undefined }),
      },
    };
    const fleet = new FleetController(runtime);
    services = { runtime, fleet };
    assert.equal((await fleet.connect('fake')).kind, 'connected');
  }

  beforeEach(() => {
    state = fake.reset();
  });
  afterEach(async () => {
    services?.fleet.dispose();
    await hub?.close();
  });

  it('offers the labels with their clusters, proposes the file name, applies the three objects and says where they go', async () => {
    await connect();
    const doc = fake.openDocument('/w/apps/web-frontend.yaml', FILE);
    state.quickPickAnswer = 'env=dev';
    await deploy(services, doc.uri);
    assert.deepEqual(state.quickPicks[0].items, ['env=dev', 'env=prod']);
    assert.deepEqual(state.quickPicks[0].descriptions, ['2 clusters: fleet-a, fleet-b', '1 cluster: fleet-c']);
    assert.equal(state.inputBoxes[0].value, 'web-frontend');
    assert.deepEqual(
      hub.patches.map((p) => [p.body.kind, p.fieldManager]),
      [
        ['ManagedClusterSetBinding', 'kokpit-editor'],
        ['Placement', 'kokpit-editor'],
        ['ManifestWorkReplicaSet', 'kokpit-editor'],
      ],
    );
    const placement = hub.patches[1].body as unknown as { spec: unknown };
    assert.deepEqual(placement.spec, {
      clusterSets: ['global'],
      predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: { env: 'dev' } } } }],
    });
    assert.deepEqual(
      state.messages.map((m) => [m.level, m.text]),
      [
        [
          'info',
          'Kokpit: 2 objects of apps/web-frontend.yaml go to fleet-a, fleet-b (env=dev) as ManifestWorkReplicaSet default/web-frontend',
        ],
      ],
    );
  });

  it('the name box refuses what OCM would (not a DNS label); cancelling writes nothing', async () => {
    await connect();
    const doc = fake.openDocument('/w/app.yaml', FILE);
    state.quickPickAnswer = 'env=prod';
    state.inputBoxAnswers = ['Web'];
    await deploy(services, doc.uri);
    assert.equal(state.inputBoxes[0].validation, 'name "Web" is not a valid DNS label (lowercase letters, digits and "-")');
    assert.deepEqual(hub.patches, []);
    state.quickPickAnswer = undefined;
    await deploy(services, doc.uri);
    assert.deepEqual(hub.patches, [], 'no label picked: nothing');
  });

  it('a file with nothing to deploy, or hub-only kinds, is refused before any question; so is a meta cluster without OCM', async () => {
    await connect(false);
    const empty = fake.openDocument('/w/empty.yaml', '# nothing\n');
    await assert.rejects(deploy(services, empty.uri), /empty\.yaml holds no Kubernetes object: nothing to deploy/);
    const hubOnly = fake.openDocument(
      '/w/mc.yaml',
      'apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: x}\n',
    );
    await assert.rejects(deploy(services, hubOnly.uri), /ManagedCluster is an Open Cluster Management hub kind/);
    assert.deepEqual(state.quickPicks, []);
    const good = fake.openDocument('/w/app.yaml', FILE);
    await assert.rejects(deploy(services, good.uri), /no Open Cluster Management hub .*run kokpit up --with-ocm/);
    assert.deepEqual(hub.patches, []);
  });
});
