// Builds the pinned upstream binaries (kube-apiserver, etcd, kwok, ...) from the
// wrapper Go modules in hack/bins/ into a per-user cache. Node built-ins only.

import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BinarySpec } from './catalog';
import { BuildTimes, formatBuildEvent, type BuildEvent } from './progress';
import {
  CATALOG,
  COMPONENTS,
  DEFAULT_COMPONENTS,
  ENVTEST_COMPONENTS,
  UNAVAILABLE,
  defaultVersion,
  ldflags,
  unbuildableReason,
} from './catalog';

export { KUBERNETES_VERSIONS, ETCD_VERSION, KWOK_VERSION, CATALOG, COMPONENTS } from './catalog';
export type { BinarySpec } from './catalog';
export type { BuildEvent } from './progress';

/** Minimum Go for the `tool` directive in the wrapper go.mod files. */
export const MIN_GO = [1, 24] as const;

function cacheRoot(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kokpit');
}

/** Where built binaries live: `<binDir>/<component>/<version>/<component>`. */
export function binDir(): string {
  return process.env.KOKPIT_BIN_DIR ?? path.join(cacheRoot(), 'bin');
}

/** How long each binary took to build last time (for progress estimates). */
export function buildTimes(): BuildTimes {
  return new BuildTimes(path.join(cacheRoot(), 'build-times.json'));
}

/** Where each build's full `go build` output is kept. */
export function logDir(): string {
  return process.env.KOKPIT_LOG_DIR ?? path.join(cacheRoot(), 'logs');
}

/** A non-empty executable regular file. */
export function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile() || st.size === 0) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cache location of a binary, whether or not it exists yet. */
export function cachedBinaryPath(component: string, version?: string): string {
  const v = version ?? defaultVersion(component);
  return path.join(binDir(), component, v, component);
}

/**
 * Path to use for a component. An envtest KUBEBUILDER_ASSETS directory that
 * holds the binary wins for the components envtest ships (its version is
 * whatever the user installed); otherwise the kokpit cache path.
 */
export function binaryPath(component: string, version?: string): string {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets && ENVTEST_COMPONENTS.includes(component)) {
    const p = path.join(assets, component);
    if (isExecutable(p)) return p;
  }
  return cachedBinaryPath(component, version);
}

/** Directory holding the wrapper modules (hack/bins), found from this file or the cwd. */
export function hackBinsDir(): string {
  if (process.env.KOKPIT_HACK_BINS) return process.env.KOKPIT_HACK_BINS;
  // __dirname is src/binaries under tsx, dist/ when bundled; cwd covers the rest.
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()].filter((s): s is string => !!s);
  for (const start of starts) {
    for (let d = start; ; d = path.dirname(d)) {
      const c = path.join(d, 'hack', 'bins');
      if (fs.existsSync(path.join(c, 'README.md'))) return c;
      if (path.dirname(d) === d) break;
    }
  }
  throw new Error('cannot find hack/bins (the kokpit wrapper Go modules); set KOKPIT_HACK_BINS');
}

/** One binary at one version. */
export interface BinaryRequest {
  component: string;
  version: string;
}

export interface EnsureOptions {
  /**
   * Exactly these binaries (duplicates count once); when given, `components` and `versions` are ignored.
   * Unknown or unbuildable pairs are refused with the reason.
   */
  requests?: BinaryRequest[];
  /** Component names (default: all in the catalog). */
  components?: string[];
  /**
   * Versions to build. A spec is selected if its version is listed, or if no
   * listed version belongs to its family (so `['v1.32.13']` still gets etcd).
   */
  versions?: string[];
  /** One line per event (see formatBuildEvent). */
  onProgress?: (msg: string) => void;
  /** Structured progress (buildProgressReporter renders it live on a TTY). */
  onEvent?: (e: BuildEvent) => void;
  signal?: AbortSignal;
  /** `go` executable (default `go` on PATH). */
  goBinary?: string;
}

export interface PlannedBinary {
  spec: BinarySpec;
  path: string;
  present: boolean;
}

export interface EnsureResult extends PlannedBinary {
  built: boolean;
  seconds?: number;
  logFile?: string;
}

