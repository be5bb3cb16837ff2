// Where a streamed etcd snapshot goes: a worker thread hashes (sha256) and writes it, so the operator's
// event loop only receives. Receiving 100 MiB over gRPC (TLS, HTTP/2, message framing) already keeps one
// core busy in Node; hashing and writing on that same thread made a snapshot take twice as long as
// etcdctl's, whose Go runtime spreads the same work over cores. Memory stays bounded: at most
// MAX_IN_FLIGHT_BYTES are queued for the worker; the receiver waits for the worker beyond that, and
// gRPC's flow control then stops etcd.
import { Worker } from 'node:worker_threads';

const BATCH_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT_BYTES = 8 * BATCH_BYTES;

// Inline (eval) so bundles need no separate worker file. Writes with writeSync: it runs off the event loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const fd = fs.openSync(workerData.file, 'w', 0o600);
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  try {
    if (m.end) {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      parentPort.postMessage({ sha256: hash.digest('hex') });
      return;
    }
    const b = Buffer.from(m.buf, 0, m.len);
    hash.update(b);
    for (let off = 0; off < m.len; ) off += fs.writeSync(fd, b, off, m.len - off);
    parentPort.postMessage({ written: m.len });
  } catch (e) {
    parentPort.postMessage({ error: e && e.message ? e.message : String(e) });
  }
});
`;

type Reply = { written: number } | { sha256: string } | { error: string };

/** Writes `file` (created 0600, truncated) from pushed chunks in a worker; end() fsyncs and returns the sha256. */
export class SnapshotSink {
  private readonly worker: Worker;
  private batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private filled = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private digest: string | undefined;

  constructor(file: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file } });
    this.worker.on('message', (r: Reply) => {
      if ('written' in r) this.inFlight -= r.written;
      else if ('sha256' in r) this.digest = r.sha256;
      else this.failure = new Error(`writing the snapshot: ${r.error}`);
      this.wake();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      this.failure ??= this.digest === undefined ? new Error(`snapshot writer exited (${code})`) : undefined;
      this.wake();
    });
  }

  /** Copies `chunk` into the current batch; waits while the worker is MAX_IN_FLIGHT_BYTES behind. */
  async push(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = chunk.copy(this.batch, this.filled, off);
      off += n;
      this.filled += n;
      if (this.filled === BATCH_BYTES) await this.send();
    }
  }

  /** Sends what is left, waits until it is written and fsynced; the file's sha256. */
  async end(): Promise<string> {
    if (this.filled > 0) await this.send();
    this.worker.postMessage({ end: true });
    await this.until(() => this.digest !== undefined);
    await this.worker.terminate();
    return this.digest!;
  }

  /** Stops the worker (the caller removes the partial file). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  private async send(): Promise<void> {
    const buf = this.batch.buffer as ArrayBuffer;
    const len = this.filled;
    this.inFlight += len;
    this.worker.postMessage({ buf, len }, [buf]); // transferred, not copied
    this.batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.filled = 0;
    await this.until(() => this.inFlight <= MAX_IN_FLIGHT_BYTES);
  }

  private async until(done: () => boolean): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (done()) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
