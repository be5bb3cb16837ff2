// `npm run bench -- cli [--runs=11] [--no-build]`: start-up of the bundled CLI (what the .vsix and `npm start` run)
// for `kokpit --help` and `kokpit validate` of one file, against `kubectl version --client` (a Go binary that
// prints and exits) and `node -e 0` (the floor any Node CLI pays), interleaved in the same run, medians.
// Builds the bundle first (scripts/build.mjs) unless --no-build. Peak RSS comes from extra runs with a preload
// that reports process.resourceUsage().maxRSS at exit, so the timed runs carry nothing extra.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binaryPath } from '../src/binaries/build';
import { loadedWith, readCliMeta } from '../test/support/cli-chunks';

const ROOT = path.join(__dirname, '..');
const KOKPIT = path.join(ROOT, 'bin', 'kokpit.js');
const FILE = path.join(ROOT, 'testFixture', 'valid', 'businesscluster.yaml');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function flag(args: string[], name: string): string | undefined {
  return args.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** Wall time of one run, from spawn to exit; a failing exit fails the benchmark. */
function execMs(bin: string, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) =>
    execFile(bin, args, { cwd: ROOT, env: { ...process.env, KOKPIT_FROM_SOURCE: '' } }, (err, _out, stderr) =>
      err ? reject(new Error(`${bin} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(Number(process.hrtime.bigint() - t0) / 1e6),
    ),
  );
}

/** Peak resident memory of a node run, in MiB (median of 3). */
function rssMiB(preload: string, args: string[]): number {
  const runs = [0, 1, 2].map(() => {
    const r = spawnSync(process.execPath, ['--require', preload, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
    });
    const m = /KOKPIT_BENCH_MAXRSS_KIB=(\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(m[1]) / 1024;
  });
  return Number(median(runs).toFixed(1));
}

/** How much bundled JavaScript each path loads (an unsplit bundle, as before the chunks, loads all of dist/cli.js);
 *  `kokpit validate` loads dist/cli/validate.cjs and its V8 code cache when the build made them (src/cli/door.ts). */
function loadedKiB(): Record<string, number> {
  const meta = readCliMeta(ROOT);
  const kib = (bytes: number) => Math.round(bytes / 1024);
  const size = (...p: string[]) => fs.statSync(path.join(ROOT, 'dist', ...p)).size;
  if (!meta) {
    const all = kib(size('cli.js'));
    return { help_loads_kib: all, validate_loads_kib: all };
  }
  const help = { help_loads_kib: kib(loadedWith(meta, 'main').bytes) };
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'validate.cjs'))) {
    return { ...help, validate_loads_kib: kib(loadedWith(meta, 'main', 'validate').bytes) };
  }
  const cache = fs.readdirSync(path.join(ROOT, 'dist', 'cli')).find((f) => f.endsWith('.v8cache'));
  return {
    ...help,
    validate_loads_kib: kib(size('cli.js') + size('cli', 'validate.cjs')),
    validate_code_cache_kib: cache ? kib(size('cli', cache)) : 0,
  };
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const runs = Number(flag(args, 'runs') ?? 11);
  if (!args.includes('--no-build')) {
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stderr}`);
  }
  const kubectl = binaryPath('kubectl');
  if (!fs.existsSync(kubectl)) throw new Error(`no kubectl at ${kubectl}: npm run setup:bins`);

  const cases: Record<string, () => Promise<number>> = {
    kubectl: () => execMs(kubectl, ['version', '--client']),
    node: () => execMs(process.execPath, ['-e', '0']),
    help: () => execMs(process.execPath, [KOKPIT, '--help']),
    validate: () => execMs(process.execPath, [KOKPIT, 'validate', FILE]),
  };
  for (const c of Object.values(cases)) await c(); // warm the page cache
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    // Interleaved, so every case sees the same machine load; the order turns each round.
    const names = Object.keys(cases);
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      times[name].push(await cases[name]());
    }
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bench-cli-'));
  const preload = path.join(dir, 'maxrss.cjs');
  fs.writeFileSync(
    preload,
    "process.on('exit', () => process.stderr.write(`KOKPIT_BENCH_MAXRSS_KIB=${process.resourceUsage().maxRSS}\\n`));\n",
  );
  const rss = {
    node_rss_mib: rssMiB(preload, ['-e', '0']),
    help_rss_mib: rssMiB(preload, [KOKPIT, '--help']),
    validate_rss_mib: rssMiB(preload, [KOKPIT, 'validate', FILE]),
  };
  fs.rmSync(dir, { recursive: true, force: true });

  const ms = (name: string) => Number(median(times[name]).toFixed(1));
  const ratio = (name: string) => Number((median(times[name]) / median(times.kubectl)).toFixed(2));
  return {
    runs,
    validate_file: path.relative(ROOT, FILE),
    kubectl_version_ms: ms('kubectl'),
    node_floor_ms: ms('node'),
    help_ms: ms('help'),
    validate_ms: ms('validate'),
    help_ratio: ratio('help'),
    validate_ratio: ratio('validate'),
    node_floor_ratio: ratio('node'),
    // What kokpit adds to any Node program's start: the part this code base controls, whatever the load.
    help_over_node_ms: Number((median(times.help) - median(times.node)).toFixed(1)),
    validate_over_node_ms: Number((median(times.validate) - median(times.node)).toFixed(1)),
    help_within_2x: ratio('help') <= 2,
    validate_within_2x: ratio('validate') <= 2,
    ...rss,
    ...loadedKiB(),
    cpus: os.cpus().length,
    loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
  };
}
