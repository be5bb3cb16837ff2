// Which meta cluster a command talks to when none is given: the one running local environment whatever its
// name, the default among several (else a sentence naming them and --name), and never a raw errno.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { withTempEnv } from '../../support/temp-env';
import { environmentName, metaCluster, parseFlags, META_FLAGS } from '../../../src/cli/args';

const KUBECONFIG = (server: string) =>
  `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\nusers: [{name: u, user: {token: t}}]\n` +
  `contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;

describe('cli: choosing the meta cluster', () => {
  const tempDir = withTempEnv('kokpit-meta-choice-', (t) => ({
    KOKPIT_SANDBOX_DIR: path.join(t, 'envs'),
    HOME: path.join(t, 'home'),
    KUBECONFIG: undefined,
  }));

  /** A local environment whose process is this test process (alive), or a dead pid. */
  function environment(name: string, alive = true): string {
    const dir = path.join(tempDir(), 'envs', name);
    fs.mkdirSync(dir, { recursive: true });
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, KUBECONFIG(`https://127.0.0.1:1${name.length}443`));
    fs.writeFileSync(
      path.join(dir, 'environment.json'),
      JSON.stringify({ name, runtime: 'sandbox', pid: alive ? process.pid : 2 ** 22 + 7, kubeconfig, steps: [] }),
    );
    return kubeconfig;
  }
  const parse = (argv: string[]) => parseFlags(argv, META_FLAGS);

  it('the one running environment, whatever its name (kokpit up --name dev)', () => {
    environment('dev');
    environment('old', false);
    const m = metaCluster(parse([]));
    assert.equal(m.source, 'local environment "dev"');
    assert.equal(environmentName(parse([])), 'dev');
  });

  it('several running: the default "kokpit" if it is one of them, else a sentence naming them and --name', () => {
    environment('dev');
    environment('qa');
    assert.throws(() => metaCluster(parse([])), /several local environments run \(dev, qa\); pick one with --name N/);
    assert.equal(metaCluster(parse(['--name', 'qa'])).source, 'local environment "qa"');
    environment('kokpit');
    assert.equal(metaCluster(parse([])).source, 'local environment "kokpit"');
  });

  it('nothing running and no ~/.kube/config: says so and how to start one; `kokpit get` exits 2 without an errno', async () => {
    assert.throws(() => metaCluster(parse([])), /no meta cluster: no local environment runs \(start one with `kokpit up`\)/);
    assert.throws(
      () => metaCluster(parse(['--name', 'dev'])),
      /local environment "dev" is not running \(none runs; start one with `kokpit up --name dev`\)/,
    );
    assert.throws(
      () => metaCluster(parse(['--kubeconfig', path.join(tempDir(), 'nope')])),
      /--kubeconfig names .*nope, which does not exist/,
    );
    const stderr: string[] = [];
    const io: CliIO = { out: () => {}, err: (t) => stderr.push(t), progress: () => {}, isTTY: false, cwd: tempDir() };
    const code = await runCli(['get', 'clusters'], io);
    assert.equal(code, 2);
    assert.doesNotMatch(stderr.join('\n'), /ENOENT/);
    assert.match(stderr.join('\n'), /no meta cluster/);
  });
});