/** Resolve options to catalog entries, throwing on unknown or unbuildable requests. */
export function planBinaries(opts: Pick<EnsureOptions, 'components' | 'versions' | 'requests'> = {}): PlannedBinary[] {
  if (opts.requests) return planRequests(opts.requests);
  const comps = opts.components ?? [...DEFAULT_COMPONENTS];
  for (const c of comps) {
    if (!COMPONENTS.includes(c)) throw new Error(`unknown component ${c}; known: ${COMPONENTS.join(', ')}`);
  }
  const versions = opts.versions;
  if (versions) {
    for (const v of versions) {
      if (!CATALOG.some((s) => s.version === v)) {
        const known = [...new Set(CATALOG.map((s) => s.version))].join(', ');
        throw new Error(`unknown version ${v}; known: ${known}`);
      }
    }
    // Asking explicitly for both a component and a version it can't be built at is an error.
    if (opts.components) {
      for (const u of UNAVAILABLE) {
        if (comps.includes(u.component) && versions.includes(u.version)) {
          throw new Error(`${u.component} ${u.version} cannot be built from Go modules: ${u.reason}`);
        }
      }
    }
  }
  const familyVersions = (s: BinarySpec) => new Set(CATALOG.filter((o) => o.family === s.family).map((o) => o.version));
  const selected = CATALOG.filter(
    (s) => comps.includes(s.component) && (!versions || versions.includes(s.version) || !versions.some((v) => familyVersions(s).has(v))),
  );
  return selected.map((spec) => {
    const p = binaryPath(spec.component, spec.version);
    return { spec, path: p, present: isExecutable(p) };
  });
}

/** Exact requests, deduplicated, in catalog (build) order. */
function planRequests(requests: BinaryRequest[]): PlannedBinary[] {
  for (const r of requests) {
    const why = unbuildableReason(r.component, r.version);
    if (why) throw new Error(why);
  }
  const wanted = new Set(requests.map((r) => `${r.component}@${r.version}`));
  return CATALOG.filter((s) => wanted.has(`${s.component}@${s.version}`)).map((spec) => {
    const p = binaryPath(spec.component, spec.version);
    return { spec, path: p, present: isExecutable(p) };
  });
}

function runCapture(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(stdout.trim()),
    );
  });
}

async function checkGo(goBinary: string, what: string): Promise<string> {
  let out: string;
  try {
    out = await runCapture(goBinary, ['env', 'GOVERSION']);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `${code === 'ENOENT' ? `Go toolchain not found ('${goBinary}' is not on PATH)` : `'${goBinary} env GOVERSION' failed`}; ` +
        `it is needed to build ${what} from source. Either install Go >= ${MIN_GO.join('.')} ` +
        `(https://go.dev/dl/ or your package manager) and re-run 'npm run setup:bins', or provide prebuilt binaries: ` +
        `KOKPIT_BIN_DIR=<dir> laid out as <dir>/<component>/<version>/<component>, or ` +
        `KUBEBUILDER_ASSETS=<envtest assets dir> for ${ENVTEST_COMPONENTS.join(', ')}.`,
      { cause: e },
    );
  }
  const m = /^go(\d+)\.(\d+)/.exec(out);
  if (m && (+m[1] < MIN_GO[0] || (+m[1] === MIN_GO[0] && +m[2] < MIN_GO[1]))) {
    throw new Error(`${out} is too old to build ${what}: need Go >= ${MIN_GO.join('.')} (go.mod 'tool' directive)`);
  }
  return out;
}

