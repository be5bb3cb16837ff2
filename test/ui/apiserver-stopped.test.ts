// Issue 21: "a notification appears when a business apiserver is stopped", for real. A business control plane runs as
// real processes (test/ui/support/business-control-plane.ts: the cluster operator in this process, the pod runner). The
// test SIGSTOPs the business kube-apiserver process (hung, not killed): the pod runner's readiness probe fails, the
// meta controller-manager marks its Deployment unready, the cluster operator sets the BusinessCluster Degraded, and in
// code-server the Fleet dashboard row turns Degraded and one notification says so. SIGCONT (or the pod runner's
// liveness restart, if that came first) brings the cluster back to Running, and the row with it. Nothing here writes a
// status: dashboard.test.ts covers the same page with statuses the test writes. Times are printed, not asserted.
// Screenshots go to $KOKPIT_UI_OUT (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { makeObjectApi, readObject } from '../../src/kube';
import { API_VERSION, type BusinessCluster } from '../../src/api';
import { waitFor } from '../../src/controlplane';
import { startBusinessControlPlane, startEditorOn, type BusinessControlPlane } from './support/business-control-plane';
import { editorSuiteHooks, type EditorSession } from './support/editor-session';
import { prepareUiRun } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const NS = 'outage';
const NAME = 'biz';
// A business control plane started on a busy two-core machine next to code-server.
const START_MS = 300_000;
// The apiserver's readiness probe fails after 3 probes of up to 5 s + 2 s each; then the Deployment, then the operator.
const DEGRADE_MS = 120_000;
// After SIGCONT: the apiserver ready again, and the controller-manager and scheduler (which lost their leases and
// restarted with the runner's backoff) ready too.
const RECOVER_MS = 300_000;

const log = (line: string) => console.log(`      [ui] ${line}`);

/** A BusinessCluster status as the test first read it. */
interface Seen {
  at: number;
  phase?: string;
  ready?: string;
  apiserverReady?: number;
}

