// The command table (src/cli/registry.ts): every entry loads its command, and help needs no command module.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { RENDERED_ANNOTATION } from '../../../src/local/render';
import { COMMANDS } from '../../../src/cli/registry';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Runs `kokpit <argv>` from the sources in a fresh process; prints the files it loaded, one a line, after a marker. */
function loadedBy(argv: string[]): { status: number | null; stdout: string; loaded: string[] } {
  const script = [
    "require('tsx/cjs');",
    `require('./src/cli/main.ts').runCli(${JSON.stringify(argv)}, { out: (t) => process.stdout.write(t + '\\n'), err: () => {},`,
    '  progress: () => {}, isTTY: false, cwd: process.cwd() })',
    "  .then((code) => { process.stdout.write('--loaded--\\n' + Object.keys(require.cache).join('\\n')); process.exitCode = code; });",
  ].join('\n');
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  const [stdout, loaded = ''] = r.stdout.split('--loaded--\n');
  assert.equal(r.stderr, '', r.stderr);
  return { status: r.status, stdout, loaded: loaded.split('\n').map((f) => path.relative(ROOT, f)) };
}

describe('cli: command table', () => {
  it('names each command once, and every entry loads a command that runs', async function () {
    this.timeout(60_000); // the first load of every command transpiles most of src/ under tsx
    assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
    for (const entry of COMMANDS) {
      const cmd = await entry.load();
      assert.equal(typeof cmd?.run, 'function', `${entry.name}: load() gave no command (wrong module or export name?)`);
    }
  });

  it('`kokpit --help` and `kokpit <command> --help` print the table without loading any command module', function () {
    this.timeout(60_000);
    for (const argv of [['--help'], ['validate', '--help'], ['operator', '--help'], ['up', '-h']]) {
      const r = loadedBy(argv);
      assert.equal(r.status, 0, argv.join(' '));
      const lines = r.stdout.split('\n');
      if (argv[0] === '--help')
        for (const c of COMMANDS)
          assert.ok(
            lines.some((l) => l.startsWith(`  ${c.name} `) && l.endsWith(c.summary)),
            c.name,
          );
      else assert.ok(r.stdout.includes(COMMANDS.find((c) => c.name === argv[0])!.usage), argv.join(' '));
      // tsx (which runs the sources here, with its esbuild) is the only package allowed.
      const isPackage = (f: string) => /node_modules[\\/]/.test(f) && !/node_modules[\\/]tsx[\\/]/.test(f);
      const heavy = r.loaded.filter((f) => f.startsWith(path.join('src', 'cli', 'commands')) || isPackage(f));
      assert.deepEqual(heavy, [], `${argv.join(' ')} loaded more than the table`);
    }
  });

  it('`kokpit validate` loads the validate command, none of the others', function () {
    this.timeout(60_000);
    const r = loadedBy(['validate', 'testFixture/valid/businesscluster.yaml']);
    assert.equal(r.status, 0);
    const commands = r.loaded.filter((f) => f.startsWith(path.join('src', 'cli', 'commands')));
    assert.deepEqual(commands, [path.join('src', 'cli', 'commands', 'validate.ts')]);
    assert.ok(
      !r.loaded.some((f) => /node_modules[\\/](@kubernetes[\\/]client-node|etcd3|execa)[\\/]/.test(f)),
      'validate loaded a cluster client',
    );
  });

  it('render help names the annotation the offline renderer puts on placeholder Secrets', () => {
    // The table writes it out so help does not load the renderers; this keeps the two the same.
    assert.ok(COMMANDS.find((c) => c.name === 'render')!.usage.includes(`(annotated ${RENDERED_ANNOTATION})`));
  });
});
