// The machine operator on real control planes with a real kwok (environment: see support.ts).
import { defaultBinaryProvider } from '../../../src/binaries/provider';
import * as assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../../src/api';
import { applyObject, deleteObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { startMachineOperator, type MachineOperator } from '../../../src/operators/machine/operator';
import { isNodeReady, waitFor } from '../../../src/controlplane';
import { AGENTS, assertWriteCount, writesDuring } from '../../support/audit-writes';
import { API, FaultyKwok, componentObject, componentWithHealth, startMachineEnv, type MachineEnv } from './support';

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
  // The operator's writes (meta objects, Events, Nodes) as both API servers logged them, while `fn` ran.
  const operatorWrites = (fn: () => Promise<void>) => writesDuring(env!.audits, { userAgent: AGENTS.machine }, fn);

  const readMachine = (name: string) =>
    readObject<Machine & KubernetesObject>(objects(), { apiVersion: API, kind: 'Machine', metadata: { name, namespace: NS } });
  const readSet = (name: string) =>
    readObject<MachineSet & KubernetesObject>(objects(), { apiVersion: API, kind: 'MachineSet', metadata: { name, namespace: NS } });
  const readNode = (name: string) => readObject<V1Node>(makeObjectApi(bkc), { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const component = (name: string, version: string, dependsOn?: string[]) =>
    applyObject(objects(), componentObject(name, version, dependsOn));
  const machine = (name: string, components: Array<{ name: string; version?: string }>) =>
    applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'Machine',
        metadata: { name, namespace: NS },
        spec: {
          clusterRef: { name: CLUSTER },
          provider: 'kwok',
          role: 'worker',
          components,
          labels: { zone: 'z1' },
          taints: [{ key: 'dedicated', value: 'test', effect: 'NoSchedule' }],
        },
      } as KubernetesObject,
      { fieldManager: 'test-user' },
    );
  const running = (name: string) =>
    waitFor(
      `Machine ${name} Running`,
      async (s) => {
        const m = await readMachine(name);
        const conditions = m?.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);
        s.lastReason = `phase ${m?.status?.phase}: ${JSON.stringify(conditions)}`;
        return m?.status?.phase === 'Running' && m.status.observedGeneration === m.metadata.generation ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

  before(async () => {
    env = await startMachineEnv(NS, CLUSTER);
    ({ kc, bkc } = env);
    await component('containerd', '1.7.0');
    await component('kubelet', 'v1.33.13', ['containerd']);
    await component('agent', '1.0.0');
    operator = await startOperator();
  });

  // Step failures are injected here, through a provider that wraps the real kwok provider.
  const faults = new FaultyKwok();
  // Health steps every second; a machine whose repair has not helped within 3 s is Failed.
  const startOperator = () => {
    // KOKPIT_TEST_LOG=1 prints the operator's log lines with timestamps.
    const line = (level: string) => (msg: string) =>
      process.env.KOKPIT_TEST_LOG && console.error(`${new Date().toISOString()} ${level} ${msg}`);
    const log = { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') };
    return startMachineOperator({
      kc,
      binaries: defaultBinaryProvider(),
      providers: { kwok: faults.provider },
      log,
      controller: { backoff: { baseMs: 200, maxMs: 5_000 } },
      healthIntervalMs: 1_000,
      repairLimitMs: 3_000,
    });
  };

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
    assert.ok(
      node.spec!.taints?.some((t) => t.key === 'dedicated' && t.value === 'test' && t.effect === 'NoSchedule'),
      JSON.stringify(node.spec!.taints),
    );
    assert.equal(m.status!.nodeName, 'w1');
    assert.equal(m.status!.kubeletVersion, 'v1.33.13');
    // Dependency order: containerd before kubelet, at the machine's version.
    assert.deepEqual(
      m.status!.components!.map((c) => [c.name, c.version]),
      [
        ['containerd', '1.7.9'],
        ['kubelet', 'v1.33.13'],
      ],
    );
    const cond = (t: string) => m.status!.conditions!.find((c) => c.type === t);
    for (const t of ['Provisioned', 'Joined', 'NodeReady', 'ComponentsHealthy']) {
      assert.equal(cond(t)?.status, 'True', t);
      assert.equal(cond(t)?.observedGeneration, m.metadata.generation, `${t} observedGeneration`);
    }
    assert.match(cond('ComponentsHealthy')!.message!, /simulated by kwok/);
    assert.ok(m.metadata.finalizers?.includes('kokpit.dev/machine-node-cleanup'));
    assert.equal(operator!.connections.keys().length, 1, 'one kwok for the business cluster');
    // Pod logs on kwok Nodes are opt-in (a Logs object reads any file the manager can): by default no kubelet API on
    // the host and no Logs CRD in the business cluster.
    assert.equal(node.status!.addresses!.find((a) => a.type === 'InternalIP')?.address, '10.240.0.1');
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'logs.kwok.x-k8s.io' } };
    assert.equal(await readObject(makeObjectApi(bkc), crd), undefined, 'no kwok Logs CRD unless kwokPodLogs is set');
  });

  it('a steady-state pass writes nothing (counted by both API servers)', async () => {
    const { writes } = await operatorWrites(async () => {
      await operator!.machines.reconcile(`${NS}/w1`);
      await operator!.machines.reconcile(`${NS}/w1`);
    });
    assertWriteCount(writes, 0, 'two steady passes over w1');
  });

  it('a Node deleted in the business cluster is registered again', async () => {
    const old = (await readNode('w1'))!;
    await nodesApi().deleteNode({ name: 'w1' });
    const fresh = await waitFor(
      'Node w1 re-registered and Ready',
      async () => {
        const n = await readNode('w1');
        return n && n.metadata!.uid !== old.metadata!.uid && isNodeReady(n) ? n : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(fresh.metadata!.labels!['kokpit.dev/machine'], 'w1');
    await running('w1');
  });

  it("a running machine's kubelet upgraded in place: its Node reports the new version, as a restarted kubelet would", async () => {
    const nodeKubelet = async () => (await readNode('k1'))?.status?.nodeInfo?.kubeletVersion;
    await machine('k1', [{ name: 'kubelet', version: 'v1.33.0' }, { name: 'containerd' }]);
    assert.equal((await running('k1')).status!.kubeletVersion, 'v1.33.0');
    assert.equal(await nodeKubelet(), 'v1.33.0');
    const uid = (await readNode('k1'))!.metadata!.uid;

    await machine('k1', [{ name: 'kubelet', version: 'v1.33.13' }, { name: 'containerd' }]);
    assert.equal((await running('k1')).status!.kubeletVersion, 'v1.33.13');
    // Before the fix the Node kept v1.33.0: status is not part of an apply, and kwok keeps nodeInfo as it finds it.
    assert.equal(await nodeKubelet(), 'v1.33.13');
    assert.equal((await readNode('k1'))!.metadata!.uid, uid, 'the same Node, upgraded in place');
    const { writes } = await operatorWrites(async () => void (await operator!.machines.reconcile(`${NS}/k1`)));
    assertWriteCount(writes, 0, 'a steady pass over the upgraded k1');

    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'k1', namespace: NS } });
    await waitFor('k1 and its Node gone', async () => ((await readMachine('k1')) || (await readNode('k1')) ? undefined : true), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  });

  it('a dependency cycle fails the Machine with a terminal condition', async () => {
    await component('cyc-a', '1', ['cyc-b']);
    await component('cyc-b', '1', ['cyc-a']);
    await machine('bad', [{ name: 'cyc-a' }, { name: 'cyc-b' }]);
    const m = await waitFor(
      'Machine bad Failed',
      async () => {
        const x = await readMachine('bad');
        return x?.status?.phase === 'Failed' ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const c = m.status!.conditions!.find((x) => x.type === 'ComponentsHealthy')!;
    assert.equal(c.reason, 'DependencyCycle');
    assert.match(c.message!, /cyc-a -> cyc-b -> cyc-a/);
    assert.equal(await readNode('bad'), undefined, 'no Node for a machine that cannot be built');
    const comp = await waitFor(
      'Component cyc-a Valid=False',
      async () => {
        const x = await readObject<
          KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } }
        >(objects(), { apiVersion: API, kind: 'Component', metadata: { name: 'cyc-a' } });
        return x?.status?.conditions?.find((v) => v.type === 'Valid' && v.status === 'False') ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(comp.status!.conditions![0].reason, 'DependencyCycle');
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'bad', namespace: NS } });
  });

  it('deleting the Machine removes its Node from the business cluster', async () => {
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'w1', namespace: NS } });
    await waitFor(
      'Machine w1 and Node w1 gone',
      async () => ((await readMachine('w1')) === undefined && (await readNode('w1')) === undefined ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    // No Machine of the business cluster left: its kwok is stopped.
    await waitFor('kwok of the business cluster stopped', async () => (operator!.connections.keys().length === 0 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it("deleting a Machine leaves a Node of its name that carries another machine's labels (ownership before deletion)", async () => {
    // A Node w9 registered for machine w9 of another namespace: this namespace's Machine w9 must not remove it.
    await applyObject(makeObjectApi(bkc), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'w9', labels: { 'kokpit.dev/machine': 'w9', 'kokpit.dev/machine-namespace': 'team-b' } },
    } as KubernetesObject);
    await machine('w9', [{ name: 'agent' }]);
    await waitFor(
      'Machine w9 refused: NodeNameTaken',
      async () =>
        (await readMachine('w9'))?.status?.conditions?.find((c) => c.type === 'Joined')?.reason === 'NodeNameTaken' ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'w9', namespace: NS } });
    await waitFor('Machine w9 gone', async () => ((await readMachine('w9')) === undefined ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    assert.equal((await readNode('w9'))?.metadata?.labels?.['kokpit.dev/machine-namespace'], 'team-b', "the other namespace's Node stays");
    await deleteObject(makeObjectApi(bkc), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w9' } });
  });

  it('a MachineSet of 4 rolls a component version out in phases (25 %, then 100 %)', async () => {
    const set = (version: string) =>
      applyObject(
        objects(),
        {
          apiVersion: API,
          kind: 'MachineSet',
          metadata: { name: 'pool', namespace: NS },
          spec: {
            clusterRef: { name: CLUSTER },
            replicas: 4,
            template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'agent', version }] } },
            // The pause holds phase 0 long enough to observe it.
            rollout: { maxUnavailable: 1, phases: [{ percent: 25, pause: '4s' }, { percent: 100 }] },
          },
        } as KubernetesObject,
        { fieldManager: 'test-user' },
      );
    const agentVersions = async () => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await readMachine(`pool-${i}`);
        out.push(
          m?.status?.observedGeneration === m?.metadata.generation
            ? String(m?.status?.components?.find((c) => c.name === 'agent')?.version)
            : 'pending',
        );
      }
      return out;
    };

    await set('1.0.0');
    await waitFor(
      '4 of 4 ready',
      async (s) => {
        const st = (await readSet('pool'))?.status;
        s.lastReason = st?.message;
        return st?.readyReplicas === 4 && st.updatedReplicas === 4 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const nodes = await nodesApi().listNode({ labelSelector: 'kokpit.dev/machine' });
    assert.deepEqual(nodes.items.map((n) => n.metadata!.name).sort(), ['pool-0', 'pool-1', 'pool-2', 'pool-3']);
    assert.ok(nodes.items.every(isNodeReady));
    const m0 = (await readMachine('pool-0'))!;
    assert.equal(m0.metadata.ownerReferences?.[0].kind, 'MachineSet');

    await set('1.1.0');
    // Phase 0: exactly one machine (25 % of 4) on the new version, then the pause.
    const phase0 = await waitFor(
      'phase 0 complete and paused',
      async (s) => {
        const st = (await readSet('pool'))?.status;
        s.lastReason = st?.message;
        return st?.currentPhase === 0 && st.conditions?.find((c) => c.type === 'RolloutPaused')?.status === 'True' ? st : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    assert.equal(phase0.updatedReplicas, 1);
    assert.deepEqual((await agentVersions()).sort(), ['1.0.0', '1.0.0', '1.0.0', '1.1.0']);

    const done = await waitFor(
      'rollout complete',
      async (s) => {
        const st = (await readSet('pool'))?.status;
        s.lastReason = st?.message;
        return st?.updatedReplicas === 4 &&
          st.readyReplicas === 4 &&
          st.conditions?.find((c) => c.type === 'RolloutProgressing')?.reason === 'RolloutComplete'
          ? st
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.equal(done.currentPhase, 1);
    assert.deepEqual(await agentVersions(), ['1.1.0', '1.1.0', '1.1.0', '1.1.0']);

    // Steady state: passes over the set and its machines write nothing.
    const { writes } = await operatorWrites(async () => {
      await operator!.machineSets.reconcile(`${NS}/pool`);
      for (let i = 0; i < 4; i++) await operator!.machines.reconcile(`${NS}/pool-${i}`);
    });
    assertWriteCount(writes, 0, 'a steady pass over pool and its 4 machines');
  });

  it('scaling a MachineSet down removes the highest-numbered machines and their Nodes', async () => {
    await applyObject(
      objects(),
      { apiVersion: API, kind: 'MachineSet', metadata: { name: 'pool', namespace: NS }, spec: { replicas: 2 } } as KubernetesObject,
      { fieldManager: 'test-scale' },
    );
    await waitFor(
      '2 machines, 2 Nodes',
      async (s) => {
        const names = (await nodesApi().listNode({ labelSelector: 'kokpit.dev/machine' })).items.map((n) => n.metadata!.name).sort();
        const st = (await readSet('pool'))?.status;
        s.lastReason = `nodes ${names.join(',')}; status replicas ${st?.replicas}`;
        return names.join(',') === 'pool-0,pool-1' && st?.replicas === 2 && st.readyReplicas === 2 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(await readMachine('pool-3'), undefined);
  });

  const setCluster = (version: string) =>
    applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: CLUSTER, namespace: NS } }, 'businessclusters', {
      phase: 'Running',
      version,
      kubeconfigSecretName: `${CLUSTER}-admin-kubeconfig`,
      conditions: [{ type: 'APIServerAvailable', status: 'True', reason: 'Available', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    });
  const condition = (m: Machine | MachineSet | undefined, type: string) => m?.status?.conditions?.find((c) => c.type === type);
  const eventsFor = async (kind: string, name: string) =>
    (
      await kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` })
    ).items;

  it('version skew: a kubelet newer than the control plane waits for it (new machine and upgrade of a running one)', async () => {
    await machine('skew', [{ name: 'kubelet', version: 'v1.34.1' }, { name: 'containerd' }]);
    const held = await waitFor(
      'Machine skew held by VersionSkew',
      async (s) => {
        const m = await readMachine('skew');
        s.lastReason = JSON.stringify(m?.status?.conditions);
        return condition(m, 'UpToDate')?.reason === 'VersionSkew' ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(held.status!.phase, 'Pending');
    assert.equal(condition(held, 'Provisioned')!.reason, 'VersionSkew');
    assert.equal(
      condition(held, 'UpToDate')!.message,
      'kubelet v1.34.1 would be newer than the control plane v1.33.13; waiting for the control plane to be upgraded first',
    );
    assert.equal(await readNode('skew'), undefined, 'no Node before the control plane allows the kubelet');

    // The control plane reaches v1.34.1 (as the cluster operator reports it): the machine goes on.
    await setCluster('v1.34.1');
    const up = await running('skew');
    assert.equal(up.status!.kubeletVersion, 'v1.34.1');
    assert.equal(condition(up, 'UpToDate')!.status, 'True');

    // A running machine asked for a kubelet newer than the control plane keeps its version.
    await machine('skew', [{ name: 'kubelet', version: 'v1.35.0' }, { name: 'containerd' }]);
    const kept = await waitFor(
      'running Machine skew held by VersionSkew',
      async () => {
        const m = await readMachine('skew');
        return condition(m, 'UpToDate')?.reason === 'VersionSkew' ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(kept.status!.phase, 'Running');
    assert.equal(kept.status!.kubeletVersion, 'v1.34.1');
    assert.notEqual(
      kept.status!.observedGeneration,
      kept.metadata.generation,
      'the new spec is not done: a MachineSet does not count it as updated',
    );
    assert.match(condition(kept, 'UpToDate')!.message!, /kubelet v1\.35\.0 would be newer than the control plane v1\.34\.1/);
    assert.ok(
      (await eventsFor('Machine', 'skew')).some((e) => e.reason === 'VersionSkew' && /v1\.35\.0.*v1\.34\.1/.test(e.message ?? '')),
      'VersionSkew event',
    );

    await setCluster('v1.33.13');
    await deleteObject(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: 'skew', namespace: NS } });
  });

  it(
    'a phased rollout over 20 machines stops at an injected health failure in the second phase; ' + 'a restarted operator converges',
    async function () {
      this.timeout(420_000);
      await applyObject(objects(), componentWithHealth('probe', '1.0.0'));
      const set = (version: string) =>
        applyObject(
          objects(),
          {
            apiVersion: API,
            kind: 'MachineSet',
            metadata: { name: 'fleet', namespace: NS },
            spec: {
              clusterRef: { name: CLUSTER },
              replicas: 20,
              template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'probe', version }] } },
              // Targets 1, 10, 20 machines.
              rollout: { maxUnavailable: 3, phases: [{ percent: 5 }, { percent: 50 }, { percent: 100 }] },
            },
          } as KubernetesObject,
          { fieldManager: 'test-user' },
        );
      const fleet = async () =>
        await listObjects<Machine & KubernetesObject>(objects(), API, 'Machine', {
          namespace: NS,
          labelSelector: 'kokpit.dev/machineset=fleet',
        });
      await set('1.0.0');
      await waitFor(
        '20 of 20 ready',
        async (s) => {
          const st = (await readSet('fleet'))?.status;
          s.lastReason = st?.message;
          return st?.readyReplicas === 20 && st.updatedReplicas === 20 ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const oldHash = (await readSet('fleet'))!.status!.templateHash!;

      // fleet-5 is in the second phase (machines 1-9); its health step fails once it runs probe 2.0.0.
      faults.fail((await readMachine('fleet-5'))!.metadata.uid!, 'probe', 'health', '2.0.0');
      await set('2.0.0');
      const stopped = await waitFor(
        'rollout stopped by the health gate',
        async (s) => {
          const st = (await readSet('fleet'))?.status;
          s.lastReason = st?.message;
          return condition({ status: st } as MachineSet, 'RolloutProgressing')?.reason === 'HealthGateFailed' ? st : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      assert.equal(stopped.currentPhase, 1, 'stopped in the second phase');
      assert.match(
        stopped.message!,
        /machine fleet-5 Failed: RepairLimitReached: component probe 2\.0\.0 unhealthy: health of probe 2\.0\.0 failed \(injected by the test\)/,
      );
      const m5 = (await readMachine('fleet-5'))!;
      assert.equal(m5.status!.phase, 'Failed');
      assert.equal(condition(m5, 'ComponentsHealthy')!.reason, 'RepairLimitReached');
      assert.deepEqual(m5.status!.components, [
        {
          name: 'probe',
          version: '2.0.0',
          healthy: false,
          message: 'health of probe 2.0.0 failed (injected by the test) (repair: ran, did not help)',
        },
      ]);
      // Nothing of the third phase moved, and another pass over the set moves nothing either.
      const hashes = async () => new Map((await fleet()).map((m) => [m.metadata.name, m.metadata.labels!['kokpit.dev/template-hash']]));
      const before = await hashes();
      for (let i = 10; i < 20; i++) assert.equal(before.get(`fleet-${i}`), oldHash, `fleet-${i} still on the old template`);
      await operator!.machineSets.reconcile(`${NS}/fleet`);
      assert.deepEqual(await hashes(), before);
      assert.equal(
        (await readMachine('fleet-5'))!.metadata.uid,
        m5.metadata.uid,
        'a machine that stops a rollout is kept for inspection, not replaced',
      );
      assert.ok(
        (await eventsFor('MachineSet', 'fleet')).some((e) => e.reason === 'HealthGateFailed' && e.type === 'Warning'),
        'HealthGateFailed event',
      );
      assert.ok(
        (await eventsFor('Machine', 'fleet-5')).some((e) => e.reason === 'Failed'),
        'Failed event on the machine',
      );

      // Mid-rollout: the operator stops, the cause is fixed, a new operator takes over.
      await operator!.stop();
      operator = undefined;
      faults.clear();
      operator = await startOperator();
      const done = await waitFor(
        'rollout complete after the restart',
        async (s) => {
          const st = (await readSet('fleet'))?.status;
          s.lastReason = st?.message;
          return st?.updatedReplicas === 20 &&
            st.readyReplicas === 20 &&
            condition({ status: st } as MachineSet, 'RolloutProgressing')?.reason === 'RolloutComplete'
            ? st
            : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      assert.equal(done.currentPhase, 2);
      const machines = await fleet();
      assert.deepEqual(
        machines.map((m) => m.metadata.name).sort(),
        Array.from({ length: 20 }, (_, i) => `fleet-${i}`).sort(),
        'exactly 20 machines, no duplicates',
      );
      assert.ok(machines.every((m) => m.status?.components?.[0]?.version === '2.0.0' && m.status.phase === 'Running'));
      const nodes = (await nodesApi().listNode({ labelSelector: 'kokpit.dev/machine' })).items.filter((n) =>
        n.metadata!.name!.startsWith('fleet-'),
      );
      assert.equal(nodes.length, 20);

      // Steady state with health steps: a pass over the set and every machine (health run, passing) writes nothing, Events included.
      const { writes } = await operatorWrites(async () => {
        await operator!.machineSets.reconcile(`${NS}/fleet`);
        for (let i = 0; i < 20; i++) await operator!.machines.reconcile(`${NS}/fleet-${i}`);
      });
      assertWriteCount(writes, 0, 'a steady pass over fleet and its 20 machines, Events included');
    },
  );

  it('outside a rollout, a machine that repair cannot fix is replaced by a new one', async () => {
    const old = (await readMachine('fleet-19'))!;
    // Keyed by uid: the replacement (a new Machine of the same name) is healthy.
    faults.fail(old.metadata.uid!, 'probe', 'health');
    await waitFor(
      'fleet-19 replaced and Running',
      async (s) => {
        const m = await readMachine('fleet-19');
        s.lastReason = `uid ${m?.metadata.uid === old.metadata.uid ? 'old' : 'new'} phase ${m?.status?.phase}`;
        return m && m.metadata.uid !== old.metadata.uid && m.status?.phase === 'Running' ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.ok(
      (await eventsFor('MachineSet', 'fleet')).some((e) => e.reason === 'MachineReplaced' && /fleet-19/.test(e.message ?? '')),
      'MachineReplaced event',
    );
  });

  it('an Event recorded again is counted on the same Event, not written anew', async () => {
    const target = { apiVersion: API, kind: 'Machine', metadata: { name: 'fleet-0', namespace: NS, uid: 'dedupe-test' } };
    await operator!.events.record(target, 'Normal', 'DedupeProbe', 'same message');
    await operator!.events.record(target, 'Normal', 'DedupeProbe', 'same message');
    await operator!.events.record(target, 'Normal', 'DedupeProbe', 'other message');
    const probes = (await eventsFor('Machine', 'fleet-0')).filter((e) => e.reason === 'DedupeProbe');
    assert.deepEqual(probes.map((e) => [e.message, e.count]).sort(), [
      ['other message', 1],
      ['same message', 2],
    ]);
  });
});
