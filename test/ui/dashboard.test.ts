// The Fleet dashboard (issue 21) in a real browser, two ways:
// 1. The webview page alone in chromium (the extension's page, CSP and media/dashboard.js; an acquireVsCodeApi shim):
//    sorting, filtering, keyboard, reveal messages, windowed rows, updates, no CSP violation.
// 2. The packaged extension in code-server against a real kube-apiserver + etcd (src/controlplane) holding kokpit
//    objects: "Kokpit: Open Fleet Dashboard" shows the fleet, a status and an Event written through the API show up in
//    the table, Enter on a row reveals the cluster in the Fleet view. No reconcilers run: the test writes every status.
// Screenshots go to $KOKPIT_UI_OUT (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { DashboardFeed, DashboardModel } from '../../src/fleet/dashboard';
import { applyObject, makeObjectApi } from '../../src/kube';
import { installCRDs, startControlPlane, type ControlPlane } from '../../src/controlplane';
import { businessCluster, etcdCluster, machine } from '../support/objects';
import { chromiumPath } from './support/code-server';
import { serveDashboardPage, VSCODE_API_SHIM } from './support/dashboard-page';
import { editorSuiteHooks, startEditorSession, type EditorSession } from './support/editor-session';
import { setStatus } from './support/status';
import { prepareUiRun, UI_OUT } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const log = (line: string) => console.log(`      [ui] ${line}`);
const LAUNCH = { executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] };

