// What a BusinessCluster must look like once it converged after a fault (a killed manager, a restarted meta
// API server, a control-plane pod deleted mid-upgrade): every condition True for its generation, the meta
// objects `kokpit render` gives and no other, inside the business cluster the recorded addon objects and no
// other workload, and a pass that writes nothing (counted by the meta API server's audit log).
import * as assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, PatchStrategy, type KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import type { BusinessCluster } from '../../src/api';
import { waitFor, type ControlPlane } from '../../src/controlplane';
import { listObjects, loadKubeConfig, makeObjectApi, readObject } from '../../src/kube';
import { renderBusinessCluster } from '../../src/local/render';
import { decodeInventory, INVENTORY_NAME, INVENTORY_NAMESPACE } from '../../src/operators/cluster/addon-inventory';
import { CONDITION_TYPES } from '../../src/operators/cluster/conditions';
import { names } from '../../src/operators/cluster/names';
import { LABEL_CLUSTER } from '../../src/operators/etcd/names';
import { AGENTS, AuditWrites, assertWriteCount, type AuditEvent } from './audit-writes';
import type { WriteEvent } from './crash-harness';
import { metricValue } from './metrics';

export type Cluster = BusinessCluster & KubernetesObject;
/** The meta resources a BusinessCluster owns, by plural (as the audit log names them) → kind. */
export const OWNED_KINDS: Record<string, string> = {
  secrets: 'Secret',
  services: 'Service',
  deployments: 'Deployment',
  etcdclusters: 'EtcdCluster',
};
const API = 'kokpit.dev/v1alpha1';

export async function readCluster(kc: KubeConfig, name: string, namespace: string): Promise<Cluster> {
  return (await readObject<Cluster>(makeObjectApi(kc), { apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace } }))!;
}

/** Waits until every condition is True for the current generation (and `extra`, if given, has nothing to add). */
export async function waitClusterConverged(
  kc: KubeConfig,
  name: string,
  namespace: string,
  timeoutMs: number,
  extra?: (c: Cluster) => string | undefined,
): Promise<Cluster> {
  return waitFor(
    `BusinessCluster ${namespace}/${name}: every condition True for the current generation`,
    async (st) => {
      const c = await readCluster(kc, name, namespace);
      const conds = c.status?.conditions ?? [];
      const bad = CONDITION_TYPES.filter((t) => conds.find((x) => x.type === t)?.status !== 'True');
      const why = (t: string) => `${t} (${conds.find((x) => x.type === t)?.message ?? '-'})`;
      const more = !bad.length && c.status?.observedGeneration === c.metadata.generation ? extra?.(c) : undefined;
      st.lastReason = `phase ${c.status?.phase}, not True: ${bad.map(why).join(', ')}${more ? `; ${more}` : ''}`;
      return !bad.length && c.status?.observedGeneration === c.metadata.generation && !more ? c : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

/**
 * The meta objects are exactly those `kokpit render` gives for the spec (render-parity.test.ts: = a run without
 * a fault), nothing the cluster operator ever wrote (`written`: the write events seen) lies outside them, one
 * ReplicaSet per control-plane Deployment unless `replicaSets` says otherwise (a rewritten pod template rolls
 * a Deployment), and the dedicated etcd's members == pods == claims (`etcdMembers` of them).
 */
export async function assertOwnsRenderedObjects(
  kc: KubeConfig,
  manifest: Cluster,
  etcd: Etcd3,
  written: WriteEvent[],
  opts: { replicaSets?: number; etcdMembers?: number } = {},
): Promise<void> {
  const ns = manifest.metadata!.namespace!;
  const name = manifest.metadata!.name!;
  const expected = renderBusinessCluster(manifest)
    .objects.filter((o) => Object.values(OWNED_KINDS).includes(o.kind) && o.metadata?.namespace === ns)
    .map((o) => `${o.kind}/${o.metadata!.name}`)
    .sort();
  const apiVersionOf: Record<string, string> = { Deployment: 'apps/v1', EtcdCluster: API };
  const owned: string[] = [];
  for (const kind of Object.values(OWNED_KINDS))
    for (const o of await listObjects(makeObjectApi(kc), apiVersionOf[kind] ?? 'v1', kind, {
      namespace: ns,
      labelSelector: `kokpit.dev/cluster=${name}`,
    }))
      owned.push(`${kind}/${o.metadata!.name}`);
  assert.deepEqual(owned.sort(), expected, 'the cluster owns exactly the rendered objects (no duplicate, none missing)');
  // Nothing the cluster operator ever wrote lies outside that list (an unlabelled or randomly named object would).
  const outside = new Set(
    written
      .filter((e) => e.source === 'meta' && e.userAgent === AGENTS.cluster && OWNED_KINDS[e.resource] && e.namespace === ns)
      .map((e) => `${OWNED_KINDS[e.resource]}/${e.name}`)
      .filter((w) => !expected.includes(w)),
  );
  assert.deepEqual([...outside], [], 'objects written by the cluster operator outside the rendered set');
  const apps = kc.makeApiClient(AppsV1Api);
  for (const d of [names.apiServer(name), names.controllerManager(name), names.scheduler(name)]) {
    const rs = (await apps.listNamespacedReplicaSet({ namespace: ns })).items.filter((r) =>
      r.metadata?.ownerReferences?.some((o) => o.name === d),
    );
    assert.equal(rs.length, opts.replicaSets ?? 1, `${d}: ReplicaSets ${rs.map((r) => r.metadata?.name).join(', ')}`);
  }
  const core = kc.makeApiClient(CoreV1Api);
  const sel = `${LABEL_CLUSTER}=${names.etcd(name)}`;
  const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: sel })).items.map((p) => p.metadata!.name!).sort();
  const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: sel })).items.map(
    (c) => c.metadata!.name!,
  );
  const members = (await etcd.cluster.memberList({})).members.map((m) => m.name).sort();
  assert.equal(pods.length, opts.etcdMembers ?? 1, `etcd pods: ${pods.join(', ')}`);
  assert.equal(claims.length, pods.length, `etcd claims: ${claims.join(', ')}`);
  assert.deepEqual(members, pods, 'etcd members are the pods');
}

