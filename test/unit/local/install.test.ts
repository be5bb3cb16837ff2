// `kokpit install --dry-run -o yaml`: the manifests of config/default as kokpit renders them (src/local/install.ts),
// with the image and replicas substituted, and what the manager Deployment and its RBAC must be.
import * as assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { KOKPIT_VERSION } from '../../../src/kube';
import { KINDS } from '../../../src/api/kinds';
import { renderInstall } from '../../../src/local/install';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args: string[];
  env?: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  ports: Array<{ name: string; containerPort: number }>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
}
interface Deployment extends KubernetesObject {
  spec: {
    replicas: number;
    template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[] } };
  };
}
type Rule = { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] };

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
const deployment = (objs: KubernetesObject[]) => objs.find((o) => o.kind === 'Deployment') as Deployment;

describe('kokpit install: rendering config/default', () => {
  it('--dry-run -o yaml prints every object, valid in shape, with the image and replicas given', async function () {
    this.timeout(30_000);
    const r = await cli(['install', '--dry-run', '-o', 'yaml', '--image', 'registry.example/kokpit:dev', '--replicas', '3']);
    assert.equal(r.code, 0, r.err);
    const docs = parseAllDocuments(r.out);
    for (const d of docs) assert.deepEqual(d.errors, []);
    const objs = docs.map((d) => d.toJS() as KubernetesObject);
    for (const o of objs) {
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 200));
      assert.match(o.metadata!.name!, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${o.kind} name is a DNS name`);
      if (CLUSTER_SCOPED.has(o.kind!)) assert.equal(o.metadata?.namespace, undefined, `${o.kind} is cluster-scoped`);
      else assert.equal(o.metadata?.namespace, 'kokpit-system', `${o.kind}/${o.metadata?.name} is in kokpit-system`);
    }
    // Every kokpit CRD; kustomize's order, so what an object needs is applied before it.
    const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata!.name);
    assert.deepEqual(
      crds.sort(),
      KINDS.filter((k) => k.crd)
        .map((k) => `${k.plural}.kokpit.dev`)
        .sort(),
    );
    assert.deepEqual(
      objs.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => o.kind),
      [
        'Namespace',
        'ServiceAccount',
        'Role',
        ...['ClusterRole', 'ClusterRole', 'ClusterRole'],
        'RoleBinding',
        ...['ClusterRoleBinding', 'ClusterRoleBinding'],
        'Service',
        'Deployment',
      ],
    );
    assert.equal(objs[0].kind, 'Namespace');
    const d = deployment(objs);
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'registry.example/kokpit:dev');
  });

  it('by default: 2 replicas of kokpit.dev/kokpit-manager:<version>, leader election, probes, metrics, limits, restricted', () => {
    const d = deployment(renderInstall());
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'kokpit-manager');
    const c = pod.containers[0];
    assert.equal(c.image, `kokpit.dev/kokpit-manager:${KOKPIT_VERSION}`);
    assert.deepEqual(c.command, ['kokpit']);
    assert.equal(c.args[0], 'operator');
    for (const a of ['--leader-elect', '--metrics-bind-address=:8443', '--metrics-secure', '--health-probe-bind-address=:8081'])
      assert.ok(c.args.includes(a), a);
    const port = (name: string) => c.ports.find((p) => p.name === name)?.containerPort;
    assert.equal(port('https'), 8443);
    type Service = KubernetesObject & { spec: { ports: Array<{ targetPort: string }> } };
    const service = renderInstall().find((o) => o.kind === 'Service') as Service;
    assert.equal(service.metadata?.name, 'kokpit-manager-metrics-service');
    assert.equal(service.spec.ports[0].targetPort, 'https');
    assert.equal(port('probes'), 8081);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'probes' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'probes' });
    for (const k of ['cpu', 'memory']) assert.ok(c.resources.requests[k] && c.resources.limits[k], `${k} request and limit`);
    assert.equal(c.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    assert.equal(c.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    // The restricted Pod Security Standard.
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('RBAC: no wildcard, the leases only in kokpit-system, every binding names the manager ServiceAccount', () => {
    const objs = renderInstall();
    const roles = objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role') as Array<KubernetesObject & { rules: Rule[] }>;
    assert.deepEqual(roles.map((r) => r.metadata?.name).sort(), [
      'kokpit-leader-election',
      'kokpit-manager',
      'kokpit-metrics-auth',
      'kokpit-metrics-reader',
    ]);
    for (const r of roles)
      for (const rule of r.rules)
        for (const x of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.nonResourceURLs ?? []), ...rule.verbs])
          assert.notEqual(x, '*', `${r.kind} ${JSON.stringify(rule)}`);
    // The reader role is for scrapers (bound by whoever runs Prometheus), the one right /metrics asks for.
    const reader = roles.find((r) => r.metadata?.name === 'kokpit-metrics-reader')!;
    assert.deepEqual(reader.rules, [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
    const clusterRole = roles.find((r) => r.metadata?.name === 'kokpit-manager')!;
    assert.ok(!clusterRole.rules.some((r) => r.resources?.includes('leases')), 'leases are granted by the namespaced Role only');
    const role = roles.find((r) => r.kind === 'Role')!;
    assert.equal(role.metadata?.namespace, 'kokpit-system');
    const bindings = objs.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as Array<
      KubernetesObject & { subjects: Array<{ kind: string; name: string; namespace: string }> }
    >;
    for (const b of bindings)
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'kokpit-manager', namespace: 'kokpit-system' }]);
  });

  it('--with-multicluster: the multicluster ClusterRole (no wildcard, no RBAC writes) bound to the manager, running the operator', () => {
    const plain = renderInstall();
    const objs = renderInstall({ multicluster: true });
    const extra = objs.filter((o) => !plain.some((p) => p.kind === o.kind && p.metadata?.name === o.metadata?.name));
    assert.deepEqual(extra.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), [
      'ClusterRole/kokpit-manager-multicluster',
      'ClusterRoleBinding/kokpit-manager-multicluster',
    ]);
    const role = extra.find((o) => o.kind === 'ClusterRole') as KubernetesObject & { rules: Rule[] };
    for (const rule of role.rules) {
      for (const x of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]) assert.notEqual(x, '*', JSON.stringify(rule));
      // Hosted agents share the Roles the hub install made: the operator grants nothing itself (no bind, no escalate).
      assert.ok(!rule.apiGroups?.includes('rbac.authorization.k8s.io'), JSON.stringify(rule));
    }
    const binding = extra.find((o) => o.kind === 'ClusterRoleBinding') as KubernetesObject & { subjects: unknown[] };
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'kokpit-manager', namespace: 'kokpit-system' }]);
    const args = (d: KubernetesObject[]) =>
      (
        d.find((o) => o.kind === 'Deployment') as KubernetesObject & {
          spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
        }
      ).spec.template.spec.containers[0].args;
    assert.equal(args(objs).at(-1), '--controllers=etcd,cluster,machine,rollout,multicluster');
    assert.ok(!args(plain).some((a) => a.startsWith('--controllers')), 'without it the default controllers (no multicluster)');
  });

  it('refuses bad flags before reading any cluster', async () => {
    assert.equal((await cli(['install', '--replicas', 'two'])).code, 2);
    assert.equal((await cli(['install', '-o', 'yaml'])).code, 2, '-o yaml without --dry-run');
    assert.equal((await cli(['install', '--image', 'has space'])).code, 2);
  });
});
