import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../../src/cli/command';
import { runCli } from '../../../src/cli/main';
import { kindManagerPlacement, MULTICLUSTER_LEASE_NAMESPACE, multiclusterOperatorCommand, parseUpArgs } from '../../../src/cli/commands/up';
import { parseFlags } from '../../../src/cli/args';
import type { CliIO } from '../../../src/cli/command';

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), progress: () => {}, isTTY: false, cwd: process.cwd() };
}

describe('cli: flag parsing', () => {
  it('takes --flag value, --flag=value, short aliases, switches and positionals', () => {
    const p = parseFlags(
      ['get', '-o', 'wide', '--kubeconfig=/tmp/k', '--dry-run', 'x'],
      [{ name: 'output', short: 'o', value: true }, { name: 'kubeconfig', value: true }, { name: 'dry-run' }],
    );
    assert.deepEqual(p, { flags: { output: 'wide', kubeconfig: '/tmp/k', 'dry-run': true }, positionals: ['get', 'x'] });
  });
  it('accepts `-o -` (stdout) as a value, but not a missing value', () => {
    assert.equal(parseFlags(['-o', '-'], [{ name: 'output', short: 'o', value: true }]).flags.output, '-');
    assert.throws(
      () => parseFlags(['-o'], [{ name: 'output', short: 'o', value: true }]),
      (e: Error) => e instanceof UsageError && /-o needs a value/.test(e.message),
    );
    assert.throws(() => parseFlags(['-o', '--name'], [{ name: 'output', short: 'o', value: true }]), UsageError);
  });
  it('rejects unknown flags, values for switches and values outside oneOf', () => {
    assert.throws(() => parseFlags(['--nope'], []), /unknown flag --nope/);
    assert.throws(() => parseFlags(['--detach=yes'], [{ name: 'detach' }]), /takes no value/);
    assert.throws(
      () => parseFlags(['-o', 'xml'], [{ name: 'output', short: 'o', value: true, oneOf: ['yaml', 'json'] }]),
      /one of yaml, json/,
    );
  });
  it('parses kokpit up flags', () => {
    assert.deepEqual(parseUpArgs(['--name', 'dev', '--runtime', 'sandbox', '--with-sample', '--with-ocm', '-d']), {
      name: 'dev',
      config: undefined,
      runtime: 'sandbox',
      withSample: true,
      withOcm: true,
      detach: true,
      verbose: false,
      supervise: false,
    });
    assert.throws(() => parseUpArgs(['--runtime', 'docker']), /--runtime must be one of sandbox, kind/);
    // kind: OCM with the manager on the host (the in-cluster manager runs no multicluster operator).
    assert.equal(parseUpArgs(['--runtime', 'kind', '--with-ocm']).withOcm, true);
    assert.equal(parseUpArgs(['--runtime', 'kind', '--with-ocm', '--manager', 'host']).manager, 'host');
    // The in-cluster manager runs the multicluster operator with --with-ocm (config/with-multicluster).
    assert.equal(parseUpArgs(['--runtime', 'kind', '--manager', 'in-cluster', '--with-ocm']).manager, 'in-cluster');
    assert.equal(parseUpArgs(['--manager', 'in-cluster']).manager, 'in-cluster');
    assert.equal(parseUpArgs([]).manager, undefined, 'the runtime decides (kind: in-cluster, sandbox: host) unless asked');
    assert.throws(() => parseUpArgs(['--manager', 'pod']), /--manager must be one of in-cluster, host/);
    assert.deepEqual(
      [parseUpArgs(['--manager', 'in-cluster', '--with-ocm']).manager, parseUpArgs(['--manager', 'in-cluster', '--with-ocm']).withOcm],
      ['in-cluster', true],
    );
    assert.equal(parseUpArgs(['--runtime', 'kind', '--manager', 'in-cluster']).manager, 'in-cluster');
    // kind Machines from a manager pod: through the host's Docker socket (src/local/kind-in-cluster.ts).
    assert.equal(parseUpArgs(['--runtime', 'kind', '--manager', 'in-cluster', '--with-sample']).manager, 'in-cluster');
    assert.throws(() => parseUpArgs(['--name', 'Bad_Name']), /--name must be lowercase/);
    assert.throws(() => parseUpArgs(['extra']), /unexpected argument "extra"/);
    // The sandbox's pod network (src/podrunner/pod-network.ts).
    assert.equal(parseUpArgs(['--pod-network', 'netns']).podNetwork, 'netns');
    assert.equal(parseUpArgs([]).podNetwork, undefined, "kokpit.yaml's metaCluster.podNetwork, else auto");
    assert.throws(() => parseUpArgs(['--pod-network', 'bridge']), /--pod-network must be one of auto, loopback, netns/);
    assert.throws(() => parseUpArgs(['--runtime', 'kind', '--pod-network', 'netns']), /--pod-network is for the sandbox runtime/);
  });
  it('kind: the manager in the cluster unless --manager host; --with-ocm alone puts it on the host and says why', () => {
    assert.deepEqual(kindManagerPlacement({ withOcm: false }), { manager: 'in-cluster' });
    assert.deepEqual(kindManagerPlacement({ withOcm: false, manager: 'host' }), { manager: 'host' });
    const ocm = kindManagerPlacement({ withOcm: true });
    assert.equal(ocm.manager, 'host');
    assert.match(
      ocm.note ?? '',
      /on this host \(--with-ocm on kind; --manager in-cluster runs the multicluster operator in the manager pods\)/,
    );
    assert.deepEqual(kindManagerPlacement({ withOcm: true, manager: 'host' }), { manager: 'host' });
  });
  it('a running kind environment without a multicluster operator is told the command that runs one beside it', () => {
    assert.equal(
      multiclusterOperatorCommand('/state/kokpit-e2e/kubeconfig'),
      'kokpit operator --kubeconfig /state/kokpit-e2e/kubeconfig --controllers multicluster --namespace kokpit-multicluster',
    );
    // Its own lease: the manager's is kokpit-system/kokpit-manager, which the running manager holds.
    assert.notEqual(MULTICLUSTER_LEASE_NAMESPACE, 'kokpit-system');
  });
});

