// The restore's snapshot check: sha256 of a file, read and hashed in a worker thread. It must equal the hash of
// every byte (across its 4 MiB reads), and a file that cannot be read is an error with fs's code, not a hash.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from '../../../../src/operators/etcd/file-hash';

describe('etcd snapshot file hash (worker thread)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-hash-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the sha256 of every byte: empty, one byte, a read boundary, more than two reads', async () => {
    for (const size of [0, 1, 4 * 1024 * 1024, 9 * 1024 * 1024 + 7]) {
      const bytes = randomBytes(size);
      const file = path.join(dir, `s-${size}.db`);
      fs.writeFileSync(file, bytes);
      assert.equal(await sha256File(file), createHash('sha256').update(bytes).digest('hex'), `size ${size}`);
    }
  });

  it('a missing file is ENOENT', async () => {
    await assert.rejects(sha256File(path.join(dir, 'missing.db')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });
});
