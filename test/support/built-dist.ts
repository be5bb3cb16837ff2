// The bundle (dist/) for the tests that run it. `npm run build` empties dist/cli before writing it again, so two test
// files building at once (the integration tier runs two files at a time) broke each other: CI once saw
// `ENOENT dist/cli/validate.cjs` in bundle/cli-bundle.test.ts while cli/hostile-input.test.ts rebuilt. The tier's
// runner (scripts/test-integration.mjs) builds once before any file and says so with KOKPIT_DIST_BUILT=1; a file run
// on its own still builds.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export function ensureBuiltDist(cwd?: string): void {
  if (process.env.KOKPIT_DIST_BUILT === '1') return;
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd, encoding: 'utf8', env: { ...process.env, KOKPIT_FROM_SOURCE: '' } });
  assert.equal(r.status, 0, r.stderr + r.stdout);
}
