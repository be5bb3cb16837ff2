// "Deploy to Clusters…" / `kokpit deploy`: the pure builder (src/actions/deploy-to-clusters.ts) — the objects it makes
// from a file, the names it derives, the errors it gives before anything is created, and the label choices.
import * as assert from 'node:assert/strict';
import {
  buildDeployment,
  deployNameFromFile,
  labelChoices,
  noMatchMessage,
  parseLabelSelector,
  type LabelledCluster,
} from '../../../src/actions/deploy-to-clusters';
import { validateText } from '../../../src/validation';
import { stringify } from 'yaml';

const FILE = `
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
# a comment-only document and an empty one are skipped
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: w, image: nginx}]}}
`;

const build = (text = FILE, extra: Partial<Parameters<typeof buildDeployment>[0]> = {}) =>
  buildDeployment({ fileName: '/home/me/My App.v2.yaml', text, selector: { env: 'dev' }, ...extra });

describe('deploy to clusters: the builder', () => {
  it('a binding, a Placement and a ManifestWorkReplicaSet named after the file, with feedback for the Deployment', () => {
    const d = build();
    assert.equal(d.name, 'my-app-v2');
    assert.equal(d.namespace, 'default');
    assert.deepEqual(
      d.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [
        'cluster.open-cluster-management.io/v1beta2 ManagedClusterSetBinding default/global',
        'cluster.open-cluster-management.io/v1beta1 Placement default/my-app-v2',
        'work.open-cluster-management.io/v1alpha1 ManifestWorkReplicaSet default/my-app-v2',
      ],
    );
    assert.deepEqual(d.objects[0].spec, { clusterSet: 'global' });
    assert.deepEqual(d.objects[1].spec, {
      clusterSets: ['global'],
      predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: { env: 'dev' } } } }],
    });
    const spec = d.objects[2].spec as {
      placementRefs: unknown;
      manifestWorkTemplate: { workload: { manifests: any[] }; manifestConfigs: unknown };
    };
    assert.deepEqual(spec.placementRefs, [{ name: 'my-app-v2', rolloutStrategy: { type: 'All' } }]);
    assert.deepEqual(
      spec.manifestWorkTemplate.workload.manifests.map((m) => `${m.kind} ${m.metadata.namespace ?? '-'}/${m.metadata.name}`),
      ['Namespace -/demo', 'ConfigMap default/settings', 'Deployment demo/web'],
      'a namespaced object without a namespace goes to default; a Namespace keeps none',
    );
    assert.deepEqual(spec.manifestWorkTemplate.manifestConfigs, [
      {
        resourceIdentifier: { group: 'apps', resource: 'deployments', name: 'web', namespace: 'demo' },
        feedbackRules: [{ type: 'WellKnownStatus' }],
      },
    ]);
  });

  it("what it builds passes kokpit's validator (OCM's own CRD schemas)", () => {
    const d = build(FILE, { namespace: 'apps', name: 'web', clusterSet: 'dev' });
    const problems = validateText(d.objects.map((o) => stringify(o)).join('---\n')).filter((x) => x.severity === 'error');
    assert.deepEqual(problems, []);
  });

  it('names: the file name as a DNS label; an explicit name is checked, and must fit OCM\'s "<namespace>.<name>" label', () => {
    assert.equal(deployNameFromFile('C:\\work\\__Web_Frontend__.YML'), 'web-frontend');
    assert.equal(deployNameFromFile('deploy/app.yaml'), 'app');
    assert.throws(() => build(FILE, { fileName: '___.yaml' }), /no name can be derived from "___.yaml"; give one$/);
    assert.throws(() => build(FILE, { name: 'Web' }), /name "Web" is not a valid DNS label/);
    assert.throws(() => build(FILE, { namespace: 'Apps' }), /namespace "Apps" is not a valid DNS label/);
    assert.equal(build(FILE, { name: 'n'.repeat(55) }).name.length, 55, '55 + "default." = 63');
    assert.throws(
      () => build(FILE, { name: 'n'.repeat(56) }),
      /name "n{56}" is 56 characters; in namespace default at most 55 fit OCM's label/,
    );
  });

  it('a file with no object is refused, naming the file', () => {
    assert.throws(() => build(''), /My App\.v2\.yaml holds no Kubernetes object: nothing to deploy/);
    assert.throws(() => build('# only a comment\n---\n'), /holds no Kubernetes object/);
  });

  it('hub-only kinds (OCM, kokpit.dev; cluster-scoped or not) are refused: a business cluster has no such API', () => {
    const mc = 'apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: x}\n';
    assert.throws(
      () => build(`${FILE}---\n${mc}`),
      /document 5 \(ManagedCluster\) x: ManagedCluster is an Open Cluster Management hub kind \(cluster-scoped, meta cluster only\); a business cluster has no such API, so OCM cannot apply it there/,
    );
    const bc = 'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata: {name: y, namespace: fleet}\n';
    assert.throws(
      () => build(bc),
      /document 1 \(BusinessCluster\) y: BusinessCluster \(kokpit\.dev\/v1alpha1\) is a kokpit meta-cluster kind/,
    );
    // A kind of the same name in another group is not OCM's.
    assert.equal(build('apiVersion: example.com/v1\nkind: Placement\nmetadata: {name: p}\n').manifests.length, 1);
  });

  it("OCM's webhook checks, made here since kokpit's hub runs no webhooks: names, generateName, 500 KiB, duplicates", () => {
    assert.throws(
      () => build('apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n'),
      /document 1 \(ConfigMap\): generateName is not allowed/,
    );
    assert.throws(() => build('apiVersion: v1\nkind: ConfigMap\ndata: {}\n'), /document 1 \(ConfigMap\): metadata.name is required/);
    assert.throws(() => build('just: text\n'), /document 1: not a Kubernetes object \(apiVersion and kind are required\)/);
    assert.throws(() => build('a: [\n'), /document 1: not valid YAML/);
    const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {x: "${'x'.repeat(520 * 1024)}"}\n`;
    assert.throws(() => build(big), /the manifests are \d+ bytes, over OCM's limit of 512000 for one ManifestWork; split the file/);
    const twice =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n' +
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n';
    assert.throws(() => build(twice), /ConfigMap a appears twice/);
    assert.throws(
      () => build('apiVersion: v1\nkind: Namespace\nmetadata: {name: n, namespace: x}\n'),
      /Namespace is cluster-scoped; remove metadata.namespace/,
    );
  });

  it('a kind: List is flattened into its items', () => {
    const list =
      'apiVersion: v1\nkind: List\nitems:\n' +
      '- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n';
    assert.deepEqual(
      build(list).manifests.map((m) => m.kind),
      ['ConfigMap', 'Secret'],
    );
  });

  it('an empty selector is refused (it would pick every cluster)', () => {
    assert.throws(() => build(FILE, { selector: {} }), /give at least one label/);
  });
});

describe('deploy to clusters: selectors and the clusters they pick', () => {
  const clusters: LabelledCluster[] = [
    { name: 'fleet-a', labels: { env: 'dev', 'cluster.open-cluster-management.io/clusterset': 'default' } },
    { name: 'fleet-b', labels: { env: 'dev', 'cluster.open-cluster-management.io/clusterset': 'default' } },
    { name: 'fleet-c', labels: { env: 'prod', tier: 'web', 'cluster.open-cluster-management.io/clusterset': 'default' } },
  ];
  it('parses key=value[,key=value] with label syntax, and says what is wrong', () => {
    assert.deepEqual(parseLabelSelector('env=dev,kokpit.dev/cluster=a'), { env: 'dev', 'kokpit.dev/cluster': 'a' });
    assert.deepEqual(parseLabelSelector('empty='), { empty: '' });
    assert.throws(() => parseLabelSelector('env'), /key=value\[,key=value…\] \(label syntax\), got "env"/);
    assert.throws(() => parseLabelSelector('env!=dev'), /got "env!=dev"/);
  });
  it('label choices: each label with its clusters, most common first, OCM’s own last', () => {
    assert.deepEqual(
      labelChoices(clusters).map((c) => `${c.label} ${c.clusters.length}`),
      ['env=dev 2', 'env=prod 1', 'tier=web 1', 'cluster.open-cluster-management.io/clusterset=default 3'],
    );
  });
  it('a selector that picks nothing says so, with the values the hub has for its keys', () => {
    assert.equal(noMatchMessage({ env: 'dev' }, clusters), undefined);
    assert.equal(
      noMatchMessage({ env: 'qa' }, clusters),
      'no ManagedCluster has env=qa (of 3: fleet-a, fleet-b, fleet-c); present: env=dev (2), env=prod (1)',
    );
    assert.equal(noMatchMessage({ env: 'dev', tier: 'web' }, clusters)?.startsWith('no ManagedCluster has env=dev,tier=web'), true);
    assert.equal(noMatchMessage({ env: 'dev' }, []), 'the hub has no ManagedCluster yet: nothing to deploy to');
  });
});