describe('cli: exit codes', () => {
  it('2 for usage errors (unknown flag, missing argument), with the command usage', async () => {
    for (const argv of [
      ['up', '--bogus'],
      ['get'],
      ['get', 'pods'],
      ['kubeconfig'],
      ['render'],
      ['apply'],
      ['down', 'extra'],
      ['status', '--what'],
    ]) {
      const io = captureIO();
      assert.equal(await runCli(argv, io), 2, argv.join(' '));
      assert.match(io.stderr.join('\n'), new RegExp(`kokpit ${argv[0]}: .*\\nUsage: kokpit ${argv[0]}`, 's'));
    }
  });
  it('--version prints the package version (the manager image is tagged with it), exit 0', async () => {
    const io = captureIO();
    assert.equal(await runCli(['--version'], io), 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    assert.deepEqual(io.stdout, [pkg.version]);
  });
  it('0 for --help of every new command', async () => {
    for (const name of ['up', 'down', 'status', 'kubeconfig', 'get', 'render', 'apply']) {
      const io = captureIO();
      assert.equal(await runCli([name, '--help'], io), 0);
      assert.match(io.stdout.join('\n'), new RegExp(`Usage: kokpit ${name}`));
    }
  });
  it('1 when the command fails at run time (a manifest with nothing to render)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-args-')), 'empty.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const io = captureIO();
    assert.equal(await runCli(['render', '-f', file], io), 1);
    assert.match(io.stderr.join('\n'), /holds no BusinessCluster or EtcdCluster/);
  });
  it('2 when a manifest cannot be read (I/O error), naming the file', async () => {
    const io = captureIO();
    assert.equal(await runCli(['render', '-f', '/nonexistent/kokpit.yaml'], io), 2);
    assert.match(io.stderr.join('\n'), /^\/nonexistent\/kokpit\.yaml: error: no such file$/m);
  });
});
