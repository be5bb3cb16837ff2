// The bundled CLI (dist/cli.js, what users run) on hostile files: every command that reads files ends with its
// documented exit code (0/1/2), names the file, keeps the other files' findings, and stays within bounded time and
// memory (each run gets a 256 MiB heap; times are printed, not asserted). Issue 19, "Hostile input".
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aliasFan, billionLaughs, manyKeys, nestedBrackets, nestedDashes } from '../../support/hostile-yaml';
import { ensureBuiltDist } from '../../support/built-dist';

const ROOT = path.join(__dirname, '..', '..', '..');
const BAD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: bad\nspec:\n  replicas: 4\n';
const GOOD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdBackup\nmetadata:\n  name: nightly\nspec:\n  etcdClusterRef:\n    name: shared\n';
const CLUSTER =
  'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: dev\nspec:\n  version: v1.32.13\n  etcd:\n    managed: {}\n';

describe('bundled CLI on hostile input', function () {
  this.timeout(600_000);
  let dir: string;

  before(function () {
    ensureBuiltDist(ROOT);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-hostile-'));
    fs.chmodSync(dir, 0o755);
    const files: Record<string, string> = {
      'bad.yaml': BAD,
      'good.yaml': GOOD,
      'nested-1k.yaml': nestedDashes(1000),
      'nested-10k.yaml': nestedDashes(10_000),
      'brackets-10k.yaml': nestedBrackets(10_000),
      'laughs.yaml': billionLaughs(),
      'alias-fan.yaml': aliasFan(5000, 2000),
      'keys-40k.yaml': manyKeys(40_000),
      'bom.yaml': `\ufeff${GOOD}`,
      'tab.yaml': BAD.replace('replicas: 4', 'replicas: 3\n  version\t: 3.5.35'),
      'escape.yaml': GOOD.replace('spec:\n', 'spec:\n  "\\e]0;pwned\\a\\e[31mred": 1\n'),
      'cluster.yaml': CLUSTER,
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const kokpit = (args: string[], options: { uid?: number; gid?: number } = {}) => {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--max-old-space-size=256', path.join(ROOT, 'bin', 'kokpit.js'), ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, KOKPIT_FROM_SOURCE: '' },
      timeout: 120_000,
      ...options,
    });
    console.log(`      kokpit ${args.join(' ')}: exit ${r.status ?? r.signal}, ${Date.now() - started} ms`);
    assert.equal(r.error, undefined, `kokpit ${args.join(' ')} did not end: ${r.error?.message}`);
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  for (const [file, code] of [
    ['nested-1k.yaml', 'nesting deeper than 128 levels'],
    ['nested-10k.yaml', 'nesting deeper than 128 levels'],
    ['brackets-10k.yaml', 'nesting deeper than 128 levels'],
    ['laughs.yaml', 'expand to more than 100000 values'],
    ['alias-fan.yaml', 'expand to more than 100000 values'],
  ]) {
    it(`validate ${file} bad.yaml: exit 1, ${file} named with its limit, bad.yaml's findings kept`, () => {
      const r = kokpit(['validate', file, 'bad.yaml']);
      assert.equal(r.code, 1, r.err);
      assert.match(r.out, new RegExp(`^${file.replace('.', '\\.')}:\\d+:\\d+: error: .*${code}`, 'm'));
      assert.match(r.out, /^bad\.yaml:6:13: error: .*replicas/m);
    });
  }

  it('a FIFO and /dev/zero are refused (exit 2), not read, and the other files are still checked', () => {
    const v = kokpit(['validate', 'fifo.yaml', '/dev/zero', 'bad.yaml']);
    assert.equal(v.code, 2);
    assert.match(v.err, /^fifo\.yaml: error: not a regular file/m);
    assert.match(v.err, /^\/dev\/zero: error: not a regular file/m);
    assert.match(v.out, /^bad\.yaml:6:13:/m);
    for (const command of ['render', 'apply', 'diff']) {
      for (const file of ['fifo.yaml', '/dev/zero', 'missing.yaml']) {
        const r = kokpit([command, '-f', file, ...(command === 'render' ? [] : ['--kubeconfig', path.join(dir, 'no-kubeconfig')])]);
        assert.equal(r.code, 2, `${command} -f ${file}: ${r.err}`);
        assert.match(r.err, new RegExp(`^${file.replace('.', '\\.')}: error: (not a regular file|no such file)`, 'm'));
      }
    }
    // The other commands that read manifests: `versions add -f`, `addons import` (exit 2), `up --config` (its message).
    const meta = ['--kubeconfig', path.join(dir, 'no-kubeconfig')];
    for (const args of [
      ['versions', 'add', '-f', 'fifo.yaml', ...meta],
      ['addons', 'import', 'fifo.yaml', ...meta],
    ]) {
      const r = kokpit(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /^fifo\.yaml: error: not a regular file/m);
    }
    const up = kokpit(['up', '--config', 'fifo.yaml', '--runtime', 'sandbox']);
    assert.match(up.err, /fifo\.yaml.*not a regular file|not a regular file/);
  });

  it('an unreadable subdirectory: exit 2 naming it, the readable files still checked', function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to run the CLI as another user
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'secret'), { recursive: true });
    fs.chmodSync(tree, 0o755);
    fs.chmodSync(path.join(tree, 'secret'), 0o700);
    fs.writeFileSync(path.join(tree, 'bad.yaml'), BAD, { mode: 0o644 });
    const r = kokpit(['validate', 'tree'], { uid: 65534, gid: 65534 });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^tree\/secret: error: permission denied$/m);
    assert.match(r.out, /^tree\/bad\.yaml:6:13:/m);
  });

  it('a BOM is not content; a tab before a colon is not part of the key; escapes in keys are printed escaped', () => {
    assert.equal(kokpit(['validate', 'bom.yaml']).code, 0);
    assert.equal(kokpit(['validate', 'tab.yaml']).code, 0);
    const text = kokpit(['validate', 'escape.yaml']);
    const json = kokpit(['validate', '-o', 'json', 'escape.yaml']);
    for (const r of [text, json]) {
      assert.equal(r.code, 1);
      assert.ok(
        !r.out.includes('\u001b') && !r.out.includes('\u0007'),
        `raw control characters reached the terminal: ${JSON.stringify(r.out)}`,
      );
      assert.match(r.out, /\\u001b\]0;pwned/);
    }
  });

  it('render -f with 40,000 keys in one mapping renders (linear key checks; time printed)', () => {
    fs.writeFileSync(path.join(dir, 'keys-cluster.yaml'), manyKeys(40_000).replace('  name: hostile\n', '  name: &n hostile\n'));
    const r = kokpit(['render', '-f', 'keys-cluster.yaml']);
    assert.equal(r.code, 0, r.err.slice(0, 2000));
    assert.match(r.out, /kind: Deployment/);
  });

  it('render -f reads aliases as kubectl does: an alias bomb is an error (exit 1), merge keys are merged', () => {
    const bomb = kokpit(['render', '-f', 'laughs.yaml']);
    assert.equal(bomb.code, 1);
    assert.match(bomb.err, /^laughs\.yaml:\d+:\d+: aliases and merge keys expand/m);
    fs.writeFileSync(path.join(dir, 'merge.yaml'), `${CLUSTER}  controllerManager: &cm\n    replicas: 2\n  scheduler:\n    <<: *cm\n`);
    const merged = kokpit(['render', '-f', 'merge.yaml', '-o', 'json']);
    assert.equal(merged.code, 0, merged.err);
    const items = JSON.parse(merged.out).items as Array<{ kind: string; metadata: { name: string }; spec?: { replicas?: number } }>;
    const scheduler = items.find((o) => o.kind === 'Deployment' && /scheduler/.test(o.metadata.name));
    assert.equal(scheduler?.spec?.replicas, 2);
  });
});
