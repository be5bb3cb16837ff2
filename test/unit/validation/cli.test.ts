// `kokpit validate` run in-process through runCli with captured output: formats, paths and exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';

const repo = join(__dirname, '..', '..', '..');

async function cli(args: string[], cwd = repo): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd };
  const code = await runCli(['validate', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const BAD = `apiVersion: kokpit.dev/v1alpha1
kind: EtcdCluster
metadata:
  name: bad
spec:
  replicas: 4
  versoin: 3.5.35
`;
const WARN_ONLY = `apiVersion: kokpit.dev/v1alpha1
kind: Machine
metadata:
  name: m1
spec:
  clusterRef:
    name: dev
  components:
    - name: kubelet
`;
const GOOD = `apiVersion: kokpit.dev/v1alpha1
kind: EtcdBackup
metadata:
  name: nightly
spec:
  etcdClusterRef:
    name: shared
`;

describe('kokpit validate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kokpit-validate-'));
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    writeFileSync(join(dir, 'warn.yaml'), WARN_ONLY);
    mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'deeper', 'good.yml'), GOOD);
    writeFileSync(join(dir, 'nested', 'notes.txt'), 'not yaml: [');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints path:line:col: severity: message (1-based) and exits 1 on errors', async () => {
    const r = await cli(['bad.yaml'], dir);
    assert.equal(r.code, 1);
    const lines = r.out.split('\n');
    assert.equal(lines.length, 2, r.out);
    assert.match(lines[0], /^bad\.yaml:6:13: error: spec\.replicas is 4: an even number of etcd members/);
    assert.match(lines[1], /^bad\.yaml:7:3: error: unknown field "versoin" in spec; did you mean "version"\?$/);
  });

  it('prints a JSON array of {file, line, column, endLine, endColumn, severity, message, path}', async () => {
    const r = await cli(['--output', 'json', join(dir, 'bad.yaml')]);
    assert.equal(r.code, 1);
    const found = JSON.parse(r.out);
    assert.ok(Array.isArray(found));
    assert.equal(found.length, 2);
    assert.deepEqual(
      { ...found[1], message: undefined, code: undefined },
      {
        file: join(dir, 'bad.yaml'),
        line: 7,
        column: 3,
        endLine: 7,
        endColumn: 10,
        severity: 'error',
        message: undefined,
        path: 'spec.versoin',
        code: undefined,
      },
    );
    for (const key of ['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'message', 'path']) assert.ok(key in found[0], key);
    assert.equal(found[0].path, 'spec.replicas');
    assert.equal((await cli(['--output=json', 'nested'], dir)).out.trim(), '[]');
  });

  it('exits 0 for warnings only and for clean files, searching directories recursively', async () => {
    const warn = await cli(['warn.yaml'], dir);
    assert.equal(warn.code, 0);
    assert.match(warn.out, /^warn\.yaml:9:13: warning: spec\.components\[0\]\.name: Component "kubelet" is neither defined/);
    const tree = await cli(['nested'], dir);
    assert.equal(tree.code, 0);
    assert.equal(tree.out, '');
    const all = await cli(['-o', 'json', '.'], dir);
    assert.deepEqual([...new Set(JSON.parse(all.out).map((f: { file: string }) => f.file))], ['bad.yaml', 'warn.yaml']);
  });

  it('a Component defined in another file of the same run is known', async () => {
    const other = join(dir, 'defs');
    mkdirSync(other, { recursive: true });
    writeFileSync(
      join(other, 'kubelet.yaml'),
      'apiVersion: kokpit.dev/v1alpha1\nkind: Component\nmetadata:\n  name: kubelet\nspec:\n  version: v1.32.13\n  steps:\n' +
        '    install:\n      script: install\n',
    );
    const r = await cli(['warn.yaml', 'defs'], dir);
    assert.equal(r.out, '');
    assert.equal(r.code, 0);
    rmSync(other, { recursive: true });
  });

  it('reports a missing file on stderr and exits 2, still checking the other files', async () => {
    const r = await cli(['missing.yaml', 'bad.yaml'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /^missing\.yaml: error: no such file$/m);
    assert.match(r.out, /^bad\.yaml:6:13: error:/m);
  });

  it('exits 2 on usage errors', async () => {
    assert.equal((await cli([])).code, 2);
    const bad = await cli(['--output', 'xml', 'bad.yaml'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--output must be text or json/);
    assert.equal((await cli(['--frobnicate', 'bad.yaml'], dir)).code, 2);
    assert.equal((await cli(['--output'], dir)).code, 2);
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const empty = await cli(['empty'], dir);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /no \.yaml or \.yml files/);
  });

  it('passes testFixture/valid and reports every expected diagnostic of testFixture/invalid', async () => {
    const valid = await cli(['testFixture/valid']);
    assert.equal(valid.code, 0, valid.out);
    assert.equal(valid.out, '');
    const { files } = JSON.parse(readFileSync(join(repo, 'testFixture', 'invalid', 'expectations.json'), 'utf8'));
    // One run per file: expectations are per file (a run over the directory pools Component definitions across files).
    for (const e of files) {
      const file = `testFixture/invalid/${e.file}`;
      const r = await cli(['--output', 'json', file]);
      const found: Array<{ file: string; line: number; column: number; severity: string; message: string }> = JSON.parse(r.out);
      const hasError = found.some((f) => f.severity === 'error');
      assert.equal(r.code, hasError ? 1 : 0, file);
      for (const want of e.diagnostics) {
        assert.ok(
          found.some(
            (f) =>
              f.file === file &&
              f.line === want.line &&
              f.column === want.column &&
              f.severity === want.severity &&
              f.message.includes(want.message),
          ),
          `${file}:${want.line}:${want.column} ${want.message}`,
        );
      }
    }
  });
});
