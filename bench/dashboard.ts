// Fleet dashboard with 1,000 business clusters, in a real browser (playwright-core + Debian chromium, as the UI tier):
// NOT in code-server — a page served from 127.0.0.1 hosts the very page the webview gets (dashboardHtml, same strict
// CSP) with the real media/dashboard.js and media/dashboard.css, and an `acquireVsCodeApi` shim (an init script).
// Rows come from the real DashboardModel/DashboardFeed (each cluster with a 3-member etcd with an hour of DB size
// samples, and 3 machines), and go in by window.postMessage as the webview host delivers them.
//   first_render_ms: from posting every row to the table laid out and a frame later (rAF + a task).
//   update_ms: from posting one cluster's update (its phase) to that cell showing it, laid out, a frame later.
// `--in=code-server`: bench/dashboard-code-server.ts, the extension's webview in code-server, with this beside it.
// Baseline, same page, same rows, same clock: a plain table of the same cells built as one HTML string and set with
// innerHTML (first render), and the same done again for one changed cluster (a re-render). Dashboard and baseline run
// interleaved, each on a fresh page, --reps times (default 5); medians are printed.
import { chromium, type Page } from 'playwright-core';
import { DashboardFeed, DashboardModel, type DashboardRow, type RowUpdate } from '../src/fleet/dashboard';
import { businessCluster, etcdCluster, machine } from '../test/support/objects';
import { chromiumPath } from '../test/ui/support/code-server';
import { serveDashboardPage, VSCODE_API_SHIM } from '../test/ui/support/dashboard-page';

function fleet(clusters: number): { rows: DashboardRow[]; update: RowUpdate; id: string } {
  let now = Date.now() - 3_600_000;
  const model = new DashboardModel(() => now);
  const name = (i: number) => `bc-${String(i).padStart(4, '0')}`;
  for (let i = 0; i < clusters; i++) {
    model.upsert(businessCluster(name(i), `team-${i % 10}`));
    for (let j = 0; j < 3; j++) model.upsert(machine(`${name(i)}-m${j}`, name(i), `team-${i % 10}`));
  }
  // An hour of DB size samples: one etcd status every 5 minutes per cluster.
  for (let step = 0; step <= 12; step++, now += 300_000) {
    for (let i = 0; i < clusters; i++) {
      const ec = etcdCluster(`${name(i)}-etcd`, `team-${i % 10}`);
      for (const m of ec.status!.members!) m.dbSize = 20_000_000 + ((i * 7919 + step * 104_729) % 5_000_000);
      model.upsert(ec);
    }
  }
  const feed = new DashboardFeed(model);
  const rows = feed.full();
  const target = Math.floor(clusters / 2);
  const ids = model.upsert(businessCluster(name(target), `team-${target % 10}`, 'Degraded'));
  const [update] = feed.updates(ids);
  return { rows, update, id: `team-${target % 10}/${name(target)}` };
}

/** Total, and its parts: the page's message handlers (script), then the forced layout; the rest is paint and the frame. */
type Timing = { total: number; script: number; layout: number };

/** The browser globals the timing code uses (the root tsconfig has no DOM types). */
interface PageGlobals {
  addEventListener(type: 'message', listener: () => void, options: { once: boolean }): void;
  postMessage(message: unknown, targetOrigin: string): void;
  requestAnimationFrame(callback: () => void): void;
  document: { body: { offsetHeight: number } };
}

/** Posts `data`, then after every 'message' listener of the page ran, waits for layout and a frame; returns ms. */
async function timedPost(page: Page, data: unknown, check: string): Promise<Timing> {
  const ms = await page.evaluate(
    (msg) =>
      new Promise<Timing>((resolve) => {
        const w = globalThis as unknown as PageGlobals;
        const t0 = performance.now();
        w.addEventListener(
          'message',
          () => {
            const script = performance.now() - t0;
            void w.document.body.offsetHeight;
            const layout = performance.now() - t0 - script;
            w.requestAnimationFrame(() => setTimeout(() => resolve({ total: performance.now() - t0, script, layout })));
          },
          { once: true },
        );
        w.postMessage(msg, '*');
      }),
    data,
  );
  // Checked after the clock stopped (as a CDP evaluation: the page's CSP allows no eval); a failed check fails the run.
  if (!(await page.evaluate(check))) throw new Error(`the page does not show it: ${check}`);
  return ms;
}

