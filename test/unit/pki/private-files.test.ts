// Private files and directories on a real filesystem: mode 0600 from the first byte, symlinks refused,
// existing files replaced (not written into), directories of another user or with loose modes refused.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnsafePathError, ensurePrivateDir, writePrivateFile } from '../../../src/pki/private-files';

describe('pki: private files (writePrivateFile, ensurePrivateDir)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-private-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the file (and missing parent directories 0700) with mode 0600 whatever the umask', () => {
    const file = path.join(dir, 'new', 'sub', 'config');
    const old = process.umask(0);
    try {
      writePrivateFile(file, 'secret');
    } finally {
      process.umask(old);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'secret');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['config'], 'no temp file left');
  });

  it('replaces an existing world-readable file instead of writing into it: a reader holding it open never sees the secret', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const before = fs.statSync(file).ino;
    // Someone opened the old file while it was readable: with an in-place write they would read the new content.
    const fd = fs.openSync(file, 'r');
    try {
      writePrivateFile(file, 'new secret');
      assert.equal(fs.readFileSync(fd, 'utf8'), 'old', 'the old inode is untouched');
    } finally {
      fs.closeSync(fd);
    }
    assert.notEqual(fs.statSync(file).ino, before, 'a new inode, renamed into place');
    assert.equal(fs.readFileSync(file, 'utf8'), 'new secret');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('refuses a symlink at the target (to an existing file or a dangling one), leaving the link and its target alone', () => {
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'do not touch', { mode: 0o644 });
    const link = path.join(dir, 'config');
    fs.symlinkSync(victim, link);
    assert.throws(
      () => writePrivateFile(link, 'secret'),
      (e: unknown) => e instanceof UnsafePathError && /symbolic link/.test((e as Error).message),
    );
    assert.equal(fs.readFileSync(victim, 'utf8'), 'do not touch');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    const dangling = path.join(dir, 'dangling');
    fs.symlinkSync(path.join(dir, 'would-be-created'), dangling);
    assert.throws(() => writePrivateFile(dangling, 'secret'), UnsafePathError);
    assert.ok(!fs.existsSync(path.join(dir, 'would-be-created')), 'nothing created through the link');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['config', 'dangling', 'victim'], 'no temp file left');
  });

  it('refuses a directory or a FIFO at the target', () => {
    fs.mkdirSync(path.join(dir, 'd'));
    assert.throws(() => writePrivateFile(path.join(dir, 'd'), 'x'), /not a regular file/);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    assert.throws(() => writePrivateFile(path.join(dir, 'fifo'), 'x'), /not a regular file/);
  });

  it('a private directory: created 0700; an existing one with group/other permissions or a symlink is refused', () => {
    const mine = ensurePrivateDir(path.join(dir, 'locks'));
    assert.equal(fs.statSync(mine).mode & 0o777, 0o700);
    assert.equal(ensurePrivateDir(mine), mine, 'an existing private directory is fine');
    const loose = path.join(dir, 'loose');
    fs.mkdirSync(loose);
    fs.chmodSync(loose, 0o1777);
    assert.throws(
      () => ensurePrivateDir(loose),
      (e: unknown) => e instanceof UnsafePathError && /mode 1777/.test((e as Error).message),
    );
    const link = path.join(dir, 'link');
    fs.symlinkSync(mine, link);
    assert.throws(() => ensurePrivateDir(link), /not a directory/);
  });

  it('a directory another user made first (mode 0700 even) is refused', () => {
    // As root: a 0700 directory handed to nobody (65534). Otherwise: /, which is root's.
    const root = process.getuid?.() === 0;
    const theirs = root ? path.join(dir, 'theirs') : '/';
    if (root) {
      fs.mkdirSync(theirs, { mode: 0o700 });
      fs.chownSync(theirs, 65534, 65534);
    }
    assert.throws(
      () => ensurePrivateDir(theirs),
      (e: unknown) => e instanceof UnsafePathError && new RegExp(`belongs to uid ${root ? 65534 : 0}`).test((e as Error).message),
    );
  });
});
