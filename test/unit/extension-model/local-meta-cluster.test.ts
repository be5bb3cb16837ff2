// "Create Local Meta Cluster", "Start Sandbox" and "Delete Local Meta Cluster" through the fake vscode, with a stub
// in place of the kokpit CLI ($KOKPIT_CLI): the arguments it gets, its output streamed to the log and the progress
// notification, connecting to the environment's kubeconfig afterwards, failures and cancel.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fake, fakeContext, installFakeVscode, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');

/** A CLI stand-in: records its arguments, prints like `kokpit up --detach`, writes environment.json. */
const STUB =
  `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_CALLS, JSON.stringify(args) + '\\n');
const name = args[args.indexOf('--name') + 1];
const dir = path.join(process.env.KOKPIT_SANDBOX_DIR, name);
const mode = process.env.STUB_MODE || 'ok';
if (args[0] === 'up') {
  console.log('Runtime: sandbox (--runtime sandbox)');
  if (mode === 'fail') { console.error('kokpit up: preflight failed: free port 6443 is taken'); process.exit(1); }
  console.log('Starting local environment "' + name + '" (sandbox) in the background (pid ' + process.env.STUB_SUPERVISOR + ', ` +
  `log /x/up.log)…');
  if (mode === 'hang') { setTimeout(() => {}, 60000); return; }
  console.log('  ✓ meta control plane (3.2s)');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kubeconfig'), process.env.STUB_KUBECONFIG_TEXT);
  fs.writeFileSync(path.join(dir, 'environment.json'), JSON.stringify({ name, pid: Number(process.env.STUB_ENV_PID), kubeconfig: ` +
  `path.join(dir, 'kubeconfig'), server: 'https://127.0.0.1:1', components: [] }));
  console.log('Local environment "' + name + '" ready in 3.5s (runtime: sandbox)');
} else if (args[0] === 'down') {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('local environment "' + name + '" stopped');
}
`;