describe('ui: the Fleet dashboard page in chromium (the webview script, without code-server)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: Server;
  let page: Page;
  const violations: string[] = [];

  before(async () => {
    fs.mkdirSync(UI_OUT, { recursive: true });
    const served = await serveDashboardPage();
    server = served.server;
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1200, height: 700 } });
    await context.addInitScript(VSCODE_API_SHIM);
    await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
      (window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI));`);
    page = await context.newPage();
    page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
    await page.goto(served.origin);
    await page.waitForFunction(() => document.querySelectorAll('#fleet thead th button').length === 9);
    const model = new DashboardModel();
    for (let i = 0; i < 300; i++) {
      const name = `bc-${String(i).padStart(3, '0')}`;
      model.upsert(businessCluster(name, i % 2 ? 'blue' : 'green', i === 42 ? 'Degraded' : 'Running'));
      model.upsert(etcdCluster(`${name}-etcd`, i % 2 ? 'blue' : 'green'));
      model.upsert(machine(`${name}-m0`, name, i % 2 ? 'blue' : 'green'));
    }
    await page.evaluate((rows) => window.postMessage({ type: 'rows', rows }, '*'), new DashboardFeed(model).full());
    await page.locator('#count', { hasText: '300 clusters' }).waitFor({ timeout: STEP_MS });
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  const rowIds = () => page.$$eval('#fleet tbody tr[data-id]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id!));

  it('lays out only the rows near the viewport, the unhealthy cluster first, and more as it scrolls', async () => {
    const ids = await rowIds();
    assert.ok(ids.length > 20 && ids.length < 100, `rows in the DOM: ${ids.length}`);
    assert.equal(ids[0], 'green/bc-042', 'sorted by phase: the Degraded cluster first');
    assert.equal(await page.getAttribute('#fleet', 'aria-rowcount'), '301');
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction(() => document.querySelector('#fleet tbody tr[aria-rowindex="301"]') !== null);
    await page.screenshot({ path: path.join(UI_OUT, 'dashboard-page-scrolled.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('tells the extension which rows are in the window, and draws their API request rate and its sparkline', async () => {
    // The window settles (the test before scrolled down and back), then its ids are posted once it stops moving.
    await page.waitForFunction(() => document.querySelector('#fleet tbody tr[data-id]')?.getAttribute('data-id') === 'green/bc-042');
    const ids = await rowIds();
    await page.waitForFunction(
      (want) => {
        const posted = ((window as unknown as { __posted?: Array<{ type: string; ids?: string[] }> }).__posted ?? []).filter(
          (m) => m.type === 'visible',
        );
        return posted.length > 0 && JSON.stringify(posted[posted.length - 1].ids) === JSON.stringify(want);
      },
      ids,
      { timeout: STEP_MS },
    );
    const id = ids[0];
    await page.evaluate((u) => window.postMessage({ type: 'update', updates: [u] }, '*'), {
      id,
      set: { apiRate: 12.5, apiSpark: '0,10 30,5 60,2' },
    });
    const row = page.locator(`#fleet tbody tr[data-id="${id}"]`);
    await row
      .locator('td', { hasText: '13' })
      .locator('svg[aria-label="API requests per second over the last hour"]')
      .waitFor({ timeout: STEP_MS });
    await page.evaluate((u) => window.postMessage({ type: 'update', updates: [u] }, '*'), {
      id,
      set: { apiError: 'GET /metrics: HTTP 403' },
    });
    await row.locator('td[title="GET /metrics: HTTP 403"]').waitFor({ timeout: STEP_MS });
  });

  it('sorts by a header button and says so in aria-sort', async () => {
    const name = page.locator('#fleet thead th', { hasText: 'Cluster' });
    await name.locator('button').click();
    assert.equal(await name.getAttribute('aria-sort'), 'ascending');
    await page.waitForFunction(() => document.querySelector('#fleet tbody tr[data-id]')?.getAttribute('data-id') === 'blue/bc-001');
    await name.locator('button').press('Enter');
    assert.equal(await name.getAttribute('aria-sort'), 'descending');
    await page.waitForFunction(() => document.querySelector('#fleet tbody tr[data-id]')?.getAttribute('data-id') === 'green/bc-298');
    assert.equal(await page.locator('#fleet thead th[aria-sort="none"]').count(), 8);
  });

  it('filters by the labelled input and counts what is shown', async () => {
    await page.getByLabel('Filter').fill('green degraded');
    await page.locator('#count', { hasText: '1 of 300 clusters' }).waitFor({ timeout: STEP_MS });
    assert.deepEqual(await rowIds(), ['green/bc-042']);
    await page.getByLabel('Filter').fill('');
    await page.locator('#count', { hasText: /^300 clusters$/ }).waitFor({ timeout: STEP_MS });
  });

  it('moves between rows with the keyboard; Enter and a click ask to reveal the cluster', async () => {
    await page.getByLabel('Filter').focus();
    // Filter → 9 header buttons → the table's one tab stop.
    for (let i = 0; i < 10; i++) await page.keyboard.press('Tab');
    const first = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id);
    assert.equal(first, 'green/bc-298', 'Tab lands on the first row');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-id="green/bc-294"]').click();
    const posted = await page.evaluate(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted);
    assert.deepEqual(posted.filter((m) => m.type === 'reveal').slice(-2), [
      { type: 'reveal', id: 'green/bc-296' },
      { type: 'reveal', id: 'green/bc-294' },
    ]);
    // End goes to the last of 300 rows, far outside the rendered window: it is rendered and focused.
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id), 'blue/bc-001');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id), 'green/bc-298');
  });

  it('applies a one-cluster update to its cells only, and moves it when its sort key changes', async () => {
    await page.locator('#fleet thead th', { hasText: 'Phase' }).locator('button').click();
    await page.evaluate(() => window.scrollTo(0, 0));
    const untouched = await page.locator('tr[data-id="green/bc-042"]').elementHandle();
    await page.evaluate(() =>
      window.postMessage(
        {
          type: 'update',
          updates: [
            { id: 'blue/bc-007', set: { phase: 'Degraded', status: 'error', lastMessage: 'etcd lost quorum' } },
            { id: 'green/bc-042', set: { lastMessage: 'still degraded' } },
          ],
        },
        '*',
      ),
    );
    const moved = page.locator('tr[data-id="blue/bc-007"]');
    await moved.locator('td', { hasText: 'Degraded' }).waitFor({ timeout: STEP_MS });
    assert.deepEqual((await rowIds()).slice(0, 2), ['blue/bc-007', 'green/bc-042']);
    assert.ok(await untouched!.evaluate((tr) => tr.isConnected && tr.textContent!.includes('still degraded')), 'the same <tr>, redrawn');
    await page.screenshot({ path: path.join(UI_OUT, 'dashboard-page-updated.png') });
  });

  it('runs under its CSP without a violation or a page error', async () => {
    const seen = await page.evaluate(() => (window as unknown as { __violations?: string[] }).__violations ?? []);
    assert.deepEqual([...seen, ...violations], []);
  });
});

