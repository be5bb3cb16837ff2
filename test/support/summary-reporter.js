// Mocha's spec reporter, plus one plain closing line `N passed, N failed, N skipped` that CI reads.
// Results are also appended to $KOKPIT_TEST_SUMMARY (if set) so `npm test` can total every tier and repeat every
// failure (file, title, the error's first lines) at the very end, where CI's truncated log still shows it.
'use strict';
const Mocha = require('mocha');
const fs = require('node:fs');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
      const message = String((err && (err.stack || err.message)) || err)
        .split('\n')
        .slice(0, 12)
        .join('\n');
      failed.push({ file: test.file ? require('node:path').relative(process.cwd(), test.file) : '', title: test.fullTitle(), message });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
      if (process.env.KOKPIT_TEST_SUMMARY) {
        fs.appendFileSync(process.env.KOKPIT_TEST_SUMMARY, JSON.stringify({ passes, failures, pending, failed }) + '\n');
      }
    });
  }
}
module.exports = SummaryReporter;
