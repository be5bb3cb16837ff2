// The multicluster operator's pure parts: ManagedCluster names, OCM's Go templates as kokpit expands them, the hub's
// objects from the copied manifests, a cluster's ManagedCluster and its hosted agent.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../../../src/api';
import { readOcmManifests } from '../../../../src/operators/multicluster/hub';
import { AGENT_USER, managedClusterName } from '../../../../src/operators/multicluster/names';
import {
  multiclusterOf,
  renderAgent,
  renderManagedCluster,
  STATUS_SYNC_INTERVAL,
} from '../../../../src/operators/multicluster/render/agent';
import { renderHub } from '../../../../src/operators/multicluster/render/hub';
import { expandTemplate } from '../../../../src/operators/multicluster/render/template';

const ROOT = path.resolve(__dirname, '../../../..');
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const cluster = (namespace: string, name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { namespace, name, labels },
    spec: { version: 'v1.33.13', etcd: {}, ...spec },
  }) as unknown as BusinessCluster;

describe('multicluster: ManagedCluster names', () => {
  it('<namespace>-<name> when unambiguous, a hash when the namespace has a dash or the name is too long', () => {
    assert.equal(managedClusterName('fleet', 'a'), 'fleet-a');
    const x = managedClusterName('team-a', 'x');
    const y = managedClusterName('team', 'a-x');
    assert.equal(y, 'team-a-x');
    assert.notEqual(x, y, 'team-a/x and team/a-x read the same without a hash');
    assert.match(x, /^team-a-x-[0-9a-f]{8}$/);
    const long = managedClusterName('fleet', 'n'.repeat(70));
    assert.ok(long.length <= 63 && DNS_LABEL.test(long), long);
    assert.notEqual(long, managedClusterName('fleet', 'n'.repeat(71)));
  });
});

describe('multicluster: OCM template expansion', () => {
  it('values, if/else on truthiness, and label ranges dropped', () => {
    const labels = '{{ if gt (len .Labels) 0 }}{{ range $k, $v := .Labels }}x{{ end }}{{ end }}';
    const t = `a: {{ .A }}\n{{ if .B }}b: yes{{ else }}b: no{{ end }}\n${labels}c`;
    assert.equal(expandTemplate(t, { A: '1', B: false }), 'a: 1\nb: no\nc');
    assert.equal(expandTemplate(t, { A: '1', B: true }), 'a: 1\nb: yes\nc');
  });
  it('refuses what it does not understand, so a new construct in a future copy is noticed', () => {
    assert.throws(() => expandTemplate('{{ .Missing }}', {}), /value missing: \{\{ \.Missing \}\}/);
    assert.throws(() => expandTemplate('{{ include "x" . }}', {}), /not supported/);
    assert.throws(() => expandTemplate('{{ if .A }}', {}), /unterminated/);
  });
});

