// A BusinessCluster on a shared EtcdCluster, deleted while the manager runs as a host process (as under
// `kokpit up` or VS Code): the host cannot resolve *.svc names, so the etcd client Service's name the old
// cleanup dialed never answered and the finalizer waited until the EtcdCluster itself went. Everything is
// real: the meta control plane, the process pod runner running the etcd member and both clusters' control
// planes (their apiservers reach etcd by the Service name through the pod runner's hosts files), and the
// manager with the etcd and cluster operators configured as the sandbox configures them (kokpitOperators,
// podIPResolver handed to the etcd operator only). The deleted cluster is `biz`, the survivor `biz-2`: a
// plain prefix delete of /kokpit/<ns>/biz would take the survivor's keys too.
import * as assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { API_VERSION, type EtcdCluster } from '../../../src/api';
import { LABEL_CLUSTER, memberHost } from '../../../src/api/etcd-names';
import { clientSecretName } from '../../../src/operators/etcd/names';
import { etcdClient } from '../../../src/kit/etcd-access';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { kokpitOperators } from '../../../src/manager/operators';
import { Manager } from '../../../src/manager/manager';
import { podIPResolver } from '../../../src/operators/etcd/access';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { startHostPathProvisioner } from '../../../src/local/provisioner';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { businessCluster, ensureNamespace, installDefaultVersions, readCluster } from './support';

const NS = 'shared-etcd';
const ETCD = 'e1';
const GONE = 'biz';
const KEPT = 'biz-2';
const dir = (name: string) => `/kokpit/${NS}/${name}/`;
/** Keys the test writes itself, outside the deleted cluster's directory: their values must come through unchanged. */
const MARKERS: Record<string, string> = {
  [`${dir(KEPT)}kokpit-test/marker`]: 'the survivor keeps this',
  [`/kokpit/${NS}/${GONE}`]: 'the bare key is not under the directory biz/',
  [`/kokpit/${NS}/bizz/x`]: 'a sibling after biz/',
  [`/kokpit/other/${GONE}/x`]: 'the same name in another namespace',
};
/** The survivor's own objects whose stored bytes nothing rewrites while the test runs. */
const STABLE = ['namespaces/', 'priorityclasses/', 'clusterrolebindings/'];

