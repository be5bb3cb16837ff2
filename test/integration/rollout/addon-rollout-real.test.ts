// An addon rollout driven end to end by the real operators (issue 17: "a rollout with an addon target moves the pins
// wave by wave. An addon is Ready only when its workloads are available in the business cluster").
//
// What is real: the meta control plane (kube-apiserver, etcd, kube-controller-manager, audit log of every write); two
// business clusters a and b whose kube-apiserver, kube-controller-manager and kube-scheduler (v1.33.13) run as
// processes through the pod runner, each with one kwok Machine run by the machine operator (kwok plays the Node and
// the pods on it, so a Deployment becomes available with no image pulled); the manager's cluster, machine and rollout
// operators on shared informers, as test/integration/rollout/waves.test.ts runs them. The stand-ins are waves.test.ts's
// own: a plain etcd behind an EtcdCluster the test marks Available, and a loopback proxy per cluster as the LB.
//
// Both clusters list the shipped coredns addon unpinned (the Addon named `coredns`, 1.11.3, image from the version
// catalog). The test then imports a second version as the catalog offers one: its own Addon `coredns-1.12.1`
// (`spec.name: coredns`), the shipped definition with the image v1.12.1. A FleetRollout with
// `target.addon: coredns 1.12.1`, waves 1 then 100% and a 5 s soak, is run by the rollout operator; the cluster
// operator renders the new pin into each business cluster. Checked with the API servers' own data: each business
// cluster's coredns Deployment runs v1.12.1 and is available (its pods Running on the kwok Node) by the time its row
// is seen soaking; a soaked before b's pin was written (the meta audit log's PATCH time) and before b's business
// cluster had the v1.12.1 ReplicaSet; the rollout and both rows Succeeded; each cluster's spec changed once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../../src/api';
import { defaultAddons } from '../../../src/catalog';
import { coreDNSAddon } from '../../../src/catalog/addons/coredns';
import { shippedAddon } from '../../../src/catalog/addons/define';
import { importAddon } from '../../../src/cli/commands/addons';
import { Operators } from '../../../src/controller/operator';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { loadKubeConfig, readObject } from '../../../src/kube';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { AGENTS, AuditWrites, type AuditMark } from '../../support/audit-writes';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  startLoopbackLB,
  startPlainEtcd,
  type PlainEtcd,
} from '../cluster/support';
import { componentObject } from '../machine/support';
import { API, TO, rolloutAccessors, startFleetManager, type Rollout } from './support';

const NS = 'dns-fleet';
const CLUSTERS = ['a', 'b'];
const OLD = coreDNSAddon.spec.version; // 1.11.3, as shipped
const NEW = '1.12.1';
const OLD_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
const NEW_IMAGE = `registry.k8s.io/coredns/coredns:v${NEW}`;
const SOAK_S = 5;

/** coredns 1.12.1 as the catalog would offer it: an Addon of its own, a version of `coredns`, the shipped template with its image. */
function corednsNext() {
  const spec = structuredClone(coreDNSAddon.spec);
  const manifests = spec.manifests.replace('{{ .images.coreDNS }}', NEW_IMAGE);
  assert.notEqual(manifests, spec.manifests, 'the shipped coredns template names its image as {{ .images.coreDNS }}');
  return shippedAddon(`coredns-${NEW}`, { ...spec, name: 'coredns', version: NEW, manifests });
}

/** The coredns workload as a business cluster's own API server reports it. */
interface DnsView {
  image?: string;
  /** Rolled out: observed, every replica updated and available, no old replica, every pod Running and Ready. */
  available: boolean;
  /** When the ReplicaSet of each image was created (the business API server's creationTimestamp). */
  replicaSets: Record<string, string>;
  text: string;
}

