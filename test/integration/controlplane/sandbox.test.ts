// `kokpit sandbox` end to end, through the real CLI and kubectl: it is `kokpit up --runtime sandbox` under
// another name. start --nodes 2 --detach gives a meta cluster with kwok-simulated nodes beside the pod
// runner's node; `kokpit status` and `kokpit down` see it (one state file), and `kokpit sandbox status|stop`
// see an environment that `kokpit up --runtime sandbox` started.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedBinaryPath } from '../../../src/binaries/build';
import { ENV_FILE, type EnvironmentState } from '../../../src/local/state';
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

describe('kokpit sandbox (CLI) = kokpit up --runtime sandbox', function () {
  // Created when the tests run, not when mocha merely loads this file.
  let stateRoot = '';
  // KUBECONFIG empty and a private config home: status must find the environment, and nothing touches the real home.
  const env = () => ({
    ...process.env,
    KOKPIT_SANDBOX_DIR: stateRoot,
    XDG_CONFIG_HOME: path.join(stateRoot, 'config'),
    KUBECONFIG: '',
    KOKPIT_FROM_SOURCE: '1',
  });
  const kokpit = (...args: string[]) => run(process.execPath, [path.join(ROOT, 'bin', 'kokpit.js'), ...args], env());
  const kubectl = (...args: string[]) =>
    run(kubectlBinary(), ['--kubeconfig', path.join(stateRoot, NAME, 'kubeconfig'), ...args], env(), 30_000);
  const readState = (name: string) => JSON.parse(fs.readFileSync(path.join(stateRoot, name, ENV_FILE), 'utf8')) as EnvironmentState;
  const started: EnvironmentState[] = [];

  before(() => (stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-sandbox-test-'))));
  after(async () => {
    if (!stateRoot) return;
    // Whatever failed: stop it, and make sure nothing is left.
    for (const name of [NAME, `${NAME}-up`]) if (fs.existsSync(path.join(stateRoot, name, ENV_FILE))) await kokpit('down', '--name', name);
    for (const s of started) {
      for (const pid of [s.pid, ...s.components.map((c) => c.pid)]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it('start --nodes 2 --detach runs `up --runtime sandbox`: one state file, the kubeconfig path, the simulated nodes named', async () => {
    const r = await kokpit('sandbox', 'start', '--name', NAME, '--nodes', '2', '--detach');
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^Runtime: sandbox \(--runtime sandbox\)/);
    const kubeconfig = path.join(stateRoot, NAME, 'kubeconfig');
    assert.ok(r.stdout.includes(`kubeconfig ${kubeconfig}`), r.stdout);
    assert.match(r.stdout, /meta nodes {4}kwok-node-0, kwok-node-1 simulated by kwok/);
    assert.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);
    // The key material stays in the file.
    assert.doesNotMatch(r.stdout + r.stderr, /BEGIN|client-key-data/);
    const state = readState(NAME);
    started.push(state);
    assert.equal(state.runtime, 'sandbox');
    assert.deepEqual(state.simulatedNodes, ['kwok-node-0', 'kwok-node-1']);
    assert.ok(isAlive(state.pid));
    assert.deepEqual(
      fs.readdirSync(path.join(stateRoot, NAME)).filter((f) => f.endsWith('.json')),
      [ENV_FILE],
    );
  });

  it('kubectl get nodes shows the 2 simulated nodes and the pod runner node, all Ready', async () => {
    const r = await kubectl('get', 'nodes', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const nodes = (
      JSON.parse(r.stdout) as {
        items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }>;
      }
    ).items;
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['itest-meta-node', 'kwok-node-0', 'kwok-node-1']);
    for (const n of nodes) assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', `${n.metadata.name} Ready`);
  });

  it('a pod that names a simulated node is reported Running there', async () => {
    // Pods need the `default` ServiceAccount, which kube-controller-manager creates shortly after start.
    await waitFor('ServiceAccount default', async () => (await kubectl('get', 'serviceaccount', 'default')).code === 0 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const c = await kubectl('run', 'web', '--image=registry.k8s.io/pause:3.10', '--overrides={"spec":{"nodeName":"kwok-node-0"}}');
    assert.equal(c.code, 0, c.stderr);
    await waitFor(
      'pod web Running on kwok-node-0',
      async (s) => {
        const r = await kubectl('get', 'pod', 'web', '-o', 'json');
        const pod = JSON.parse(r.stdout) as { spec: { nodeName?: string }; status: { phase?: string } };
        s.lastReason = `${pod.status.phase}@${pod.spec.nodeName ?? '-'}`;
        return pod.status.phase === 'Running' && pod.spec.nodeName === 'kwok-node-0' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it("kubectl logs of a pod the pod runner runs: the apiserver reaches the runner's kubelet endpoint", async () => {
    // No nodeName and no scheduler: the runner binds it to its own node and runs it as a process.
    const c = await kubectl(
      'run',
      'talk',
      `--image=registry.k8s.io/etcd:3.5.35-0`,
      '--command',
      '--',
      'sh',
      '-c',
      'echo hello from the sandbox; sleep 3600',
    );
    assert.equal(c.code, 0, c.stderr);
    const log = await waitFor(
      'kubectl logs talk',
      async (s) => {
        const r = await kubectl('logs', 'talk');
        s.lastReason = r.stderr.trim();
        return r.code === 0 && r.stdout ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(log.stdout, 'hello from the sandbox\n');
  });

  it('kokpit status and kokpit sandbox status report it the same way', async () => {
    const a = await kokpit('status', '--name', NAME);
    const b = await kokpit('sandbox', 'status', '--name', NAME);
    assert.equal(a.code, 0, `${a.stdout}\n${a.stderr}`);
    assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`);
    const first = `Local environment "${NAME}" (runtime: sandbox): running, pid ${started[0].pid}`;
    assert.equal(a.stdout.split('\n')[0], first);
    assert.equal(b.stdout.split('\n')[0], first);
    assert.match(a.stdout, /Meta cluster: https:\/\/127\.0\.0\.1:\d+ \(Kubernetes v[\d.]+, 3 nodes;/);
  });

  it('kokpit down stops a sandbox started by `kokpit sandbox start`, leaving no process and no state', async () => {
    const r = await kokpit('down', '--name', NAME);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const s = started[0];
    for (const pid of [s.pid, ...s.components.map((c) => c.pid)]) assert.ok(!isAlive(pid), `pid ${pid} gone`);
    assert.ok(!fs.existsSync(path.join(stateRoot, NAME)));
    const st = await kokpit('sandbox', 'status', '--name', NAME);
    assert.equal(st.code, 1);
    assert.match(st.stderr, new RegExp(`local environment "${NAME}" is not running`));
  });

  it('kokpit sandbox status and stop see an environment started by `kokpit up --runtime sandbox`', async () => {
    const name = `${NAME}-up`;
    const up = await kokpit('up', '--runtime', 'sandbox', '--name', name, '--detach');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const state = readState(name);
    started.push(state);
    const st = await kokpit('sandbox', 'status', '--name', name);
    assert.equal(st.code, 0, `${st.stdout}\n${st.stderr}`);
    assert.equal(st.stdout.split('\n')[0], `Local environment "${name}" (runtime: sandbox): running, pid ${state.pid}`);
    const stop = await kokpit('sandbox', 'stop', '--name', name);
    assert.equal(stop.code, 0, `${stop.stdout}\n${stop.stderr}`);
    assert.match(stop.stdout, new RegExp(`local environment "${name}" stopped`));
    for (const pid of [state.pid, ...state.components.map((c) => c.pid)]) assert.ok(!isAlive(pid), `pid ${pid} gone`);
    assert.ok(!fs.existsSync(path.join(stateRoot, name)));
  });
});