/** Reads the BusinessCluster every 100 ms and appends each new state (phase, Ready, apiserver readiness) to `seen`. */
function pollStatus(kc: KubeConfig, seen: Seen[]): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const bc = await readObject<BusinessCluster & KubernetesObject>(makeObjectApi(kc), {
        apiVersion: API_VERSION,
        kind: 'BusinessCluster',
        metadata: { name: NAME, namespace: NS },
      }).catch(() => undefined);
      const ready = bc?.status?.conditions?.find((c) => c.type === 'Ready');
      const now: Seen = {
        at: Date.now(),
        phase: bc?.status?.phase,
        ready: ready && `${ready.status} ${ready.reason ?? ''}: ${ready.message ?? ''}`,
        apiserverReady: bc?.status?.components?.find((c) => c.name === 'kube-apiserver')?.readyReplicas,
      };
      const last = seen.at(-1);
      if (bc && (!last || last.phase !== now.phase || last.ready !== now.ready || last.apiserverReady !== now.apiserverReady))
        seen.push(now);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('ui: a business kube-apiserver process stopped turns its dashboard row Degraded, notified once (code-server)', function () {
  this.timeout(15 * 60_000);
  let biz: BusinessControlPlane | undefined;
  let poller: { stop(): Promise<void> } | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;
  const seen: Seen[] = [];

  before(async function () {
    dir = prepareUiRun('kokpit-ui-outage-');
    biz = await startBusinessControlPlane({ dir, namespace: NS, name: NAME, log });
    // Each change of the status as the test sees it, read every 100 ms (the times printed below are measured from these).
    poller = pollStatus(biz.kc, seen);
    session = await startEditorOn(biz, dir, log);
    wb = session.wb;
  });

  editorSuiteHooks(() => ({ session, then: [poller, biz], dir }), log);

  /** The first status read since `since` that `match` accepts. */
  const statusSince = (what: string, since: number, match: (s: Seen) => boolean, timeoutMs: number) =>
    waitFor(what, async () => seen.find((s) => s.at >= since && match(s)), {
      timeoutMs,
      intervalMs: 50,
    });
  const dashboard = () => wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const row = () => dashboard().locator(`tr[data-id="${NS}/${NAME}"]`);
  /** The row's phase pill showing `phase`. */
  const phasePill = (phase: string) => row().locator('td .pill', { hasText: new RegExp(`^${phase}$`) });
  const degradedNote = () => wb.notification(new RegExp(`BusinessCluster ${NS}/${NAME} is Degraded: `));

  it('the cluster operator brings the business cluster to Running, and the dashboard shows it', async () => {
    const t0 = Date.now();
    await statusSince('the BusinessCluster Running', 0, (s) => s.phase === 'Running', START_MS);
    log(`business cluster Running after ${Date.now() - t0} ms`);
    await wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: biz!.kc.getCurrentContext() })
      .waitFor({ state: 'visible', timeout: 60_000 });
    await wb.runCommand('Kokpit: Open Fleet Dashboard');
    await phasePill('Running').waitFor({ timeout: 60_000 });
    assert.equal(await degradedNote().count(), 0, 'no Degraded notification before the outage');
  });

  it('SIGSTOP of the kube-apiserver process: Degraded in status, in the row, one notification; SIGCONT: Running again', async () => {
    const pods = await biz!.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: biz!.apiserverSelector });
    const pod = pods.items.find((p) => p.status?.phase === 'Running');
    assert.ok(pod, `a running apiserver pod: ${JSON.stringify(pods.items.map((p) => [p.metadata?.name, p.status?.phase]))}`);
    const [pid, ...more] = biz!.runner.pids(NS, pod.metadata!.name!);
    assert.ok(pid && !more.length, `one container process in ${pod.metadata!.name}`);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(
      cmdline.some((a) => a.endsWith('kube-apiserver')),
      `pid ${pid} is the kube-apiserver: ${cmdline.slice(0, 3).join(' ')}`,
    );

    // The container runs in its own process group (as in test/integration/faults/etcd-member.test.ts).
    const tStop = Date.now();
    process.kill(-pid, 'SIGSTOP');
    log(`SIGSTOP kube-apiserver pid ${pid} (pod ${pod.metadata!.name})`);
    let resumed = false;
    const resume = () => {
      if (resumed) return;
      resumed = true;
      try {
        process.kill(-pid, 'SIGCONT');
        log(`SIGCONT kube-apiserver pid ${pid}, ${Date.now() - tStop} ms after the stop`);
      } catch {
        // Its liveness probe failed first (~60 s hung): the runner killed it and started a new one.
        log(`pid ${pid} is gone: the pod runner restarted the kube-apiserver (liveness) before the SIGCONT`);
      }
    };
    try {
      const [degraded, rowAt] = await Promise.all([
        statusSince('the BusinessCluster Degraded', tStop, (s) => s.phase === 'Degraded', DEGRADE_MS),
        phasePill('Degraded')
          .waitFor({ timeout: DEGRADE_MS })
          .then(() => Date.now()),
      ]);
      log(`stop → Degraded in status: ${degraded.at - tStop} ms (Ready ${degraded.ready})`);
      log(`Degraded in status → row shown: ${rowAt - degraded.at} ms`);
      await degradedNote().first().waitFor({ state: 'visible', timeout: STEP_MS });
      const text = await degradedNote().first().locator('.notification-list-item-message').innerText();
      log(`Degraded in status → notification shown: ${Date.now() - degraded.at} ms: "${text}"`);
      // The controller-manager and scheduler may lose their leases first; the apiserver's own pod is what was stopped.
      const apiDown = await statusSince(
        'kube-apiserver 0 ready on the status',
        tStop,
        (s) => s.phase === 'Degraded' && (s.apiserverReady ?? 0) === 0,
        DEGRADE_MS,
      );
      log(`stop → kube-apiserver not ready on the status: ${apiDown.at - tStop} ms (Ready ${apiDown.ready})`);
      await phasePill('Degraded').waitFor({ timeout: STEP_MS });
      log(`screenshot: ${await wb.screenshot('apiserver-stopped-degraded')}`);
      assert.equal(await degradedNote().count(), 1, 'one notification for the outage, however many statuses it wrote');
    } finally {
      resume();
    }

    const tCont = Date.now();
    const [running, rowAt] = await Promise.all([
      statusSince('the BusinessCluster Running again', tCont, (s) => s.phase === 'Running', RECOVER_MS),
      phasePill('Running')
        .waitFor({ timeout: RECOVER_MS })
        .then(() => Date.now()),
    ]);
    // The status is read every 100 ms: a row shown "before" it was read was shown within that interval.
    log(`resume → Running in status: ${running.at - tCont} ms; Running in status → row shown: ${rowAt - running.at} ms`);
    const statuses = seen.filter((s) => s.at >= tStop && s.at < running.at && s.phase === 'Degraded').length;
    log(`${statuses} Degraded statuses during the outage, one notification`);
    log(`screenshot: ${await wb.screenshot('apiserver-resumed-running')}`);
    // The notification center keeps every notification, shown or hidden since: still exactly one.
    await wb.runCommand('Notifications: Show Notifications');
    const listed = wb.page.locator('.notifications-center .notification-list-item', {
      hasText: new RegExp(`BusinessCluster ${NS}/${NAME} is Degraded: `),
    });
    await listed.first().waitFor({ state: 'visible', timeout: STEP_MS });
    assert.equal(await listed.count(), 1, 'one notification in the notification center');
  });
});
