// Checks the machine crash tests share (crash/machine.test.ts, crash/machine-repair.test.ts): the kwok processes
// serving a business cluster, and a quiet window counted from both API servers' audit logs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PatchStrategy } from '@kubernetes/client-node';
import { waitFor } from '../../../src/controlplane';
import { makeObjectApi } from '../../../src/kube';
import { assertWriteCount, describeWrites } from '../../support/audit-writes';
import type { CrashHarness } from '../../support/crash-harness';
import { metricValue } from '../../support/metrics';
import { API, type MachineEnv } from '../machine/support';

/** kwok processes serving this business cluster (their kubeconfig names its server), by pid. */
export function kwokPids(server: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S*kwok\S*)\s.*--kubeconfig=(\S+)/.exec(line);
    if (!m) continue;
    try {
      if (fs.readFileSync(m[3], 'utf8').includes(server)) pids.push(Number(m[1]));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * A quiet window: the MachineSet and every Machine woken by an annotation, a pass over each seen on the manager's
 * metrics, the queues idle, 5 s more; then no kokpit component wrote to either API server (their audit logs).
 */
export async function assertQuietWindow(
  env: MachineEnv,
  harness: CrashHarness,
  o: { namespace: string; set: string; machines: string[]; log: (l: string) => void },
): Promise<void> {
  const objects = makeObjectApi(env.kc);
  const url = await waitFor('the manager metrics URL', async () => harness.manager!.metricsURL, { timeoutMs: 60_000 });
  const passes = async () =>
    (await metricValue(url, 'controller_runtime_reconcile_total', { controller: 'machine' })) +
    (await metricValue(url, 'controller_runtime_reconcile_total', { controller: 'machineset' }));
  const idle = async () =>
    (await metricValue(url, 'workqueue_depth', { name: 'machine' })) === 0 &&
    (await metricValue(url, 'workqueue_depth', { name: 'machineset' })) === 0;
  await waitFor('the machine queues idle', async () => (await idle()) || undefined, { timeoutMs: 60_000, intervalMs: 500 });
  const from = await Promise.all(env.audits.map((a) => a.mark()));
  const before = await passes();
  const poke = async (kind: string, name: string) =>
    objects.patch(
      { apiVersion: API, kind, metadata: { name, namespace: o.namespace, annotations: { 'kokpit.dev/crash-test': `${Date.now()}` } } },
      undefined,
      undefined,
      'kokpit-test',
      undefined,
      PatchStrategy.MergePatch,
    );
  await poke('MachineSet', o.set);
  for (const m of o.machines) await poke('Machine', m);
  await waitFor(
    'a pass over the set and each Machine, then idle queues',
    async () => ((await passes()) >= before + o.machines.length + 1 && (await idle())) || undefined,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await new Promise((r) => setTimeout(r, 5000));
  const writes = (await Promise.all(env.audits.map((a, i) => a.since(from[i], { userAgent: /^kokpit-/ })))).flat();
  o.log(`quiet window: ${writes.length} kokpit write(s)${writes.length ? `:\n${describeWrites(writes)}` : ''}`);
  assertWriteCount(writes, 0, 'a quiet window after the restarts (meta and business API servers)');
}
