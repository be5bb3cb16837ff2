// Issue 21: the log of a pod INSIDE a business cluster streams into the editor, following. A real business cluster
// (the cluster operator's, its kube-apiserver a real process through the pod runner) with one kwok Machine (the
// machine operator's kwok serves the Node's kubelet API); a pod on that Node whose container log is a host file (a
// kwok Logs object in the business cluster names it: test/integration/machine/kwok-logs-support.ts). In code-server,
// the Fleet view's cluster → Inside → Namespaces → app → Pods → the pod → "Show Pod Logs": editor → business
// kube-apiserver (pods/log, follow) → kwok's containerLogs → the file. Screenshots go to $KOKPIT_UI_OUT.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../../src/controlplane';
import { criLine, startKwokLogsEnv, startLoggingPod, type KwokLogsEnv, type LoggingPod } from '../integration/machine/kwok-logs-support';
import { editorSuiteHooks, startEditorSession, type EditorSession } from './support/editor-session';
import { prepareUiRun } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const NS = 'inside-logs';
const NAME = 'biz';
const APP_NS = 'app';
const POD = 'web';
const CONTAINER = 'server';
// A business cluster started on a busy two-core machine next to code-server.
const START_MS = 600_000;

const log = (line: string) => console.log(`      [ui] ${line}`);

describe('ui: the log of a pod inside a business cluster streams into the editor (code-server)', function () {
  this.timeout(15 * 60_000);
  let env: KwokLogsEnv | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;
  let pod: LoggingPod;

  before(async function () {
    dir = prepareUiRun('kokpit-ui-inside-logs-');
    const t0 = Date.now();
    env = await startKwokLogsEnv({ ns: NS, cluster: NAME, machine: 'worker-0', dir, log, timeoutMs: START_MS });
    pod = await startLoggingPod(env, {
      namespace: APP_NS,
      name: POD,
      container: CONTAINER,
      file: path.join(dir, 'web.log'),
      firstLine: 'listening on :8080',
    });
    log(`business cluster, kwok Node and pod ready after ${Date.now() - t0} ms`);
    // code-server with the packaged extension on the meta cluster; its reconcilers stay off (they run here).
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    session = await startEditorSession({
      dir,
      workspace,
      kubeconfigPath: env.cp.kubeconfigPath,
      settings: { 'kokpit.reconcilers.autoStart': false },
      log,
    });
    wb = session.wb;
  });

  editorSuiteHooks(() => ({ session, then: [env], dir }), log);

  /** Expands the tree row labelled `label` (the first one) and waits for `child` below it. */
  const expand = async (label: string, child: string) => {
    const row = wb.treeRow(label).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    await wb.treeRow(child).first().waitFor({ state: 'visible', timeout: 60_000 });
  };

  it('cluster → Inside → Namespaces → app → Pods → web → "Show Pod Logs" streams the pod’s log, following', async () => {
    const container = wb.page.locator('.activitybar .action-item .action-label[aria-label^="Kokpit"]');
    await container.waitFor({ state: 'visible', timeout: 60_000 });
    await container.click();
    await expand(NAME, 'Inside');
    await expand('Inside', 'Namespaces');
    await expand('Namespaces', APP_NS);
    await expand(APP_NS, 'Pods');
    await expand('Pods', POD);
    const row = wb.treeRow(POD).first();
    log(`screenshot: ${await wb.screenshot('inside-logs-1-pod-in-tree')}`);
    // The pod's context menu, as a user would.
    await row.click({ button: 'right' });
    await wb.chooseMenuItem(/^Show Pod Logs$/);
    const tab = wb.page.locator('.tabs-container .tab.active', { hasText: `${CONTAINER}.log` });
    await tab.waitFor({ state: 'visible', timeout: STEP_MS });
    const lines = wb.page.locator('.editor-instance .view-lines');
    // The header names what streams; below it the pod's own line, read from the file through the business apiserver.
    await lines
      .filter({ hasText: `kubectl logs -f --tail=1000 -n ${APP_NS} ${POD} -c ${CONTAINER}` })
      .first()
      .waitFor({ state: 'visible', timeout: STEP_MS });
    await lines.filter({ hasText: 'listening on :8080' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    log(`screenshot: ${await wb.screenshot('inside-logs-2-pod-log')}`);

    // Following: a line the "container" writes (appended to its log file) shows in the open document.
    await lines.first().click();
    const line = `GET /healthz 200 ui-${Date.now()}`;
    const written = Date.now();
    fs.appendFileSync(pod.file, criLine(line));
    await waitFor(
      'the new pod log line shown at the end of the document',
      async () => {
        await wb.page.keyboard.press('Control+End');
        return (await lines.filter({ hasText: line }).count()) > 0 || undefined;
      },
      { timeoutMs: STEP_MS, intervalMs: 200 },
    );
    log(`new pod log line shown ${Date.now() - written} ms after it was written`);
    const text = (await lines.first().innerText()).replace(/\u00a0/g, ' ');
    assert.ok(text.indexOf('listening on :8080') < text.indexOf(line), text.slice(-2000));
    log(`screenshot: ${await wb.screenshot('inside-logs-3-pod-log-followed')}`);
    // Read-only: a key typed into the document changes nothing.
    await wb.page.keyboard.type('x');
    assert.ok(!(await wb.page.locator('.tabs-container .tab.active.dirty').count()), 'the log document never becomes dirty');
  });
});
