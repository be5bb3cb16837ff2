// `npm run test:integration`: every integration test file in its own mocha process, KOKPIT_TEST_JOBS (default 2) at
// a time, the longest first. Most of these tests wait on real processes (API servers starting, leases expiring,
// soak windows), so two at a time on two cores finish the tier much sooner than one; each file keeps its own
// process, so one file's crash or leaked handle cannot take the others with it. Each file's output is printed
// whole when it ends (never interleaved), with its time; the closing line totals every file.
// Hand-written rather than `mocha --parallel`: that runs files in worker threads of one process, where these tests'
// child processes, signals and process-wide state (the pod runner's lock files, env vars) would be shared.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printFailures, totals } from './test-summary.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const jobs = Math.max(1, Number(process.env.KOKPIT_TEST_JOBS ?? 2));

// Seconds a file took in the last measured runs (loaded machine); unknown files count 30 s. Only the order matters.
const WEIGHTS = {
  'rollout/waves.test.ts': 600,
  'crash/machine-repair.test.ts': 500,
  'manager/rbac.test.ts': 420,
  'crash/rollout.test.ts': 300,
  'crash/machine.test.ts': 300,
  'multicluster/loss.test.ts': 240,
  'multicluster/registration.test.ts': 210,
  'crash/cluster.test.ts': 190,
  'multicluster/placement.test.ts': 170,
  'crash/etcd.test.ts': 150,
  'cluster/shared-etcd-cleanup.test.ts': 150,
  'rollout/maintenance.test.ts': 120,
  'multicluster/detach.test.ts': 120,
  'faults/business-apiserver.test.ts': 120,
  'etcd/operations.test.ts': 110,
  'multicluster/register.test.ts': 100,
  'multicluster/agent-identity.test.ts': 100,
  'faults/etcd-member.test.ts': 100,
  'faults/meta-apiserver.test.ts': 90,
  'faults/etcd-disk-full.test.ts': 90,
  'machine/real-business-cluster.test.ts': 90,
  'etcd/cluster.test.ts': 90,
  'cluster/podrunner.test.ts': 80,
  'rollout/addon-rollout-real.test.ts': 75,
  'rollout/windows.test.ts': 70,
  'cli/up-sandbox.test.ts': 70,
  'cli/up-sandbox-in-cluster.test.ts': 60,
  'manager/in-cluster.test.ts': 60,
};

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const base = join(ROOT, 'test/integration');
// `npm run test:integration -- cluster/reconcile.test.ts …`: only those (paths under test/integration).
const only = process.argv.slice(2).map((a) => a.replace(/^test\/integration\//, ''));
const files = testFiles(base)
  .map((f) => relative(base, f))
  .filter((f) => !only.length || only.includes(f))
  .sort((a, b) => (WEIGHTS[b] ?? 30) - (WEIGHTS[a] ?? 30) || a.localeCompare(b));

// The bundle, built once here: `npm run build` empties dist/cli first, so files building it themselves two at a time
// broke each other (CI: ENOENT dist/cli/validate.cjs). test/support/built-dist.ts skips the build when this is set.
{
  const b = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
  });
  if (b.status !== 0) {
    console.error('npm run build failed; the integration tier needs the bundle (dist/)');
    process.exit(1);
  }
  process.env.KOKPIT_DIST_BUILT = '1';
}

// Every file's mocha appends its counts here (test/support/summary-reporter.js); npm test passes its own.
const summary = process.env.KOKPIT_TEST_SUMMARY ?? join(mkdtempSync(join(tmpdir(), 'kokpit-integration-')), 'summary.jsonl');
const mine = join(mkdtempSync(join(tmpdir(), 'kokpit-integration-files-')), 'summary.jsonl');
const failedFiles = [];
const outputs = new Map(); // a failed file's output, for a failure mocha could not attribute to a test
const started = Date.now();

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let out = '';
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/mocha/bin/mocha.js'), '--config', '.mocharc.integration.json', join('test/integration', file)],
      { cwd: ROOT, env: { ...process.env, KOKPIT_TEST_SUMMARY: mine }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code, signal) => {
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      const ok = code === 0;
      if (!ok) {
        failedFiles.push(file);
        outputs.set(file, out);
      }
      process.stdout.write(`\n--- ${file} ---\n${out}--- ${file}: ${ok ? 'ok' : `FAILED (${code ?? signal})`} in ${s}s ---\n`);
      resolve();
    });
  });
}

