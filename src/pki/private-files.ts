// Files and directories that hold key material or must not be shared: kubeconfigs handed to users, lock
// directories. A private file is replaced in one step (a temp file made with O_EXCL and mode 0600 in the same
// directory, fsynced, renamed over the target), so nobody ever reads it half written or with a looser mode,
// and a symlink at the target is refused rather than followed or silently replaced. (write-file-atomic, the
// maintained library for atomic writes, follows a symlinked target on purpose, which is what we refuse.)
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/**
 * Writes `content` to `file` with mode 0600, atomically. The parent directory is created 0700 when missing;
 * an existing `file` must be a regular file (a symlink, directory or FIFO there is refused).
 */
export function writePrivateFile(file: string, content: string | Buffer): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  refuseNonRegular(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: a file (or symlink) someone placed at the temp name is never written through.
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  let renamed = false;
  try {
    fs.fchmodSync(fd, 0o600); // the umask only narrows the creation mode; this makes it exactly 0600
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    refuseNonRegular(file); // again, just before the rename: a symlink placed meanwhile is still refused
    fs.renameSync(tmp, file);
    renamed = true;
    syncDir(dir);
  } finally {
    if (!renamed) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed above */
      }
      fs.rmSync(tmp, { force: true });
    }
  }
}

function refuseNonRegular(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isSymbolicLink())
    throw new UnsafePathError(`${file} is a symbolic link; not writing key material through it (remove the link or choose another path)`);
  if (!st.isFile()) throw new UnsafePathError(`${file} exists and is not a regular file`);
}

/** The rename is durable only once the directory entry is on disk (best effort: some filesystems refuse). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A directory only the current user can use: created 0700 when missing; when it exists it must be a real
 * directory (not a symlink) owned by this user with no group or other permissions, else UnsafePathError (a
 * directory another local user made first, in /tmp say, is never trusted).
 */
export function ensurePrivateDir(dir: string): string {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o700); // ours, just made: exactly 0700 whatever the umask
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new UnsafePathError(`${dir} is not a directory (a symbolic link or a file is there); remove it`);
  if (uid !== undefined && st.uid !== uid)
    throw new UnsafePathError(`${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}); remove it or choose another directory`);
  if ((st.mode & 0o077) !== 0)
    throw new UnsafePathError(`${dir} has mode ${(st.mode & 0o7777).toString(8)}: others may use it; chmod 700 it or remove it`);
  return dir;
}
