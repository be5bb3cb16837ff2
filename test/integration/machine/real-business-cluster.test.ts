// Issue 6's verification on a real business cluster: the cluster operator runs a BusinessCluster whose
// control plane (kube-apiserver, kube-controller-manager, kube-scheduler v1.33.13) runs as real processes
// through the pod runner, as in test/integration/cluster/podrunner.test.ts; the machine operator then joins
// a MachineSet of kwok machines to it, through the admin kubeconfig Secret the cluster operator wrote.
// Nodes are read back through that same Secret. Scale to 20 and back; a steady pass writes nothing.
//
// Stand-ins, as in the cluster tests: the EtcdCluster is a plain etcd process marked Available by the test,
// and a loopback TCP proxy plays the load balancer in front of the apiserver pod (the host endpoint).
import { defaultBinaryProvider } from '../../../src/binaries/provider';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, VersionApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../../src/api';
import { applyObject, listObjects, loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import { startClusterOperator, type ClusterOperator } from '../../../src/operators/cluster/operator';
import { startMachineOperator, type MachineOperator } from '../../../src/operators/machine/operator';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { installCRDs, isNodeReady, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  readCluster,
  startLoopbackLB,
  startPlainEtcd,
  type PlainEtcd,
} from '../cluster/support';
import { API, componentObject } from './support';
import { AGENTS, AuditWrites, assertWriteCount } from '../../support/audit-writes';

const NS = 'bc-machines';
const CLUSTER = 'biz';
const SET = 'pool';
// The 100, plus 10: above 100 Nodes the business kube-controller-manager's TTL controller sets
// node.alpha.kubernetes.io/ttl=15, which once made the operator (rendering 0) and that controller rewrite
// every Node forever. KOKPIT_RBC_MACHINES overrides the count.
const COUNT = Number(process.env.KOKPIT_RBC_MACHINES ?? 110);
const SCALED = 20;

describe('machine operator: a MachineSet of kwok machines joins a BusinessCluster run as real processes', function () {
  this.timeout(600_000);
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let runner: PodRunner | undefined;
  let lb: Awaited<ReturnType<typeof startLoopbackLB>> | undefined;
  let clusterOperator: ClusterOperator | undefined;
  let machineOperator: MachineOperator | undefined;
  let stateDir: string | undefined;
  const log = (l: string) => process.stderr.write(`  ${l}\n`);
  const timed = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const v = await f();
    log(`[step] ${step}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return v;
  };
  const objects = () => makeObjectApi(kc);

  before(async function () {
    this.timeout(600_000);
    await timed('meta control plane + plain etcd', async () => {
      [cp, etcd] = await Promise.all([
        startControlPlane({ controllers: true, audit: true, log: (l) => log(`[controlplane] ${l}`) }),
        startPlainEtcd(),
      ]);
    });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bc-machines-'));
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: 'meta-node-0',
      stateDir,
      bindUnscheduledPods: true,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
    });
    lb = await startLoopbackLB(kc, NS, `kokpit.dev/cluster=${CLUSTER},kokpit.dev/component=apiserver`, 6443);
    const t0 = Date.now();
    const olog = (who: string, lvl: string) => (m: string) => log(`[${who} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${lvl} ${m}`);
    const quiet = (who: string) => ({
      info: process.env.KOKPIT_TEST_LOG ? olog(who, 'info') : () => {},
      warn: olog(who, 'warn'),
      error: olog(who, 'error'),
      debug: () => {},
    });
    clusterOperator = await startClusterOperator({ kc, hostEndpoint: () => lb!.url, waitRequeueMs: 2000, log: quiet('cluster-operator') });
    machineOperator = await startMachineOperator({
      kc,
      binaries: defaultBinaryProvider(),
      log: quiet('machine-operator'),
      controller: { backoff: { baseMs: 200, maxMs: 5_000 } },
    });
    await applyObject(objects(), componentObject('containerd', '1.7.0'));
    await applyObject(objects(), componentObject('kubelet', 'v1.33.13', ['containerd']));
  });

  after(async function () {
    this.timeout(180_000);
    // Machines first (their kwok talks to the business apiserver), then the control plane that runs it.
    await machineOperator?.stop();
    await clusterOperator?.stop();
    await lb?.stop();
    await runner?.stop();
    await Promise.all([cp?.stop(), etcd?.stop()]);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  // The business cluster as the cluster operator hands it out: the admin kubeconfig Secret it generated.
  const adminKubeConfig = async (): Promise<KubeConfig> => {
    const s = await readObject<KubernetesObject & { data?: Record<string, string> }>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${CLUSTER}-admin-kubeconfig`, namespace: NS },
    });
    if (!s?.data?.value) throw new Error('no admin kubeconfig Secret yet');
    return loadKubeConfig({ kubeconfigYaml: Buffer.from(s.data.value, 'base64').toString('utf8') });
  };
  const setMachines = () =>
    listObjects<Machine & KubernetesObject>(objects(), API, 'Machine', { namespace: NS, labelSelector: `kokpit.dev/machineset=${SET}` });
  const readSet = () =>
    readObject<MachineSet & KubernetesObject>(objects(), { apiVersion: API, kind: 'MachineSet', metadata: { name: SET, namespace: NS } });
  const machineNodes = async () =>
    (await (await adminKubeConfig()).makeApiClient(CoreV1Api).listNode({ labelSelector: 'kokpit.dev/machine' })).items;
  const names = (n: number) => Array.from({ length: n }, (_, i) => `${SET}-${i}`).sort();

  /** Exactly `n` Machines of the set, all Running on the current generation, and exactly `n` Ready Nodes for them. */
  const converged = (n: number) =>
    waitFor(
      `${n} Machines Running and ${n} Nodes Ready in the business cluster`,
      async (s) => {
        const machines = await setMachines();
        const running = machines.filter(
          (m) => !m.metadata.deletionTimestamp && m.status?.phase === 'Running' && m.status.observedGeneration === m.metadata.generation,
        );
        const nodes = await machineNodes();
        const ready = nodes.filter(isNodeReady);
        const st = (await readSet())?.status;
        s.lastReason =
          `Machines ${machines.length} (Running ${running.length}), Nodes ${nodes.length} (Ready ${ready.length}), ` +
          `set status ${st?.replicas}/${st?.readyReplicas}: ${st?.message ?? ''}`;
        return machines.length === n && running.length === n && nodes.length === n && ready.length === n && st?.readyReplicas === n
          ? { machines, nodes }
          : undefined;
      },
      { timeoutMs: 540_000, intervalMs: 1000 },
    );

  const scaleTo = (replicas: number) =>
    applyObject(
      objects(),
      { apiVersion: API, kind: 'MachineSet', metadata: { name: SET, namespace: NS }, spec: { replicas } } as KubernetesObject,
      { fieldManager: 'test-scale' },
    );

  it('the cluster operator brings up the BusinessCluster v1.33.13 as real processes, Ready', async function () {
    await applyObject(
      objects(),
      businessCluster(CLUSTER, NS, {
        version: 'v1.33.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'ClusterIP' } },
      }),
      { fieldManager: 'kokpit-test' },
    );
    const c = await timed('BusinessCluster Ready', () =>
      waitFor(
        'BusinessCluster Ready',
        async (s) => {
          const bc = await readCluster(kc, NS, CLUSTER);
          s.lastReason = JSON.stringify(bc.status?.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}`));
          return bc.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? bc : undefined;
        },
        { timeoutMs: 480_000, intervalMs: 1000 },
      ),
    );
    assert.equal(c.status?.version, 'v1.33.13');
    assert.equal(c.status?.endpoint, lb!.url);
    const bkc = await adminKubeConfig();
    assert.equal(bkc.getCurrentCluster()?.server, lb!.url, 'the admin kubeconfig points at the business apiserver behind the LB');
    assert.equal((await bkc.makeApiClient(VersionApi).getCode()).gitVersion, 'v1.33.13');
    // The apiserver is a process of the pod runner, not the harness: its pod on the meta cluster is Running.
    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: NS, labelSelector: `kokpit.dev/cluster=${CLUSTER},kokpit.dev/component=apiserver` });
    assert.ok(
      pods.items.some((p) => p.status?.phase === 'Running' && p.spec?.nodeName === 'meta-node-0'),
      'apiserver pod run by the pod runner',
    );
    assert.equal((await machineNodes()).length, 0, 'no machine Nodes before the MachineSet');
  });

  it(`a MachineSet of ${COUNT} kwok machines: ${COUNT} Machines Running, ${COUNT} Nodes Ready in the business cluster`, async function () {
    await applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'MachineSet',
        metadata: { name: SET, namespace: NS },
        spec: {
          clusterRef: { name: CLUSTER },
          replicas: COUNT,
          template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'kubelet' }] } },
        },
      } as KubernetesObject,
      { fieldManager: 'test-user' },
    );
    const { machines, nodes } = await timed(`${COUNT} Machines Running / Nodes Ready`, () => converged(COUNT));
    assert.deepEqual(machines.map((m) => m.metadata.name).sort(), names(COUNT));
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), names(COUNT));
    assert.ok(
      nodes.every((n) => n.status?.nodeInfo?.kubeletVersion === 'v1.33.13'),
      'Nodes report the kubelet component version',
    );
    assert.ok(machines.every((m) => m.status?.kubeletVersion === 'v1.33.13'));
    // The operator's kwok for this cluster talks to the business apiserver the cluster operator runs.
    assert.deepEqual(machineOperator!.connections.keys(), [`${NS}/${CLUSTER}`]);
  });

  it(`scales to ${SCALED}: exactly ${SCALED} Machines and Nodes remain`, async function () {
    await scaleTo(SCALED);
    const { machines, nodes } = await timed(`scale ${COUNT} → ${SCALED}`, () => converged(SCALED));
    assert.deepEqual(machines.map((m) => m.metadata.name).sort(), names(SCALED), 'the highest-numbered machines went');
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), names(SCALED));
  });

  it(`scales back to ${COUNT}`, async function () {
    await scaleTo(COUNT);
    const { machines, nodes } = await timed(`scale ${SCALED} → ${COUNT}`, () => converged(COUNT));
    assert.deepEqual(machines.map((m) => m.metadata.name).sort(), names(COUNT));
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), names(COUNT));
  });

  // Counted by the meta API server's audit log. The business API server runs from the cluster operator's
  // Deployment, without an audit policy: Node writes are counted in kwok.test.ts, on a harness business cluster.
  it('a steady pass over the set and every machine writes nothing to the meta cluster, Events included', async function () {
    const op = machineOperator!;
    const { writes } = await new AuditWrites(cp).during({ userAgent: AGENTS.machine }, () =>
      timed('steady pass', async () => {
        await op.machineSets.reconcile(`${NS}/${SET}`);
        for (let i = 0; i < COUNT; i++) await op.machines.reconcile(`${NS}/${SET}-${i}`);
      }),
    );
    assertWriteCount(writes, 0, `a steady pass over ${SET} and its ${COUNT} machines`);
  });
});
