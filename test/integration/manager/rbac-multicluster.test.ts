// The multicluster operator's RBAC (config/multicluster, applied by `kokpit install --with-multicluster`) is least
// privilege, both ways, as the API server sees it: the operator runs as the manager's ServiceAccount (a TokenRequest
// token) with exactly the RBAC `kokpit install --with-multicluster` applies, beside a real OCM v1.0.0 hub and hosted
// agents run by the pod runner (multicluster/support.ts; the cluster operator runs as the admin there). It registers
// two BusinessClusters (one in a ManagedClusterSet it creates; OCM's admission webhooks on, which check accepting and
// joining by SubjectAccessReview), detaches one by deletion while a ManifestWork's
// finalizer keeps its agent from clearing it (the works orphaned after the detach timeout), and the other by
// `register: false`. The audit log (reads too) must show no request of the ServiceAccount forbidden, and every
// verb/resource pair of the kokpit-manager-multicluster ClusterRole used (the base role's pairs are
// rbac.test.ts's to prove).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { renderInstall } from '../../../src/local/install';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import { managedClusterName } from '../../../src/operators/multicluster/names';
import { buildKubeconfig } from '../../../src/pki';
import { AuditWrites, type AuditMark } from '../../support/audit-writes';
import { forbiddenRequests, grantedPairs, usedPairs, type Rule } from '../../support/rbac-audit';
import { readCluster } from '../cluster/support';
import { mcRef, startMulticlusterEnv, type MC, type MulticlusterEnv } from '../multicluster/support';

const NS = 'mc-rbac';
const SA_USER = 'system:serviceaccount:kokpit-system:kokpit-manager';
const ROLE = 'kokpit-manager-multicluster';

/** The RBAC `kokpit install --with-multicluster` applies, then a kubeconfig of its ServiceAccount (a TokenRequest token). */
async function asManagerServiceAccount(admin: KubeConfig, cp: ControlPlane): Promise<KubeConfig> {
  const objects = makeObjectApi(admin);
  for (const o of renderInstall({ multicluster: true }).filter((x) => /^(Namespace|ServiceAccount|.*Role.*)$/.test(x.kind!)))
    await applyObject(objects, o);
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: 'kokpit-manager',
    namespace: 'kokpit-system',
    body: { spec: { audiences: [], expirationSeconds: 7200 } },
  });
  const file = path.join(cp.dir, 'kokpit-manager-multicluster.kubeconfig');
  fs.writeFileSync(
    file,
    buildKubeconfig({ server: cp.server, caPem: cp.caPem, clusterName: 'meta', user: 'sa', token: tr.status!.token! }),
    {
      mode: 0o600,
    },
  );
  return loadKubeConfig({ kubeconfigPath: file });
}

