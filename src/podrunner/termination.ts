// A container's termination message under terminationMessagePolicy FallbackToLogsOnError, as the kubelet makes it:
// when it exits with an error, the last of its log output, "limited to 2048 bytes or 80 lines, whichever is smaller".
// (The termination-log file of the other policy is not emulated: no container here writes one.)
import * as fs from 'node:fs';

export const MESSAGE_MAX_BYTES = 2048;
export const MESSAGE_MAX_LINES = 80;

/** The last 80 lines of `text`, whose last 2048 bytes it already is (a character cut at the start is dropped). */
export function messageFromLogTail(text: string): string {
  const lines = text.replace(/^\uFFFD+/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-MESSAGE_MAX_LINES).join('\n');
}

/** Size of a file, 0 when it does not exist (where a container's output starts in its log). */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The termination message from a container's log file, reading only what this run wrote (from byte `start`). */
export function logTailMessage(file: string, start: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const end = fs.fstatSync(fd).size;
    const from = Math.max(start, end - MESSAGE_MAX_BYTES);
    if (end <= from) return undefined;
    const buf = Buffer.alloc(end - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    return messageFromLogTail(buf.toString('utf8')) || undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
