// The snapshot sink: a worker thread writes and hashes what the gRPC stream delivers. The file must hold
// exactly the bytes pushed, in order, across batch boundaries, with the sha256 of those bytes; a file that
// cannot be written is an error, not a short snapshot.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SnapshotSink } from '../../../../src/operators/etcd/snapshot-sink';

describe('etcd snapshot sink (worker thread)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-sink-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes every byte in order (32 KiB chunks like etcd, odd sizes, chunks larger than a batch), 0600, with its sha256', async () => {
    const chunks = [
      ...Array.from({ length: 70 }, () => randomBytes(32 * 1024)),
      randomBytes(1),
      randomBytes(3 * 1024 * 1024 + 7),
      randomBytes(12345),
      Buffer.alloc(0),
      randomBytes(32),
    ];
    const file = path.join(dir, 's.db.partial');
    const sink = new SnapshotSink(file);
    for (const c of chunks) await sink.push(c);
    const sha = await sink.end();
    const want = Buffer.concat(chunks);
    const got = fs.readFileSync(file);
    assert.equal(got.length, want.length);
    assert.ok(got.equals(want), 'file content differs from the bytes pushed');
    assert.equal(sha, createHash('sha256').update(want).digest('hex'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('an empty snapshot is an empty file with the sha256 of nothing', async () => {
    const file = path.join(dir, 'empty.partial');
    const sink = new SnapshotSink(file);
    assert.equal(await sink.end(), createHash('sha256').digest('hex'));
    assert.equal(fs.statSync(file).size, 0);
  });

  it('fails when the file cannot be created', async () => {
    const sink = new SnapshotSink(path.join(dir, 'missing-dir', 's.db.partial'));
    await assert.rejects(async () => {
      await sink.push(randomBytes(2 * 1024 * 1024));
      await sink.end();
    }, /ENOENT|no such file/);
  });
});
