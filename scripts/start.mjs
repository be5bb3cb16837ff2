// `npm start [-- flags]`: `kokpit up --with-sample` from the bundled CLI, building the bundle first when
// dist/ is missing or older than any source file (so a fresh clone needs only `npm ci && npm start`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli.js');

function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((e) => newest(join(p, e))));
}

const inputs = ['src', 'package.json', 'package-lock.json', 'scripts/build.mjs', 'config/crd'].map((p) => join(root, p)).filter(existsSync);
const stale = !existsSync(bundle)
  ? 'dist/cli.js is missing'
  : newest(bundle) < Math.max(...inputs.map(newest))
    ? 'sources changed since the last build'
    : undefined;
if (stale) {
  process.stderr.write(`npm start: building the bundle (${stale})…\n`);
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const up = spawn(process.execPath, [join(root, 'bin', 'kokpit.js'), 'up', '--with-sample', ...process.argv.slice(2)], {
  cwd: process.cwd(),
  stdio: 'inherit',
});
// Ctrl-C reaches kokpit up too (same process group): it stops what it started; wait for it to finish.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => up.kill(sig === 'SIGINT' ? 'SIGINT' : sig));
up.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
