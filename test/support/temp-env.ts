// A fresh temp directory per test and environment variables set from it, put back as they were afterwards:
// for tests of code that finds its caches and state through the environment.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Registers beforeEach/afterEach: `vars(tmp)` gives the variables to set (undefined: unset) for a new temp dir.
 * Returns a getter for the current temp dir.
 */
export function withTempEnv(prefix: string, vars: (tmp: string) => Record<string, string | undefined>): () => string {
  let tmp = '';
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const set = vars(tmp);
    saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return () => tmp;
}
