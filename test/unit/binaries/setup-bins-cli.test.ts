// `npm run setup:bins -- --except-first-run`: what .ci/run builds beside the first-run check. It must be the default set
// less exactly what a first `npm start` (sandbox, the sample) builds itself and the check's kubectl, so the two build
// nothing twice and together leave nothing for the plain `setup:bins` after them. Checked with `--list` (nothing is
// built) against an empty binary cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planBinaries } from '../../../src/binaries/build';
import { defaultEnvironmentConfig } from '../../../src/local/config';
import { environmentBinaries } from '../../../src/local/requirements';

const ROOT = path.join(__dirname, '..', '..', '..');

function setupBins(args: string[], binDir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup-bins.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, KOKPIT_BIN_DIR: binDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('setup:bins --except-first-run', () => {
  let bin: string;
  before(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-setup-bins-'));
  });
  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  it("with the first run's binaries, is exactly the default set, each once", () => {
    const r = setupBins(['--except-first-run', '--list'], bin);
    assert.equal(r.status, 0, r.stderr);
    const listed = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t').slice(0, 2).join('@'));
    const firstRun = environmentBinaries({ runtime: 'sandbox', config: defaultEnvironmentConfig(), withSample: true }).map(
      (x) => `${x.component}@${x.version}`,
    );
    const all = planBinaries({}).map((p) => `${p.spec.component}@${p.spec.version}`);
    // The check's own kubectl (scripts/first-run-check.sh) is the one default binary neither side lists.
    assert.deepEqual([...listed, ...firstRun, 'kubectl@v1.33.13'].sort(), [...all].sort());
    assert.ok(listed.includes('kube-apiserver@v1.32.0'), 'the upgrade tests’ release is built beside the check');
    assert.ok(!listed.includes('kube-apiserver@v1.33.13'), 'the first run builds its own');
    assert.ok(r.stdout.split('\n').every((l) => !l || l.includes('\tmissing\t')));
  });
});
