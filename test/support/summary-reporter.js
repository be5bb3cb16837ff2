// Mocha's spec reporter, plus one plain closing line `N passed, N failed, N skipped` that CI reads.
// Results are also appended to $KOKPIT_TEST_SUMMARY (if set) so `npm test` can total every tier.
'use strict';
const Mocha = require('mocha');
const fs = require('node:fs');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
      if (process.env.KOKPIT_TEST_SUMMARY) {
        fs.appendFileSync(process.env.KOKPIT_TEST_SUMMARY, JSON.stringify({ passes, failures, pending }) + '\n');
      }
    });
  }
}
module.exports = SummaryReporter;
