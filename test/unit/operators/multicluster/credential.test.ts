// The hosted agent's own identity in its business cluster: OCM's agent RBAC from the copied manifests bound to the
// agent's user, when its certificate must be re-issued, and the credential step issuing it once and renewing it
// before expiry (with a stand-in Applier: the Secrets are plain objects here).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { buildKubeconfig, certInfo, createCA, issueCert, type CertificateAuthority } from '../../../../src/pki';
import type { Applier } from '../../../../src/kit';
import { readManagedRBAC } from '../../../../src/operators/multicluster/hub';
import { AGENT_NAMESPACE, agentNames } from '../../../../src/operators/multicluster/names';
import { ensureAgentCredential } from '../../../../src/operators/multicluster/credential';
import {
  AGENT_CERT_RENEW_DAYS,
  AGENT_CERT_VALID_DAYS,
  AGENT_GROUP,
  agentClientCert,
  agentCredentialProblem,
  agentUser,
  renderAgentRBAC,
  type RBACObject,
} from '../../../../src/operators/multicluster/render/credential';

const ROOT = path.resolve(__dirname, '../../../..');
const DAY = 24 * 3600 * 1000;
const SERVER = 'https://127.0.0.1:40001';
type Binding = RBACObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; apiGroup?: string }[] };
type Role = RBACObject & { rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[]; aggregationRule?: unknown };

describe('multicluster: the hosted agent RBAC in a business cluster (OCM v1.0.0 klusterlet/managed)', () => {
  const objects = renderAgentRBAC(readManagedRBAC(ROOT), 'fleet-a');
  const bindings = objects.filter((o): o is Binding => o.kind === 'ClusterRoleBinding');
  const roles = objects.filter((o): o is Role => o.kind === 'ClusterRole');

  // That the copied files are OCM's, byte for byte: test/integration/multicluster/ocm-files.test.ts (needs the module).

  it('every binding names the agent user only (no ServiceAccount), and the roles OCM binds its agent to', () => {
    assert.equal(bindings.length, 5);
    for (const b of bindings)
      assert.deepEqual(
        b.subjects,
        [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'kokpit:ocm-agent:fleet-a' }],
        b.metadata.name,
      );
    assert.deepEqual(bindings.map((b) => b.roleRef.name).sort(), [
      'admin',
      'open-cluster-management:kokpit-registration:addon-management',
      'open-cluster-management:kokpit-registration:agent',
      'open-cluster-management:kokpit-work:agent',
      'open-cluster-management:kokpit-work:aggregate',
    ]);
    // Every role a binding names is rendered here, except the built-in `admin`.
    const names = new Set(roles.map((r) => r.metadata.name));
    for (const b of bindings) if (b.roleRef.name !== 'admin') assert.ok(names.has(b.roleRef.name), b.roleRef.name);
  });

  it('roles before bindings; the aggregate role selects the execution role and owns no rules', () => {
    const firstBinding = objects.findIndex((o) => o.kind === 'ClusterRoleBinding');
    assert.ok(objects.slice(firstBinding).every((o) => o.kind === 'ClusterRoleBinding'));
    const aggregate = roles.find((r) => r.metadata.name === 'open-cluster-management:kokpit-work:aggregate')!;
    assert.equal(aggregate.rules, undefined);
    assert.deepEqual(aggregate.aggregationRule, {
      clusterRoleSelectors: [{ matchLabels: { 'open-cluster-management.io/aggregate-to-work': 'true' } }],
    });
    const execution = roles.find((r) => r.metadata.name === 'open-cluster-management:kokpit-work:execution')!;
    assert.equal(execution.metadata.labels?.['open-cluster-management.io/aggregate-to-work'], 'true');
    for (const o of objects) assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'kokpit', o.metadata.name);
  });

  it("OCM's rules unchanged: the registration agent reads nodes and claims, the work agent its AppliedManifestWorks", () => {
    const rules = (n: string) => roles.find((r) => r.metadata.name === `open-cluster-management:kokpit-${n}`)!.rules!;
    assert.deepEqual(rules('registration:agent')[0], { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] });
    assert.ok(rules('work:agent').some((r) => r.resources.includes('appliedmanifestworks') && r.verbs.includes('delete')));
    assert.ok(rules('work:agent').some((r) => r.resources.includes('subjectaccessreviews') && r.verbs.join() === 'create'));
  });
});