const NS = 'dash';

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describe('ui: the Fleet dashboard in code-server', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane | undefined;
  let kc: KubeConfig;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;

  before(async function () {
    dir = prepareUiRun('kokpit-ui-dash-');
    cp = await startControlPlane({ log });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const objects = makeObjectApi(kc);
    for (const name of ['alpha', 'beta']) {
      const bc = businessCluster(name, NS);
      await applyObject(objects, { apiVersion: bc.apiVersion, kind: bc.kind, metadata: { name, namespace: NS }, spec: bc.spec } as never);
      await setStatus(kc, NS, 'businessclusters', name, bc.status as Record<string, unknown>);
      const ec = etcdCluster(`${name}-etcd`, NS);
      await applyObject(objects, {
        apiVersion: ec.apiVersion,
        kind: ec.kind,
        metadata: { name: `${name}-etcd`, namespace: NS },
        spec: ec.spec,
      } as never);
      await setStatus(kc, NS, 'etcdclusters', `${name}-etcd`, ec.status as Record<string, unknown>);
    }
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    session = await startEditorSession({
      dir,
      workspace,
      kubeconfigPath: cp.kubeconfigPath,
      // The test writes every status; reconcilers would overwrite them.
      settings: { 'kokpit.reconcilers.autoStart': false },
      log,
    });
    wb = session.wb;
  });

  editorSuiteHooks(() => ({ session, then: [cp], dir }), log);

  /** The dashboard's document: VS Code nests a webview's page in two iframes. */
  const dashboard = (): FrameLocator => wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

  it('shows the fleet, and a status written through the API shows up in it', async () => {
    const context = kc.getCurrentContext();
    await wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: context })
      .waitFor({ state: 'visible', timeout: 60_000 });
    await wb.runCommand('Kokpit: Open Fleet Dashboard');
    const alpha = dashboard().locator(`tr[data-id="${NS}/alpha"]`);
    await alpha.locator('td', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    await dashboard().locator('#count', { hasText: '2 clusters' }).waitFor({ timeout: STEP_MS });
    await wb.screenshot('dashboard-fleet');

    const written = Date.now();
    await setStatus(kc, NS, 'businessclusters', 'beta', {
      ...businessCluster('beta', NS).status,
      phase: 'Degraded',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'APIServerDown', message: 'kube-apiserver is not ready', lastTransitionTime: now() },
      ],
    });
    const beta = dashboard().locator(`tr[data-id="${NS}/beta"]`);
    // A generous deadline for a loaded machine; the time it took is printed (the bench measures the page itself).
    await beta.locator('td', { hasText: 'Degraded' }).waitFor({ timeout: STEP_MS });
    log(`status change shown in the dashboard ${Date.now() - written} ms after the write`);
    await beta.locator('td', { hasText: 'kube-apiserver is not ready' }).waitFor({ timeout: STEP_MS });
    await wb.screenshot('dashboard-status-change');
    // The transition to Degraded is notified once, with the reason (src/fleet/notifications.ts).
    await wb
      .notification(`BusinessCluster ${NS}/beta is Degraded: APIServerDown — kube-apiserver is not ready`)
      .waitFor({ state: 'visible', timeout: STEP_MS });

    // An Event about alpha (as the operators record them) is its "Last event", newer than its conditions.
    await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: 'alpha.ui', namespace: NS },
        involvedObject: { apiVersion: 'kokpit.dev/v1alpha1', kind: 'BusinessCluster', name: 'alpha', namespace: NS },
        type: 'Warning',
        reason: 'EtcdUnhealthy',
        message: 'member alpha-etcd-0 is not answering',
        source: { component: 'cluster-operator' },
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        count: 1,
      },
    });
    await alpha.locator('td', { hasText: 'EtcdUnhealthy: member alpha-etcd-0 is not answering' }).waitFor({ timeout: STEP_MS });
    await wb.screenshot('dashboard-last-event');
  });

  it('Enter on a row reveals the cluster in the Fleet view', async () => {
    const beta = dashboard().locator(`tr[data-id="${NS}/beta"]`);
    await beta.focus();
    await beta.press('Enter');
    const row = wb.treeRow('beta');
    await row.waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row.selected', { hasText: 'beta' }).waitFor({ timeout: STEP_MS });
    await wb.screenshot('dashboard-reveal');
  });
});
