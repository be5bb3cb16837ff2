// A container's log as the kubelet serves it: each run of a container is a byte range of its log file (the file is
// appended across restarts, so the termination message and the tests keep reading it raw), and each run keeps a clock:
// when the file grew, seen through inotify (fs.watch), so lines get the time they were written for `timestamps` and
// `sinceSeconds` (containerd stamps a line when its shim reads it; here the stamp is when the runner saw the write,
// at most WATCH_DELAY_MS later). tailLines, limitBytes and follow are read from the range; follow ends with the run.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { fileSize } from './termination';

/** Coalesces a burst of writes into one mark. */
const WATCH_DELAY_MS = 20;
/** Marks kept per run; past it every other one is dropped (older lines then read a slightly later time). */
const MAX_MARKS = 50_000;
const CHUNK = 64 * 1024;

/** One run (start) of a container: where its output starts in the log file, and when the file grew. */
export class ContainerLogRun extends EventEmitter {
  private offsets: number[] = [];
  private times: number[] = [];
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Where this run's output ends, once it has exited. */
  end: number | undefined;

  constructor(
    readonly file: string,
    readonly start: number,
    startedAt = Date.now(),
  ) {
    super();
    this.setMaxListeners(0); // one listener per follower
    this.offsets.push(start);
    this.times.push(startedAt);
    try {
      this.watcher = fs.watch(file, () => (this.timer ??= setTimeout(() => this.mark(), WATCH_DELAY_MS)));
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref(); // a watched log never keeps the process alive
    } catch {
      // No inotify: times are taken when a reader looks (mark() before every read).
    }
  }

  get running(): boolean {
    return this.end === undefined;
  }

  /** Records how far the file has grown by now and tells followers. */
  mark(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    const size = this.end ?? fileSize(this.file);
    if (size > this.offsets[this.offsets.length - 1]) {
      this.offsets.push(size);
      this.times.push(Date.now());
      if (this.offsets.length > MAX_MARKS) {
        this.offsets = this.offsets.filter((_, i) => i % 2 === 0 || i === this.offsets.length - 1);
        this.times = this.times.filter((_, i) => i % 2 === 0 || i === this.times.length - 1);
      }
      this.emit('grew', size);
    }
    return size;
  }

  /** The run exited: its range is final. */
  finish(): void {
    this.end = this.mark();
    this.watcher?.close();
    this.emit('ended');
  }

  /** When the byte at `offset` had been written (the first mark past it). */
  timeOf(offset: number): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    if (this.offsets[hi] <= offset) return Date.now();
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid] > offset) hi = mid;
      else lo = mid + 1;
    }
    return this.times[lo];
  }
}

/** The kubelet's log query (the apiserver forwards PodLogOptions as these parameters). */
export interface LogQuery {
  follow: boolean;
  tailLines?: number;
  /** Only lines written at or after this time (ms since the epoch), from sinceSeconds or sinceTime. */
  sinceMs?: number;
  timestamps: boolean;
  limitBytes?: number;
}

/** Where the last `lines` lines of [from, to) start. */
function tailStart(fd: number, from: number, to: number, lines: number): number {
  if (lines <= 0) return to;
  let pos = to;
  let seen = 0;
  const buf = Buffer.alloc(CHUNK);
  // A final newline ends the last line; it does not start another.
  let skipLast = true;
  while (pos > from) {
    const n = Math.min(CHUNK, pos - from);
    fs.readSync(fd, buf, 0, n, pos - n);
    for (let i = n - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) {
        skipLast = false;
        continue;
      }
      if (skipLast) {
        skipLast = false;
        continue;
      }
      if (++seen === lines) return pos - n + i + 1;
    }
    pos -= n;
  }
  return from;
}

/** RFC 3339 with the fraction's trailing zeros dropped, as Go's RFC3339Nano prints. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/**
 * Writes a run's log to `out` (the caller's response) as the kubelet does; with follow, keeps writing until the
 * run ends, `limitBytes` is reached or `closed()` says the client went away. Resolves when done.
 */
export async function writeLog(
  run: ContainerLogRun,
  q: LogQuery,
  out: { write(b: Buffer): boolean; once(event: 'drain', f: () => void): unknown },
  closed: () => boolean,
): Promise<void> {
  let budget = q.limitBytes ?? Infinity;
  let partial = Buffer.alloc(0);
  let partialStart = 0;
  const emit = async (line: Buffer, endOffset: number) => {
    if (budget <= 0) return;
    const at = run.timeOf(endOffset - 1);
    if (q.sinceMs !== undefined && at < q.sinceMs) return;
    let b = q.timestamps ? Buffer.concat([Buffer.from(`${rfc3339Nano(at)} `), line]) : line;
    if (b.length > budget) b = b.subarray(0, budget);
    budget -= b.length;
    if (!out.write(b)) await new Promise<void>((r) => out.once('drain', r));
  };
  /** Emits the complete lines of [from, to); an unfinished last line waits for more (or for the run's end). */
  const pump = async (fd: number, from: number, to: number, flush: boolean) => {
    const buf = Buffer.alloc(CHUNK);
    for (let pos = from; pos < to && budget > 0;) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, to - pos), pos);
      if (n <= 0) break;
      let lineStart = 0;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 0x0a) continue;
        const piece = Buffer.from(buf.subarray(lineStart, i + 1));
        await emit(partial.length ? Buffer.concat([partial, piece]) : piece, pos + i + 1);
        partial = Buffer.alloc(0);
        lineStart = i + 1;
      }
      if (lineStart < n) {
        if (!partial.length) partialStart = pos + lineStart;
        partial = Buffer.concat([partial, buf.subarray(lineStart, n)]);
      }
      pos += n;
    }
    if (flush && partial.length) await emit(partial, partialStart + partial.length);
  };
  const fd = fs.openSync(run.file, 'r');
  try {
    let to = run.end ?? run.mark();
    await pump(fd, q.tailLines !== undefined ? tailStart(fd, run.start, to, q.tailLines) : run.start, to, !q.follow || !run.running);
    while (q.follow && budget > 0 && !closed()) {
      if (!run.running && to >= run.end!) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          run.off('grew', done);
          run.off('ended', done);
          clearTimeout(poll);
          resolve();
        };
        // The watch may miss a write (or be unavailable): look again every second regardless.
        const poll = setTimeout(() => {
          run.mark();
          done();
        }, 1000);
        run.on('grew', done);
        run.on('ended', done);
      });
      const next = run.end ?? fileSize(run.file);
      if (next > to) await pump(fd, to, next, !run.running);
      else if (!run.running) await pump(fd, to, to, true);
      to = Math.max(to, next);
    }
  } finally {
    fs.closeSync(fd);
  }
}
