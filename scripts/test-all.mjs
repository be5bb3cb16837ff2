// `npm test`: every tier that exists, in order, with one closing total.
// A tier that fails fails the run; nothing is skipped silently (each tier decides loudly what it needs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printFailures, totals } from './test-summary.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const summary = join(mkdtempSync(join(tmpdir(), 'kokpit-test-')), 'summary.jsonl');
const tiers = ['typecheck', 'lint', 'lint:layers', 'test:unit', 'test:integration', 'test:ui'].filter((t) => pkg.scripts[t]);
const failedTiers = [];
for (const tier of tiers) {
  const started = Date.now();
  console.log(`\n=== ${tier} ===`);
  const r = spawnSync('npm', ['run', '--silent', tier], { stdio: 'inherit', env: { ...process.env, KOKPIT_TEST_SUMMARY: summary } });
  console.log(
    `=== ${tier}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)}s ===`,
  );
  if (r.status !== 0) failedTiers.push(tier);
}
const { passed, skipped, failed: failedTests, failures } = totals(summary);
printFailures(failures);
if (failedTiers.length) console.log(`failed tiers: ${failedTiers.join(', ')}`);
// A failing tier that ran no mocha test (e.g. typecheck) still counts as a failure.
const failed = failedTiers.length && failedTests === 0 ? failedTiers.length : failedTests;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedTiers.length ? 1 : 0);
