import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dashboardCsp, dashboardHtml, makeNonce } from '../../../src/extension/dashboard/html';

describe('Fleet dashboard page', () => {
  const page = { cspSource: 'https://file+.vscode-resource.example', nonce: makeNonce(), scriptUri: 's.js', styleUri: 'd.css' };
  const html = dashboardHtml(page);

  it('has a strict CSP: nothing by default, styles from the extension, one script by nonce', () => {
    const csp = dashboardCsp(page);
    assert.match(html, new RegExp(`content="${csp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    assert.ok(csp.startsWith("default-src 'none';"));
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [`<script nonce="${page.nonce}" src="s.js">`]);
    assert.notEqual(makeNonce(), makeNonce());
  });

  it('no inline handlers or styles, a labelled filter, a real table', () => {
    assert.doesNotMatch(html, /\son[a-z]+=|\sstyle=|<style/i);
    assert.match(html, /<label for="filter">/);
    assert.match(html, /<input id="filter"/);
    assert.match(html, /<table id="fleet">[\s\S]*<thead>[\s\S]*<tbody>/);
  });

  it('the script writes text, never HTML, and sets no inline handlers', () => {
    const js = readFileSync('media/dashboard.js', 'utf8');
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.on[a-z]+\s*=|eval\(|new Function/);
    assert.match(js, /aria-sort/);
  });
});