describe('shared etcd: a deleted BusinessCluster’s keys are removed by a host manager that cannot resolve *.svc', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let runner: PodRunner;
  let provisioner: { stop(): Promise<void> };
  let manager: Manager;
  let stateDir: string;
  let etcd: Etcd3 | undefined;
  const operatorLines: Array<{ at: number; line: string }> = [];
  const t0 = Date.now();
  const log = (l: string) => process.stderr.write(`  +${((Date.now() - t0) / 1000).toFixed(1)}s ${l}\n`);
  const verbose = !!process.env.KOKPIT_TEST_VERBOSE;

  before(async function () {
    cp = await startControlPlane({ controllers: true, log: (l) => verbose && log(`[controlplane] ${l}`) });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-shared-etcd-'));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir: path.join(stateDir, 'runner'),
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
    });
    provisioner = await startHostPathProvisioner(kc, (l) => verbose && log(`[provisioner] ${l}`));
    const olog = (lvl: string) => (m: string) => {
      operatorLines.push({ at: Date.now(), line: m });
      if (verbose || lvl !== 'debug') log(`[manager] ${lvl} ${m}`);
    };
    // As the sandbox runs it (src/local/sandbox-env.ts): the resolver is given to the etcd operator; the cluster
    // operator gets it through kokpitOperators. The machine and rollout operators have nothing to do here.
    const operators = kokpitOperators({
      etcd: { resolver: podIPResolver, backupRoot: path.join(stateDir, 'backups'), unsafeNoFsync: true, idleRequeueMs: 3000 },
      cluster: { waitRequeueMs: 2000 },
    }).filter((o) => o.name === 'etcd-operator' || o.name === 'cluster-operator');
    manager = new Manager({
      kc,
      operators,
      leaderElection: { namespace: NS },
      log: { info: olog('info'), warn: olog('warn'), error: olog('error'), debug: olog('debug') },
    });
    await manager.start();
  });
  after(async () => {
    etcd?.close();
    await manager?.stop();
    await provisioner?.stop();
    await runner?.stop();
    await cp?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const objects = () => makeObjectApi(kc);
  const readEtcdCluster = () =>
    readObject<KubernetesObject>(objects(), {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: ETCD, namespace: NS },
    }) as Promise<(EtcdCluster & KubernetesObject) | undefined>;
  /** The test's own look into etcd: the etcd operator's client certificate, the member's pod IP, its DNS name verified. */
  const connectEtcd = async (): Promise<Etcd3> => {
    const s = await readObject<V1Secret>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: clientSecretName({ name: ETCD, namespace: NS }), namespace: NS },
    });
    const d = (k: string) => Buffer.from(s!.data![k], 'base64').toString('utf8');
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: `${LABEL_CLUSTER}=${ETCD}` });
    const pod = pods.items.find((p: V1Pod) => p.status?.podIP)!;
    return etcdClient(
      { address: `${pod.status!.podIP}:2379`, serverName: memberHost({ name: ETCD, namespace: NS }, pod.metadata!.name!) },
      { caPem: d('ca.crt'), certPem: d('tls.crt'), keyPem: d('tls.key') },
    );
  };
  const keysUnder = async (prefix: string): Promise<Record<string, string>> => etcd!.getAll().prefix(prefix).strings();
  const clusterExists = async (name: string) =>
    !!(await readObject(objects(), { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name, namespace: NS } }));

  it('precondition: this host cannot resolve the etcd client Service name', async () => {
    await assert.rejects(dns.lookup(`${ETCD}-client.${NS}.svc`), /ENOTFOUND|EAI_AGAIN/);
  });

  it('two BusinessClusters on one EtcdCluster store their objects under their own prefixes', async function () {
    await applyObject(objects(), {
      apiVersion: API_VERSION,
      kind: 'EtcdCluster',
      metadata: { name: ETCD, namespace: NS },
      spec: { replicas: 1, version: '3.5.35' },
    } as KubernetesObject);
    for (const name of [GONE, KEPT])
      await applyObject(objects(), businessCluster(name, NS, { version: 'v1.33.13', etcd: { clusterRef: { name: ETCD } } }), {
        fieldManager: 'kokpit-test',
      });
    await waitFor(
      `EtcdCluster ${ETCD} Available`,
      async () =>
        (await readEtcdCluster())?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined,
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    log(`EtcdCluster ${ETCD} Available`);
    etcd = await connectEtcd();
    for (const [k, v] of Object.entries(MARKERS)) await etcd.put(k).value(v);
    // Each apiserver is Ready (the pod runner probes /readyz): its bootstrap objects are written.
    await waitFor(
      'both business apiservers Ready, each with its objects under its prefix',
      async (st) => {
        const pods = await kc
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: NS, labelSelector: 'kokpit.dev/component=apiserver' });
        const ready = (name: string) =>
          pods.items.some(
            (p) =>
              p.metadata?.labels?.['kokpit.dev/cluster'] === name &&
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          );
        const counts = await Promise.all([GONE, KEPT].map(async (n) => Object.keys(await keysUnder(dir(n))).length));
        const conditions = (await readCluster(kc, NS, GONE)).status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);
        st.lastReason = `ready ${[GONE, KEPT].map(ready)}; keys ${counts}; ${GONE}: ${conditions?.join(' ')}`;
        return ready(GONE) && ready(KEPT) && counts.every((n) => n > 50) ? true : undefined;
      },
      { timeoutMs: 480_000, intervalMs: 2000 },
    );
    log(`both apiservers Ready on ${ETCD}`);
  });

  it(`deleting ${GONE}: its keys go, all others stay (${KEPT}'s too), its finalizer is removed, the EtcdCluster stays`, async function () {
    const gone0 = await keysUnder(dir(GONE));
    const kept0 = await keysUnder(dir(KEPT));
    const t = Date.now();
    await objects().delete({ apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: GONE, namespace: NS } });
    await waitFor('BusinessCluster gone (its finalizer removed)', async () => ((await clusterExists(GONE)) ? undefined : true), {
      timeoutMs: 180_000,
      intervalMs: 250,
    });
    const finalizerMs = Date.now() - t;
    const cleanup = operatorLines.find((l) => l.at >= t && l.line.includes(`keys under ${dir(GONE).slice(0, -1)}`));
    log(`${GONE}: finalizer removed ${finalizerMs} ms after the delete request (${Object.keys(gone0).length} keys before)`);
    log(`cleanup at +${cleanup ? cleanup.at - t : '?'} ms: ${cleanup?.line ?? '(no cleanup line)'}`);

    assert.deepEqual(Object.keys(await keysUnder(dir(GONE))), [], `no key left under ${dir(GONE)}`);
    const etcdCluster = await readEtcdCluster();
    assert.ok(etcdCluster && !etcdCluster.metadata?.deletionTimestamp, 'the shared EtcdCluster stays');
    assert.ok(await clusterExists(KEPT), `${KEPT} stays`);

    for (const [k, v] of Object.entries(MARKERS)) assert.equal((await etcd!.get(k).string()) ?? '(missing)', v, k);
    const kept1 = await keysUnder(dir(KEPT));
    // The survivor's apiserver keeps writing (leases, events): no key of its is missing, and what nothing rewrites is byte-equal.
    const missing = Object.keys(kept0).filter((k) => !(k in kept1) && !/\/(events|leases)\//.test(k));
    assert.deepEqual(missing, [], `${KEPT}'s keys are all still there`);
    const stable = Object.keys(kept0).filter((k) => STABLE.some((s) => k.startsWith(`${dir(KEPT)}${s}`)));
    assert.ok(stable.length > 20, `${stable.length} stable keys of ${KEPT} to compare`);
    for (const k of stable) assert.equal(kept1[k], kept0[k], `${k} unchanged`);
    log(`${KEPT}: ${Object.keys(kept1).length} keys (${stable.length} byte-equal); ${Object.keys(MARKERS).length} markers unchanged`);
  });
});
