// What every UI test file (and the code-server dashboard bench) checks and makes before it starts anything: the tools
// the tier needs, the packaged .vsix, the screenshot directory, and a fresh working directory of its own.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { missingPrerequisites } from './code-server';

/** The package `npm run package` writes, the one every UI session installs. */
export const VSIX = path.join(__dirname, '..', '..', '..', 'dist', 'kokpit.vsix');
/** Where screenshots go: $KOKPIT_UI_OUT, default /tmp/kokpit-ui. */
export const UI_OUT = process.env.KOKPIT_UI_OUT ?? path.join(os.tmpdir(), 'kokpit-ui');

/**
 * Throws unless this machine can run the UI tier and the .vsix is built; makes UI_OUT and returns a new directory
 * under the system's temp directory whose name starts with `prefix`. Loud, not skipped: CI installs the tools
 * (.ci/run); a machine without them cannot claim the tier passed.
 */
export function prepareUiRun(prefix: string): string {
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(`the UI tier cannot run here; missing: ${missing.join('; ')}`);
  assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` first (\`npm run test:ui\` does)`);
  fs.mkdirSync(UI_OUT, { recursive: true });
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** For after(): removes prepareUiRun's directory, unless KOKPIT_UI_KEEP is set (to read code-server's logs after). */
export function removeUiRun(dir: string | undefined): void {
  if (dir && !process.env.KOKPIT_UI_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}
