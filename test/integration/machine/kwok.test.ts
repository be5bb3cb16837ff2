// The machine operator on real control planes with a real kwok (environment: see support.ts).
import * as assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../../src/api';
import { applyObject, deleteObject, makeObjectApi, readObject } from '../../../src/kube';
import { startMachineOperator, type MachineOperator } from '../../../src/operators/machine/operator';
import { isNodeReady, waitFor } from '../../../src/testenv';
import { API, componentObject, startMachineEnv, type MachineEnv } from './support';

const NS = 'team-a';
const CLUSTER = 'prod';

describe('machine operator (kwok provider)', function () {
  this.timeout(240_000);
  let env: MachineEnv | undefined;
  let kc: KubeConfig;
  let bkc: KubeConfig;
  let operator: MachineOperator | undefined;
  const objects = () => makeObjectApi(kc);
  const nodesApi = () => bkc.makeApiClient(CoreV1Api);

  const readMachine = (name: string) => readObject<Machine & KubernetesObject>(objects(), { apiVersion: API, kind: 'Machine', metadata: { name, namespace: NS } });
  const readSet = (name: string) => readObject<MachineSet & KubernetesObject>(objects(), { apiVersion: API, kind: 'MachineSet', metadata: { name, namespace: NS } });
  const readNode = (name: string) => readObject<V1Node>(makeObjectApi(bkc), { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const component = (name: string, version: string, dependsOn?: string[]) => applyObject(objects(), componentObject(name, version, dependsOn));
  const machine = (name: string, components: Array<{ name: string; version?: string }>) =>
    applyObject(objects(), {
      apiVersion: API, kind: 'Machine', metadata: { name, namespace: NS },
      spec: { clusterRef: { name: CLUSTER }, provider: 'kwok', role: 'worker', components, labels: { zone: 'z1' }, taints: [{ key: 'dedicated', value: 'test', effect: 'NoSchedule' }] },
    } as KubernetesObject, { fieldManager: 'test-user' });
  const running = (name: string) =>
    waitFor(`Machine ${name} Running`, async (s) => {
      const m = await readMachine(name);
      s.lastReason = `phase ${m?.status?.phase}: ${JSON.stringify(m?.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`))}`;
      return m?.status?.phase === 'Running' && m.status.observedGeneration === m.metadata.generation ? m : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });

  before(async () => {
    env = await startMachineEnv(NS, CLUSTER);
    ({ kc, bkc } = env);
    await component('containerd', '1.7.0');
    await component('kubelet', 'v1.33.13', ['containerd']);
    await component('agent', '1.0.0');
    // KOKPIT_TEST_LOG=1 prints the operator's log lines with timestamps.
    const line = (level: string) => (msg: string) => process.env.KOKPIT_TEST_LOG && console.error(`${new Date().toISOString()} ${level} ${msg}`);
    const log = { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') };
    operator = await startMachineOperator({ kc, log, controller: { backoff: { baseMs: 200, maxMs: 5_000 } } });
  });

  after(async () => {
    await operator?.stop();
    await env?.stop();
  });

  it('a Machine becomes a Ready Node in its business cluster, with components simulated by kwok', async () => {
    await machine('w1', [{ name: 'kubelet' }, { name: 'containerd', version: '1.7.9' }]);
    const m = await running('w1');
    const node = await readNode('w1');
    assert.ok(node && isNodeReady(node), 'Node Ready in the business cluster');
    assert.equal(node.metadata!.annotations!['kwok.x-k8s.io/node'], 'fake');
    assert.equal(node.metadata!.labels!['node-role.kubernetes.io/worker'], '');
    assert.equal(node.metadata!.labels!.zone, 'z1');
    // Ours is there; the apiserver's TaintNodesByCondition admission may add node.kubernetes.io/not-ready,
    // which only a kube-controller-manager (not run in this business cluster) would lift again.
    assert.ok(node.spec!.taints?.some((t) => t.key === 'dedicated' && t.value === 'test' && t.effect === 'NoSchedule'), JSON.stringify(node.spec!.taints));
    assert.equal(m.status!.nodeName, 'w1');
    assert.equal(m.status!.kubeletVersion, 'v1.33.13');
    // Dependency order: containerd before kubelet, at the machine's version.
    assert.deepEqual(m.status!.components!.map((c) => [c.name, c.version]), [['containerd', '1.7.9'], ['kubelet', 'v1.33.13']]);
    const cond = (t: string) => m.status!.conditions!.find((c) => c.type === t);
    for (const t of ['Provisioned', 'Joined', 'NodeReady', 'ComponentsHealthy']) {
      assert.equal(cond(t)?.status, 'True', t);
      assert.equal(cond(t)?.observedGeneration, m.metadata.generation, `${t} observedGeneration`);
    }
    assert.match(cond('ComponentsHealthy')!.message!, /simulated by kwok/);
    assert.ok(m.metadata.finalizers?.includes('kokpit.dev/machine-node-cleanup'));
    assert.equal(operator!.connections.keys().length, 1, 'one kwok for the business cluster');
  });

  it('a steady-state pass writes nothing', async () => {
    const before = operator!.writes();
    await operator!.machines.reconcile(`${NS}/w1`);
    await operator!.machines.reconcile(`${NS}/w1`);
    assert.equal(operator!.writes(), before);
  });

  it('a Node deleted in the business cluster is registered again', async () => {
    const old = (await readNode('w1'))!;
    await nodesApi().deleteNode({ name: 'w1' });
    const fresh = await waitFor('Node w1 re-registered and Ready', async () => {
      const n = await readNode('w1');
      return n && n.metadata!.uid !== old.metadata!.uid && isNodeReady(n) ? n : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(fresh.metadata!.labels!['kokpit.dev/machine'], 'w1');
    await running('w1');
  });

  it('a dependency cycle fails the Machine with a terminal condition', async () => {
    await component('cyc-a', '1', ['cyc-b']);
    await component('cyc-b', '1', ['cyc-a']);
    await machine('bad', [{ name: 'cyc-a' }, { name: 'cyc-b' }]);
    const m = await waitFor('Machine bad Failed', async () => {
      const x = await readMachine('bad');
      return x?.status?.phase === 'Failed' ? x : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const c = m.status!.conditions!.find((x) => x.type === 'ComponentsHealthy')!;
    assert.equal(c.reason, 'DependencyCycle');
    assert.match(c.message!, /cyc-a -> cyc-b -> cyc-a/);
    assert.equal(await readNode('bad'), undefined, 'no Node for a machine that cannot be built');
    const comp = await waitFor('Component cyc-a Valid=False', async () => {
      const x = await readObject<KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } }>(objects(), { apiVersion: API, kind: 'Component', metadata: { name: 'cyc-a' } });
      return x?.status?.conditions?.find((v) => v.type === 'Valid' && v.status === 'False') ? x : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(comp.status!.conditions![0].reason, 'DependencyCycle');
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'bad', namespace: NS } });
  });

  it('deleting the Machine removes its Node from the business cluster', async () => {
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'w1', namespace: NS } });
    await waitFor('Machine w1 and Node w1 gone', async () => ((await readMachine('w1')) === undefined && (await readNode('w1')) === undefined ? true : undefined), {
      timeoutMs: 30_000, intervalMs: 200,
    });
    // No Machine of the business cluster left: its kwok is stopped.
    await waitFor('kwok of the business cluster stopped', async () => (operator!.connections.keys().length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 });
  });

  it('a MachineSet of 4 rolls a component version out in phases (25 %, then 100 %)', async () => {
    const set = (version: string) =>
      applyObject(objects(), {
        apiVersion: API, kind: 'MachineSet', metadata: { name: 'pool', namespace: NS },
        spec: {
          clusterRef: { name: CLUSTER }, replicas: 4,
          template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'agent', version }] } },
          // The pause holds phase 0 long enough to observe it.
          rollout: { maxUnavailable: 1, phases: [{ percent: 25, pause: '4s' }, { percent: 100 }] },
        },
      } as KubernetesObject, { fieldManager: 'test-user' });
    const agentVersions = async () => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await readMachine(`pool-${i}`);
        out.push(m?.status?.observedGeneration === m?.metadata.generation ? String(m?.status?.components?.find((c) => c.name === 'agent')?.version) : 'pending');
      }
      return out;
    };

    await set('1.0.0');
    await waitFor('4 of 4 ready', async (s) => {
      const st = (await readSet('pool'))?.status;
      s.lastReason = st?.message;
      return st?.readyReplicas === 4 && st.updatedReplicas === 4 ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    const nodes = await nodesApi().listNode({ labelSelector: 'kokpit.dev/machine' });
    assert.deepEqual(nodes.items.map((n) => n.metadata!.name).sort(), ['pool-0', 'pool-1', 'pool-2', 'pool-3']);
    assert.ok(nodes.items.every(isNodeReady));
    const m0 = (await readMachine('pool-0'))!;
    assert.equal(m0.metadata.ownerReferences?.[0].kind, 'MachineSet');

    await set('1.1.0');
    // Phase 0: exactly one machine (25 % of 4) on the new version, then the pause.
    const phase0 = await waitFor('phase 0 complete and paused', async (s) => {
      const st = (await readSet('pool'))?.status;
      s.lastReason = st?.message;
      return st?.currentPhase === 0 && st.conditions?.find((c) => c.type === 'RolloutPaused')?.status === 'True' ? st : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    assert.equal(phase0.updatedReplicas, 1);
    assert.deepEqual((await agentVersions()).sort(), ['1.0.0', '1.0.0', '1.0.0', '1.1.0']);

    const done = await waitFor('rollout complete', async (s) => {
      const st = (await readSet('pool'))?.status;
      s.lastReason = st?.message;
      return st?.updatedReplicas === 4 && st.readyReplicas === 4 && st.conditions?.find((c) => c.type === 'RolloutProgressing')?.reason === 'RolloutComplete' ? st : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    assert.equal(done.currentPhase, 1);
    assert.deepEqual(await agentVersions(), ['1.1.0', '1.1.0', '1.1.0', '1.1.0']);

    // Steady state: passes over the set and its machines write nothing.
    const writes = operator!.writes();
    await operator!.machineSets.reconcile(`${NS}/pool`);
    for (let i = 0; i < 4; i++) await operator!.machines.reconcile(`${NS}/pool-${i}`);
    assert.equal(operator!.writes(), writes);
  });

  it('scaling a MachineSet down removes the highest-numbered machines and their Nodes', async () => {
    await applyObject(objects(), { apiVersion: API, kind: 'MachineSet', metadata: { name: 'pool', namespace: NS }, spec: { replicas: 2 } } as KubernetesObject, { fieldManager: 'test-scale' });
    await waitFor('2 machines, 2 Nodes', async (s) => {
      const names = (await nodesApi().listNode({ labelSelector: 'kokpit.dev/machine' })).items.map((n) => n.metadata!.name).sort();
      const st = (await readSet('pool'))?.status;
      s.lastReason = `nodes ${names.join(',')}; status replicas ${st?.replicas}`;
      return names.join(',') === 'pool-0,pool-1' && st?.replicas === 2 && st.readyReplicas === 2 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(await readMachine('pool-3'), undefined);
  });
});
