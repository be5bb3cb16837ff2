// The bundled CLI (dist/cli.js, what the .vsix and `npm start` run) works, not just the TypeScript sources:
// runtime-loaded assets (etcd3's .proto files, CRDs) must be found from the bundle.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { listFiles, PackageManager } from '@vscode/vsce';


describe('bundled CLI (dist/cli.js)', function () {
  before(function () {
    const r = spawnSync('npm', ['run', '--silent', 'build'], { encoding: 'utf8', env: { ...process.env, KOKPIT_FROM_SOURCE: '' } });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });

  it('loads every command module and prints help', () => {
    // bin/kokpit.js runs dist/cli.js when it exists (and KOKPIT_FROM_SOURCE is unset).
    const r = spawnSync(process.execPath, ['bin/kokpit.js', '--help'], { encoding: 'utf8', env: { ...process.env, KOKPIT_FROM_SOURCE: '' } });
    assert.equal(r.status, 0, r.stderr);
    for (const cmd of ['validate', 'operator', 'sandbox', 'versions']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  });

  it('validates the fixtures with the same exit codes as the sources', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/kokpit.js', 'validate', ...args], { encoding: 'utf8', env: { ...process.env, KOKPIT_FROM_SOURCE: '' } });
    assert.equal(run(['testFixture/valid']).status, 0);
    const bad = run(['testFixture/invalid']);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /etcd-even-replicas\.yaml:\d+:\d+: error:/);
    assert.equal(run(['does-not-exist.yaml']).status, 2);
  });

  it('the .vsix ships the etcd3 .proto files the bundled etcd client loads at run time', async () => {
    const files = await listFiles({ cwd: process.cwd(), packageManager: PackageManager.None });
    for (const f of ['dist/extension.js', 'dist/cli.js', 'dist/etcd3-proto/rpc.proto', 'dist/etcd3-proto/kv.proto', 'dist/etcd3-proto/auth.proto']) {
      assert.ok(files.includes(f), `${f} is not packaged`);
    }
  });
});
