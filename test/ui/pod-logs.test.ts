// Issue 21: a business cluster's kube-apiserver log streams into the editor. A real meta control plane; the cluster
// operator (in this process) renders a BusinessCluster, whose kube-apiserver v1.33.13 runs as a real process through
// the process pod runner, which serves the kubelet's containerLogs endpoint. In code-server, "Show Control-Plane Pod
// Logs" on the cluster's tree node streams it: editor → meta kube-apiserver (pods/log) → the runner's kubelet endpoint.
//
// The lightest real setup (test/ui/support/business-control-plane.ts, as in test/integration/cluster/podrunner.test.ts):
// the EtcdCluster is a plain etcd process marked Available by the test (no etcd operator), and a loopback TCP proxy
// plays the load balancer in front of the apiserver pod. The extension's own reconcilers are off (the cluster operator
// runs here), leaving the two cores to code-server and the business apiserver. Screenshots go to $KOKPIT_UI_OUT
// (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../src/controlplane';
import { startBusinessControlPlane, startEditorOn, type BusinessControlPlane } from './support/business-control-plane';
import { editorSuiteHooks, type EditorSession } from './support/editor-session';
import { prepareUiRun } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const NS = 'logs';
const NAME = 'biz';
// A Service created in the business cluster: its apiserver logs the ClusterIP it allocates ("allocated clusterIPs").
const PROBE = 'ui-log-probe';
// A business apiserver started on a busy two-core machine next to code-server.
const START_MS = 300_000;
// A klog line as kube-apiserver writes it: `I1206 08:12:13.123456   12345 file.go:42] ...`.
const KLOG = /[IWE]\d{4}\s\d\d:\d\d:\d\d\.\d+\s+\d+\s[\w.-]+\.go:\d+\]/;

const log = (line: string) => console.log(`      [ui] ${line}`);

describe('ui: a business cluster’s kube-apiserver log streams into the editor (code-server)', function () {
  this.timeout(12 * 60_000);
  let biz: BusinessControlPlane | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;
  let pod: V1Pod;

  before(async function () {
    dir = prepareUiRun('kokpit-ui-logs-');
    // 1. Meta cluster, plain etcd, the pod runner with its kubelet endpoint, the cluster operator, a BusinessCluster.
    biz = await startBusinessControlPlane({ dir, namespace: NS, name: NAME, log });

    // 2. code-server with the packaged extension, connected to the meta cluster; its reconcilers stay off.
    session = await startEditorOn(biz, dir, log);
    wb = session.wb;
  });

  editorSuiteHooks(() => ({ session, then: [biz], dir }), log);

  it('the business kube-apiserver runs as a pod-runner pod and answers through its admin kubeconfig', async () => {
    const t0 = Date.now();
    await waitFor(
      'the business apiserver answers /version through the admin kubeconfig',
      async () => {
        const bkc = await biz!.adminKubeConfig();
        if (!bkc) return undefined;
        return (await bkc
          .makeApiClient(CoreV1Api)
          .listNamespace()
          .catch(() => undefined))
          ? true
          : undefined;
      },
      { timeoutMs: START_MS, intervalMs: 1000 },
    );
    log(`business apiserver answered after ${Date.now() - t0} ms`);
    const pods = await biz!.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: biz!.apiserverSelector });
    pod = pods.items.find((p) => p.status?.phase === 'Running')!;
    assert.ok(pod, `a running apiserver pod: ${JSON.stringify(pods.items.map((p) => [p.metadata?.name, p.status?.phase]))}`);
    const file = biz!.runner.logFile(NS, pod.metadata!.name!, 'kube-apiserver');
    assert.ok(file && KLOG.test(fs.readFileSync(file, 'utf8')), `the runner keeps the apiserver's klog output in ${file}`);
  });

  it('"Show Control-Plane Pod Logs" on the cluster node streams the kube-apiserver log into a read-only document, following', async () => {
    const podName = pod.metadata!.name!;
    const container = wb.page.locator('.activitybar .action-item .action-label[aria-label^="Kokpit"]');
    await container.waitFor({ state: 'visible', timeout: 60_000 });
    await container.click();
    const row = wb.treeRow(NAME).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    // The tree node's context menu, as a user would.
    await row.click({ button: 'right' });
    await wb.chooseMenuItem('Show Control-Plane Pod Logs');
    // The quick pick lists the cluster's control-plane pods in the meta cluster; the apiserver is one of them.
    await wb.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: podName })
      .filter({ hasText: 'apiserver' })
      .first()
      .waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.pick(podName);
    const opened = Date.now();
    // The tab is named after the container; the header names the pod.
    await wb.page.locator('.tabs-container .tab.active', { hasText: 'kube-apiserver.log' }).waitFor({ state: 'visible', timeout: STEP_MS });
    const lines = wb.page.locator('.editor-instance .view-lines');
    // The header says what streams; below it, the apiserver's own klog lines (served by the runner's kubelet endpoint).
    await lines
      .filter({ hasText: `kubectl logs -f --tail=1000 -n ${NS} ${podName} -c kube-apiserver` })
      .first()
      .waitFor({
        state: 'visible',
        timeout: STEP_MS,
      });
    await lines.filter({ hasText: KLOG }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    log(`apiserver log lines shown ${Date.now() - opened} ms after the pick`);
    await wb.page.locator('.editor-instance .view-lines').first().click();
    await wb.page.keyboard.press('Control+End');
    log(`screenshot: ${await wb.screenshot('logs-1-apiserver-log')}`);

    // Following: a Service created in the business cluster makes its apiserver log a new line, which then shows.
    const bkc = (await biz!.adminKubeConfig())!;
    await bkc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: PROBE }, spec: { ports: [{ port: 80 }] } },
    });
    const written = Date.now();
    const file = biz!.runner.logFile(NS, podName, 'kube-apiserver')!;
    await waitFor('the apiserver logs the probe Service', async () => fs.readFileSync(file, 'utf8').includes(PROBE) || undefined, {
      timeoutMs: STEP_MS,
      intervalMs: 200,
    });
    // The editor shows what is in view: keep going to the end until the new line is there.
    await waitFor(
      'the new apiserver line shown at the end of the document',
      async () => {
        await wb.page.keyboard.press('Control+End');
        return (await lines.filter({ hasText: PROBE }).count()) > 0 || undefined;
      },
      { timeoutMs: STEP_MS, intervalMs: 500 },
    );
    log(`new apiserver line shown ${Date.now() - written} ms after the Service was created`);
    const text = (await lines.first().innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, new RegExp(`allocated clusterIPs.*${PROBE}|${PROBE}.*allocated clusterIPs`), text.slice(-2000));
    log(`screenshot: ${await wb.screenshot('logs-2-apiserver-log-followed')}`);
    // Read-only: a key typed into the document changes nothing.
    await wb.page.keyboard.type('x');
    assert.ok(!(await wb.page.locator('.tabs-container .tab.active.dirty').count()), 'the log document never becomes dirty');
  });
});
