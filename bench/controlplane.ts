// `npm run bench -- controlplane [--version=v1.33.13] [--runs=3]`: warm start of etcd + kube-apiserver
// (binaries cached), median of N, against a floor measured in the same run: the time to exec the two
// binaries at all (`--version`: process start, Go runtime and package init of a ~100 MB binary).
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import { binaryPath } from '../src/binaries/build';
import { ETCD_VERSION } from '../src/binaries/catalog';
import { startControlPlane } from '../src/controlplane';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function execMs(bin: string, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) =>
    execFile(bin, args, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6))),
  );
}

function flag(args: string[], name: string): string | undefined {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const runs = Number(flag(args, 'runs') ?? 3);
  const kubernetesVersion = flag(args, 'version');
  // One unmeasured start: builds missing binaries if needed and warms the page cache.
  const warm = await startControlPlane({ kubernetesVersion });
  const version = warm.version;
  await warm.stop();

  const apiserverBin = binaryPath('kube-apiserver', version);
  const etcdBin = binaryPath('etcd', ETCD_VERSION);
  const floorApiserver: number[] = [];
  const floorEtcd: number[] = [];
  const etcdReady: number[] = [];
  const apiserverReady: number[] = [];
  const total: number[] = [];
  const stop: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Floor and measurement interleaved, so both see the same machine load.
    floorApiserver.push(await execMs(apiserverBin, ['--version']));
    floorEtcd.push(await execMs(etcdBin, ['--version']));
    const cp = await startControlPlane({ kubernetesVersion });
    etcdReady.push(cp.timings.etcdReadyMs);
    apiserverReady.push(cp.timings.apiserverReadyMs);
    total.push(cp.timings.totalMs);
    const t0 = Date.now();
    await cp.stop();
    stop.push(Date.now() - t0);
  }
  const floorMs = Math.round(median(floorApiserver) + median(floorEtcd));
  const totalMs = median(total);
  return {
    kubernetes_version: version,
    etcd_version: ETCD_VERSION,
    runs,
    etcd_ready_ms: median(etcdReady),
    apiserver_ready_ms: median(apiserverReady),
    total_ms: totalMs,
    stop_ms: median(stop),
    floor_ms: floorMs,
    floor_apiserver_version_exec_ms: Math.round(median(floorApiserver)),
    floor_etcd_version_exec_ms: Math.round(median(floorEtcd)),
    total_over_floor: Number((totalMs / floorMs).toFixed(1)),
    total_ms_all: total,
    under_5s: totalMs < 5000,
    cpus: os.cpus().length,
    loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
  };
}
