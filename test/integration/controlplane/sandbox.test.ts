// `kokpit sandbox` end to end, through the real CLI and kubectl: start --detach with 3 simulated nodes,
// kubectl sees them Ready and a Deployment's pods reach Running, status reports it, stop leaves nothing.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedBinaryPath } from '../../../src/binaries/build';
import type { SandboxState } from '../../../src/cli/commands/sandbox';
import { isAlive, waitFor } from '../../../src/controlplane';

const ROOT = path.resolve(__dirname, '../../..');
const NAME = 'itest';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The kubectl built here (v1.33.13), else the system one. */
function kubectlBinary(): string {
  const built = cachedBinaryPath('kubectl', 'v1.33.13');
  if (fs.existsSync(built)) return built;
  if (fs.existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  throw new Error(`no kubectl: build it with 'npm run setup:bins -- --only kubectl --versions v1.33.13' (${built})`);
}

describe('kokpit sandbox (CLI) with kubectl', function () {
  // Created when the tests run, not when mocha merely loads this file.
  let stateRoot = '';
  const env = () => ({ ...process.env, KOKPIT_SANDBOX_DIR: stateRoot, KOKPIT_FROM_SOURCE: '1' });
  const kokpit = (...args: string[]) => run(process.execPath, [path.join(ROOT, 'bin', 'kokpit.js'), ...args], env());
  const kubectl = (...args: string[]) => run(kubectlBinary(), ['--kubeconfig', path.join(stateRoot, NAME, 'kubeconfig'), ...args], env(), 30_000);
  let state: SandboxState | undefined;

  before(() => (stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-sandbox-test-'))));
  after(async () => {
    if (!stateRoot) return;
    // Whatever failed: stop it, and make sure nothing is left.
    if (fs.existsSync(path.join(stateRoot, NAME, 'sandbox.json'))) await kokpit('sandbox', 'stop', '--name', NAME);
    for (const pid of [state?.pid, ...(state?.components.map((c) => c.pid) ?? [])]) {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it('start --nodes 3 --detach prints the kubeconfig path and says the nodes are simulated', async () => {
    const r = await kokpit('sandbox', 'start', '--name', NAME, '--nodes', '3', '--detach');
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const kubeconfig = path.join(stateRoot, NAME, 'kubeconfig');
    assert.ok(r.stdout.includes(`Kubeconfig:  ${kubeconfig}`), r.stdout);
    assert.match(r.stdout, /simulated by kwok/);
    assert.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);
    // The key material stays in the file.
    assert.doesNotMatch(r.stdout + r.stderr, /BEGIN|client-key-data/);
    state = JSON.parse(fs.readFileSync(path.join(stateRoot, NAME, 'sandbox.json'), 'utf8')) as SandboxState;
    assert.ok(isAlive(state.pid));
  });

  it('kubectl get nodes shows 3 Ready nodes', async () => {
    const r = await kubectl('get', 'nodes', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const nodes = (JSON.parse(r.stdout) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> }).items;
    assert.equal(nodes.length, 3);
    for (const n of nodes) {
      assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', `${n.metadata.name} Ready`);
    }
    const table = await kubectl('get', 'nodes');
    assert.equal(table.stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length, 3, table.stdout);
  });

  it("a Deployment's pods reach Running", async () => {
    const c = await kubectl('create', 'deployment', 'web', '--image=registry.k8s.io/pause:3.10', '--replicas=3');
    assert.equal(c.code, 0, c.stderr);
    await waitFor(
      'web pods Running',
      async (s) => {
        const r = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json');
        const pods = (JSON.parse(r.stdout) as { items: Array<{ spec: { nodeName?: string }; status: { phase?: string } }> }).items;
        s.lastReason = pods.map((p) => `${p.status.phase}@${p.spec.nodeName ?? '-'}`).join(' ');
        return pods.length === 3 && pods.every((p) => p.status.phase === 'Running' && p.spec.nodeName?.startsWith('kwok-node-')) ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  });

  it('status lists the components with pids and the simulated nodes', async () => {
    const r = await kokpit('sandbox', 'status', '--name', NAME);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const c of state!.components) assert.match(r.stdout, new RegExp(`${c.name}\\s+pid ${c.pid}\\s+running`));
    assert.match(r.stdout, /Nodes \(simulated by kwok\): 3/);
    assert.equal(r.stdout.split('\n').filter((l) => /kwok-node-\d+\s+Ready/.test(l)).length, 3);
  });

  it('stop leaves no process and no state behind', async () => {
    const r = await kokpit('sandbox', 'stop', '--name', NAME);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const pid of [state!.pid, ...state!.components.map((c) => c.pid)]) assert.ok(!isAlive(pid), `pid ${pid} gone`);
    assert.ok(!fs.existsSync(path.join(stateRoot, NAME)));
    const s = await kokpit('sandbox', 'status', '--name', NAME);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /not running/);
  });
});
