// `kokpit status` on a local environment whose process is gone: exit 1, NOT RUNNING with the command that cleans up,
// and the last lines of the environment's own log, which say why it went (a CI e2e once saw only the exit code).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { statusCommand } from '../../../src/cli/commands/status';
import { ENV_FILE } from '../../../src/local/state';

describe('cli: kokpit status on an environment whose process died', () => {
  let root: string;
  const saved = process.env.KOKPIT_SANDBOX_DIR;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-status-'));
    process.env.KOKPIT_SANDBOX_DIR = root;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KOKPIT_SANDBOX_DIR;
    else process.env.KOKPIT_SANDBOX_DIR = saved;
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('exits 1, says NOT RUNNING and shows the tail of its log', async () => {
    // A pid that surely is gone: a child that has exited and been reaped.
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    const dir = path.join(root, 'kokpit');
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'up.log');
    const log = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).concat('Error: the provisioner watch failed: boom');
    fs.writeFileSync(logFile, `${log.join('\n')}\n`);
    fs.writeFileSync(
      path.join(dir, ENV_FILE),
      JSON.stringify({ name: 'kokpit', runtime: 'kind', pid: dead, components: [], steps: [], logFile, kind: { ports: [] } }),
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await statusCommand.run([], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      progress: () => {},
      isTTY: false,
      cwd: root,
    });
    const text = out.join('\n');
    assert.equal(code, 1, text);
    assert.match(text, new RegExp(`NOT RUNNING \\(pid ${dead} is gone; \`kokpit down\` cleans up\\)`));
    assert.match(text, new RegExp(`last lines of ${logFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`));
    assert.match(text, /^ {4}Error: the provisioner watch failed: boom$/m, 'the error it died of');
    assert.match(text, /^ {4}line 7$/m);
    assert.doesNotMatch(text, /^ {4}line 6$/m, 'ten lines, not the whole log');
    assert.deepEqual(err, []);
  });
});