// The multicluster files run the real OCM hub and agents from binaries `npm run setup:bins` does not build by default
// (OCM's five commands: ~13 min of CPU on a cold Go cache, src/binaries/catalog.ts OCM_COMPONENTS). They are built
// here (a no-op when present) at the lowest CPU priority while the other files run, most of which wait on processes
// rather than compute; the multicluster files start once it is done. Found missing by a cold .ci/run (2026-12-06):
// without it the first multicluster file waited for a hub whose pods could not get their binaries.
const OCM_FILES = /^multicluster\/|^manager\/rbac-multicluster\.test\.ts$/;
// The catalog's own list (src/binaries/catalog.ts, family `ocm`): this script cannot import TypeScript.
const OCM_BUILD = ['--family', 'ocm'];
let ocmBuild = Promise.resolve();
if (files.some((f) => OCM_FILES.test(f))) {
  ocmBuild = new Promise((resolve) => {
    const t0 = Date.now();
    let out = '';
    const child = spawn('nice', ['-n', '19', 'npm', 'run', '--silent', 'setup:bins', '--', ...OCM_BUILD], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => {
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      process.stdout.write(`\n--- OCM binaries for multicluster/* (setup:bins ${OCM_BUILD.join(' ')}, nice 19) ---\n${out}`);
      process.stdout.write(`--- OCM binaries: ${code === 0 ? 'ok' : `FAILED (${code})`} in ${s}s ---\n`);
      // A failed build is not hidden: the multicluster files then fail with the pod runner's ErrImagePull.
      resolve();
    });
  });
}

const queue = [...files];
console.log(`${files.length} integration test files, ${jobs} at a time`);
let ocmReady = false;
ocmBuild.then(() => (ocmReady = true));
/** The next file to run: any but a multicluster one while the OCM build runs, unless only those are left. */
async function nextFile() {
  const i = ocmReady ? 0 : queue.findIndex((f) => !OCM_FILES.test(f));
  if (i >= 0) return queue.splice(i, 1)[0];
  await ocmBuild;
  return queue.shift();
}
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length) {
      const file = await nextFile();
      if (file) await runFile(file);
    }
  }),
);

const { passed, failed, skipped, failures } = totals(mine);
if (existsSync(mine)) appendFileSync(summary, readFileSync(mine, 'utf8'));
// A file that failed without a failing test (it did not load, or it crashed) still counts as a failure, shown by
// the end of its output.
const unattributed = failedFiles
  .filter((f) => !failures.some((x) => x.file === join('test/integration', f)))
  .map((f) => ({
    file: join('test/integration', f),
    title: '(failed outside any test)',
    message: outputs.get(f).trimEnd().split('\n').slice(-20).join('\n'),
  }));
const unexplained = unattributed.length;
if (unexplained) appendFileSync(summary, JSON.stringify({ passes: 0, failures: unexplained, pending: 0, failed: unattributed }) + '\n');
// Run alone, the tier repeats its failures; under npm test the closing summary does it for every tier.
if (!process.env.KOKPIT_TEST_SUMMARY) printFailures([...failures, ...unattributed]);
if (failedFiles.length) console.log(`\nfailed files: ${failedFiles.join(', ')}`);
console.log(`\nintegration: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(0)}s, ${jobs} at a time`);
console.log(`${passed} passed, ${failed + unexplained} failed, ${skipped} skipped`);
// The counts are read by now (and copied into npm test's summary): leave no temp directories behind.
rmSync(dirname(mine), { recursive: true, force: true });
if (!process.env.KOKPIT_TEST_SUMMARY) rmSync(dirname(summary), { recursive: true, force: true });
process.exit(failedFiles.length ? 1 : 0);
