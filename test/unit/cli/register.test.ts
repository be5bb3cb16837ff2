// `kokpit register` / `kokpit deregister` argument handling: every usage error is exit code 2 with the reason and the
// usage, before any cluster is read or contacted; the parsed arguments of a good command line.
import * as assert from 'node:assert/strict';
import { parseFlags } from '../../../src/cli/args';
import { UsageError, type CliIO } from '../../../src/cli/command';
import { registerArgs } from '../../../src/cli/commands/register';
import { runCli } from '../../../src/cli/main';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), progress: () => {}, isTTY: false, cwd: process.cwd() };
  return { code: await runCli(argv, io), out, err };
}

const flags = (argv: string[]) =>
  parseFlags(argv, [
    ...['kubeconfig', 'context', 'labels', 'timeout', 'lease-duration'].map((name) => ({ name, value: true })),
    { name: 'no-wait' },
  ]);

describe('kokpit register / deregister: arguments', () => {
  it('registerArgs: name, kubeconfig, context, labels, wait and timeout', () => {
    assert.deepEqual(
      registerArgs(flags(['edge-1', '--kubeconfig', 'k.yaml', '--labels', 'env=dev', '--timeout', '2m', '--context', 'x'])),
      {
        name: 'edge-1',
        kubeconfig: 'k.yaml',
        context: 'x',
        labels: { env: 'dev' },
        wait: true,
        timeoutMs: 120_000,
      },
    );
    const a = registerArgs(flags(['edge-1', '--kubeconfig=k.yaml', '--no-wait']));
    assert.equal(a.wait, false);
    assert.equal(a.timeoutMs, 300_000);
    assert.deepEqual(a.labels, {});
  });

  it('registerArgs refuses what it cannot use, as usage errors', () => {
    const refuses = (argv: string[], re: RegExp) =>
      assert.throws(
        () => registerArgs(flags(argv)),
        (e) => e instanceof UsageError && re.test(e.message),
      );
    refuses(['--kubeconfig', 'k.yaml'], /give the cluster's name: kokpit register NAME/);
    refuses(['a', 'b', '--kubeconfig', 'k.yaml'], /give the cluster's name/);
    refuses(['edge-1'], /give the kubeconfig of the cluster to register: kokpit register edge-1 --kubeconfig FILE/);
    refuses(['Edge', '--kubeconfig', 'k.yaml'], /"Edge" is not a valid cluster name/);
    refuses(['edge-1', '--kubeconfig', 'k.yaml', '--labels', 'env'], /--labels takes key=value/);
    refuses(['edge-1', '--kubeconfig', 'k.yaml', '--timeout', 'soon'], /--timeout must be a positive duration/);
    refuses(['edge-1', '--kubeconfig', 'k.yaml', '--lease-duration', '0'], /--lease-duration takes seconds from 1 to 3600 .*got "0"/);
    refuses(['edge-1', '--kubeconfig', 'k.yaml', '--lease-duration', '1h'], /--lease-duration takes seconds from 1 to 3600/);
    assert.equal(registerArgs(flags(['edge-1', '--kubeconfig', 'k.yaml', '--lease-duration', '20'])).leaseDurationSeconds, 20);
  });

  it('through the CLI: exit 2 with the reason and the usage; --help documents the exit codes', async () => {
    const noFile = await cli('register', 'edge-1');
    assert.equal(noFile.code, 2);
    assert.match(noFile.err, /^kokpit register: give the kubeconfig of the cluster to register/);
    assert.match(noFile.err, /Usage: kokpit register NAME --kubeconfig FILE/);
    const unknown = await cli('register', 'edge-1', '--kubeconfig', 'k.yaml', '--label', 'a=b');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown flag --label/);
    const badName = await cli('deregister', 'Not_A_Name');
    assert.equal(badName.code, 2);
    assert.match(badName.err, /^kokpit deregister: "Not_A_Name" is not a valid cluster name/);
    assert.equal((await cli('deregister')).code, 2);
    const forceValue = await cli('deregister', 'edge-1', '--force=yes');
    assert.equal(forceValue.code, 2);
    assert.match(forceValue.err, /--force takes no value/);
    const help = await cli('register', '--help');
    assert.equal(help.code, 0);
    assert.match(
      help.out,
      /Exit status: 0 registered .* 1 refused \(the reason first: HubNotInstalled,\nNameTaken, InvalidKubeconfig, Unreachable, Unauthorized, Forbidden\)/,
    );
    assert.match((await cli('deregister', '--help')).out, /1 refused \(NotRegistered, NotOurs\)/);
  });

  it('a --meta-kubeconfig that does not exist is a usage error, named', async () => {
    const r = await cli('deregister', 'edge-1', '--meta-kubeconfig', '/nonexistent/meta.yaml');
    assert.equal(r.code, 2);
    assert.match(r.err, /--meta-kubeconfig names \/nonexistent\/meta.yaml, which does not exist/);
  });
});