function tailOf(file: string, lines: number): string {
  try {
    const all = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function goBuildArgs(spec: BinarySpec, out: string): string[] {
  // -mod=readonly: the committed go.sum is the lock file; never rewrite it.
  // -vet=off: `go test` vets the package first, a check rather than part of the binary (minutes for test/e2e).
  const args = spec.testBinary ? ['test', '-c', '-vet=off', '-mod=readonly', '-trimpath'] : ['build', '-v', '-mod=readonly', '-trimpath'];
  if (spec.tags.length) args.push(`-tags=${spec.tags.join(',')}`);
  args.push('-ldflags', ldflags(spec), '-o', out, spec.pkg);
  return args;
}

async function buildOne(spec: BinarySpec, goBinary: string, signal?: AbortSignal): Promise<string> {
  const moduleDir = path.join(hackBinsDir(), spec.module);
  if (!fs.existsSync(path.join(moduleDir, 'go.mod'))) throw new Error(`missing wrapper module ${moduleDir}`);
  const finalPath = cachedBinaryPath(spec.component, spec.version);
  const dir = path.dirname(finalPath);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(logDir(), { recursive: true });
  const logFile = path.join(logDir(), `${spec.component}-${spec.version}.log`);
  // Temp name in the same directory so the final rename is atomic.
  const tmp = path.join(dir, `.${spec.component}.tmp-${process.pid}`);
  const args = goBuildArgs(spec, tmp);
  const log = fs.createWriteStream(logFile);
  log.write(
    `# ${new Date().toISOString()} cwd=${moduleDir}\n` +
      `# CGO_ENABLED=0 GOWORK=off ${goBinary} ${args.map((a) => JSON.stringify(a)).join(' ')}\n`,
  );

  const code = await new Promise<number | string>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const child = spawn(goBinary, args, {
      cwd: moduleDir,
      // Default GOCACHE/GOMODCACHE on purpose so later builds are warm. GOWORK=off:
      // a go.work higher up must not pull these wrapper modules into a workspace.
      env: { ...process.env, CGO_ENABLED: '0', GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group so an abort can stop the compiler children too.
      detached: process.platform !== 'win32',
    });
    const onAbort = () => {
      try {
        if (child.pid) process.kill(process.platform !== 'win32' ? -child.pid : child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (c, sig) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(c ?? sig ?? 'unknown');
    });
  });
  await new Promise<void>((r) => log.end(() => r()));

  if (code !== 0) {
    fs.rmSync(tmp, { force: true });
    if (signal?.aborted) throw new Error(`build of ${spec.component} ${spec.version} aborted (log: ${logFile})`);
    throw new Error(
      `go build of ${spec.component} ${spec.version} failed (exit ${code}) in ${moduleDir}; ` +
        `full log: ${logFile}\n--- last 40 lines ---\n${tailOf(logFile, 40)}`,
    );
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, finalPath);
  return logFile;
}

/**
 * Make sure the selected binaries exist, building only the missing ones,
 * one at a time (a cold kube-apiserver build is ~10 min on 2 cores).
 */
export async function ensureBinaries(opts: EnsureOptions = {}): Promise<EnsureResult[]> {
  const line = opts.onProgress ?? (() => {});
  const emit = (e: BuildEvent) => {
    opts.onEvent?.(e);
    line(formatBuildEvent(e));
  };
  const plan = planBinaries(opts);
  const missing = plan.filter((p) => !p.present);
  if (!opts.components && !opts.versions && !opts.requests) {
    for (const u of UNAVAILABLE) line(`skipping ${u.component} ${u.version}: ${u.reason}`);
  }
  const built = new Map<PlannedBinary, EnsureResult>();
  if (missing.length === 0) {
    line(`all ${plan.length} binaries present in ${binDir()}`);
    return plan.map((p) => ({ ...p, built: false }));
  }
  const goBinary = opts.goBinary ?? 'go';
  const goVersion = await checkGo(goBinary, missing.map((m) => `${m.spec.component} ${m.spec.version}`).join(', '));
  const times = buildTimes();
  const estimates = missing.map((m) => times.estimate(m.spec.component, m.spec.version));
  emit({
    type: 'plan',
    total: plan.length,
    goVersion,
    dir: binDir(),
    items: missing.map((m, i) => ({ component: m.spec.component, version: m.spec.version, estimateSeconds: estimates[i]?.seconds })),
  });
  for (const [i, m] of missing.entries()) {
    if (opts.signal?.aborted) throw new Error('aborted');
    const at = { index: i + 1, count: missing.length, spec: m.spec };
    emit({ type: 'start', ...at, estimateSeconds: estimates[i]?.seconds, estimateFrom: estimates[i]?.from });
    const t0 = Date.now();
    let logFile: string;
    try {
      logFile = await buildOne(m.spec, goBinary, opts.signal);
    } catch (e) {
      emit({ type: 'failed', ...at, seconds: (Date.now() - t0) / 1000, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    const seconds = Math.round((Date.now() - t0) / 1000);
    try {
      times.record(m.spec.component, m.spec.version, seconds);
    } catch {
      /* an unwritable cache only costs the next estimate */
    }
    emit({ type: 'done', ...at, seconds });
    built.set(m, {
      ...m,
      path: cachedBinaryPath(m.spec.component, m.spec.version),
      present: true,
      built: true,
      seconds,
      logFile,
    });
  }
  return plan.map((p) => built.get(p) ?? { ...p, built: false });
}
