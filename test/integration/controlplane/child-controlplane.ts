// Run by interrupt.test.ts as a separate node process: starts etcd + kube-apiserver, prints one JSON
// line with the pids and the dir, then waits to be signalled (no fixed sleep: an idle timer keeps it alive).
import { startControlPlane } from '../../../src/controlplane';

startControlPlane()
  .then((cp) => {
    process.stdout.write(`${JSON.stringify({ pids: cp.processes.map((p) => p.pid), dir: cp.dir })}\n`);
    setInterval(() => {}, 1 << 30);
  })
  .catch((e: unknown) => {
    process.stderr.write(`child control plane failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