describe('manager RBAC for the multicluster operator (config/multicluster): least privilege, proven by the audit log', function () {
  this.timeout(900_000);
  let env: MulticlusterEnv;
  let audit: AuditWrites;
  let start: AuditMark;
  const objects = () => env.objects();
  const bcRef = (name: string) => ({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', metadata: { name, namespace: NS } });

  before(async function () {
    // OCM's admission webhooks run (netns pod network): they check the two grants no request of the manager's shows.
    const why = netnsUnavailable();
    if (why) {
      console.log(`  skipped: the netns pod network (for OCM's webhooks) cannot run here: ${why}`);
      this.skip();
    }
    let mark: Promise<AuditMark> | undefined;
    env = await startMulticlusterEnv({
      namespace: NS,
      auditAll: true,
      webhooks: true,
      detachTimeoutMs: 5000,
      clusters: [
        { name: 'a', multicluster: { leaseDurationSeconds: 20, clusterSet: 'rbac-set' } },
        { name: 'b', multicluster: { leaseDurationSeconds: 20 } },
      ],
      multiclusterAs: async (admin, cp) => {
        audit = new AuditWrites(cp);
        mark = audit.mark();
        return asManagerServiceAccount(admin, cp);
      },
    });
    start = await mark!;
  });

  after(async function () {
    this.timeout(120_000);
    await env?.stop();
  });

  it('as the ServiceAccount: both BusinessClusters become ManagedClusters, Joined and Available; the set is created', async () => {
    const [a, b] = await env.waitAvailable(['a', 'b']);
    assert.equal(a.metadata?.labels?.['cluster.open-cluster-management.io/clusterset'], 'rbac-set');
    // OCM's mutating webhook ran: b, in no set, is in `default` (so the join check on `default` passed too).
    assert.equal(b.metadata?.labels?.['cluster.open-cluster-management.io/clusterset'], 'default');
    const writes = await audit.requestsSince(start, { user: SA_USER, verbs: ['patch'] });
    const created = writes.filter((e) => e.objectRef?.resource === 'managedclusters' && e.responseStatus?.code === 201);
    assert.deepEqual(created.map((e) => e.objectRef?.name).sort(), [managedClusterName(NS, 'a'), managedClusterName(NS, 'b')]);
  });

  it('b deleted while a ManifestWork cannot be cleared (a finalizer of the test): works orphaned, then everything of b gone', async () => {
    const mc = managedClusterName(NS, 'b');
    const work = {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: 'held', namespace: mc, finalizers: ['kokpit.dev/test-hold'] },
      spec: { workload: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'default' } }] } },
    };
    await applyObject(objects(), work as KubernetesObject, { fieldManager: 'kokpit-test' });
    await objects().delete(bcRef('b') as KubernetesObject);
    const reasons = new Set<string>();
    await waitFor(
      'BusinessCluster b gone',
      async (st) => {
        const bc = await readCluster(env.kc, NS, 'b').catch(() => undefined);
        const c = bc?.status?.conditions?.find((x) => x.type === 'ManagedCluster');
        if (c?.reason) reasons.add(c.reason);
        st.lastReason = `${c?.reason}: ${c?.message}`;
        return bc ? undefined : true;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    assert.equal(await readObject(objects(), mcRef(mc)), undefined);
    // Only the operator's orphaning removes the test's finalizer.
    assert.equal(await readObject(objects(), work), undefined, 'the held work was orphaned (its finalizers removed)');
    env.log(`b's ManagedCluster condition went through ${[...reasons].join(' → ')}`);
  });

  it('a set to register: false: detached, the BusinessCluster stays', async () => {
    const mc = managedClusterName(NS, 'a');
    await applyObject(objects(), { ...bcRef('a'), spec: { multicluster: { register: false } } } as KubernetesObject, {
      fieldManager: 'kokpit-test-unregister',
    });
    await waitFor(
      'ManagedCluster a gone and the BusinessCluster without the finalizer',
      async (st) => {
        const left = (await readObject<MC>(objects(), mcRef(mc))) ? 'ManagedCluster' : '';
        const bc = await readCluster(env.kc, NS, 'a');
        st.lastReason = `${left} finalizers=${bc.metadata?.finalizers}`;
        return !left && !bc.metadata?.finalizers?.some((f) => f.includes('multicluster')) ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
  });

  it('no request of the ServiceAccount was forbidden, and every pair the multicluster ClusterRole grants was used', async () => {
    const requests = await audit.requestsSince(start, { user: SA_USER });
    assert.ok(requests.length > 20, `${requests.length} requests of ${SA_USER}`);
    assert.deepEqual(forbiddenRequests(requests), [], 'forbidden requests of the multicluster operator');
    const used = usedPairs(requests);
    // The two grants OCM's registration webhook checks by SubjectAccessReview (accepting a cluster, joining a set): used
    // when the manager created accepted ManagedClusters, in a set, with the webhooks on (the first test) — without
    // them the webhook refuses those creates.
    const created = requests.filter(
      (e) => e.objectRef?.resource === 'managedclusters' && e.verb === 'patch' && e.responseStatus?.code === 201,
    );
    if (created.length) {
      used.add('update register.open-cluster-management.io/managedclusters/accept');
      used.add('create cluster.open-cluster-management.io/managedclustersets/join');
    }
    const role = renderInstall({ multicluster: true }).find(
      (o) => o.kind === 'ClusterRole' && o.metadata?.name === ROLE,
    ) as KubernetesObject & { rules: Rule[] };
    const granted = [...grantedPairs(role.rules)];
    env.log(`${requests.length} requests of ${SA_USER}; used: ${[...used].sort().join(', ')}`);
    assert.deepEqual(granted.filter((p) => !used.has(p)).sort(), [], 'granted by kokpit-manager-multicluster but never used');
  });
});
