// Preflight for the kind runtime of `kokpit up`: everything that makes `kind create cluster` fail later,
// checked up front, each with a message that says what to do. Pure inputs (PATH, /proc, ports, statfs)
// are injectable so tests run the checks against a PATH holding no docker or kind.
import { compareVersions } from '../../kit';
import { CommandNotFoundError, execaRunner } from '../../binaries/processes';
import { binDir } from '../../binaries/build';
import { KIND_VERSION } from '../../binaries/catalog';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const MIN_KIND_VERSION = '0.20.0';
/** kind's documented values for running several clusters (each node runs many inotify users). */
export const INOTIFY_MIN = { max_user_watches: 524288, max_user_instances: 512 } as const;
export const MIN_FREE_DISK_BYTES = 10 * 1024 ** 3;

export interface PreflightCheck {
  name: 'docker' | 'kind' | 'inotify' | 'ports' | 'disk';
  ok: boolean;
  /** Warnings don't block `up`; errors do. */
  severity: 'error' | 'warning';
  detail: string;
  /** What to do about it (set when not ok). */
  fix?: string;
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  /** /proc root (tests point it at a fixture). */
  procRoot?: string;
  /** Host ports to reserve for business cluster API servers. */
  ports?: { start: number; count: number };
  /** Directory whose filesystem must have room (Docker's data root is usually on /var/lib/docker). */
  diskPath?: string;
  dockerPath?: string;
  kindPath?: string;
  timeoutMs?: number;
}

/** The executable `name` resolves to on PATH (or the path itself when it has a slash), if any. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The kind command for tearing an environment down: `kind` on PATH, else the kind kokpit builds into its binary
 * cache (catalog KIND_VERSION; `npm run setup:bins`, build-images.sh), which the e2e and `npm run
 * test:conformance` put on their own PATH only — so the `kokpit down` they print as a hint works from a plain shell.
 */
export function kindCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (findOnPath('kind', env)) return 'kind';
  const cached = path.join(binDir(), 'kind', KIND_VERSION, 'kind');
  return isExecutable(cached) ? cached : 'kind';
}

/**
 * Once the kind runtime is chosen (`--runtime kind`, or `metaCluster.runtime: Kind`): with no `kind` on PATH but kokpit's
 * own build in its binary cache, that build's directory goes first on `env`'s PATH, so the preflight and every kind
 * command (this process's and the supervisor's it starts) use it. Returns its path, or undefined when nothing changed.
 * Auto's choice is not affected: it still asks PATH (a cached kind alone does not turn Auto to kind).
 */
export function useCachedKind(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const kind = kindCommand(env);
  if (kind === 'kind') return undefined;
  env.PATH = [path.dirname(kind), env.PATH].filter(Boolean).join(path.delimiter);
  return kind;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Exit code and output of a check command; one that cannot start or times out is a failure with its reason. */
async function run(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execaRunner.run(bin, args, { env, timeoutMs });
    return { code: r.timedOut ? 1 : r.exitCode, stdout: r.stdout, stderr: r.timedOut ? `timed out after ${timeoutMs} ms` : r.stderr };
  } catch (e) {
    if (e instanceof CommandNotFoundError) return { code: 1, stdout: '', stderr: e.message };
    throw e;
  }
}

export async function checkDocker(o: PreflightOptions = {}): Promise<PreflightCheck> {
  const env = o.env ?? process.env;
  const bin = findOnPath(o.dockerPath ?? 'docker', env);
  if (!bin) {
    return {
      name: 'docker',
      ok: false,
      severity: 'error',
      detail: 'docker is not on PATH',
      fix:
        'Install Docker Engine (https://docs.docker.com/engine/install/) and make sure `docker` is on PATH, ' +
        'or run `kokpit up --runtime sandbox` (no Docker needed).',
    };
  }
  const r = await run(bin, ['info', '--format', '{{.ServerVersion}}'], env, o.timeoutMs ?? 10_000);
  if (r.code !== 0 || !r.stdout.trim()) {
    const denied = /permission denied/i.test(r.stderr);
    return {
      name: 'docker',
      ok: false,
      severity: 'error',
      detail: `the Docker engine is not reachable (${bin} info: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`})`,
      fix: denied
        ? 'Add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), or use rootless Docker.'
        : 'Start the Docker engine (`sudo systemctl start docker`, or start Docker Desktop) and check `docker info`; ' +
          'or run `kokpit up --runtime sandbox`.',
    };
  }
  return { name: 'docker', ok: true, severity: 'error', detail: `Docker engine ${r.stdout.trim()} reachable (${bin})` };
}

export { compareVersions };

export async function checkKind(o: PreflightOptions = {}): Promise<PreflightCheck> {
  const env = o.env ?? process.env;
  const bin = findOnPath(o.kindPath ?? 'kind', env);
  if (!bin) {
    return {
      name: 'kind',
      ok: false,
      severity: 'error',
      detail: 'kind is not on PATH',
      fix:
        `Install kind v${MIN_KIND_VERSION} or newer (\`go install sigs.k8s.io/kind@latest\`, ` +
        `or a release binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and put it on PATH, ` +
        `or run \`kokpit up --runtime sandbox\`.`,
    };
  }
  const r = await run(bin, ['version'], env, o.timeoutMs ?? 10_000);
  const version = /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
  if (r.code !== 0 || !version) {
    return {
      name: 'kind',
      ok: false,
      severity: 'error',
      detail: `\`${bin} version\` failed: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`}`,
      fix: 'Reinstall kind; `kind version` must print its version.',
    };
  }
  if (compareVersions(version, MIN_KIND_VERSION) < 0) {
    return {
      name: 'kind',
      ok: false,
      severity: 'error',
      detail: `kind v${version} is older than v${MIN_KIND_VERSION}`,
      fix: `Upgrade kind to v${MIN_KIND_VERSION} or newer (\`go install sigs.k8s.io/kind@latest\`).`,
    };
  }
  return { name: 'kind', ok: true, severity: 'error', detail: `kind v${version} (${bin})` };
}

