// sha256 of a snapshot file, read and hashed in a worker thread. A restore waits for this check before it
// creates the seed member, and it ran on the operator's event loop (1 MiB reads from the thread pool, each
// hashed on the main thread) while the same pass issued certificates and talked to the API server: 100 MiB
// took 3.3 s there at load 25, against ~0.5 s for the same hash in a process of its own. The worker reads
// with readSync into one reused buffer, so the event loop only waits for the answer.
import { Worker } from 'node:worker_threads';

// Inline (eval) so bundles need no separate worker file (as snapshot-sink.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
try {
  const fd = fs.openSync(workerData.file, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
    parentPort.postMessage({ sha256: hash.digest('hex') });
  } finally {
    fs.closeSync(fd);
  }
} catch (e) {
  parentPort.postMessage({ error: e && e.message ? e.message : String(e), code: e && e.code });
}
`;

/** Hex sha256 of the file's contents (an error like fs's, with its `code`, when it cannot be read). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file } });
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.once('message', (m: { sha256?: string; error?: string; code?: string }) =>
      finish(() => (m.sha256 !== undefined ? resolve(m.sha256) : reject(Object.assign(new Error(m.error), { code: m.code })))),
    );
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`hashing ${file}: worker exited (${code})`))));
  });
}