describe('multicluster: the hub from the copied manifests', () => {
  const objects = renderHub(readOcmManifests(ROOT), { server: 'https://127.0.0.1:6443', caPEM: 'PEM' });
  it('CRDs first and each once, then namespaces, RBAC and the three controllers; no webhooks', () => {
    const kinds = objects.map((o) => o.kind);
    const firstOther = kinds.findIndex((k) => k !== 'CustomResourceDefinition');
    assert.ok(kinds.slice(firstOther).every((k) => k !== 'CustomResourceDefinition'));
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata!.name!);
    assert.equal(new Set(crds).size, crds.length);
    for (const n of ['managedclusters', 'manifestworks', 'placements', 'addonplacementscores'])
      assert.ok(
        crds.some((c) => c.startsWith(`${n}.`)),
        n,
      );
    assert.ok(!kinds.some((k) => /Webhook/.test(k!)));
    const deployments = objects.filter((o): o is V1Deployment & typeof o => o.kind === 'Deployment').map((d) => d.metadata!.name);
    assert.deepEqual(deployments, [
      'cluster-manager-registration-controller',
      'cluster-manager-placement-controller',
      'cluster-manager-work-controller',
    ]);
    assert.ok(
      objects.some(
        (o) =>
          o.kind === 'ClusterRoleBinding' &&
          (o as unknown as { subjects: { name: string }[] }).subjects[0].name === 'klusterlet-agent' &&
          o.metadata!.name === 'open-cluster-management:bootstrap:kokpit-agents',
      ),
    );
  });
  it("the work controller runs OCM's `/work manager` as work-controller-sa, bound to OCM's ManifestWorkReplicaSet role", () => {
    const work = objects.find((o) => o.metadata?.name === 'cluster-manager-work-controller') as V1Deployment;
    const pod = work.spec!.template.spec!;
    assert.equal(pod.serviceAccountName, 'work-controller-sa');
    assert.equal(pod.containers[0].image, 'quay.io/open-cluster-management/work:v1.0.0');
    assert.deepEqual(pod.containers[0].command, ['/work']);
    assert.equal(pod.containers[0].args![0], 'manager');
    assert.ok(pod.containers[0].args!.includes('--namespace=open-cluster-management-hub'));
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata?.name === 'work-controller-sa');
    assert.equal(sa?.metadata?.namespace, 'open-cluster-management-hub');
    const binding = objects.find(
      (o) => o.kind === 'ClusterRoleBinding' && o.metadata?.name === 'open-cluster-management:cluster-manager-work:controller',
    ) as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] } | undefined;
    assert.deepEqual(binding?.subjects, [{ kind: 'ServiceAccount', name: 'work-controller-sa', namespace: 'open-cluster-management-hub' }]);
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata?.name === binding!.roleRef.name) as
      { rules: { resources: string[]; verbs: string[] }[] } | undefined;
    const may = (resource: string, verb: string) => role!.rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    assert.ok(may('manifestworks', 'create') && may('manifestworks', 'delete') && may('manifestworkreplicasets/status', 'patch'));
    assert.ok(may('placementdecisions', 'watch'));
  });
  it("the registration controller auto-approves exactly the hosted agents' ServiceAccount", () => {
    const reg = objects.find((o) => o.metadata?.name === 'cluster-manager-registration-controller') as V1Deployment;
    const args = reg.spec!.template.spec!.containers[0].args!;
    assert.ok(args.includes('--feature-gates=ManagedClusterAutoApproval=true'));
    assert.ok(args.includes(`--auto-approved-csr-users=${AGENT_USER}`));
    assert.equal(AGENT_USER, 'system:serviceaccount:open-cluster-management-agent:klusterlet-agent');
  });
});

describe('multicluster: a cluster ManagedCluster and its hosted agent', () => {
  it('labels, hubAcceptsClient and the lease; defaults from the schema', () => {
    const c = cluster('fleet', 'a', { multicluster: { clusterSet: 'dev' } }, { env: 'dev' });
    assert.deepEqual(multiclusterOf(cluster('fleet', 'a')), { register: true, leaseDurationSeconds: 60 });
    const mc = renderManagedCluster(c);
    assert.equal(mc.metadata!.name, 'fleet-a');
    assert.deepEqual(mc.metadata!.labels, {
      env: 'dev',
      'kokpit.dev/namespace': 'fleet',
      'kokpit.dev/cluster': 'a',
      'kokpit.dev/kubernetes-version': 'v1.33.13',
      'app.kubernetes.io/managed-by': 'kokpit',
      'cluster.open-cluster-management.io/clusterset': 'dev',
    });
    assert.deepEqual(mc.spec, { hubAcceptsClient: true, leaseDurationSeconds: 60 });
  });
  it('every path the agent is given is under one of its mounts (the pod runner maps only those)', () => {
    const pod = renderAgent('fleet-a', 'h').spec!.template.spec!;
    const c = pod.containers[0];
    const mounts = c.volumeMounts!.map((m) => m.mountPath);
    const paths = [...c.args!.flatMap((a) => /=(\/[^,]*)$/.exec(a)?.[1] ?? []), c.workingDir!];
    assert.ok(paths.length >= 6);
    for (const p of paths)
      assert.ok(
        mounts.some((m) => p === m || p.startsWith(`${m}/`)),
        `${p} is under no mount`,
      );
    assert.ok(c.args!.includes('--spoke-cluster-name=fleet-a'));
    assert.ok(c.args!.includes('--hub-kubeconfig-secret=fleet-a-hub-kubeconfig'));
  });
  it("the work agent syncs status every 2 s, not OCM v1.0.0's 10 s default (feedback within the 5 s goal)", () => {
    const args = renderAgent('fleet-a', 'h').spec!.template.spec!.containers[0].args!;
    assert.deepEqual(
      args.filter((a) => a.startsWith('--status-sync-interval=')),
      ['--status-sync-interval=2s'],
    );
    assert.equal(STATUS_SYNC_INTERVAL, '2s');
  });
});