/** The baseline's page code: a plain table of the same cells, built as one string and set with innerHTML. */
const BASELINE = `
  const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const tbody = document.querySelector('#fleet tbody');
  const head = document.querySelector('#fleet thead tr');
  const labels = ['Cluster', 'Phase', 'Version', 'Control plane', 'etcd', 'etcd DB (1 h)', 'Machines', 'Last event'];
  head.innerHTML = labels.map((l) => '<th>' + l + '</th>').join('');
  const cells = (r) => '<tr><th>' + esc(r.name) + ' ' + esc(r.namespace) + '</th><td>' + esc(r.phase) + '</td><td>' + esc(r.version) +
    (r.target ? ' → ' + esc(r.target) : '') + '</td><td>' + r.cpReady + '/' + r.cpTotal + '</td><td>' + esc(r.etcdHealth) + ' ' +
    r.etcdReady + '/' + r.etcdTotal + '</td><td>' + (r.dbSize ?? '') + '<svg viewBox="0 0 60 16" class="spark"><polyline points="' +
    esc(r.spark) + '"/></svg></td><td>' + r.machinesReady + '/' + r.machinesTotal + '</td><td>' + esc(r.lastMessage) + '</td></tr>';
  let rows = [];
  window.addEventListener('message', (ev) => {
    if (ev.data.type === 'rows') rows = ev.data.rows;
    else rows = rows.map((r) => (r.id === ev.data.updates[0].id ? Object.assign({}, r, ev.data.updates[0].set) : r));
    tbody.innerHTML = rows.map(cells).join('');
  });`;

async function once(page: Page, origin: string, f: ReturnType<typeof fleet>, baseline: boolean) {
  await page.goto(`${origin}/${baseline ? 'baseline' : ''}`);
  if (baseline) await page.evaluate(BASELINE);
  // Polled by CDP evaluations: waitForFunction polls with eval in the page, which its CSP refuses once it must wait.
  else
    for (const deadline = Date.now() + 60_000; !(await page.evaluate(`document.querySelectorAll('#fleet thead th').length >= 8`));)
      if (Date.now() > deadline) throw new Error('the dashboard page did not render its header within 60 s');
  // The dashboard lays out only the rows near the viewport (and spacers for the rest); the baseline all of them.
  const rowsShown = baseline
    ? `document.querySelectorAll('#fleet tbody tr').length === ${f.rows.length}`
    : `document.querySelectorAll('#fleet tbody tr[data-id]').length >= 30 && ` +
      `document.getElementById('fleet').getAttribute('aria-rowcount') === '${f.rows.length + 1}' && ` +
      `document.body.scrollHeight > ${f.rows.length * 24}`;
  const first = await timedPost(page, { type: 'rows', rows: f.rows }, rowsShown);
  const row = baseline ? `[...document.querySelectorAll('#fleet tbody tr')]` : `[document.querySelector('tr[data-id="${f.id}"]')]`;
  const shown = `${row}.some((tr) => tr && tr.cells[1].textContent.includes('Degraded'))`;
  const update = await timedPost(page, { type: 'update', updates: [f.update] }, shown);
  return { first, update };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => +x.toFixed(1);
const med = (ts: Timing[], part: keyof Timing = 'total') => round(median(ts.map((t) => t[part])));

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const clusters = Number(args.find((a) => a.startsWith('--clusters='))?.split('=')[1] ?? 1000);
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.split('=')[1] ?? 5);
  if (args.includes('--in=code-server')) {
    // The real extension's webview in code-server, and beside it this page in plain chromium (the same rows' count).
    const { runInCodeServer } = await import('./dashboard-code-server');
    const inCodeServer = await runInCodeServer(clusters, reps);
    return {
      ...inCodeServer,
      chromium_page: await run(args.filter((a) => a !== '--in=code-server')),
      goals: { first_render_ms: 200, update_ms: 100 },
    };
  }
  const f = fleet(clusters);
  const { server, origin } = await serveDashboardPage();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  const results = { first: [] as Timing[], update: [] as Timing[], bFirst: [] as Timing[], bUpdate: [] as Timing[] };
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript(VSCODE_API_SHIM);
    for (let i = 0; i < reps; i++) {
      // Alternate which goes first, so a slow moment of the machine does not always hit the same side.
      for (const baseline of i % 2 ? [true, false] : [false, true]) {
        const page = await context.newPage();
        const r = await once(page, origin, f, baseline);
        await page.close();
        (baseline ? results.bFirst : results.first).push(r.first);
        (baseline ? results.bUpdate : results.update).push(r.update);
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  return {
    clusters,
    host: 'chromium page with the webview script and an acquireVsCodeApi shim (not code-server)',
    reps,
    first_render_ms: med(results.first),
    update_ms: med(results.update),
    baseline_innerhtml_first_render_ms: med(results.bFirst),
    baseline_innerhtml_rerender_ms: med(results.bUpdate),
    first_render_script_ms: med(results.first, 'script'),
    first_render_layout_ms: med(results.first, 'layout'),
    update_script_ms: med(results.update, 'script'),
    update_layout_ms: med(results.update, 'layout'),
    baseline_first_render_script_ms: med(results.bFirst, 'script'),
    first_render_max_ms: round(Math.max(...results.first.map((t) => t.total))),
    update_max_ms: round(Math.max(...results.update.map((t) => t.total))),
    update_bytes: JSON.stringify(f.update).length,
    rows_bytes: JSON.stringify(f.rows).length,
    goals: { first_render_ms: 200, update_ms: 100 },
  };
}