describe("multicluster: the hosted agent's certificate", () => {
  let ca: CertificateAuthority;
  const now = new Date('2026-01-10T00:00:00Z');
  const issue = async (o: { cn?: string; orgs?: string[]; days?: number; signer?: CertificateAuthority; server?: string } = {}) => {
    const pair = await issueCert(o.signer ?? ca, {
      commonName: o.cn ?? agentUser('fleet-a'),
      organizations: o.orgs ?? [AGENT_GROUP],
      usages: ['client'],
      validDays: o.days ?? AGENT_CERT_VALID_DAYS,
      now,
    });
    return buildKubeconfig({
      clusterName: 'fleet-a',
      server: o.server ?? SERVER,
      caPem: ca.certPem,
      user: 'u',
      clientCertPem: pair.certPem,
      clientKeyPem: pair.keyPem,
    });
  };
  const want = (at = now) => ({ server: SERVER, caPem: ca.certPem, mc: 'fleet-a', now: at });

  before(async () => {
    ca = await createCA('kubernetes', { validDays: 3650, now });
  });

  it('fits: the agent user in the agent group, signed by the cluster CA, for the server', async () => {
    assert.equal(agentCredentialProblem(await issue(), want()), undefined);
  });

  it('re-issued when missing, for another server, CA, subject or group, and ten days before expiry', async () => {
    const other = await createCA('other', { validDays: 3650, now });
    assert.equal(agentCredentialProblem(undefined, want()), 'missing');
    assert.equal(agentCredentialProblem(await issue({ server: 'https://10.0.0.1:6443' }), want()), `server changed to ${SERVER}`);
    assert.equal(agentCredentialProblem(await issue({ signer: other }), want()), 'not signed by the CA');
    assert.equal(agentCredentialProblem(await issue(), { ...want(), caPem: other.certPem }), 'CA changed');
    assert.equal(agentCredentialProblem('a: [b', want()), 'unreadable');
    assert.equal(
      agentCredentialProblem(await issue({ cn: 'kubernetes-admin' }), want()),
      'subject CN kubernetes-admin is not kokpit:ocm-agent:fleet-a',
    );
    assert.equal(agentCredentialProblem(await issue({ orgs: ['kubeadm:cluster-admins'] }), want()), 'subject organizations changed');
    const fresh = await issue();
    const justBefore = new Date(now.getTime() + (AGENT_CERT_VALID_DAYS - AGENT_CERT_RENEW_DAYS - 1) * DAY);
    const due = new Date(now.getTime() + (AGENT_CERT_VALID_DAYS - AGENT_CERT_RENEW_DAYS + 1) * DAY);
    assert.equal(agentCredentialProblem(fresh, want(justBefore)), undefined);
    assert.match(agentCredentialProblem(fresh, want(due)) ?? '', /^expires in 9\.\d days$/);
  });

  it('the credential step issues once, keeps it on the next pass, and renews it when due', async () => {
    const store = new Map<string, KubernetesObject>();
    const key = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    let writes = 0;
    const applier = {
      read: async (ref: KubernetesObject) => store.get(key(ref)),
      ensureAgainst: async (o: KubernetesObject) => {
        writes++;
        store.set(key(o), o);
        return o;
      },
    } as unknown as Applier;
    const secret = (data: Record<string, string>) =>
      ({ metadata: {}, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }) as never;
    store.set('fleet/a-ca', secret({ 'tls.crt': ca.certPem, 'tls.key': ca.keyPem }));
    const adminKubeconfig = await issue({ cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'] });
    const input = { applier, namespace: 'fleet', cluster: 'a', mc: 'fleet-a', adminKubeconfig, now };

    const first = await ensureAgentCredential(input);
    assert.ok('kubeconfig' in first && first.issued === 'missing');
    assert.equal(writes, 1);
    const stored = store.get(`${AGENT_NAMESPACE}/${agentNames('fleet-a').managedKubeconfigSecret}`) as { data: { kubeconfig: string } };
    assert.equal(Buffer.from(stored.data.kubeconfig, 'base64').toString('utf8'), first.kubeconfig);
    const cert = certInfo(agentClientCert(first.kubeconfig)!);
    assert.equal(cert.commonName, 'kokpit:ocm-agent:fleet-a');
    assert.deepEqual(cert.organizations, ['kokpit:ocm-agents']);
    assert.equal(cert.issuerCommonName, 'kubernetes');
    assert.equal((parse(first.kubeconfig) as { clusters: { cluster: { server: string } }[] }).clusters[0].cluster.server, SERVER);

    const again = await ensureAgentCredential(input);
    assert.deepEqual(again, { kubeconfig: first.kubeconfig });
    assert.equal(writes, 1, 'an unchanged credential is not rewritten');

    const renewed = await ensureAgentCredential({ ...input, now: new Date(now.getTime() + 25 * DAY) });
    assert.ok('kubeconfig' in renewed && /^expires in /.test(renewed.issued ?? ''));
    assert.notEqual(renewed.kubeconfig, first.kubeconfig);
    assert.equal(writes, 2);
  });

  it("for an agent that reaches the apiserver elsewhere (kind: the Service's name), issued for that server", async () => {
    const store = new Map<string, KubernetesObject>();
    const key = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    const applier = {
      read: async (ref: KubernetesObject) => store.get(key(ref)),
      ensureAgainst: async (o: KubernetesObject) => (store.set(key(o), o), o),
    } as unknown as Applier;
    store.set('fleet/a-ca', {
      metadata: {},
      data: { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') },
    } as never);
    const adminKubeconfig = await issue({ cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'] });
    const input = { applier, namespace: 'fleet', cluster: 'a', mc: 'fleet-a', adminKubeconfig, now };
    const viaAdmin = await ensureAgentCredential(input);
    assert.ok('kubeconfig' in viaAdmin);
    const inCluster = 'https://a-apiserver.fleet.svc:6443';
    const moved = await ensureAgentCredential({ ...input, server: inCluster });
    assert.ok('kubeconfig' in moved);
    assert.equal(moved.issued, `server changed to ${inCluster}`);
    assert.equal((parse(moved.kubeconfig) as { clusters: { cluster: { server: string } }[] }).clusters[0].cluster.server, inCluster);
    assert.deepEqual(await ensureAgentCredential({ ...input, server: inCluster }), { kubeconfig: moved.kubeconfig });
  });

  it('waits for the cluster CA rather than issuing from anything else', async () => {
    const applier = { read: async () => undefined } as unknown as Applier;
    const r = await ensureAgentCredential({ applier, namespace: 'fleet', cluster: 'a', mc: 'fleet-a', adminKubeconfig: await issue() });
    assert.deepEqual(r, { waiting: 'waiting for the cluster operator to write the CA Secret a-ca' });
  });
});