/** The admin kubeconfig of a business cluster, from its Secret in the meta cluster. */
export async function businessKubeConfig(kc: KubeConfig, name: string, namespace: string): Promise<KubeConfig> {
  const secret = await readObject<V1Secret & KubernetesObject>(makeObjectApi(kc), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: names.kubeconfig(name, 'admin'), namespace },
  });
  return loadKubeConfig({ kubeconfigYaml: Buffer.from(secret!.data!.value, 'base64').toString('utf8') });
}

/** Inside the business cluster: every object the inventory records exists, and no addon workload besides them. */
export async function assertBusinessObjects(kc: KubeConfig, name: string, namespace: string, addons: string[]): Promise<void> {
  const bkc = await businessKubeConfig(kc, name, namespace);
  const bcore = bkc.makeApiClient(CoreV1Api);
  const inv = decodeInventory((await bcore.readNamespacedConfigMap({ name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE })).data);
  assert.deepEqual(Object.keys(inv), addons);
  const bobjects = makeObjectApi(bkc);
  for (const e of Object.values(inv).flat())
    assert.ok(
      await readObject(bobjects, { apiVersion: e.apiVersion, kind: e.kind, metadata: { name: e.name, namespace: e.namespace } }),
      `${e.kind} ${e.name}`,
    );
  const bapps = bkc.makeApiClient(AppsV1Api);
  const workloads = [
    ...(await bapps.listDeploymentForAllNamespaces()).items.map((d) => `Deployment/${d.metadata?.name}`),
    ...(await bapps.listDaemonSetForAllNamespaces()).items.map((d) => `DaemonSet/${d.metadata?.name}`),
  ].sort();
  const recorded = Object.values(inv)
    .flat()
    .filter((e) => e.kind === 'Deployment' || e.kind === 'DaemonSet')
    .map((e) => `${e.kind}/${e.name}`)
    .sort();
  assert.deepEqual(workloads, recorded, 'business workloads are the recorded addon objects');
}

/**
 * A pass the test asks for (an annotation wakes the cluster) writes nothing, counted by the meta API server:
 * neither the cluster operator nor any other kokpit operator (the etcd operator's status follows sizes in
 * 10 % steps only).
 */
export async function assertSteadyPassWritesNothing(
  kc: KubeConfig,
  cp: Pick<ControlPlane, 'server' | 'adminTLS' | 'auditLogPath' | 'dir'>,
  metricsURL: string,
  name: string,
  namespace: string,
  /** Writes by other kokpit agents the caller accounts for itself (checking what they changed). */
  allowOther: (w: AuditEvent) => boolean = () => false,
): Promise<void> {
  const audit = new AuditWrites(cp, 'meta');
  const passes = () => metricValue(metricsURL, 'controller_runtime_reconcile_total', { controller: 'businesscluster' });
  const before = await passes();
  const from = await audit.mark();
  await makeObjectApi(kc).patch(
    {
      apiVersion: API,
      kind: 'BusinessCluster',
      metadata: { name, namespace, annotations: { 'kokpit.dev/crash-test': String(Date.now()) } },
    },
    undefined,
    undefined,
    'kokpit-test',
    undefined,
    PatchStrategy.MergePatch,
  );
  await waitFor(
    'a businesscluster pass after the annotation, and an empty queue',
    async () =>
      (await passes()) > before && (await metricValue(metricsURL, 'workqueue_depth', { name: 'businesscluster' })) === 0 ? true : undefined,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const writes = await audit.since(from, { userAgent: /^kokpit-/ });
  assertWriteCount(
    writes.filter((w) => w.userAgent === AGENTS.cluster),
    0,
    'a steady pass of the cluster operator',
  );
  assertWriteCount(
    writes.filter((w) => w.userAgent !== AGENTS.cluster && !allowOther(w)),
    0,
    'other kokpit writes in the steady window',
  );
}

/**
 * Certificates and keys, once written, never change (a restart reads them back instead of issuing again):
 * `check` snapshots the cluster's PKI Secrets and records every one whose data changed since the last look.
 */
export function pkiWatch(kc: KubeConfig, name: string, namespace: string): { check(when: string): Promise<void>; reissued: string[] } {
  const issued = new Map<string, string>();
  const reissued: string[] = [];
  return {
    reissued,
    async check(when) {
      const secrets = await listObjects<V1Secret & KubernetesObject>(makeObjectApi(kc), 'v1', 'Secret', {
        namespace,
        labelSelector: `kokpit.dev/cluster=${name},kokpit.dev/pki`,
      });
      for (const s of secrets) {
        const data = JSON.stringify(Object.entries(s.data ?? {}).sort());
        const before = issued.get(s.metadata!.name!);
        if (before !== undefined && before !== data) reissued.push(`${s.metadata!.name} (${when})`);
        issued.set(s.metadata!.name!, data);
      }
    },
  };
}
