// The pod runner's termination message under FallbackToLogsOnError: the kubelet's "2048 bytes or 80 lines,
// whichever is smaller", of what the container's last run wrote.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSize, logTailMessage, MESSAGE_MAX_BYTES, MESSAGE_MAX_LINES } from '../../../src/podrunner/termination';

describe('pod runner: termination message from the log (FallbackToLogsOnError)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-termination-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the last 80 lines, at most 2048 bytes, of this run only', () => {
    const log = path.join(dir, 'etcd.log');
    assert.equal(fileSize(log), 0);
    fs.writeFileSync(log, 'previous run: no space left on device\n');
    const start = fileSize(log);
    fs.appendFileSync(log, 'starting\nfailed\n');
    assert.equal(logTailMessage(log, start), 'starting\nfailed', 'nothing of the previous run');

    fs.appendFileSync(log, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const lines = logTailMessage(log, start)!.split('\n');
    assert.equal(lines.length, MESSAGE_MAX_LINES);
    assert.equal(lines[lines.length - 1], 'line 99');

    fs.appendFileSync(log, `${'x'.repeat(3000)}\nthe end\n`);
    const m = logTailMessage(log, start)!;
    assert.ok(Buffer.byteLength(m) <= MESSAGE_MAX_BYTES, `${Buffer.byteLength(m)} bytes`);
    assert.ok(m.endsWith('\nthe end'));
    assert.equal(logTailMessage(path.join(dir, 'missing.log'), 0), undefined);
  });
});
