// The kind runtime's cluster lifecycle with a recording runner (exact argv of create, reuse and delete; how
// each failure reads), and with the real runner on a PATH holding no kind or docker.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseRuntime, upCommand } from '../../../src/cli/commands/up';
import { downCommand } from '../../../src/cli/commands/down';
import { KIND_VERSION } from '../../../src/binaries/catalog';
import { kindCommand, useCachedKind } from '../../../src/providers/kind/preflight';
import type { CommandOptions, CommandResult, CommandRunner } from '../../../src/binaries/processes';
import { CommandNotFoundError } from '../../../src/binaries/processes';
import {
  createFailureFix,
  deleteKindCluster,
  ensureKindCluster,
  KindError,
  kindHostEndpoint,
  kindJoinEndpoint,
  leftoverContainers,
  portReservations,
} from '../../../src/providers/kind';
import { loadKindImage, removeKindNetworkIfUnused, savedImageArchive } from '../../../src/providers/kind/cluster';

type Script = (file: string, args: readonly string[]) => CommandResult | Error;

class RecordingRunner implements CommandRunner {
  calls: string[][] = [];
  constructor(private readonly script: Script) {}
  async run(file: string, args: readonly string[], _opts?: CommandOptions): Promise<CommandResult> {
    this.calls.push([file, ...args]);
    const r = this.script(file, args);
    if (r instanceof Error) throw r;
    return r;
  }
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters:\n- name: kind-dev\n  cluster:\n    server: https://127.0.0.1:41234\n';

describe('kind cluster lifecycle (recording runner)', () => {
  let dir: string;
  let temp: string;
  let kubeconfigFile: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-kind-unit-'));
    temp = path.join(dir, 'tmp');
    fs.mkdirSync(temp);
    kubeconfigFile = path.join(dir, 'state', 'kubeconfig');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the cluster with a per-cluster temporary kubeconfig, then keeps it 0600 in the state dir', async () => {
    const runner = new RecordingRunner((_f, args) => {
      if (args[0] === 'get') return ok('other\n');
      const i = args.indexOf('--kubeconfig');
      fs.writeFileSync(args[i + 1]!, KUBECONFIG);
      return ok();
    });
    const r = await ensureKindCluster({ name: 'dev', configFile: '/s/kind-config.yaml', kubeconfigFile, runner, tempDir: temp });
    assert.deepEqual(r, { created: true });
    assert.deepEqual(runner.calls, [
      ['kind', 'get', 'clusters'],
      [
        'kind',
        'create',
        'cluster',
        '--name',
        'dev',
        '--config',
        '/s/kind-config.yaml',
        '--kubeconfig',
        path.join(temp, 'kubeconfig'),
        '--wait',
        '5m',
      ],
    ]);
    assert.equal(fs.readFileSync(kubeconfigFile, 'utf8'), KUBECONFIG);
    assert.equal(fs.statSync(kubeconfigFile).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(path.join(temp, 'kubeconfig')), false, 'the temporary kubeconfig is removed');
  });

  it('reuses a cluster `kind get clusters` lists (kind get kubeconfig, no create)', async () => {
    const runner = new RecordingRunner((_f, args) => (args[1] === 'clusters' ? ok('dev\nother\n') : ok(KUBECONFIG)));
    fs.mkdirSync(path.dirname(kubeconfigFile), { recursive: true });
    fs.writeFileSync(kubeconfigFile, 'old', { mode: 0o644 });
    assert.deepEqual(await ensureKindCluster({ name: 'dev', configFile: '/s/kind-config.yaml', kubeconfigFile, runner, tempDir: temp }), {
      created: false,
    });
    assert.deepEqual(runner.calls, [
      ['kind', 'get', 'clusters'],
      ['kind', 'get', 'kubeconfig', '--name', 'dev'],
    ]);
    assert.equal(fs.readFileSync(kubeconfigFile, 'utf8'), KUBECONFIG);
    assert.equal(fs.statSync(kubeconfigFile).mode & 0o777, 0o600, 'an existing 0644 file is tightened');
  });

