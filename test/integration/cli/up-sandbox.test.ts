// `kokpit up --runtime sandbox --with-sample --detach` as a user runs it (node bin/kokpit.js, from the
// sources): the sample business cluster becomes Ready with its etcd and control plane running as real
// processes; the exported kubeconfig works with kubectl; `kokpit down` leaves no process behind.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import type { EnvironmentState } from '../../../src/local/state';

const BIN = path.resolve('bin/kokpit.js');
const NAME = 'itest';

function kubectlPath(): string {
  for (const p of ['/usr/bin/kubectl', path.join(os.homedir(), '.cache/kokpit/bin/kubectl/v1.33.13/kubectl')])
    if (fs.existsSync(p)) return p;
  throw new Error('no kubectl (npm run setup:bins builds it)');
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 400_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Pids of processes whose command line mentions `needle` (the test's private state directory). */
function processesMentioning(needle: string): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle)) out.push({ pid: Number(d), cmd });
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Every process below `root` (children, grandchildren, …), from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      parent.set(Number(d), Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

describe('kokpit up --runtime sandbox --with-sample (real processes)', function () {
  this.timeout(600_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  let state: EnvironmentState | undefined;
  const kokpit = (...args: string[]) => run(process.execPath, [BIN, ...args], env);

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-up-test-'));
    // HOME too: default kubeconfig paths must not touch the real home.
    env = { ...process.env, KOKPIT_FROM_SOURCE: '1', KOKPIT_SANDBOX_DIR: root, XDG_CONFIG_HOME: path.join(root, 'config'), KUBECONFIG: '' };
  });
  after(async () => {
    // Whatever happened above, nothing may outlive the test.
    if (fs.existsSync(path.join(root, NAME))) await kokpit('down', '--name', NAME);
    for (const p of processesMentioning(root)) process.kill(p.pid, 'SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it(
    'brings up the meta cluster and a Ready sample whose control plane runs as processes; ' + 'kubectl reaches it; down leaves nothing',
    async function () {
      const t0 = Date.now();
      const up = await kokpit('up', '--name', NAME, '--runtime', 'sandbox', '--with-sample', '--detach');
      process.stderr.write(`  kokpit up took ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
      assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /Runtime: sandbox \(--runtime sandbox\)/);
      for (const step of ['meta control plane', 'kokpit CRDs and default catalog', 'pod runner for meta node', 'manager']) {
        assert.match(up.stdout, new RegExp(`✓ ${step}.*\\(\\d+\\.\\ds\\)`), `step "${step}" printed with its duration`);
      }
      assert.match(up.stdout, /✓ Ready \(\+\d+\.\ds\)/);
      // Two kwok Machines join the sample (the machine operator runs in the manager).
      assert.match(up.stdout, /✓ sample-worker-0 Running as Node/);
      assert.match(up.stdout, /✓ sample-worker-1 Running as Node/);
      // …and up returns once the addons run on them (the sample Running, not Degraded while CoreDNS starts).
      assert.match(up.stdout, /✓ addons available on the nodes \(\+\d+\.\ds\)/);
      // Root here: the netns pod network (auto), whose pod IPs the sample's control plane and CoreDNS ran with.
      assert.match(
        up.stdout,
        netnsUnavailable() ? /pod network {3}loopback: pod IPs 127\.0\.\d+\.x/ : /pod network {3}netns: pod IPs 198\.18\.\d+\.x/,
      );

      state = JSON.parse(fs.readFileSync(path.join(root, NAME, 'environment.json'), 'utf8')) as EnvironmentState;
      assert.ok(alive(state.pid), 'the supervisor runs');
      for (const c of state.components) assert.ok(alive(c.pid), `meta ${c.name} runs`);

      // The business control plane: real processes started by the pod runner (state under <root>/<name>/runner).
      const runnerDir = path.join(root, NAME, 'runner');
      const pods = processesMentioning(runnerDir);
      for (const bin of [
        'etcd/v3.5.35/etcd',
        'kube-apiserver/v1.33.13/kube-apiserver',
        'kube-controller-manager/v1.33.13/kube-controller-manager',
        'kube-scheduler/v1.33.13/kube-scheduler',
      ]) {
        assert.ok(
          pods.some((p) => p.cmd.includes(`/${bin} `)),
          `a ${bin} process runs for the sample (saw: ${pods.map((p) => p.cmd.slice(0, 80)).join(' | ')})`,
        );
      }

      // The kubeconfig: a 0600 file, its path on stdout, no key material printed.
      const kcFile = path.join(root, 'sample.kubeconfig');
      const kcOut = await kokpit('kubeconfig', 'sample', '--name', NAME, '-o', kcFile);
      assert.equal(kcOut.code, 0, kcOut.stderr);
      assert.equal(kcOut.stdout.trim(), kcFile);
      assert.doesNotMatch(kcOut.stdout + kcOut.stderr, /client-key-data|PRIVATE KEY/);
      assert.equal(fs.statSync(kcFile).mode & 0o777, 0o600);

      const kubectl = kubectlPath();
      const version = await run(kubectl, ['--kubeconfig', kcFile, 'version', '-o', 'json'], env, 30_000);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(JSON.parse(version.stdout).serverVersion.gitVersion, 'v1.33.13');
      const ns = await run(kubectl, ['--kubeconfig', kcFile, 'get', 'ns', '-o', 'name'], env, 30_000);
      assert.equal(ns.code, 0, ns.stderr);
      assert.match(ns.stdout, /namespace\/kube-system/);
      // The business apiserver persists to its own etcd: a namespace created through it reads back.
      assert.equal((await run(kubectl, ['--kubeconfig', kcFile, 'create', 'ns', 'from-test'], env, 30_000)).code, 0);
      assert.match(
        (await run(kubectl, ['--kubeconfig', kcFile, 'get', 'ns', 'from-test', '-o', 'name'], env, 30_000)).stdout,
        /namespace\/from-test/,
      );

      // `kokpit render` of the live spec equals what the operator applied (up to live-only facts: uid, key hashes, nodePort).
      const liveBC = JSON.parse(
        (
          await run(
            kubectl,
            ['--kubeconfig', state.kubeconfig, 'get', 'businesscluster', 'sample', '-n', 'default', '-o', 'json'],
            env,
            30_000,
          )
        ).stdout,
      );
      const manifest = path.join(root, 'sample.yaml');
      fs.writeFileSync(
        manifest,
        JSON.stringify({
          apiVersion: liveBC.apiVersion,
          kind: liveBC.kind,
          metadata: { name: 'sample', namespace: 'default' },
          spec: liveBC.spec,
        }),
      );
      const rendered = await kokpit('render', '-f', manifest, '-o', 'json');
      assert.equal(rendered.code, 0, rendered.stderr);
      const items = JSON.parse(rendered.stdout).items as Array<{
        kind: string;
        metadata: { name: string };
        spec?: any;
        data?: Record<string, string>;
      }>;
      const liveOf = async (kind: string, name: string) =>
        JSON.parse(
          (await run(kubectl, ['--kubeconfig', state!.kubeconfig, 'get', kind, name, '-n', 'default', '-o', 'json'], env, 30_000)).stdout,
        );
      const pick = (c: any) => ({
        name: c.name,
        image: c.image,
        command: c.command,
        args: c.args,
        mounts: (c.volumeMounts ?? []).map((m: any) => `${m.name}:${m.mountPath}`),
      });
      for (const name of ['sample-apiserver', 'sample-controller-manager', 'sample-scheduler']) {
        const want = items.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
        assert.ok(want, `render shows Deployment ${name}`);
        const live = await liveOf('deployment', name);
        assert.deepEqual(
          live.spec.template.spec.containers.map(pick),
          want!.spec.template.spec.containers.map(pick),
          `Deployment ${name}: containers as rendered`,
        );
        assert.deepEqual(
          live.spec.template.spec.volumes.map((v: any) => v.name),
          want!.spec.template.spec.volumes.map((v: any) => v.name),
        );
      }
      const liveEtcd = await liveOf('etcdcluster', 'sample-etcd');
      assert.deepEqual(
        { replicas: liveEtcd.spec.replicas, version: liveEtcd.spec.version },
        items.find((o) => o.kind === 'EtcdCluster')!.spec,
      );
      const secretNames = items
        .filter((o) => o.kind === 'Secret')
        .map((o) => o.metadata.name)
        .sort();
      for (const s of secretNames) assert.equal((await liveOf('secret', s)).metadata.name, s, `live Secret ${s} exists`);
      assert.ok(
        items
          .filter((o) => o.kind === 'Secret')
          .every((o) => Object.values(o.data ?? {}).every((v) => Buffer.from(v, 'base64').toString().startsWith('PLACEHOLDER'))),
        'rendered Secrets hold placeholders only',
      );

      // A Deployment in the business cluster: its scheduler places the pods on the kwok nodes, kwok reports them Running.
      const nodes = await run(kubectl, ['--kubeconfig', kcFile, 'get', 'nodes', '-o', 'json'], env, 30_000);
      assert.equal(
        JSON.parse(nodes.stdout).items.filter((n: any) => n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'))
          .length,
        2,
        'two Ready nodes',
      );
      assert.equal(
        (
          await run(
            kubectl,
            ['--kubeconfig', kcFile, 'create', 'deployment', 'web', '--image=registry.k8s.io/pause:3.10', '--replicas=2'],
            env,
            30_000,
          )
        ).code,
        0,
      );
      const waited = await run(
        kubectl,
        ['--kubeconfig', kcFile, 'wait', '--for=condition=Available', 'deployment/web', '--timeout=120s'],
        env,
        150_000,
      );
      assert.equal(waited.code, 0, waited.stderr);
      const webPods = JSON.parse(
        (await run(kubectl, ['--kubeconfig', kcFile, 'get', 'pods', '-l', 'app=web', '-o', 'json'], env, 30_000)).stdout,
      ).items;
      assert.equal(webPods.length, 2);
      for (const p of webPods) {
        assert.equal(p.status.phase, 'Running');
        assert.match(p.spec.nodeName, /sample-worker-[01]/);
      }

      const status = await kokpit('status', '--name', NAME);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /default\s+sample\s+Running\s+v1\.33\.13\s+https:\/\/127\.0\.0\.1:\d+\s+1\/1 healthy\s+2\/2 running/);
      assert.match(status.stdout, /holds the lease kokpit-system\/kokpit-manager/);
      const get = await kokpit('get', 'clusters', '--name', NAME, '-o', 'json');
      assert.equal(get.code, 0, get.stderr);
      assert.equal(JSON.parse(get.stdout).items[0].status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');

      // Running `up` again reuses the environment (idempotent).
      const again = await kokpit('up', '--name', NAME, '--runtime', 'sandbox', '--detach');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /already running .*reusing it/);

      const known = [state.pid, ...state.components.map((c) => c.pid), ...pods.map((p) => p.pid), ...descendants(state.pid)];
      assert.ok(
        known.length >= 1 + 3 + 4 + 1,
        `supervisor, meta control plane, business control plane and kwok (saw ${known.length} pids)`,
      );
      const tDown = Date.now();
      const down = await kokpit('down', '--name', NAME);
      process.stderr.write(`  kokpit down took ${((Date.now() - tDown) / 1000).toFixed(1)}s\n`);
      assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
      assert.deepEqual(known.filter(alive), [], 'every process of the environment is gone');
      assert.deepEqual(
        processesMentioning(root).map((p) => p.cmd),
        [],
        'no process mentions the environment directory',
      );
      assert.ok(!fs.existsSync(path.join(root, NAME)), 'state removed');
    },
  );
});
