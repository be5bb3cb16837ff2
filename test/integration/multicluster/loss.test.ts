// Cluster loss on real processes (support.ts: real meta control plane, business clusters run by the pod runner, the
// real OCM v1.0.0 hub and one hosted agent per cluster), what OCM v1.0.0 does in Hosted mode:
// - a business cluster's kube-apiserver stopped (SIGSTOP of its process group, as the pod runner started it):
//   Available=False, reason ManagedClusterKubeAPIServerUnavailable. The agent runs in the meta cluster and keeps
//   renewing its lease on the hub (its lease updater never looks at the business cluster), so the hub's lease
//   controller has nothing to mark Unknown; the agent's status controller (every --cluster-healthcheck-period, which
//   kokpit ties to leaseDurationSeconds; client-go's HTTP/2 health check shortened in render/agent.ts) finds /livez
//   failing. SIGCONT: back to True.
// - the hosted agent itself stopped (SIGSTOP): the lease is no longer renewed, and after the hub's grace
//   (5 × leaseDurationSeconds, OCM's leaseDurationTimes) Available=Unknown, reason ManagedClusterLeaseUpdateStopped.
// - the BusinessCluster's ManagedCluster condition follows (False / Unknown with OCM's reason, then True), `kokpit
//   status` shows JOINED/AVAILABLE and OCM's reason, and the other cluster stays Available throughout.
// The pod runner's liveness probe (as a kubelet's) restarts a hung apiserver after its failures (6 × 5 s) and the
// termination grace: that is the only thing that undoes the stop besides the test's SIGCONT; the test says which
// one brought the cluster back. Timings are printed, not asserted beyond generous deadlines.
import * as assert from 'node:assert/strict';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { runCli } from '../../../src/cli/main';
import { waitFor } from '../../../src/controlplane';
import { readObject } from '../../../src/kube';
import { AGENT_NAMESPACE, managedClusterName } from '../../../src/operators/multicluster/names';
import { readCluster } from '../cluster/support';
import { mcRef, startMulticlusterEnv, type MC, type MulticlusterEnv } from './support';

const NS = 'loss';
const LEASE = 15;
/** The hub's grace before Unknown: OCM's leaseDurationTimes (pkg/registration/hub/lease/controller.go). */
const GRACE_S = 5 * LEASE;
const AVAILABLE = 'ManagedClusterConditionAvailable';

