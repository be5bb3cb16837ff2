// The Fleet dashboard's page: a strict Content-Security-Policy (nothing but the extension's stylesheet and one
// script carrying a fresh nonce), a labelled filter and an empty table that media/dashboard.js fills. No vscode
// here, so the benchmark and the tests build the very same page.
import { randomBytes } from 'node:crypto';

export interface DashboardPage {
  /** The webview's `cspSource` (where the extension's media are served from). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export function dashboardCsp(p: Pick<DashboardPage, 'cspSource' | 'nonce'>): string {
  return `default-src 'none'; style-src ${p.cspSource}; img-src ${p.cspSource}; script-src 'nonce-${p.nonce}';`;
}

export function dashboardHtml(p: DashboardPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${dashboardCsp(p)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${p.styleUri}">
<title>Fleet Dashboard</title>
</head>
<body>
<header class="bar">
  <label for="filter">Filter</label>
  <input id="filter" type="search" placeholder="name, phase, version…" autocomplete="off" spellcheck="false">
  <span id="count" role="status" aria-live="polite"></span>
</header>
<p id="empty" hidden></p>
<table id="fleet">
  <caption class="visually-hidden">Business clusters; Enter or click on a row shows it in the Fleet view</caption>
  <thead><tr></tr></thead>
  <tbody></tbody>
</table>
<script nonce="${p.nonce}" src="${p.scriptUri}"></script>
</body>
</html>
`;
}