describe('FleetRollout: coredns moved to a second version in two real business clusters by the real operators', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let runner: PodRunner;
  let stateDir: string;
  let manager: Operators | undefined;
  let audit: AuditWrites;
  let beforeRollout: AuditMark;
  const lbs = new Map<string, Awaited<ReturnType<typeof startLoopbackLB>>>();
  const t0 = Date.now();
  const log = (l: string) => process.stderr.write(`  [+${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);
  const { objects, apply, readRollout, readBC } = rolloutAccessors(() => kc, NS);

  /** Cluster `n`'s own API server, through the admin kubeconfig Secret the cluster operator wrote. */
  async function businessKC(n: string): Promise<KubeConfig> {
    const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${n}-admin-kubeconfig`, namespace: NS },
    });
    return loadKubeConfig({ kubeconfigYaml: Buffer.from(secret?.data?.value ?? '', 'base64').toString('utf8') });
  }

  async function dnsIn(n: string): Promise<DnsView> {
    const bkc = await businessKC(n);
    const apps = bkc.makeApiClient(AppsV1Api);
    const [d, rss, pods] = await Promise.all([
      apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }),
      apps.listNamespacedReplicaSet({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' }),
      bkc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' }),
    ]);
    const image = d.spec?.template.spec?.containers[0].image;
    const want = d.spec?.replicas ?? 1;
    const s = d.status ?? {};
    const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
    const podText = live.map(
      (p) =>
        `${p.metadata?.name} ${p.spec?.containers[0].image?.replace(/^.*:/, '')} ${p.status?.phase} on ${p.spec?.nodeName ?? '-'}` +
        `${p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? ' Ready' : ''}`,
    );
    const available =
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
      s.updatedReplicas === want &&
      (s.replicas ?? 0) === want &&
      (s.availableReplicas ?? 0) >= want &&
      live.length === want &&
      podText.every((p) => p.includes(` ${image?.replace(/^.*:/, '')} Running on `) && p.endsWith(' Ready'));
    const replicaSets: Record<string, string> = {};
    for (const rs of rss.items)
      replicaSets[rs.spec?.template?.spec?.containers[0].image ?? '?'] = new Date(rs.metadata!.creationTimestamp!).toISOString();
    return {
      image,
      available,
      replicaSets,
      text:
        `Deployment ${image} gen ${d.metadata?.generation}/${s.observedGeneration} updated ${s.updatedReplicas}/${want} ` +
        `available ${s.availableReplicas ?? 0}; pods [${podText.join(', ')}]`,
    };
  }

  const corednsStatus = (bc: BusinessCluster) => bc.status?.addons?.find((a) => a.name === 'coredns');

  before(async function () {
    this.timeout(420_000);
    [cp, etcd] = await Promise.all([
      startControlPlane({ controllers: true, audit: true, log: (l) => log(`[controlplane] ${l}`) }),
      startPlainEtcd(),
    ]);
    kc = cp.kubeConfig();
    audit = new AuditWrites(cp, 'meta');
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    // The shipped addons, as `kokpit addons import --builtin` writes them.
    for (const a of defaultAddons()) await importAddon(objects(), a, false);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-addon-rollout-'));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
    });
    for (const n of CLUSTERS) lbs.set(n, await startLoopbackLB(kc, NS, `kokpit.dev/cluster=${n},kokpit.dev/component=apiserver`, 6443));
    // The manager as waves.test.ts runs it: cluster, machine and rollout operators on one set of shared informers.
    manager = await startFleetManager(kc, (name) => lbs.get(name)?.url, log);
    await apply(componentObject('containerd', '1.7.0'));
    await apply(componentObject('kubelet', TO, ['containerd']));
    for (const n of CLUSTERS) {
      const bc = businessCluster(n, NS, {
        version: TO,
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
        addons: [{ name: 'coredns', parameters: { replicas: 1 } }],
      });
      await apply({ ...bc, metadata: { name: n, namespace: NS, labels: { dns: 'fleet' } } });
      await apply({
        apiVersion: API,
        kind: 'MachineSet',
        metadata: { name: `${n}-workers`, namespace: NS },
        spec: {
          clusterRef: { name: n },
          replicas: 1,
          template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'kubelet', version: TO }] } },
        },
      });
    }
    await waitFor(
      `a and b Ready, coredns ${OLD} reported ready and available in each business cluster`,
      async (st) => {
        const views = await Promise.all(
          CLUSTERS.map(async (n) => {
            const bc = await readBC(n);
            const ready = bc.status?.conditions?.find((c) => c.type === 'Ready');
            const dns = corednsStatus(bc);
            const head =
              `${n}: Ready ${ready?.status} ${ready?.reason ?? '-'}; ` +
              `coredns ${dns?.version} ready ${dns?.ready} ${dns?.message ?? ''}`;
            if (ready?.status !== 'True' || dns?.version !== OLD || !dns.ready) return { ok: false, text: head };
            const v = await dnsIn(n);
            return { ok: v.available && v.image === OLD_IMAGE, text: `${head}; ${v.text}` };
          }),
        );
        st.lastReason = views.map((v) => v.text).join(' | ');
        return views.every((v) => v.ok) || undefined;
      },
      { timeoutMs: 360_000, intervalMs: 2000 },
    );
    log(`a and b Ready; coredns ${OLD} available in both on their kwok Nodes`);
  });

  after(async function () {
    this.timeout(120_000);
    await manager?.stop();
    for (const lb of lbs.values()) await lb.stop();
    await runner?.stop();
    await Promise.all([cp?.stop(), etcd?.stop()]);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it(`coredns ${OLD} → ${NEW}: a's Deployment at v${NEW} and available, soaked, before b's pin moved; both Succeeded`, async function () {
    this.timeout(300_000);
    // The catalog offers a second version; the clusters (unpinned: the Addon named coredns) keep 1.11.3.
    assert.equal(await importAddon(objects(), corednsNext(), false), 'created');
    beforeRollout = await audit.mark();
    await apply({
      apiVersion: API,
      kind: 'FleetRollout',
      metadata: { name: 'coredns-next' },
      spec: {
        target: { addon: { name: 'coredns', version: NEW } },
        clusters: { selector: { matchLabels: { dns: 'fleet' } }, namespaces: [NS] },
        waves: [
          { name: 'first', clusters: 1, soak: `${SOAK_S}s` },
          { name: 'rest', clusters: '100%', soak: `${SOAK_S}s` },
        ],
        progressDeadline: '4m',
      },
    });

    // Every row transition as seen, and each business cluster's coredns the first time its row is seen soaking or done.
    const seen = new Map<string, string>();
    const atSoak = new Map<string, DnsView & { state: string }>();
    const done = await waitFor(
      'FleetRollout coredns-next Succeeded (or Failed)',
      async (st) => {
        const r = await readRollout('coredns-next');
        for (const row of r?.status?.clusters ?? []) {
          const line = `${row.state}${row.message ? ` (${row.message})` : ''}`;
          if (seen.get(row.name) !== line) log(`coredns-next: ${row.name} [wave ${row.wave}] ${line}`);
          seen.set(row.name, line);
          if ((row.state === 'Soaking' || row.state === 'Succeeded') && !atSoak.has(row.name)) {
            const v = await dnsIn(row.name);
            atSoak.set(row.name, { ...v, state: row.state });
            log(`${row.name} seen ${row.state}: ${v.text}`);
          }
        }
        st.lastReason = JSON.stringify(r?.status ?? {});
        return r?.status?.phase === 'Succeeded' || r?.status?.phase === 'Failed' ? r : undefined;
      },
      { timeoutMs: 280_000, intervalMs: 500 },
    );
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.conditions));
    await assertOrder(done, atSoak);
  });

  /** The order and timings, from the rollout's rows, the meta audit log and the business API servers. */
  async function assertOrder(done: Rollout, atSoak: Map<string, DnsView & { state: string }>) {
    const rows = done.status!.clusters!;
    const row = (n: string) => rows.find((x) => x.name === n)!;
    const t = (s?: string) => Date.parse(s!);
    for (const r of rows)
      log(`${r.name} [${r.wave}] started ${r.startedAt}, ready at ${r.to} ${r.readySince}, done ${r.finishedAt}: ${r.message}`);
    assert.deepEqual(
      rows.map((r) => `${r.name}@${r.wave}:${r.state} ${r.from}→${r.to}`),
      [`a@first:Succeeded ${OLD}→${NEW}`, `b@rest:Succeeded ${OLD}→${NEW}`],
    );
    assert.deepEqual(done.status!.counts, { total: 2, pending: 0, upgrading: 0, soaking: 0, succeeded: 2, failed: 0, skipped: 0 });
    for (const r of rows) {
      assert.ok(t(r.finishedAt) - t(r.readySince) >= SOAK_S * 1000, `${r.name} soaked ${SOAK_S}s before it counted as done`);
      // "Ready only when its workloads are available": when the row was first seen soaking, the business cluster's
      // Deployment ran the new image with every replica available and its pod Running on the kwok Node.
      const v = atSoak.get(r.name);
      assert.ok(
        v?.image === NEW_IMAGE && v.available,
        `${r.name}: coredns at ${NEW_IMAGE} and available when seen ${v?.state}: ${v?.text}`,
      );
    }

    // Each pin as the meta API server logged it: one PATCH of the BusinessCluster (not /status) by the rollout operator.
    const pins = await audit.since(beforeRollout, { userAgent: AGENTS.rollout, resource: 'businessclusters', verbs: ['patch'] });
    const pinAt = (n: string) => {
      const mine = pins.filter((e) => e.objectRef?.name === n && !e.objectRef?.subresource && e.responseStatus?.code === 200);
      assert.equal(
        mine.length,
        1,
        `${n}: one spec patch by the rollout operator (${mine.map((e) => e.requestReceivedTimestamp).join(', ')})`,
      );
      return Date.parse(mine[0].requestReceivedTimestamp!);
    };
    const [aPin, bPin] = [pinAt('a'), pinAt('b')];
    const a = row('a');
    // Row times are whole seconds (truncated), the audit's are microseconds.
    const floorS = (ms: number) => Math.floor(ms / 1000) * 1000;
    assert.ok(floorS(aPin) >= t(a.startedAt) && aPin <= t(a.readySince) + 1000, `a's pin moved within its row`);
    assert.ok(bPin >= t(a.finishedAt), `b's pin moved (${new Date(bPin).toISOString()}) after a soaked (${a.finishedAt})`);
    assert.ok(floorS(bPin) >= t(row('b').startedAt), "b's pin moved once its row started");

    const business = new Map<string, DnsView>();
    for (const n of CLUSTERS) {
      const v = await dnsIn(n);
      business.set(n, v);
      assert.ok(v.image === NEW_IMAGE && v.available, `${n}: coredns at ${NEW_IMAGE} and available at the end: ${v.text}`);
      const bc = await readBC(n);
      const st = corednsStatus(bc);
      assert.deepEqual([st?.version, st?.ready], [NEW, true], `${n}: status.addons coredns ${JSON.stringify(st)}`);
      assert.deepEqual(bc.spec.addons, [{ name: 'coredns', version: NEW, parameters: { replicas: 1 } }]);
      assert.equal(bc.metadata.generation, 2, `${n}: spec changed once`);
    }
    // The business API servers' own clock of it: b's v1.12.1 ReplicaSet was made only after a soaked (seconds).
    const bNewRS = business.get('b')!.replicaSets[NEW_IMAGE];
    assert.ok(t(bNewRS) >= t(a.finishedAt), `b's ${NEW} ReplicaSet created ${bNewRS}, after a soaked (${a.finishedAt})`);
    assert.ok(t(business.get('a')!.replicaSets[NEW_IMAGE]) <= t(a.readySince), "a's ReplicaSet before a's row was Ready");

    const s = (ms: number) => `${ms >= aPin ? '+' : ''}${((ms - aPin) / 1000).toFixed(1)}s`;
    log(
      `order: a pin ${s(aPin)}, a's ${NEW} ReplicaSet ${s(t(business.get('a')!.replicaSets[NEW_IMAGE]))}, a ready ${s(t(a.readySince))}, ` +
        `a soaked ${s(t(a.finishedAt))} | b pin ${s(bPin)}, b's ReplicaSet ${s(t(bNewRS))}, b ready ${s(t(row('b').readySince))}, ` +
        `b soaked ${s(t(row('b').finishedAt))}; rollout ${((t(row('b').finishedAt) - t(a.startedAt)) / 1000).toFixed(0)}s ` +
        '(pins: the audit log, to the microsecond; rows and ReplicaSets: whole seconds, truncated)',
    );
  }
});
