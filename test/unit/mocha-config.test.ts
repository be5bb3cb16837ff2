// The test tiers refuse a forgotten `.only` (it would silently run one test and report the tier green).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

describe('mocha configuration', () => {
  for (const config of fs.readdirSync('.').filter((f) => /^\.mocharc\..+\.json$/.test(f))) {
    it(`${config} fails a run that contains it.only`, function () {
      this.timeout(60_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-only-'));
      try {
        const file = path.join(dir, 'only.test.ts');
        fs.writeFileSync(file, "describe('x', () => { it.only('y', () => {}); it('z', () => {}); });\n");
        const r = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', '--config', config, '--reporter', 'dot', file], {
          encoding: 'utf8',
          env: { ...process.env, KOKPIT_TEST_SUMMARY: '' },
        });
        assert.notEqual(r.status, 0, `${config} ran a test file with it.only: ${r.stdout}`);
        assert.match(r.stderr + r.stdout, /FORBIDDEN_EXCLUSIVITY|forbid/i);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
