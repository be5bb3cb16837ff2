// `npm run bench -- dashboard --in=code-server`: the real extension's Fleet dashboard webview in code-server (the UI
// tier's setup: packaged .vsix, playwright-core on Debian's chromium), connected to a real kube-apiserver holding
// --clusters BusinessClusters (default 1,000) whose statuses the bench writes (no reconcilers: they would rewrite them).
//   open_to_first_render_ms: from clicking "Kokpit: Open Fleet Dashboard" in the palette to the webview's table holding
//     every cluster (aria-rowcount), laid out, a frame later. It includes creating the webview and the extension's feed.
//   update_ms: from writing one cluster's status (phase Degraded, through /status) to its row showing it in the webview,
//     a frame later: the apiserver's watch, the extension host, postMessage and the page. --reps writes, median.
// Both are read on this process's clock, polled in the webview by CDP evaluations back to back (a few ms each).
// The page's own clock (User Timing marks media/dashboard.js makes, read from the webview's frame after each of the above):
//   webview_first_render_ms: from the first 'rows' message (every cluster) arriving in the page to its table in the DOM
//     and a frame later (rAF + a task, as bench/dashboard.ts): the webview's own render, without the host around it.
//   webview_load_to_snapshot_ms: from the webview frame's timeOrigin (its navigation start) to that message arriving:
//     loading the page's HTML, CSS and script, its 'ready', and the extension's feed of every row.
//   open_to_webview_start_ms: from the palette click to that timeOrigin (wall clock): VS Code creating the webview.
//   webview_update_render_ms: from an 'update' message holding the written cluster arriving to it rendered, a frame
//     later; median of the --reps writes (missed when a newer update came in the same frame; the count is printed).
// Beside them, the same page's first render and update in plain chromium (bench/dashboard.ts, --baseline-reps).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Frame, Page } from 'playwright-core';
import { installCRDs, startControlPlane, type ControlPlane } from '../src/controlplane';
import { businessCluster } from '../test/support/objects';
import { startEditorSession, type EditorSession } from '../test/ui/support/editor-session';
import { prepareUiRun, removeUiRun, UI_OUT } from '../test/ui/support/ui-tier';

const NS = 'fleet';
const GROUP = 'kokpit.dev';
const VERSION = 'v1alpha1';
const name = (i: number) => `bc-${String(i).padStart(4, '0')}`;

/** Creates the BusinessClusters and writes their statuses, `parallel` requests at a time. */
async function createFleet(kc: KubeConfig, clusters: number, parallel = 8): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < clusters; i = next++) {
      const bc = businessCluster(name(i), NS);
      const body = { apiVersion: bc.apiVersion, kind: bc.kind, metadata: { name: name(i), namespace: NS }, spec: bc.spec };
      const created = (await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: 'businessclusters',
        body,
      })) as object;
      await writeStatus(api, name(i), { ...created, status: bc.status });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function writeStatus(api: CustomObjectsApi, n: string, body: object) {
  return api.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: 'businessclusters',
    name: n,
    body,
  });
}

/** The webview's page (VS Code nests it in two iframes): the frame whose document has the dashboard's table. */
async function dashboardFrame(page: Page, timeoutMs: number): Promise<Frame> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await page.waitForTimeout(5)) {
    for (const f of page.frames()) if (await f.evaluate(`!!document.getElementById('fleet')`).catch(() => false)) return f;
  }
  throw new Error(`no dashboard webview within ${timeoutMs} ms`);
}

/**
 * Waits until `check` holds in the frame, then one more frame; returns when. Polled by CDP evaluations back to back
 * (a few ms each): the webview's CSP allows no eval, which waitForFunction's in-page polling needs.
 */