export function checkInotify(o: PreflightOptions = {}): PreflightCheck {
  const root = o.procRoot ?? '/proc';
  const low: string[] = [];
  const seen: string[] = [];
  for (const [key, min] of Object.entries(INOTIFY_MIN)) {
    let value: number;
    try {
      value = Number(fs.readFileSync(path.join(root, 'sys/fs/inotify', key), 'utf8').trim());
    } catch {
      return { name: 'inotify', ok: true, severity: 'warning', detail: `cannot read ${root}/sys/fs/inotify/${key} (not Linux?); skipped` };
    }
    seen.push(`${key}=${value}`);
    if (value < min) low.push(`fs.inotify.${key}=${min}`);
  }
  if (low.length) {
    return {
      name: 'inotify',
      ok: false,
      severity: 'warning',
      detail: `inotify limits are low (${seen.join(', ')}): kind's second or third cluster then fails with "too many open files"`,
      fix: `sudo sysctl ${low.join(' ')}  (persist in /etc/sysctl.d/99-kind.conf)`,
    };
  }
  return { name: 'inotify', ok: true, severity: 'warning', detail: seen.join(', ') };
}

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function checkPorts(o: PreflightOptions = {}): Promise<PreflightCheck> {
  const { start, count } = o.ports ?? { start: 36443, count: 10 };
  const busy: number[] = [];
  for (let p = start; p < start + count; p++) if (!(await portFree(p))) busy.push(p);
  const range = `127.0.0.1:${start}-${start + count - 1}`;
  if (busy.length) {
    return {
      name: 'ports',
      ok: false,
      severity: 'error',
      detail: `host ports in use: ${busy.join(', ')} (of ${range}, reserved for business cluster API servers)`,
      fix:
        `Free them (\`ss -ltnp 'sport = :${busy[0]}'\` shows the owner) or choose another range in kokpit.yaml ` +
        `(spec.metaCluster.ports.start/count).`,
    };
  }
  return { name: 'ports', ok: true, severity: 'error', detail: `${range} free` };
}

export function checkDisk(o: PreflightOptions & { statfs?: (p: string) => { bavail: number; bsize: number } } = {}): PreflightCheck {
  let dir = o.diskPath ?? (fs.existsSync('/var/lib/docker') ? '/var/lib/docker' : '/');
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  let free: number;
  try {
    const s = (o.statfs ?? ((p: string) => fs.statfsSync(p)))(dir);
    free = s.bavail * s.bsize;
  } catch (e) {
    return { name: 'disk', ok: true, severity: 'warning', detail: `cannot check free space on ${dir}: ${(e as Error).message}; skipped` };
  }
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (free < MIN_FREE_DISK_BYTES) {
    return {
      name: 'disk',
      ok: false,
      severity: 'error',
      detail: `${gib(free)} free on ${dir}; a kind node image and its containers need about ${gib(MIN_FREE_DISK_BYTES)}`,
      fix: "Free disk space (`docker system prune` removes unused images and containers) or move Docker's data root.",
    };
  }
  return { name: 'disk', ok: true, severity: 'error', detail: `${gib(free)} free on ${dir}` };
}

export async function runPreflight(o: PreflightOptions = {}): Promise<PreflightCheck[]> {
  const docker = await checkDocker(o);
  const kind = await checkKind(o);
  return [docker, kind, checkInotify(o), await checkPorts(o), checkDisk(o)];
}

export function formatPreflight(checks: PreflightCheck[]): string {
  return checks
    .map((c) => {
      const mark = c.ok ? 'ok  ' : c.severity === 'error' ? 'FAIL' : 'WARN';
      return `  [${mark}] ${c.name.padEnd(8)} ${c.detail}${!c.ok && c.fix ? `\n         fix: ${c.fix}` : ''}`;
    })
    .join('\n');
}

export const preflightPassed = (checks: PreflightCheck[]) => checks.every((c) => c.ok || c.severity === 'warning');
