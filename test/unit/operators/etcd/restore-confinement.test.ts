// A restore reads only the snapshot the backup reconciler wrote for that backup: status.location is a report,
// and whoever can write it must not be able to mount (hostPath) or read another file of the host.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EtcdBackup } from '../../../../src/api';
import { backupFilePath, confineSnapshot } from '../../../../src/operators/etcd/backup';

const backup = (destinationPath?: string): EtcdBackup =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'EtcdBackup',
    metadata: { name: 'nightly', namespace: 'tenants', uid: '0a1b2c3d-0000-1111-2222-333344445555' },
    spec: { etcdClusterRef: { name: 'main' }, ...(destinationPath ? { destination: { type: 'Local', path: destinationPath } } : {}) },
  }) as EtcdBackup;

describe('etcd restore: the snapshot is confined to its backup directory', () => {
  let root: string;
  let expected: { dir: string; file: string };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-restore-'));
    expected = backupFilePath(root, backup(), undefined)!;
    fs.mkdirSync(expected.dir, { recursive: true });
    fs.writeFileSync(expected.file, 'snapshot');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is where the backup reconciler writes it: <root>/<namespace>/<cluster>/<backup>-<uid8>.db, or under the destination path', () => {
    assert.deepEqual(expected, {
      dir: path.join(root, 'tenants', 'main'),
      file: path.join(root, 'tenants', 'main', 'nightly-0a1b2c3d.db'),
    });
    assert.equal(backupFilePath(root, backup('/srv/backups'), undefined)!.file, '/srv/backups/nightly-0a1b2c3d.db');
    assert.equal(
      backupFilePath(root, backup(), { spec: { backup: { destination: { type: 'Local', path: '/srv/b' } } } } as never)!.dir,
      '/srv/b',
      "the cluster's destination when the backup has none",
    );
  });

  it('the expected file is mounted from its real directory', () => {
    assert.deepEqual(confineSnapshot(expected.file, expected), { hostDir: fs.realpathSync(expected.dir), file: 'nightly-0a1b2c3d.db' });
  });

  it('a status.location anywhere else is refused, also ../ back into the directory and files that exist', () => {
    fs.writeFileSync(path.join(root, 'elsewhere.db'), 'x');
    for (const location of [
      '/etc/passwd',
      path.join(root, 'elsewhere.db'),
      `${expected.dir}/../main/../../elsewhere.db`,
      path.join(expected.dir, 'other-0a1b2c3d.db'),
      '/',
    ]) {
      const r = confineSnapshot(location, expected);
      assert.ok('problem' in r && /is not where this backup is written/.test(r.problem), `${location}: ${JSON.stringify(r)}`);
    }
  });

  it('a symlink in place of the snapshot is refused (it could point at any file of the host)', () => {
    fs.rmSync(expected.file);
    fs.symlinkSync('/etc/hostname', expected.file);
    const r = confineSnapshot(expected.file, expected);
    assert.ok('problem' in r && /not a regular file/.test(r.problem), JSON.stringify(r));
  });

  it('a missing snapshot is reported as missing', () => {
    fs.rmSync(expected.file);
    const r = confineSnapshot(expected.file, expected);
    assert.ok('problem' in r && r.missing, JSON.stringify(r));
  });
});
