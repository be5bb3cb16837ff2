// Reading a manifest file from disk, for every command that takes files: regular files only (a FIFO would block
// forever, /dev/zero never ends), at most LIMITS.maxChars bytes, and errors that say what is wrong in words.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LIMITS, tooLargeMessage } from './limits';

/** A file that cannot be read as a manifest; the message is for the user, after the file's name. */
export class ManifestReadError extends Error {}

/** The text of `file` (`-`: standard input), without a leading byte order mark. Throws ManifestReadError. */
export function readManifestFile(file: string): string {
  if (file === '-') return decode(readCapped(0));
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not wait for one (it is refused below).
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ManifestReadError(ioErrorText(e));
  }
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw new ManifestReadError('is a directory');
    if (!info.isFile()) throw new ManifestReadError('not a regular file: kokpit reads manifests from files, not FIFOs, sockets or devices');
    if (info.size > LIMITS.maxChars) throw new ManifestReadError(tooLargeMessage(info.size));
    return decode(readCapped(fd));
  } catch (e) {
    throw e instanceof ManifestReadError ? e : new ManifestReadError(ioErrorText(e));
  } finally {
    closeSync(fd);
  }
}

/** Everything `fd` holds, refusing more than LIMITS.maxChars bytes (a file may grow after fstat; stdin has no size). */
function readCapped(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      // A non-blocking standard input with nothing yet: wait a little, as a blocking read would.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw new ManifestReadError(ioErrorText(e));
    }
    if (n === 0) break;
    total += n;
    if (total > LIMITS.maxChars) throw new ManifestReadError(tooLargeMessage());
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks, total);
}

function decode(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** An I/O error in words: `permission denied`, `no such file`, … */
export function ioErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return err instanceof Error ? err.message : String(e);
  }
}
