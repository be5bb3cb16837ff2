// The bundled CLI (dist/cli.js, what the .vsix and `npm start` run) works, not just the TypeScript sources:
// runtime-loaded assets (etcd3's .proto files, CRDs) must be found from the bundle, every command's chunk must load,
// and `kokpit --help` / `kokpit validate` must load only what they need.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { listFiles, PackageManager } from '@vscode/vsce';
import { COMMANDS } from '../../../src/cli/registry';
import { ensureBuiltDist } from '../../support/built-dist';
import { loadedWith, readCliMeta, validateBundleInputs } from '../../support/cli-chunks';

describe('bundled CLI (dist/cli.js)', function () {
  before(function () {
    ensureBuiltDist();
  });

  it('prints help', () => {
    // bin/kokpit.js runs dist/cli.js when it exists (and KOKPIT_FROM_SOURCE is unset).
    const r = spawnSync(process.execPath, ['bin/kokpit.js', '--help'], {
      encoding: 'utf8',
      env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    for (const cmd of ['validate', 'operator', 'sandbox', 'versions']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  });

  it("loads every command's chunk: an unknown flag is a usage error (exit 2), not a load failure", function () {
    this.timeout(120_000);
    // Loading runs each chunk's top level, etcd3's .proto lookup included (operator, sandbox, up, backup, …).
    for (const { name } of COMMANDS) {
      const r = spawnSync(process.execPath, ['bin/kokpit.js', name, '--no-such-flag'], {
        encoding: 'utf8',
        env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
      });
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^kokpit ${name}: unknown (flag|subcommand)`), name);
    }
  });

  it('`kokpit --help` loads no package, and `kokpit validate` no cluster client (esbuild metafile)', () => {
    const meta = readCliMeta(process.cwd());
    assert.ok(meta, 'dist/cli/meta.json is missing');
    const packages = (inputs: string[]) => [...new Set(inputs.flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? []))];
    const help = loadedWith(meta, 'main');
    assert.deepEqual(packages(help.inputs), []);
    assert.ok(!help.inputs.some((f) => f.startsWith('src/cli/commands/')), 'a command module is in the help path');
    // `kokpit validate` runs dist/cli/validate.cjs (src/cli/door.ts), not the chunks.
    const validateInputs = validateBundleInputs(process.cwd());
    assert.ok(validateInputs, 'dist/cli/validate-meta.json is missing');
    assert.ok(validateInputs.includes('src/cli/commands/validate.ts'), 'validate.cjs does not hold the validate command');
    // Chunks follow imports, not use: a barrel import ('../api') would bring withDefaults and TypeBox's Value along.
    assert.ok(!validateInputs.includes('src/api/defaults.ts'), 'kokpit validate loads src/api/defaults.ts');
    const validate = packages(validateInputs);
    for (const heavy of ['@kubernetes/client-node', 'etcd3', '@grpc/grpc-js', 'execa', '@peculiar/x509', 'undici']) {
      assert.ok(!validate.includes(heavy), `kokpit validate loads ${heavy}`);
    }
    assert.ok(validate.includes('yaml'), 'the metafile reading found nothing (validate needs yaml)');
  });

  it('validates the fixtures with the same exit codes as the sources', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['bin/kokpit.js', 'validate', ...args], {
        encoding: 'utf8',
        env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
      });
    assert.equal(run(['testFixture/valid']).status, 0);
    const bad = run(['testFixture/invalid']);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /etcd-even-replicas\.yaml:\d+:\d+: error:/);
    assert.equal(run(['does-not-exist.yaml']).status, 2);
  });

  it('`kokpit validate` from its bundle prints and exits as from the sources, with a code cache this Node takes', function () {
    this.timeout(120_000); // the sources run under tsx
    const run = (fromSource: boolean, args: string[]) => {
      const env = { ...process.env, KOKPIT_FROM_SOURCE: fromSource ? '1' : '' };
      const r = spawnSync(process.execPath, ['bin/kokpit.js', 'validate', ...args], { encoding: 'utf8', env });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    for (const args of [
      ['testFixture/invalid', 'testFixture/valid'],
      ['--output', 'json', 'testFixture/invalid/etcd-even-replicas.yaml'],
      ['--help'],
      ['--no-such-flag'],
      [],
      ['does-not-exist.yaml'],
    ]) {
      const bundled = run(false, args);
      assert.deepEqual(bundled, run(true, args), args.join(' '));
      assert.ok(bundled.stdout + bundled.stderr, `${args.join(' ')} printed nothing`);
    }
    // V8 refuses a cache from another Node or other flags (then validate.cjs compiles as usual, slower).
    const cache = spawnSync(process.execPath, ['-p', "require('./dist/cli.js').validateCodeCacheAccepted()"], { encoding: 'utf8' });
    assert.equal(cache.stdout.trim(), 'true', cache.stderr);
  });

  it('finds the OCM CRD schemas (schemas/ocm) from the bundle, whatever the working directory, and the .vsix ships them', async () => {
    const root = process.cwd();
    const r = spawnSync(
      process.execPath,
      [
        `${root}/bin/kokpit.js`,
        'validate',
        `${root}/testFixture/ocm/valid`,
        `${root}/testFixture/ocm/invalid/placement-group-percent.yaml`,
      ],
      { encoding: 'utf8', cwd: os.tmpdir(), env: { ...process.env, KOKPIT_FROM_SOURCE: '' } },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /placement-group-percent\.yaml:9:33: error: .*clustersPerDecisionGroup "150%" must match/);
    assert.doesNotMatch(r.stdout + r.stderr, /cannot find schemas\/ocm|ocm\/valid/);
    const files = await listFiles({ cwd: root, packageManager: PackageManager.None });
    assert.ok(files.includes('schemas/ocm/work.open-cluster-management.io_manifestworks.yaml'), 'schemas/ocm is not packaged');
  });

  it('the .vsix ships the etcd3 .proto files the bundled etcd client loads at run time', async () => {
    const files = await listFiles({ cwd: process.cwd(), packageManager: PackageManager.None });
    for (const f of [
      'dist/extension.js',
      'dist/cli.js',
      'dist/etcd3-proto/rpc.proto',
      'dist/etcd3-proto/kv.proto',
      'dist/etcd3-proto/auth.proto',
    ]) {
      assert.ok(files.includes(f), `${f} is not packaged`);
    }
    // Every chunk of the CLI, the validate bundle and its code cache, and nothing else from dist/cli/ (maps, metafiles).
    const chunks = fs
      .readdirSync('dist/cli')
      .filter((f) => f.endsWith('.mjs') || f === 'validate.cjs' || f.endsWith('.v8cache'))
      .map((f) => `dist/cli/${f}`);
    assert.ok(chunks.includes('dist/cli/main.mjs'));
    assert.ok(chunks.includes('dist/cli/validate.cjs'));
    assert.ok(
      chunks.some((f) => f.endsWith('.v8cache')),
      'no validate code cache in dist/cli',
    );
    assert.deepEqual(files.filter((f) => f.startsWith('dist/cli/')).sort(), chunks.sort());
  });
});
