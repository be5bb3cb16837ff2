// `npm run bench -- machines [--count=100]`: a MachineSet of N kwok machines joins a business cluster.
// Reports the time until all N Machines are Running (Nodes Ready through the operator), against a floor
// measured in the same run: N Nodes applied straight into the business cluster and made Ready by the same
// kwok, with no operator in between. Then scales the set to 20 and back (Machines and Ready Nodes), timed.
// Also: peak RSS of this process (the operator runs in it), API writes
// per machine (lifecycle Events counted separately), and writes of a steady-state pass over everything,
// Events included (must be 0). Writes are the machine operator's, as the meta and business API servers'
// audit logs record them (test/support/audit-writes.ts), not counted by the operator.
import type { KubernetesObject, V1Node } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { applyObject, makeObjectApi, readObject } from '../src/kube';
import { startMachineOperator } from '../src/operators/machine/operator';
import { defaultBinaryProvider } from '../src/binaries/provider';
import { isNodeReady, waitFor } from '../src/controlplane';
import { kwokNode } from '../src/controlplane/kwok';
import { API, componentObject, startMachineEnv } from '../test/integration/machine/support';
import { AGENTS, describeWrites, writesDuring } from '../test/support/audit-writes';

const NS = 'bench';
const CLUSTER = 'bench';

function flag(args: string[], name: string): string | undefined {
  return args.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const count = Number(flag(args, 'count') ?? 100);
  const env = await startMachineEnv(NS, CLUSTER);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  // kwok comes from the binary cache (built on demand), as the manager hands it to the operator.
  const operator = await startMachineOperator({ kc: env.kc, binaries: defaultBinaryProvider() });
  try {
    const objects = makeObjectApi(env.kc);
    await applyObject(objects, componentObject('containerd', '1.7.0'));
    await applyObject(objects, componentObject('kubelet', 'v1.33.13', ['containerd']));
    const t0 = Date.now();
    const { writes: lifecycle } = await writesDuring(env.audits, { userAgent: AGENTS.machine }, async () => {
      await applyObject(
        objects,
        {
          apiVersion: API,
          kind: 'MachineSet',
          metadata: { name: 'pool', namespace: NS },
          spec: {
            clusterRef: { name: CLUSTER },
            replicas: count,
            template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'kubelet' }] } },
          },
        } as KubernetesObject,
        { fieldManager: 'bench' },
      );
      await waitFor(
        `${count} machines Running`,
        async (s) => {
          const st = (
            await readObject<KubernetesObject & { status?: { readyReplicas?: number; message?: string } }>(objects, {
              apiVersion: API,
              kind: 'MachineSet',
              metadata: { name: 'pool', namespace: NS },
            })
          )?.status;
          s.lastReason = st?.message;
          return st?.readyReplicas === count ? true : undefined;
        },
        { timeoutMs: 600_000, intervalMs: 250 },
      );
    });
    const operatorMs = Date.now() - t0;
    const eventWrites = lifecycle.filter((e) => e.objectRef?.resource === 'events').length;
    const writes = lifecycle.length - eventWrites;

    // Steady state: one more pass over the set and every machine.
    const { writes: steady } = await writesDuring(env.audits, { userAgent: AGENTS.machine }, async () => {
      await operator.machineSets.reconcile(`${NS}/pool`);
      for (let i = 0; i < count; i++) await operator.machines.reconcile(`${NS}/pool-${i}`);
    });
    if (steady.length) process.stderr.write(`steady-state writes:\n${describeWrites(steady)}\n`);

    // Scale to 20 and back (the verification): Machines and their Nodes go, then come back Ready.
    let scaleDownMs: number | undefined;
    let scaleUpMs: number | undefined;
    if (count > 20) {
      const core0 = env.bkc.makeApiClient(CoreV1Api);
      const scaleTo = async (replicas: number) => {
        const t = Date.now();
        await applyObject(
          objects,
          { apiVersion: API, kind: 'MachineSet', metadata: { name: 'pool', namespace: NS }, spec: { replicas } } as KubernetesObject,
          { fieldManager: 'bench-scale' },
        );
        await waitFor(
          `scaled to ${replicas}`,
          async (s) => {
            const st = (
              await readObject<KubernetesObject & { status?: { replicas?: number; readyReplicas?: number } }>(objects, {
                apiVersion: API,
                kind: 'MachineSet',
                metadata: { name: 'pool', namespace: NS },
              })
            )?.status;
            const nodes = (await core0.listNode({ labelSelector: 'kokpit.dev/machine' })).items.filter((n) => isNodeReady(n)).length;
            s.lastReason = `status ${st?.replicas}/${st?.readyReplicas}, ready Nodes ${nodes}`;
            return st?.replicas === replicas && st.readyReplicas === replicas && nodes === replicas ? true : undefined;
          },
          { timeoutMs: 600_000, intervalMs: 250 },
        );
        return Date.now() - t;
      };
      scaleDownMs = await scaleTo(20);
      scaleUpMs = await scaleTo(count);
    }

    // Floor: the same number of Nodes straight into the business cluster, made Ready by the same kwok.
    const bobjects = makeObjectApi(env.bkc);
    const core = env.bkc.makeApiClient(CoreV1Api);
    const t1 = Date.now();
    const names = Array.from({ length: count }, (_, i) => `raw-${i}`);
    await Promise.all(names.map((n) => applyObject(bobjects, kwokNode(n) as V1Node & KubernetesObject)));
    await waitFor(
      'raw nodes Ready',
      async () => {
        const ready = (await core.listNode({ labelSelector: 'type=kwok' })).items.filter(
          (n) => n.metadata!.name!.startsWith('raw-') && isNodeReady(n),
        ).length;
        return ready === count ? true : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 250 },
    );
    const floorMs = Date.now() - t1;

    return {
      machines: count,
      time_to_running_ms: operatorMs,
      floor_direct_nodes_ready_ms: floorMs,
      ratio_to_floor: Number((operatorMs / floorMs).toFixed(2)),
      operator_peak_rss_mb: Math.round(peakRss / 2 ** 20),
      rss_before_operator_mb: Math.round(rssBefore / 2 ** 20),
      api_writes_per_machine: Number((writes / count).toFixed(2)),
      // Lifecycle Events (core/v1), counted apart from the object writes above.
      event_writes_per_machine: Number((eventWrites / count).toFixed(2)),
      steady_state_writes: steady.length,
      ...(scaleDownMs !== undefined ? { scale_down_to_20_ms: scaleDownMs, scale_back_up_ms: scaleUpMs } : {}),
    };
  } finally {
    clearInterval(sampler);
    await operator.stop();
    await env.stop();
  }
}
