// The hosted agent's own identity in its business cluster, on real processes (support.ts: a real meta control plane, a
// business cluster run by the pod runner, the real OCM v1.0.0 hub and hosted agent). The business apiserver keeps an
// audit log of every request (Metadata level), so the test sees who the agent is there:
// - the agent's kubeconfig Secret holds a certificate for `kokpit:ocm-agent:<managed cluster>` from the cluster's CA,
//   not the admin kubeconfig's;
// - with it and OCM's agent RBAC only, the agent joins, keeps the cluster Available and applies a ManifestWork: the
//   ConfigMap is created by the agent's user, and none of the agent's requests is forbidden;
// - the agent never uses the admin identity (no request of the agent's User-Agents made as kubernetes-admin);
// - `register: false` removes the credential Secret and the agent's RBAC in the business cluster.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { waitFor } from '../../../src/controlplane';
import { makeObjectApi, readObject } from '../../../src/kube';
import { certInfo } from '../../../src/pki';
import { AGENT_NAMESPACE, agentNames, managedClusterName } from '../../../src/operators/multicluster/names';
import { readManagedRBAC } from '../../../src/operators/multicluster/hub';
import { agentClientCert, renderAgentRBAC } from '../../../src/operators/multicluster/render/credential';
import { applyHelloWork, mcRef, ROOT, startMulticlusterEnv, type MulticlusterEnv } from './support';

const NS = 'ident';
const MC = managedClusterName(NS, 'a');
const AGENT_USER = `kokpit:ocm-agent:${MC}`;
const API = 'kokpit.dev/v1alpha1';

interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

describe('multicluster: the hosted agent acts in its business cluster as its own user, not the admin', function () {
  let env: MulticlusterEnv;
  let kc: KubeConfig;
  const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-agent-audit-'));
  const auditLog = path.join(auditDir, 'audit.log');
  fs.writeFileSync(
    path.join(auditDir, 'policy.yaml'),
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n',
  );

  /** Completed requests in the business apiserver's audit log. */
  const events = (): AuditEvent[] =>
    fs
      .readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.stage === 'ResponseComplete');
  const brief = (e: AuditEvent) => `${e.verb} ${e.requestURI} → ${e.responseStatus?.code}`;

  before(async function () {
    this.timeout(900_000);
    env = await startMulticlusterEnv({
      namespace: NS,
      clusters: [
        {
          name: 'a',
          multicluster: { leaseDurationSeconds: 20 },
          apiServerExtraArgs: {
            'audit-policy-file': path.join(auditDir, 'policy.yaml'),
            'audit-log-path': auditLog,
            'audit-log-format': 'json',
            'audit-log-mode': 'blocking',
          },
        },
      ],
    });
    kc = env.kc;
  });

  after(async function () {
    this.timeout(120_000);
    await env?.stop();
    fs.rmSync(auditDir, { recursive: true, force: true });
  });

  it("joins and is Available; its kubeconfig Secret holds the agent's own certificate from the cluster CA", async function () {
    this.timeout(900_000);
    await env.waitAvailable(['a']);
    const core = kc.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: agentNames(MC).managedKubeconfigSecret, namespace: AGENT_NAMESPACE });
    const agent = certInfo(agentClientCert(Buffer.from(secret.data!.kubeconfig, 'base64').toString('utf8'))!);
    assert.equal(agent.commonName, AGENT_USER);
    assert.deepEqual(agent.organizations, ['kokpit:ocm-agents']);
    assert.equal(agent.issuerCommonName, 'kubernetes');
    const admin = env.businessKubeConfig('a');
    const adminCert = Buffer.from((await admin).getCurrentUser()!.certData!, 'base64').toString('utf8');
    assert.notEqual(certInfo(adminCert).commonName, agent.commonName);
    assert.notEqual(certInfo(adminCert).fingerprint256, agent.fingerprint256);
  });

  it('applies a ManifestWork as its own user; none of its requests is forbidden, none is made as the admin', async function () {
    this.timeout(300_000);
    await applyHelloWork(env.objects(), MC);
    const business = await env.businessKubeConfig('a');
    const cm = await business.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'hello', namespace: 'default' });
    assert.deepEqual(cm.data, { from: 'hub' });

    const all = events();
    const agent = all.filter((e) => e.user.username === AGENT_USER);
    const created = agent.filter((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.objectRef.name === 'hello');
    assert.equal(created.length, 1, 'the work agent created the ConfigMap as its own user');
    assert.equal(created[0].responseStatus?.code, 201);
    const forbidden = agent.filter((e) => e.responseStatus?.code === 403);
    env.log(`business apiserver: ${agent.length} requests of ${AGENT_USER}, ${forbidden.length} forbidden`);
    assert.deepEqual(forbidden.map(brief), []);
    // The agent's User-Agents never appear under the admin user (the operator's own requests do, under its own).
    const agentUAs = new Set(agent.map((e) => e.userAgent));
    const asAdmin = all.filter((e) => e.user.username === 'kubernetes-admin' && agentUAs.has(e.userAgent));
    env.log(`agent User-Agents: ${[...agentUAs].join(', ')}`);
    // Both of the agent's halves used the identity: registration (`registration-operator/…`) and work (`work-agent`).
    assert.ok(
      [...agentUAs].some((ua) => ua?.startsWith('registration-operator/')),
      [...agentUAs].join(', '),
    );
    assert.ok(agentUAs.has('work-agent'), [...agentUAs].join(', '));
    assert.deepEqual(asAdmin.map(brief), []);
  });

  it('register: false removes its credential Secret and its RBAC in the business cluster', async function () {
    this.timeout(300_000);
    const business = makeObjectApi(await env.businessKubeConfig('a'));
    const rbac = renderAgentRBAC(readManagedRBAC(ROOT), MC);
    for (const o of rbac) assert.ok(await readObject(business, o), `${o.kind} ${o.metadata.name} in the business cluster while registered`);
    await env.objects().patch(
      {
        apiVersion: API,
        kind: 'BusinessCluster',
        metadata: { name: 'a', namespace: NS },
        spec: { multicluster: { register: false } },
      } as KubernetesObject,
      undefined,
      undefined,
      'kokpit-test',
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(
      'ManagedCluster, agent credential and RBAC gone',
      async (st) => {
        const left: string[] = [];
        if (await readObject(env.objects(), mcRef(MC))) left.push('ManagedCluster');
        const secretRef = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: agentNames(MC).managedKubeconfigSecret, namespace: AGENT_NAMESPACE },
        };
        if (await readObject(env.objects(), secretRef)) left.push('credential Secret');
        for (const o of rbac) if (await readObject(business, o)) left.push(`${o.kind} ${o.metadata.name}`);
        st.lastReason = `left: ${left.join(', ')}`;
        return left.length === 0 || undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2000 },
    );
  });
});
