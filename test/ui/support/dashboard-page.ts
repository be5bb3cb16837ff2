// The Fleet dashboard's webview page outside VS Code, for the benchmark and the browser test: a server on 127.0.0.1
// hands out the very page the extension gives the webview (dashboardHtml, its strict CSP) with the real
// media/dashboard.js and media/dashboard.css; VSCODE_API_SHIM (an init script) stands in for `acquireVsCodeApi`
// and keeps what the page posts in `window.__posted`.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { dashboardHtml, makeNonce } from '../../../src/extension/dashboard/html';

const MEDIA = join(__dirname, '..', '..', '..', 'media');

/** `/` is the dashboard; `/baseline` the same page without its script (for a benchmark's plain-table baseline). */
export function serveDashboardPage(): Promise<{ server: Server; origin: string }> {
  const media = (f: string) => readFileSync(join(MEDIA, f));
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    const type = (t: string) => res.writeHead(200, { 'content-type': t, 'cache-control': 'no-store' });
    if (req.url === '/media/dashboard.js') return (type('text/javascript'), res.end(media('dashboard.js')));
    if (req.url === '/media/dashboard.css') return (type('text/css'), res.end(media('dashboard.css')));
    if (req.url === '/media/none.js') return (type('text/javascript'), res.end(''));
    const script = req.url === '/baseline' ? '/media/none.js' : '/media/dashboard.js';
    type('text/html');
    res.end(dashboardHtml({ cspSource: origin, nonce: makeNonce(), scriptUri: script, styleUri: '/media/dashboard.css' }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

export const VSCODE_API_SHIM = `window.acquireVsCodeApi = () => ({
  postMessage: (m) => (window.__posted = window.__posted || []).push(m),
  getState: () => window.__state,
  setState: (s) => (window.__state = s),
});`;