  it('a failing `kind create` shows the stderr tail (secrets redacted) and the fixing command', async () => {
    const stderr = [
      'Creating cluster "dev" ...',
      ' ✗ Preparing nodes 📦',
      'token: abcdef.0123456789abcdef',
      'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "dev"',
    ].join('\n');
    const runner = new RecordingRunner((_f, args) => (args[0] === 'get' ? ok('') : { exitCode: 1, stdout: '', stderr }));
    const err = await ensureKindCluster({ name: 'dev', configFile: '/c', kubeconfigFile, runner, tempDir: temp }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.match(err.message, /^`kind create cluster --name dev` exited 1:\n/);
    assert.match(err.message, /node\(s\) already exist for a cluster with the name "dev"/);
    assert.ok(!err.message.includes('abcdef.0123456789abcdef'), 'bootstrap tokens are redacted');
    assert.equal(err.fix, 'Delete the half-made cluster with `kind delete cluster --name dev`, then run `kokpit up` again');
    assert.equal(fs.existsSync(kubeconfigFile), false);
  });

  it('maps the usual create failures to their fixes', () => {
    assert.match(
      createFailureFix('dev', 'Bind for 127.0.0.1:36443 failed: port is already allocated'),
      /free it or choose another range.*kind delete cluster --name dev/,
    );
    assert.match(createFailureFix('dev', 'failed to pull image "kindest/node:v1.33.13"'), /docker pull/);
    assert.match(createFailureFix('dev', 'something else'), /kind export logs --name dev/);
  });

  it('deletes with a temporary kubeconfig and reports the containers still labelled with the cluster', async () => {
    const runner = new RecordingRunner((f) => (f === 'docker' ? ok('dev-control-plane\n') : ok()));
    const r = await deleteKindCluster({ name: 'dev', runner, tempDir: temp });
    assert.deepEqual(runner.calls, [
      ['kind', 'delete', 'cluster', '--name', 'dev', '--kubeconfig', path.join(temp, 'kubeconfig')],
      ['docker', 'ps', '--all', '--filter', 'label=io.x-k8s.kind.cluster=dev', '--format', '{{.Names}}'],
    ]);
    assert.deepEqual(r.leftovers, ['dev-control-plane']);
    const clean = new RecordingRunner(() => ok(''));
    assert.deepEqual((await deleteKindCluster({ name: 'dev', runner: clean, tempDir: temp })).leftovers, []);
  });

  it('the kind network is removed only when no container is attached to it', async () => {
    const empty = new RecordingRunner((_f, args) => (args[1] === 'inspect' ? ok('0\n') : ok()));
    assert.equal(await removeKindNetworkIfUnused({ runner: empty }), 'removed');
    assert.deepEqual(empty.calls, [
      ['docker', 'network', 'inspect', 'kind', '--format', '{{len .Containers}}'],
      ['docker', 'network', 'rm', 'kind'],
    ]);
    const used = new RecordingRunner(() => ok('2\n'));
    assert.deepEqual(await removeKindNetworkIfUnused({ runner: used }), { kept: 2 });
    assert.equal(used.calls.length, 1, 'nothing removed while another cluster uses it');
    const gone = new RecordingRunner(() => ({ exitCode: 1, stdout: '', stderr: 'Error: No such network: kind' }));
    assert.equal(await removeKindNetworkIfUnused({ runner: gone }), 'absent');
  });

  it('leftover machine containers are found by name', async () => {
    const runner = new RecordingRunner(() => ok('sample-sample-worker-0\nunrelated\n'));
    assert.deepEqual(await leftoverContainers(['sample-sample-worker-0', 'sample-sample-worker-1'], { runner }), [
      'sample-sample-worker-0',
    ]);
    assert.deepEqual(runner.calls, [['docker', 'ps', '--all', '--format', '{{.Names}}']]);
  });

  it('a docker engine that is down fails `down` with the command that fixes it', async () => {
    const runner = new RecordingRunner((f) =>
      f === 'docker'
        ? {
            exitCode: 1,
            stdout: '',
            stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
          }
        : ok(),
    );
    const err = await deleteKindCluster({ name: 'dev', runner, tempDir: temp }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.match(err.message, /Cannot connect to the Docker daemon/);
    assert.match(err.fix, /sudo systemctl start docker/);
  });

  it('a kind that vanished after preflight (CommandNotFoundError) says how to install it', async () => {
    const runner = new RecordingRunner(() => new CommandNotFoundError('kind', 'ENOENT'));
    const err = await ensureKindCluster({ name: 'dev', configFile: '/c', kubeconfigFile, runner, tempDir: temp }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.equal(err.message, 'cannot run kind (ENOENT)');
    assert.match(err.fix, /go install sigs\.k8s\.io\/kind@latest/);
  });
});

describe('kind runtime: loading a locally built image (the in-cluster manager)', () => {
  const IMAGE = 'kokpit.dev/kokpit-manager:0.1.0';
  const HINT = 'bash hack/offline-images/manager-image.sh';
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-kind-load-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the saved archive of manager-image.sh is where the script writes it ($KOKPIT_CACHE_DIR/images/saved)', () => {
    assert.equal(savedImageArchive(IMAGE, { KOKPIT_CACHE_DIR: '/c' }), '/c/images/saved/kokpit.dev_kokpit-manager_0.1.0.tar');
  });

  it('loads the saved archive when there is one (kind load image-archive), else the image from Docker', async () => {
    const archive = path.join(dir, 'm.tar');
    fs.writeFileSync(archive, '');
    const runner = new RecordingRunner(() => ok('sha256:1'));
    assert.equal(await loadKindImage({ name: 'dev', image: IMAGE, archive, buildHint: HINT, runner }), 'image-archive');
    assert.equal(
      await loadKindImage({ name: 'dev', image: IMAGE, archive: path.join(dir, 'absent.tar'), buildHint: HINT, runner }),
      'docker-image',
    );
    assert.deepEqual(runner.calls, [
      ['docker', 'image', 'inspect', '--format', '{{.Id}}', IMAGE],
      ['kind', 'load', 'image-archive', archive, '--name', 'dev'],
      ['docker', 'image', 'inspect', '--format', '{{.Id}}', IMAGE],
      ['kind', 'load', 'docker-image', IMAGE, '--name', 'dev'],
    ]);
  });

  it('an image Docker does not have fails before kind runs, with the command that builds it', async () => {
    const runner = new RecordingRunner(() => ({ exitCode: 1, stdout: '', stderr: `Error: No such image: ${IMAGE}` }));
    const err = await loadKindImage({ name: 'dev', image: IMAGE, buildHint: HINT, runner }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.match(err.message, /image kokpit\.dev\/kokpit-manager:0\.1\.0 is not in the Docker engine's image store/);
    assert.equal(err.fix, `Build it: ${HINT}`);
    assert.equal(runner.calls.length, 1);
  });

  it('a Docker engine that does not answer is told apart from a missing image', async () => {
    const runner = new RecordingRunner(() => ({
      exitCode: 1,
      stdout: '',
      stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.',
    }));
    const err = await loadKindImage({ name: 'dev', image: IMAGE, buildHint: HINT, runner }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.match(err.message, /docker image inspect .* exited 1: Cannot connect to the Docker daemon/);
    assert.match(err.fix, /docker info/);
  });
});

describe('kind endpoints (reserved ports)', () => {
  const reservations = portReservations({ start: 36443, count: 3 });
  it('a NodePort Service on a reserved node port is reached at 127.0.0.1:<hostPort>', () => {
    assert.equal(kindHostEndpoint({ spec: { type: 'NodePort', ports: [{ nodePort: 31444 }] } }, reservations), 'https://127.0.0.1:36444');
    assert.equal(kindHostEndpoint({ spec: { type: 'NodePort', ports: [{ nodePort: 30001 }] } }, reservations), undefined);
    assert.equal(kindHostEndpoint({ spec: { type: 'ClusterIP', ports: [{}] } }, reservations), undefined);
  });
  it('kind machines join through the meta control-plane node name', () => {
    assert.equal(kindJoinEndpoint({ spec: { apiServer: { service: { nodePort: 31443 } } } }, 'kokpit'), 'kokpit-control-plane:31443');
    assert.equal(kindJoinEndpoint({ status: { endpoint: 'https://10.0.0.1:6443' } }, 'kokpit'), '10.0.0.1:6443');
  });
});

describe('kind runtime with the real runner and a PATH holding no docker or kind', () => {
  let dir: string;
  let emptyPath: string;
  let fakePath: string;
  const saved = { PATH: process.env.PATH, KOKPIT_SANDBOX_DIR: process.env.KOKPIT_SANDBOX_DIR };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-kind-path-'));
    emptyPath = path.join(dir, 'empty');
    fakePath = path.join(dir, 'fake');
    fs.mkdirSync(emptyPath);
    fs.mkdirSync(fakePath);
    // Stand-ins that behave like working tools, for the Auto choice and for "kind works, docker is gone".
    fs.writeFileSync(
      path.join(fakePath, 'kind'),
      '#!/bin/sh\ncase "$1" in version) echo "kind v0.27.0 go1.23 linux/amd64";; *) exit 0;; esac\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(fakePath, 'docker'), '#!/bin/sh\necho 27.5.1\n', { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'kindonly'));
    fs.copyFileSync(path.join(fakePath, 'kind'), path.join(dir, 'kindonly', 'kind'));
    fs.chmodSync(path.join(dir, 'kindonly', 'kind'), 0o755);
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.KOKPIT_SANDBOX_DIR === undefined) delete process.env.KOKPIT_SANDBOX_DIR;
    else process.env.KOKPIT_SANDBOX_DIR = saved.KOKPIT_SANDBOX_DIR;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ensureKindCluster without kind on PATH: "cannot run kind" and how to install it', async () => {
    process.env.PATH = emptyPath;
    const err = await ensureKindCluster({ name: 'dev', configFile: '/c', kubeconfigFile: path.join(dir, 'k') }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError, String(err));
    assert.match(err.message, /^cannot run kind \(/);
    assert.match(err.fix, /go install sigs\.k8s\.io\/kind@latest.*--runtime sandbox/);
  });

  it('deleteKindCluster with kind but no docker on PATH: "cannot run docker" and how to install it', async () => {
    process.env.PATH = path.join(dir, 'kindonly');
    const err = await deleteKindCluster({ name: 'dev' }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError, String(err));
    assert.match(err.message, /^cannot run docker \(/);
    assert.match(err.fix, /Install Docker Engine/);
  });

  it('`kokpit up --runtime kind` exits 1 with both preflight failures and their fixes, creating nothing', async () => {
    process.env.PATH = emptyPath;
    process.env.KOKPIT_SANDBOX_DIR = path.join(dir, 'state');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: dir };
    // No kind in kokpit's binary cache either (a cached one would be used: see the next test).
    const savedBin = process.env.KOKPIT_BIN_DIR;
    process.env.KOKPIT_BIN_DIR = path.join(dir, 'no-bins');
    let code: number;
    try {
      code = await upCommand.run(['--runtime', 'kind', '--name', 'unitkind', '--detach'], io);
    } finally {
      if (savedBin === undefined) delete process.env.KOKPIT_BIN_DIR;
      else process.env.KOKPIT_BIN_DIR = savedBin;
    }
    assert.equal(code, 1);
    assert.match(
      err.join('\n'),
      /^kokpit up: preflight failed: docker is not on PATH\n  fix: Install Docker Engine .*\nkind is not on PATH\n  fix: Install kind v0\.20\.0 or newer/,
    );
    assert.match(out.join('\n'), /\[FAIL\] docker +docker is not on PATH/);
    assert.ok(fs.existsSync(path.join(dir, 'state', 'unitkind', 'kind-config.yaml')), 'the kind config is still written for inspection');
    assert.ok(!fs.existsSync(path.join(dir, 'state', 'unitkind', 'kubeconfig')));
  });

  it('`kokpit up --runtime kind` without kind on PATH uses the kind kokpit built (binary cache); Auto still asks PATH', async () => {
    const bin = path.join(dir, 'upbin');
    const cached = path.join(bin, 'kind', KIND_VERSION, 'kind');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(cached, '#!/bin/sh\necho "kind v0.31.0 go1.26.8 linux/amd64"\n', { mode: 0o755 });
    const savedBin = process.env.KOKPIT_BIN_DIR;
    process.env.PATH = emptyPath;
    process.env.KOKPIT_SANDBOX_DIR = path.join(dir, 'upstate');
    process.env.KOKPIT_BIN_DIR = bin;
    try {
      const auto = await chooseRuntime(undefined, 'Auto');
      assert.equal(auto.runtime, 'sandbox', 'a cached kind alone does not turn Auto to kind');
      const env: NodeJS.ProcessEnv = { PATH: emptyPath };
      assert.equal(useCachedKind(env), cached);
      assert.equal(env.PATH, [path.dirname(cached), emptyPath].join(path.delimiter));
      assert.equal(useCachedKind(env), undefined, 'once on PATH, nothing changes');
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: dir };
      assert.equal(await upCommand.run(['--runtime', 'kind', '--name', 'unitcached', '--detach'], io), 1, 'still no Docker');
      assert.match(out.join('\n'), new RegExp(`kind: not on PATH; using kokpit's build ${cached.replace(/[.]/g, '\\.')}`));
      assert.match(out.join('\n'), /\[ok +\] +kind +kind v0\.31\.0/);
      assert.doesNotMatch(err.join('\n'), /kind is not on PATH/);
    } finally {
      if (savedBin === undefined) delete process.env.KOKPIT_BIN_DIR;
      else process.env.KOKPIT_BIN_DIR = savedBin;
    }
  });

  it('`kokpit down` of a kind environment without kind on PATH runs the kind kokpit built (binary cache), not ENOENT', async () => {
    const bin = path.join(dir, 'bin');
    const cached = path.join(bin, 'kind', KIND_VERSION, 'kind');
    const calls = path.join(dir, 'kind-calls');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.mkdirSync(path.join(dir, 'dockeronly'));
    // A Docker engine with no container and no kind network; a kind that records what it was asked.
    fs.writeFileSync(path.join(dir, 'dockeronly', 'docker'), '#!/bin/sh\ncase "$1" in ps) exit 0;; *) exit 1;; esac\n', { mode: 0o755 });
    const savedBin = process.env.KOKPIT_BIN_DIR;
    process.env.PATH = path.join(dir, 'dockeronly');
    process.env.KOKPIT_SANDBOX_DIR = path.join(dir, 'downstate');
    process.env.KOKPIT_BIN_DIR = bin;
    try {
      assert.equal(kindCommand(), 'kind', 'no kind anywhere: the plain name (its ENOENT names the fix)');
      fs.writeFileSync(cached, `#!/bin/sh\necho "$@" >>${calls}\n`, { mode: 0o755 });
      assert.equal(kindCommand(), cached);
      assert.equal(kindCommand({ PATH: fakePath }), 'kind', 'kind on PATH comes first');
      fs.mkdirSync(path.join(dir, 'downstate', 'unitdown'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'downstate', 'unitdown', 'kind-config.yaml'), '');
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: dir };
      assert.equal(await downCommand.run(['--name', 'unitdown'], io), 0, err.join('\n'));
      assert.match(fs.readFileSync(calls, 'utf8'), /^delete cluster --name unitdown /);
      assert.match(out.join('\n'), /kind cluster "unitdown" deleted/);
      assert.ok(!fs.existsSync(path.join(dir, 'downstate', 'unitdown')));
    } finally {
      if (savedBin === undefined) delete process.env.KOKPIT_BIN_DIR;
      else process.env.KOKPIT_BIN_DIR = savedBin;
    }
  });

  it('Auto picks kind when docker answers and kind is recent, the sandbox otherwise', async () => {
    const kind = await chooseRuntime(undefined, 'Auto', { PATH: fakePath });
    assert.equal(kind.runtime, 'kind');
    assert.match(kind.reason, /Docker engine 27\.5\.1 reachable.*kind v0\.27\.0/);
    assert.equal((await chooseRuntime(undefined, 'Auto', { PATH: emptyPath })).runtime, 'sandbox');
  });
});