describe('multicluster: cluster loss as OCM v1.0.0 reports it, agents hosted in the meta cluster', function () {
  let env: MulticlusterEnv;
  const stopped = new Set<number>();
  /** Every time cluster b (never touched) was seen not Available, while the checker runs. */
  const bNotAvailable: string[] = [];
  let checker: NodeJS.Timeout | undefined;

  const mcOf = async (cluster: string) => readObject<MC>(env.objects(), mcRef(managedClusterName(NS, cluster)));
  const availableOf = (m: MC | undefined) => m?.status?.conditions?.find((c) => c.type === AVAILABLE);

  /** The pids (process-group leaders: the pod runner starts each container in its own group) of pods matching a selector. */
  async function podPids(namespace: string, labelSelector: string): Promise<{ pids: number[]; restarts: number }> {
    const pods = await env.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
    const statuses = pods.items.flatMap((p) => p.status?.containerStatuses ?? []);
    const pids = statuses.flatMap((s) => /^kokpit-process:\/\/(\d+)$/.exec(s.containerID ?? '')?.[1] ?? []).map(Number);
    assert.ok(pids.length > 0, `no running container for ${labelSelector} in ${namespace}`);
    return { pids, restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0) };
  }

  function signal(pids: number[], sig: 'SIGSTOP' | 'SIGCONT'): void {
    for (const pid of pids) {
      try {
        process.kill(-pid, sig); // the whole group: an isolation wrapper (unshare) and the binary under it
      } catch {
        /* gone (restarted meanwhile) */
      }
      if (sig === 'SIGSTOP') stopped.add(pid);
      else stopped.delete(pid);
    }
  }

  /** Seconds since the cluster's lease on the hub was last renewed. */
  async function leaseAge(cluster: string): Promise<number> {
    const lease = await env.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'managed-cluster-lease', namespace: managedClusterName(NS, cluster) });
    return (Date.now() - new Date(lease.spec!.renewTime as unknown as string).getTime()) / 1000;
  }

  /** Waits until the ManagedCluster's Available is `status`; returns the condition and the seconds since `from`. */
  async function waitAvailableIs(cluster: string, status: string, from: number, timeoutMs: number) {
    const c = await waitFor(
      `ManagedCluster ${managedClusterName(NS, cluster)} Available=${status}`,
      async (st) => {
        const a = availableOf(await mcOf(cluster));
        st.lastReason = `Available=${a?.status} ${a?.reason}: ${a?.message}`;
        return a?.status === status ? a : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
    return { cond: c, seconds: (Date.now() - from) / 1000 };
  }

  /** `kokpit status` against the meta cluster: its output. */
  async function kokpitStatus(): Promise<string> {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() };
    assert.equal(await runCli(['status', '--kubeconfig', env.cp.kubeconfigPath], io), 0, out.join('\n'));
    return out.join('\n');
  }

  /** The BusinessCluster's ManagedCluster condition (the multicluster operator's mirror of OCM's Available). */
  async function waitBusinessCondition(cluster: string, status: string, reason: string | undefined, timeoutMs: number) {
    return waitFor(
      `BusinessCluster ${NS}/${cluster}: ManagedCluster=${status}${reason ? ` (${reason})` : ''}`,
      async (st) => {
        const c = (await readCluster(env.kc, NS, cluster)).status?.conditions?.find((x) => x.type === 'ManagedCluster');
        st.lastReason = `${c?.status} ${c?.reason}: ${c?.message}`;
        return c?.status === status && (!reason || c.reason === reason) ? c : undefined;
      },
      { timeoutMs, intervalMs: 1000 },
    );
  }

  before(async function () {
    this.timeout(900_000);
    env = await startMulticlusterEnv({
      namespace: NS,
      clusters: ['a', 'b'].map((name) => ({ name, multicluster: { leaseDurationSeconds: LEASE } })),
      steadyMs: 5000,
    });
    await env.waitAvailable(['a', 'b']);
    env.log('a and b Joined and Available');
    await waitBusinessCondition('a', 'True', undefined, 300_000);
    checker = setInterval(() => {
      mcOf('b').then(
        (m) => {
          const a = availableOf(m);
          if (a?.status !== 'True') bNotAvailable.push(`+${env.elapsed().toFixed(1)}s ${a?.status} ${a?.reason}: ${a?.message}`);
        },
        () => undefined, // a slow read is not the cluster's state
      );
    }, 2000);
  });

  after(async function () {
    this.timeout(180_000);
    if (checker) clearInterval(checker);
    signal([...stopped], 'SIGCONT'); // stopped processes would sit out their SIGTERM
    await env?.stop();
  });

  it('a stopped business apiserver: Available=False (KubeAPIServerUnavailable), the lease fresh; SIGCONT: True', async function () {
    this.timeout(600_000);
    const apiserver = await podPids(NS, 'kokpit.dev/cluster=a,kokpit.dev/component=apiserver');
    const t0 = Date.now();
    signal(apiserver.pids, 'SIGSTOP');
    env.log(`SIGSTOP kube-apiserver of a (process groups ${apiserver.pids.join(', ')})`);
    // Not Available any more: whatever OCM says first is what it does (no waiting for one answer).
    const lost = await waitFor(
      'ManagedCluster a not Available',
      async (st) => {
        const a = availableOf(await mcOf('a'));
        st.lastReason = `Available=${a?.status} ${a?.reason}`;
        return a && a.status !== 'True' ? { cond: a, seconds: (Date.now() - t0) / 1000, leaseAge: await leaseAge('a') } : undefined;
      },
      { timeoutMs: (GRACE_S + 120) * 1000, intervalMs: 500 },
    );
    env.log(
      `a: Available=${lost.cond.status} (${lost.cond.reason}: ${lost.cond.message}) ${lost.seconds.toFixed(1)} s after the stop; ` +
        `the lease was renewed ${lost.leaseAge.toFixed(1)} s before (lease ${LEASE} s, hub grace ${GRACE_S} s)`,
    );
    assert.equal(lost.cond.status, 'False', `${lost.cond.reason}: ${lost.cond.message}`);
    assert.equal(lost.cond.reason, 'ManagedClusterKubeAPIServerUnavailable');
    assert.ok(lost.leaseAge < GRACE_S, `the hosted agent kept renewing the lease (${lost.leaseAge.toFixed(1)} s old)`);
    const mirrored = await waitBusinessCondition('a', 'False', 'ManagedClusterKubeAPIServerUnavailable', 120_000);
    env.log(`BusinessCluster a: ManagedCluster=False ${mirrored.reason} ${((Date.now() - t0) / 1000).toFixed(1)} s after the stop`);
    // kokpit status: JOINED and AVAILABLE per cluster, and OCM's words for the lost one.
    const status = await kokpitStatus();
    env.log(`kokpit status:\n${status}`);
    assert.match(status, /^\s+loss\s+a\s.*\sTrue\s+False\(ManagedClusterKubeAPIServerUnavailable\)\s/m);
    assert.match(status, /^\s+loss\s+b\s.*\sTrue\s+True\s/m);
    assert.match(
      status,
      /loss\/a: ManagedCluster loss-a Available=False ManagedClusterKubeAPIServerUnavailable: The kube-apiserver is not ok/,
    );

    const t1 = Date.now();
    signal(apiserver.pids, 'SIGCONT');
    const back = await waitAvailableIs('a', 'True', t1, 300_000);
    const now = await podPids(NS, 'kokpit.dev/cluster=a,kokpit.dev/component=apiserver');
    const restarted = now.restarts > apiserver.restarts;
    env.log(
      `a: Available=True ${back.seconds.toFixed(1)} s after SIGCONT ` +
        `(${restarted ? "the pod runner's liveness probe had restarted the apiserver" : 'the same apiserver process, continued'})`,
    );
    await waitBusinessCondition('a', 'True', undefined, 120_000);
    assert.deepEqual(bNotAvailable, [], 'b stayed Available');
  });

  it('a stopped hosted agent: Available=Unknown (LeaseUpdateStopped) after the hub grace, 5 × the lease; SIGCONT: True', async function () {
    this.timeout(600_000);
    const agent = await podPids(AGENT_NAMESPACE, `open-cluster-management.io/cluster-name=${managedClusterName(NS, 'a')}`);
    const t0 = Date.now();
    signal(agent.pids, 'SIGSTOP');
    env.log(`SIGSTOP the hosted agent of a (process groups ${agent.pids.join(', ')})`);
    // The hub's lease controller looks again one grace after each renewal: Unknown between grace and 2 × grace.
    const lost = await waitAvailableIs('a', 'Unknown', t0, (2 * GRACE_S + 120) * 1000);
    env.log(`a: Available=Unknown (${lost.cond.reason}) ${lost.seconds.toFixed(1)} s after the stop (hub grace ${GRACE_S} s)`);
    assert.equal(lost.cond.reason, 'ManagedClusterLeaseUpdateStopped');
    const mirrored = await waitBusinessCondition('a', 'Unknown', 'ManagedClusterLeaseUpdateStopped', 120_000);
    assert.match(mirrored.message ?? '', /Available=Unknown/);
    assert.match(await kokpitStatus(), /^\s+loss\s+a\s.*\sTrue\s+Unknown\(ManagedClusterLeaseUpdateStopped\)\s/m);

    const t1 = Date.now();
    signal(agent.pids, 'SIGCONT');
    const back = await waitAvailableIs('a', 'True', t1, 300_000);
    env.log(`a: Available=True ${back.seconds.toFixed(1)} s after SIGCONT of the agent`);
    await waitBusinessCondition('a', 'True', undefined, 120_000);
    assert.deepEqual(bNotAvailable, [], 'b stayed Available');
  });
});
