// The counts test/support/summary-reporter.js appends, one JSON line per mocha run, added up (npm test and the
// integration tier both total them).
import { existsSync, readFileSync } from 'node:fs';

export function totals(file) {
  const sum = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(file)) return sum;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const s = JSON.parse(line);
    sum.passed += s.passes;
    sum.failed += s.failures;
    sum.skipped += s.pending;
  }
  return sum;
}