// Nothing listens on 127.0.0.1:1: connecting fails fast and precisely, which is all these tests need of it.
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: local, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: admin, user: { token: abc } }]
contexts: [{ name: kokpit-local, context: { cluster: local, user: admin } }]
current-context: kokpit-local
`;

describe('editor: local meta cluster commands (fake vscode, stub CLI)', function () {
  this.timeout(30_000);
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  let dir: string;
  const saved: Record<string, string | undefined> = {};
  const calls = () =>
    fs
      .readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);

  before(() => {
    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(join(os.tmpdir(), 'kokpit-local-cmd-'));
    fs.writeFileSync(join(dir, 'stub.js'), STUB);
    fs.writeFileSync(join(dir, 'calls'), '');
    const env = {
      KOKPIT_CLI: join(dir, 'stub.js'),
      KOKPIT_SANDBOX_DIR: join(dir, 'envs'),
      STUB_CALLS: join(dir, 'calls'),
      // A live pid, so the environment counts as running; no supervisor to stop unless a test starts one.
      STUB_ENV_PID: String(process.pid),
      STUB_SUPERVISOR: '999999999',
      STUB_KUBECONFIG_TEXT: KUBECONFIG,
      STUB_MODE: 'ok',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    state = fake.reset();
    state.settings['kokpit.reconcilers.autoStart'] = false;
    context = fakeContext();
    extension.activate(context);
  });
  afterEach(async () => {
    for (const d of context.subscriptions) d.dispose();
    await extension.deactivate();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Create runs `kokpit up --detach`, streams its lines, then connects to the environment's own kubeconfig", async () => {
    state.inputBoxAnswers = ['dev'];
    state.quickPickAnswer = 'Meta cluster only';
    await state.commands.get('kokpit.createLocalMetaCluster')!();
    assert.deepEqual(calls(), [['up', '--detach', '--name', 'dev']]);
    assert.equal(state.progress[0].title, 'Kokpit: creating local meta cluster "dev"');
    assert.deepEqual(state.progress[0].messages, [
      'Runtime: sandbox (--runtime sandbox)',
      'Starting local environment "dev" (sandbox) in the background (pid 999999999, log /x/up.log)…',
      '✓ meta control plane (3.2s)',
      'Local environment "dev" ready in 3.5s (runtime: sandbox)',
    ]);
    assert.ok(
      state.logs.some((l) => l.message === 'kokpit up:   ✓ meta control plane (3.2s)'),
      JSON.stringify(state.logs),
    );
    // It connected with the environment's kubeconfig (which has nothing listening): the failure names that server.
    assert.ok(
      state.logs.some((l) => l.message === "connecting to meta cluster 'kokpit-local' at https://127.0.0.1:1"),
      JSON.stringify(state.logs),
    );
    assert.match(state.treeViews[0].message ?? '', /^Not connected: /);
    assert.equal(state.globalState.get('kokpit.metaCluster.kubeconfigFile'), undefined, 'a failed connect is not remembered');
  });

  it('Start Sandbox asks for the sandbox runtime and a sample; Escape at any step runs nothing', async () => {
    state.inputBoxAnswers = [undefined];
    await state.commands.get('kokpit.startSandbox')!();
    state.quickPickAnswer = undefined;
    await state.commands.get('kokpit.startSandbox')!();
    assert.deepEqual(calls(), []);
    state.quickPickAnswer = 'With a sample business cluster';
    await state.commands.get('kokpit.startSandbox')!();
    assert.deepEqual(calls(), [['up', '--detach', '--name', 'kokpit', '--runtime', 'sandbox', '--with-sample']]);
    assert.equal(state.inputBoxes[0].title, 'Kokpit: start a sandbox meta cluster (no Docker)');
  });

  it('an invalid name is refused by the input box; a failing `kokpit up` ends in its own message', async () => {
    state.inputBoxAnswers = ['Not Valid'];
    await state.commands.get('kokpit.createLocalMetaCluster')!();
    assert.match(state.inputBoxes[0].validation ?? '', /lowercase letters, digits and dashes/);
    assert.deepEqual(calls(), []);
    process.env.STUB_MODE = 'fail';
    state.quickPickAnswer = 'Meta cluster only';
    await state.commands.get('kokpit.createLocalMetaCluster')!();
    const error = state.messages.find((m) => m.level === 'error');
    assert.match(
      error?.text ?? '',
      /^Kokpit: `kokpit up --detach --name kokpit` failed \(exit 1\): .*kokpit up: preflight failed: free port 6443 is taken$/s,
    );
  });

  it('Cancel stops the CLI and runs `kokpit down` for what it started', async () => {
    process.env.STUB_MODE = 'hang';
    state.quickPickAnswer = 'Meta cluster only';
    state.cancelProgressAfterMs = 1500;
    await state.commands.get('kokpit.createLocalMetaCluster')!();
    assert.deepEqual(calls(), [
      ['up', '--detach', '--name', 'kokpit'],
      ['down', '--name', 'kokpit'],
    ]);
    assert.ok(state.progress[0].messages.includes('cancelled: stopping what was started…'), JSON.stringify(state.progress));
    assert.match(state.messages.at(-1)?.text ?? '', /creating local meta cluster "kokpit" was cancelled; nothing is left running/);
  });

  it('Delete confirms, then runs `kokpit down`; with no environment it says so', async () => {
    await state.commands.get('kokpit.deleteLocalMetaCluster')!();
    assert.match(state.messages[0].text, /there is no local meta cluster to delete/);
    state.inputBoxAnswers = ['dev'];
    state.quickPickAnswer = 'Meta cluster only';
    await state.commands.get('kokpit.createLocalMetaCluster')!();
    state.quickPickAnswer = 'dev';
    state.messageAnswer = undefined; // the modal dismissed
    await state.commands.get('kokpit.deleteLocalMetaCluster')!();
    assert.equal(calls().length, 1);
    state.messageAnswer = 'Delete';
    await state.commands.get('kokpit.deleteLocalMetaCluster')!();
    assert.deepEqual(calls().at(-1), ['down', '--name', 'dev']);
    assert.equal(state.messages.at(-1)?.text, 'Kokpit: local meta cluster "dev" deleted');
    assert.equal(fs.existsSync(join(dir, 'envs', 'dev')), false);
  });
});
