// "Start Sandbox" and "Delete Local Meta Cluster" for real: the extension (on the fake vscode) runs the bundled CLI
// the way the installed .vsix does — dist/cli.js through the launcher it writes — so `kokpit up --detach --runtime
// sandbox` starts a real meta control plane with kokpit's reconcilers, the Fleet view connects to its kubeconfig,
// and Delete runs `kokpit down`, which leaves no process behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from '../../../src/local/state';
import { isAlive } from '../../../src/controlplane/reaper';
import { fake, fakeContext, installFakeVscode, type FakeState } from '../../unit/extension-model/fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const NAME = 'edtest';

describe('editor: a local meta cluster from the editor (real `kokpit up --runtime sandbox` and `kokpit down`)', function () {
  this.timeout(420_000);
  let extension: { activate(c: unknown): void; deactivate(): Promise<void> };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;
  let dir: string;
  const saved: Record<string, string | undefined> = {};

  before(function () {
    // The launcher path is what the .vsix takes; it needs the bundle (`npm run build`).
    if (!fs.existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
    dir = fs.mkdtempSync(join(os.tmpdir(), 'kokpit-editor-env-'));
    for (const [k, v] of Object.entries({ KOKPIT_SANDBOX_DIR: join(dir, 'envs'), KOKPIT_CLI: undefined })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    // An installed extension: dist/cli.js and no bin/ (the symlink resolves to this checkout, which has the CRDs).
    const ext = join(dir, 'extension');
    fs.mkdirSync(join(ext, 'dist'), { recursive: true });
    fs.symlinkSync(join(ROOT, 'dist', 'cli.js'), join(ext, 'dist', 'cli.js'));
    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
    state = fake.reset();
    state.settings['kokpit.reconcilers.autoStart'] = false;
    context = { ...fakeContext(), extensionPath: ext };
    (context as { globalStorageUri: { fsPath: string } }).globalStorageUri = { fsPath: join(dir, 'storage') } as never;
    extension.activate(context);
  });

  after(async () => {
    // Never leave the environment running, whatever failed.
    const env = readEnvironment(NAME);
    if (env && isAlive(env.pid)) {
      try {
        process.kill(-env.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    if (context) for (const d of context.subscriptions) d.dispose();
    await extension?.deactivate();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Start Sandbox brings up a meta cluster and connects the Fleet view to it; Delete stops every process', async () => {
    state.inputBoxAnswers = [NAME];
    state.quickPickAnswer = 'Meta cluster only';
    const started = Date.now();
    await state.commands.get('kokpit.startSandbox')!();
    const errors = state.messages.filter((m) => m.level === 'error');
    assert.deepEqual(errors, [], JSON.stringify(state.logs.slice(-20)));
    assert.equal(state.contextKeys.get('kokpit.connected'), true);
    assert.equal(state.contextKeys.get('kokpit.connectedLocal'), true);
    assert.match(state.messages.at(-1)?.text ?? '', new RegExp(`local meta cluster "${NAME}" is running; connected to `));
    console.log(
      `      [editor] sandbox meta cluster up and connected in ${Date.now() - started} ms; ` +
        `progress: ${JSON.stringify(state.progress[0].messages)}`,
    );
    assert.ok(fs.existsSync(join(dir, 'storage', 'kokpit-cli.js')), 'the bundled CLI ran through the launcher');
    assert.ok(
      state.progress[0].messages.some((m) => /in the background \(pid \d+/.test(m)),
      JSON.stringify(state.progress[0].messages),
    );
    // The default catalog the environment installs is in the tree: the watches list it.
    const provider = state.treeViews[0].options.treeDataProvider;
    const [root] = await provider.getChildren(undefined);
    const groups = await provider.getChildren(root);
    const versions = groups.find((g: string) => g.endsWith('/versions'));
    assert.ok((await provider.getChildren(versions)).length >= 1, 'catalog versions shown');

    const env = readEnvironment(NAME)!;
    const pids = [env.pid, ...env.components.map((c) => c.pid)];
    assert.ok(pids.every(isAlive));
    state.messageAnswer = 'Delete';
    await state.commands.get('kokpit.deleteLocalMetaCluster')!();
    assert.equal(state.messages.at(-1)?.text, `Kokpit: local meta cluster "${NAME}" deleted`);
    assert.equal(state.contextKeys.get('kokpit.connected'), false, 'disconnected before the cluster went away');
    assert.deepEqual(pids.filter(isAlive), [], 'no process of the environment is left');
  });
});