async function shown(frame: Frame, check: string, timeoutMs: number): Promise<number> {
  for (const deadline = Date.now() + timeoutMs; !(await frame.evaluate(check));) {
    if (Date.now() > deadline) throw new Error(`the dashboard did not show it within ${timeoutMs} ms: ${check}`);
  }
  await frame.evaluate(`new Promise((r) => requestAnimationFrame(() => setTimeout(r)))`);
  return Date.now();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => +x.toFixed(1);

type Mark = { startTime: number; detail: { rows?: number; seq?: number; ids?: string[] } | null };

type Marks = { timeOrigin: number; byName: Record<string, Mark | undefined> };

/**
 * The page's User Timing marks (media/dashboard.js) by name, the most recent of each, and the frame's timeOrigin; read
 * again for up to a second until `names` are all there (the page makes its rendered mark in the task after the frame).
 */
async function marks(frame: Frame, names: string[]): Promise<Marks> {
  for (const deadline = Date.now() + 1000; ; await new Promise((r) => setTimeout(r, 20))) {
    const m = (await frame.evaluate(
      `({ timeOrigin: performance.timeOrigin, byName: Object.fromEntries(performance.getEntriesByType('mark')` +
        `.filter((m) => m.name.startsWith('kokpit:')).map((m) => [m.name, { startTime: m.startTime, detail: m.detail }])) })`,
    )) as Marks;
    if (names.every((n) => m.byName[n]) || Date.now() > deadline) return m;
  }
}

/** The page's first render of its first snapshot (null when a mark is missing: the run goes on, the log says so). */
async function firstRenderMarks(frame: Frame, opened: number, log: (l: string) => void) {
  const { timeOrigin, byName } = await marks(frame, ['kokpit:snapshot-received', 'kokpit:first-render']);
  const received = byName['kokpit:snapshot-received'];
  const rendered = byName['kokpit:first-render'];
  if (!received || !rendered) log(`the webview's first-render marks are missing: ${JSON.stringify(byName)}`);
  return {
    webview_first_render_ms: received && rendered ? round(rendered.startTime - received.startTime) : null,
    webview_load_to_snapshot_ms: received ? round(received.startTime) : null,
    open_to_webview_start_ms: round(timeOrigin - opened),
    // The rows in that first snapshot: every cluster, unless the extension had not listed them all when the page was ready.
    webview_snapshot_rows: received?.detail?.rows ?? null,
  };
}

/** The page's render of the latest update, if that update holds `id` (undefined when a newer one replaced it). */
async function updateRenderMark(frame: Frame, id: string): Promise<number | undefined> {
  const { byName } = await marks(frame, ['kokpit:update-received', 'kokpit:update-rendered']);
  const received = byName['kokpit:update-received'];
  const rendered = byName['kokpit:update-rendered'];
  if (!received || !rendered || rendered.detail?.seq !== received.detail?.seq || !received.detail?.ids?.includes(id)) return undefined;
  return round(rendered.startTime - received.startTime);
}

export async function runInCodeServer(clusters: number, reps: number): Promise<Record<string, unknown>> {
  const log = (l: string) => process.stderr.write(`[dashboard bench] ${l}\n`);
  const dir = prepareUiRun('kokpit-bench-dash-');
  let cp: ControlPlane | undefined;
  let session: EditorSession | undefined;
  try {
    cp = await startControlPlane({ log: () => undefined });
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const t0 = Date.now();
    await createFleet(kc, clusters);
    log(`${clusters} BusinessClusters with statuses written in ${Date.now() - t0} ms`);

    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    session = await startEditorSession({
      dir,
      workspace,
      kubeconfigPath: cp.kubeconfigPath,
      settings: { 'kokpit.reconcilers.autoStart': false },
      log,
      // 900 px high, as this bench has always measured (the UI tests' sessions are 860): its numbers stay comparable.
      browserContext: { viewport: { width: 1400, height: 900 } },
    });
    const { wb } = session;
    const page = wb.page;
    // Connected (the status bar names the context) and the fleet listed before the clock starts.
    await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: kc.getCurrentContext() }).waitFor({ timeout: 120_000 });

    // The palette entry, found before the clock starts at its click.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget .quick-input-box input').fill('>Kokpit: Open Fleet Dashboard');
    const paletteEntry = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Kokpit: Open Fleet Dashboard' }).first();
    await paletteEntry.waitFor({ state: 'visible', timeout: 30_000 });
    const opened = Date.now();
    await paletteEntry.click();
    const frame = await dashboardFrame(page, 120_000);
    const all =
      `document.getElementById('fleet').getAttribute('aria-rowcount') === '${clusters + 1}' && ` +
      `document.querySelectorAll('#fleet tbody tr[data-id]').length >= 30`;
    const firstRender = (await shown(frame, all, 120_000)) - opened;
    log(`open → ${clusters} rows: ${firstRender} ms`);
    const webview = await firstRenderMarks(frame, opened, log);
    log(`the webview's own marks: ${JSON.stringify(webview)}`);

    const api = kc.makeApiClient(CustomObjectsApi);
    const updates: number[] = [];
    const webviewUpdates: number[] = [];
    for (let r = 0; r < reps; r++) {
      // Spread over the fleet; a Degraded cluster sorts first, so its row is in the rendered window.
      const n = name(Math.floor(((r + 0.5) * clusters) / reps));
      const current = (await api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: 'businessclusters',
        name: n,
      })) as object;
      const written = Date.now();
      await writeStatus(api, n, { ...current, status: businessCluster(n, NS, 'Degraded').status });
      const row = `document.querySelector('tr[data-id="${NS}/${n}"]')`;
      updates.push((await shown(frame, `!!${row} && ${row}.cells[1].textContent.includes('Degraded')`, 60_000)) - written);
      const own = await updateRenderMark(frame, `${NS}/${n}`);
      if (own !== undefined) webviewUpdates.push(own);
    }
    log(`updates: ${JSON.stringify(updates)} ms; in the webview: ${JSON.stringify(webviewUpdates)} ms`);
    await wb.screenshot('dashboard-bench');
    return {
      clusters,
      host: 'code-server (the packaged extension, its dashboard webview) on a real kube-apiserver',
      reps,
      open_to_first_render_ms: firstRender,
      update_ms: median(updates),
      update_ms_all: updates,
      update_max_ms: Math.max(...updates),
      ...webview,
      webview_update_render_ms: webviewUpdates.length ? median(webviewUpdates) : null,
      webview_update_render_ms_all: webviewUpdates,
      webview_update_marks_missed: reps - webviewUpdates.length,
      screenshot: path.join(UI_OUT, 'dashboard-bench.png'),
    };
  } finally {
    await session?.stop();
    await cp?.stop();
    removeUiRun(dir);
  }
}

/** `npm run bench -- dashboard-code-server` (the code-server half of `dashboard --in=code-server` alone). */
export function run(args: string[]): Promise<Record<string, unknown>> {
  const arg = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
  return runInCodeServer(arg('clusters', 1000), arg('reps', 5));
}
