// The counts test/support/summary-reporter.js appends, one JSON line per mocha run, added up (npm test and the
// integration tier both total them).
import { existsSync, readFileSync } from 'node:fs';

export function totals(file) {
  const sum = { passed: 0, failed: 0, skipped: 0, failures: [] };
  if (!existsSync(file)) return sum;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const s = JSON.parse(line);
    sum.passed += s.passes;
    sum.failed += s.failures;
    sum.skipped += s.pending;
    sum.failures.push(...(s.failed ?? []));
  }
  return sum;
}

/** Every failing test again, with the first lines of its error: printed last, so a truncated CI log still shows why. */
export function printFailures(failures) {
  if (!failures.length) return;
  console.log(`\nfailing tests (${failures.length}), repeated:`);
  for (const f of failures) console.log(`\n* ${f.file ? `${f.file}: ` : ''}${f.title}\n${f.message.replace(/^/gm, '    ')}`);
}
