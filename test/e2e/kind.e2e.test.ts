// End to end, for real: a kind meta cluster with a nested business cluster whose control plane, etcd and
// worker nodes actually run (issue 9), reconciled by kokpit's manager as two pods of the meta cluster (`kokpit up`'s
// default on kind, issue 16: its kind Machines through the host's Docker socket, as CAPD does), whose leader pod is
// killed in the middle of an etcd scale (step 5a). Everything comes from this machine: Docker's engine from Debian with
// runc-capdrop, images built by hack/offline-images (no registry). Each step prints its duration; the run ends
// with one JSON line `{"e2e": "kind", ...}`. Only the Docker network kind creates for this run is used.
//
//   npm run test:e2e            (KOKPIT_E2E_KEEP=1 leaves the environment up for a look after a failure)
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binDir } from '../../src/binaries/build';
import { CONFORMANCE_VERSION, KIND_VERSION } from '../../src/binaries/catalog';
import { waitFor } from '../../src/controlplane/wait';
import { tailFile } from '../../src/binaries/processes';
import type { Machine } from '../../src/api';
import { containerNameOf } from '../../src/operators/machine/providers/kind';
import { coreDNSAddon } from '../../src/catalog/addons/coredns';
import { shippedAddon } from '../../src/catalog/addons/define';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin/kokpit.js');
const NAME = 'kokpit-e2e';
const NS = 'default';
const CLUSTER = 'sample';
const KUBECTL = path.join(binDir(), 'kubectl', 'v1.33.13', 'kubectl');
const KIND_DIR = path.join(binDir(), 'kind', KIND_VERSION);
const APP_IMAGE = 'kokpit-e2e/hello:v1';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: o.env ?? process.env, timeout: o.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr || (err && !stdout ? err.message : '')),
        });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** Runs and fails the step with the command's output when it exits non-zero. */
async function must(cmd: string, args: string[], o: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, o);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** A long setup command, streamed so progress shows. */
function stream(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
    child.on('error', reject);
  });
}

/** The project's poll-with-deadline (last error in the timeout message), with this file's default interval. */
const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 2000): Promise<T> =>
  waitFor(what, () => fn(), { timeoutMs, intervalMs });

const steps: Array<{ step: string; ms: number; ok: boolean; note?: string }> = [];
const t0 = Date.now();

describe('end to end on kind: meta cluster, nested business cluster, real etcd, control plane and nodes', function () {
  this.timeout(3_600_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  let metaKubeconfig: string;
  let bizKubeconfig: string;
  let networkExisted = false;
  let volumesBefore = new Set<string>();
  let containersBefore = new Set<string>();
  const kokpit = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, timeoutMs: 1_800_000 });
  const meta = (...args: string[]) => must(KUBECTL, ['--kubeconfig', metaKubeconfig, ...args], { env });
  const biz = (...args: string[]) => must(KUBECTL, ['--kubeconfig', bizKubeconfig, ...args], { env });
  const metaNode = `${NAME}-control-plane`;
  /** The running container of a pod on a kind node (containerd's own CLI: `ctr`; the node image has no crictl), with its pid. */
  async function containerTask(node: string, pod: string, container: string): Promise<{ id: string; pid: string } | undefined> {
    const ids = (
      await must('docker', [
        'exec',
        node,
        'ctr',
        '-n',
        'k8s.io',
        'containers',
        'ls',
        '-q',
        `labels."io.kubernetes.pod.name"==${pod},labels."io.kubernetes.container.name"==${container}`,
      ])
    )
      .split('\n')
      .filter(Boolean);
    const tasks = (await must('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'tasks', 'ls']))
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const t = tasks.find(([id, , status]) => ids.includes(id!) && status === 'RUNNING');
    return t ? { id: t[0]!, pid: t[1]! } : undefined;
  }
  /** The running etcd container of a member pod on the meta node. */
  const etcdTask = (pod: string) => containerTask(metaNode, pod, 'etcd');
  /** The manager's leader Lease and its pods (kokpit install: kokpit-system/kokpit-manager, two replicas). */
  const lease = async () =>
    JSON.parse(await meta('get', 'lease', '-n', 'kokpit-system', 'kokpit-manager', '-o', 'json')) as {
      spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
    };
  const managerPods = async () =>
    (
      await meta(
        'get',
        'pods',
        '-n',
        'kokpit-system',
        '-l',
        'app.kubernetes.io/component=manager',
        '-o',
        'jsonpath={.items[*].metadata.name}',
      )
    )
      .split(' ')
      .filter(Boolean);

  /** Records the step's duration (failed or not) and prints it. */
  async function step(name: string, fn: () => Promise<string | void>): Promise<void> {
    const s = Date.now();
    try {
      const note = (await fn()) ?? undefined;
      steps.push({ step: name, ms: Date.now() - s, ok: true, ...(note ? { note } : {}) });
      console.log(`      [e2e] ${name}: ${((Date.now() - s) / 1000).toFixed(1)} s${note ? ` (${note})` : ''}`);
    } catch (e) {
      steps.push({ step: name, ms: Date.now() - s, ok: false, note: e instanceof Error ? e.message.split('\n')[0] : String(e) });
      console.log(`      [e2e] ${name}: FAILED after ${((Date.now() - s) / 1000).toFixed(1)} s`);
      throw e;
    }
  }

  before(async function () {
    // Setup from a cold cache builds every Go binary and image (~1 h on 2 cores): more than a step's hour.
    this.timeout(3 * 3_600_000);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-e2e-'));
    env = {
      ...process.env,
      PATH: `${KIND_DIR}:${path.dirname(KUBECTL)}:${process.env.PATH}`,
      KOKPIT_FROM_SOURCE: '1',
      KOKPIT_SANDBOX_DIR: root,
      XDG_CONFIG_HOME: path.join(root, 'config'),
      KUBECONFIG: '',
    };
    metaKubeconfig = path.join(root, NAME, 'kubeconfig');
    bizKubeconfig = path.join(root, 'sample.kubeconfig');
    await step('1. setup: Docker engine + runc-capdrop, binaries, images (idempotent, cached)', async () => {
      await stream('sh', [path.join(REPO, 'hack/offline-images/setup-engine.sh')], env);
      // --conformance: also the upstream test images step 4b runs (conformance-images.sh), and e2e.test itself.
      await stream('bash', [path.join(REPO, 'hack/offline-images/build-images.sh'), '--conformance'], env);
      await stream('npm', ['run', '--silent', 'setup:bins', '--', '--only', 'e2e.test', '--versions', CONFORMANCE_VERSION], env);
      // The manager's image: it runs as pods of the kind meta cluster (idempotent; ~50 s with nothing cached, debootstrap included).
      await stream('bash', [path.join(REPO, 'hack/offline-images/manager-image.sh')], env);
      // OCM's hub and agents for step 6e, from the OCM binaries npm test's integration tier has built (idempotent).
      await stream('bash', [path.join(REPO, 'hack/offline-images/ocm-images.sh')], env);
    });
    networkExisted = (await run('docker', ['network', 'inspect', 'kind'])).code === 0;
    volumesBefore = new Set((await must('docker', ['volume', 'ls', '-q'])).split('\n').filter(Boolean));
    // A run that died left its kind cluster: start clean.
    await run(process.execPath, [BIN, 'down', '--name', NAME], { env });
    await run(path.join(KIND_DIR, 'kind'), ['delete', 'cluster', '--name', NAME], { env });
    // …and its machine containers, which `kokpit down` finds only through its state directory (a kept run's is elsewhere).
    const leftMachines = (await must('docker', ['ps', '--all', '--quiet', '--filter', `label=kokpit.dev/meta-cluster=${NAME}`]))
      .split('\n')
      .filter(Boolean);
    if (leftMachines.length) await must('docker', ['rm', '--force', '--volumes', ...leftMachines]);
    // Every container there before this run (not filtered by label: machine containers carry their business
    // cluster's kind label, not the meta cluster's, so step 7 compares against this list).
    containersBefore = new Set((await must('docker', ['ps', '--all', '--quiet', '--no-trunc'])).split('\n').filter(Boolean));
  });

  after(async function () {
    const total = Date.now() - t0;
    console.log(
      JSON.stringify({
        e2e: 'kind',
        ok: steps.every((s) => s.ok) && steps.length >= 7,
        total_ms: total,
        steps: steps.map((s) => ({ step: s.step, ms: s.ms, ok: s.ok, ...(s.note ? { note: s.note } : {}) })),
      }),
    );
    // A failed run: the environment process's own log, before `kokpit down` removes it (CI once saw `kokpit status`
    // exit 1 right after `up` with nothing else to go on).
    const upLog = root ? path.join(root, NAME, 'up.log') : undefined;
    if (steps.some((s) => !s.ok) && upLog && fs.existsSync(upLog))
      console.log(`      [e2e] last lines of ${upLog}:\n${tailFile(upLog, 40).replace(/^/gm, '        | ')}`);
    if (process.env.KOKPIT_E2E_KEEP) {
      console.log(`      kept: KOKPIT_SANDBOX_DIR=${root} node bin/kokpit.js down --name ${NAME}`);
      return;
    }
    if (root && fs.existsSync(path.join(root, NAME))) await run(process.execPath, [BIN, 'down', '--name', NAME], { env });
  });

  it('2. kokpit up --with-sample: kind meta cluster, the manager as its pods, sample business cluster; its pods Running', async () => {
    await step('2. kokpit up --runtime kind --with-sample (the manager in the cluster by default)', async () => {
      const up = await kokpit('up', '--runtime', 'kind', '--name', NAME, '--with-sample', '--detach');
      console.log(
        up.stdout
          .split('\n')
          .map((l) => `        | ${l}`)
          .join('\n'),
      );
      assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
      const pods = JSON.parse(await meta('get', 'pods', '-n', NS, '-o', 'json')) as {
        items: Array<{ metadata: { name: string }; status: { phase: string; containerStatuses?: Array<{ ready: boolean }> } }>;
      };
      const running = pods.items
        .filter((p) => p.status.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready))
        .map((p) => p.metadata.name);
      for (const want of [/^sample-etcd-\d+$/, /^sample-apiserver-/, /^sample-controller-manager-/, /^sample-scheduler-/]) {
        assert.ok(
          running.some((n) => want.test(n)),
          `no Running pod ${want} in the meta cluster: ${pods.items.map((p) => `${p.metadata.name}=${p.status.phase}`).join(', ')}`,
        );
      }
      // kind's default: the manager as two pods of the meta cluster (kokpit install), one of them holding the lease.
      const holder = (await lease()).spec.holderIdentity;
      const managers = await managerPods();
      assert.ok(holder && managers.includes(holder), `the lease holder ${holder} is one of the manager pods ${managers.join(', ')}`);
      const status = await kokpit('status', '--name', NAME);
      assert.equal(status.code, 0, `kokpit status exited ${status.code}:\n${status.stdout}\n${status.stderr}`);
      assert.match(status.stdout, new RegExp(holder), `kokpit status names the pod holding the lease:\n${status.stdout}`);
      return `${running.length} pods Running in meta namespace ${NS}; manager pods ${managers.join(', ')}, ${holder} leading`;
    });
  });

  it('3. kubectl with the kubeconfig from `kokpit kubeconfig` creates workloads in the business cluster', async () => {
    await step('3. kubectl on the host → business cluster', async () => {
      const r = await kokpit('kubeconfig', CLUSTER, '--name', NAME, '-o', bizKubeconfig);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fs.statSync(bizKubeconfig).mode & 0o777, 0o600);
      const manifest = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace: 'e2e' }, data: { text: 'hello from kokpit e2e' } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'e2e' }, stringData: { token: 'not-a-real-secret' } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'reader', namespace: 'e2e' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'reader', namespace: 'e2e' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'e2e' }],
        },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'hello', namespace: 'e2e' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'hello' } },
            template: {
              metadata: { labels: { app: 'hello' } },
              spec: {
                containers: [
                  {
                    name: 'hello',
                    image: APP_IMAGE,
                    imagePullPolicy: 'Never',
                    command: ['/bin/sh', '-c', 'echo "hello from $(hostname): $GREETING"; exec httpd -f -p 8080 -h /www'],
                    env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greeting', key: 'text' } } }],
                    ports: [{ containerPort: 8080 }],
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'hello', namespace: 'e2e' },
          spec: { selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      ];
      await must(KUBECTL, ['--kubeconfig', bizKubeconfig, 'apply', '-f', '-'], {
        env,
        input: manifest.map((m) => JSON.stringify(m)).join('\n---\n'),
      });
      const can = await biz('auth', 'can-i', 'list', 'configmaps', '-n', 'e2e', '--as', 'system:serviceaccount:e2e:default');
      assert.equal(can.trim(), 'yes');
      return 'Namespace, ConfigMap, Secret, Role, RoleBinding, Deployment, Service applied';
    });
  });

  it('4. the two kind machines are real Ready nodes; a pod from a locally built image runs; logs and exec work', async () => {
    await step('4. machines Ready, local image pod, logs, exec', async () => {
      const nodes = await until(
        '2 Ready nodes in the business cluster',
        async () => {
          const l = JSON.parse(await biz('get', 'nodes', '-o', 'json')) as {
            items: Array<{
              metadata: { name: string };
              status: {
                conditions: Array<{ type: string; status: string }>;
                nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string };
              };
            }>;
          };
          const ready = l.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready.length >= 2 ? ready : undefined;
        },
        300_000,
      );
      for (const n of nodes) assert.match(n.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
      // A locally built image, loaded into each machine's containerd (what `kind load docker-image` does).
      await buildAppImage();
      const tar = path.join(root, 'hello.tar');
      await must('docker', ['save', '-o', tar, APP_IMAGE]);
      for (const n of nodes) {
        const name = containerNameOf({
          metadata: { name: n.metadata.name, namespace: NS },
          spec: { clusterRef: { name: CLUSTER } },
        } as Machine);
        await must('sh', ['-c', `docker exec -i ${name} ctr --namespace=k8s.io images import - < ${tar}`]);
      }
      await biz('rollout', 'status', '-n', 'e2e', 'deployment/hello', '--timeout=240s');
      const pods = JSON.parse(await biz('get', 'pods', '-n', 'e2e', '-l', 'app=hello', '-o', 'json')) as {
        items: Array<{ metadata: { name: string }; spec: { nodeName: string } }>;
      };
      const pod = pods.items[0]!.metadata.name;
      const logs = await biz('logs', '-n', 'e2e', pod);
      assert.match(logs, /hello from .*: hello from kokpit e2e/);
      const out = await biz('exec', '-n', 'e2e', pod, '--', 'cat', '/www/index.html');
      assert.equal(out.trim(), 'kokpit e2e');
      return (
        `nodes ${nodes.map((n) => `${n.metadata.name} (${n.status.nodeInfo.kubeletVersion})`).join(', ')}; ` +
        `pods on ${[...new Set(pods.items.map((p) => p.spec.nodeName))].join(', ')}`
      );
    });
  });

  async function buildAppImage(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(root, 'img-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'www'));
    fs.copyFileSync(path.join(os.homedir(), '.cache/kokpit/images/busybox'), path.join(dir, 'bin/busybox'));
    fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'httpd', 'cat', 'echo', 'hostname', 'wget']) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
    fs.writeFileSync(path.join(dir, 'www/index.html'), 'kokpit e2e\n');
    await must('sh', ['-c', `tar -C ${dir} -c . | docker import -c 'ENV PATH=/bin' - ${APP_IMAGE}`]);
  }

  // Upstream's own tests on this environment's business cluster (issue 20), instead of a second kind environment of
  // their own: `npm run test:conformance -- --ci --cluster sample` (scripts/conformance.ts), right after step 4, while
  // the environment is what the standalone run brings up (the sample and its two machines). JUnit and summary.txt stay
  // in its run directory; a failed test fails the step.
  it('4b. the conformance CI subset (scripts/conformance-lib.ts CI_TESTS) passes on the sample business cluster', async () => {
    await step('4b. conformance CI subset on the sample', async () => {
      const runDir = path.join(os.homedir(), '.cache/kokpit/conformance', `e2e-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const args = ['scripts/conformance.ts', '--ci', '--cluster', CLUSTER, '--name', NAME, '--no-setup', '--run-dir', runDir];
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(path.join(REPO, 'node_modules/.bin/tsx'), args, { cwd: REPO, env, stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('exit', (c) => resolve(c ?? 1));
        child.on('error', reject);
      });
      const summary = fs.existsSync(path.join(runDir, 'summary.txt')) ? fs.readFileSync(path.join(runDir, 'summary.txt'), 'utf8') : '';
      assert.equal(code, 0, `test:conformance --ci exited ${code}: ${summary || 'no summary'} (run directory ${runDir})`);
      assert.match(summary, /^\d+ passed, 0 failed, 0 skipped/);
      return `${summary.split('\n')[0]}; ${path.join(runDir, 'report/junit_01.xml')}`;
    });
  });

  it('5. etcd 1 → 3, a member container killed heals while the business cluster serves; backup restored into a new cluster', async () => {
    const etcdName = `${CLUSTER}-etcd`;
    type Etcd = {
      status?: {
        readyMembers?: number;
        replicas?: number;
        leader?: string;
        phase?: string;
        members?: Array<{ name: string; healthy?: boolean; id?: string }>;
      };
    };
    const etcd = async () => JSON.parse(await meta('get', 'etcdclusters.kokpit.dev', '-n', NS, etcdName, '-o', 'json')) as Etcd;
    // A reader of the business cluster during the whole step: every failure is counted.
    let probes = 0;
    let probeFailures = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probes++;
        const r = await run(
          KUBECTL,
          ['--kubeconfig', bizKubeconfig, 'get', 'configmap', '-n', 'e2e', 'greeting', '-o', 'name', '--request-timeout=5s'],
          { env, timeoutMs: 10_000 },
        );
        if (r.code !== 0) probeFailures++;
        await new Promise((res) => setTimeout(res, 1000));
      }
    })();
    try {
      await step('5a. etcd scale 1 → 3, the manager leader pod killed (SIGKILL, pod force-deleted) in the middle', async () => {
        await meta(
          'patch',
          'businessclusters.kokpit.dev',
          '-n',
          NS,
          CLUSTER,
          '--type',
          'merge',
          '-p',
          JSON.stringify({ spec: { etcd: { managed: { replicas: 3 } } } }),
        );
        // Mid-operation: the operator has created the second member's pod and the cluster is not at 3 yet.
        await until(
          'the scale under way',
          async () => {
            const pods = (await meta('get', 'pods', '-n', NS, '-o', 'jsonpath={.items[*].metadata.name}')).split(' ');
            return pods.includes(`${etcdName}-1`) && ((await etcd()).status?.readyMembers ?? 0) < 3 ? true : undefined;
          },
          300_000,
          500,
        );
        const before = await lease();
        const leader = before.spec.holderIdentity!;
        const task = await containerTask(metaNode, leader, 'manager');
        assert.ok(task, `a running manager container in ${leader}`);
        const killedAt = Date.now();
        // A crash, not a shutdown: no lease release. The pod goes too, so the same identity cannot come back in it.
        await must('docker', ['exec', metaNode, 'kill', '-9', task.pid]);
        await meta('delete', 'pod', '-n', 'kokpit-system', leader, '--grace-period=0', '--force', '--wait=false');
        const next = await until(
          'another pod holding the lease',
          async () => {
            const h = (await lease()).spec.holderIdentity;
            return h && h !== leader ? h : undefined;
          },
          180_000,
          250,
        );
        const takeoverMs = Date.now() - killedAt;
        const durationSec = before.spec.leaseDurationSeconds ?? 15;
        // The lease runs out at most leaseDurationSeconds after the kill, and the standby retries every 2 s; twice that
        // leaves room for this loaded machine without letting a standby that never noticed pass.
        assert.ok(takeoverMs < 2 * (durationSec + 2) * 1000, `takeover took ${takeoverMs} ms (lease ${durationSec} s)`);
        const s = await until(
          '3 ready etcd members',
          async () => {
            const e = await etcd();
            return e.status?.readyMembers === 3 && e.status.members?.length === 3 ? e : undefined;
          },
          600_000,
        );
        return (
          `killed manager ${leader} (pid ${task.pid}); ${next} took the lease after ${(takeoverMs / 1000).toFixed(1)} s ` +
          `(lease ${durationSec} s); members ${s.status!.members!.map((m) => m.name).join(', ')}, leader ${s.status!.leader}`
        );
      });
      await step('5b. kill an etcd member container; it heals', async () => {
        // A member that just joined may still restart once (its own DNS name can lag its pod): kill a settled one.
        type Member = { name: string; healthy?: boolean; id?: string };
        const settled = await until(
          'every member healthy for 10 s',
          async () => {
            const a = await etcd();
            await new Promise((r) => setTimeout(r, 10_000));
            const b = await etcd();
            const ok = (e: Etcd) => e.status?.readyMembers === 3 && (e.status.members ?? []).every((m: Member) => m.healthy);
            return ok(a) && ok(b) ? b : undefined;
          },
          300_000,
          1000,
        );
        const victim = settled.status!.members!.find((m) => m.name !== settled.status!.leader)!.name;
        const killed = await etcdTask(victim);
        assert.ok(killed, `a running etcd container for ${victim}`);
        const restarts = async () =>
          Number(
            (await meta('get', 'pod', '-n', NS, victim, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}').catch(() => '-1')) ||
              0,
          );
        const restartsBefore = await restarts();
        const t0 = Date.now();
        await must('docker', ['exec', metaNode, 'kill', '-9', killed.pid]);
        // Healed: three healthy members again, without the killed process — restarted in its pod by the
        // kubelet, or replaced by the operator (a new member) if it stayed down past its grace period.
        // Status written after the kill is what counts: a new container counted by the kubelet (restartCount),
        // or the member gone from the member list (replaced); then 3 healthy members.
        const healed = await until(
          '3 healthy members again',
          async () => {
            const e = await etcd();
            const members = e.status?.members ?? [];
            const healthy = e.status?.readyMembers === 3 && members.length === 3 && members.every((m: Member) => m.healthy);
            if (!healthy) return undefined;
            if (!members.some((m) => m.name === victim)) return { e, now: undefined };
            const now = await etcdTask(victim).catch(() => undefined);
            return now && now.id !== killed.id && (await restarts()) > restartsBefore ? { e, now } : undefined;
          },
          300_000,
          1000,
        );
        const how = healed.e.status!.members!.some((m) => m.name === victim)
          ? `restarted in its pod (container ${healed.now?.id.slice(0, 12)})`
          : `replaced by ${healed.e
              .status!.members!.map((m) => m.name)
              .filter((n) => !settled.status!.members!.some((o) => o.name === n))
              .join(', ')}`;
        return `killed ${victim}'s etcd (pid ${killed.pid}); ${how}; 3/3 healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
      });
    } finally {
      probing = false;
      await prober;
    }
    // The business cluster kept serving: at most a few seconds of failed reads (leader change), never a long outage.
    console.log(`      [e2e] business cluster reads during 5a/5b: ${probes - probeFailures}/${probes} succeeded`);
    assert.ok(probeFailures <= 5, `${probeFailures} of ${probes} reads of the business cluster failed during scale and heal`);
    await step('5c. backup, restore into a new etcd cluster, data checked', async () => {
      const b = await kokpit('backup', etcdName, '-n', NS, '--backup-name', 'e2e-backup', '--wait', '--name', NAME);
      assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`);
      // Taken by a manager pod, kept on the host (the environment's backups directory, mounted into node and pods):
      // it outlives the pods, and the restore pod's hostPath finds it whichever replica took it.
      const location = (await meta('get', 'etcdbackups.kokpit.dev', '-n', NS, 'e2e-backup', '-o', 'jsonpath={.status.location}')).trim();
      assert.ok(
        location.startsWith(path.join(root, NAME, 'backups')),
        `the snapshot ${location} is in the environment's backups directory`,
      );
      assert.ok(fs.statSync(location).size > 0, `the snapshot ${location} is on the host`);
      const r = await kokpit('restore', 'e2e-backup', '-n', NS, '--into', 'e2e-restored', '--replicas', '1', '--wait', '--name', NAME);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      // Read the ConfigMap written in step 3 straight from the restored member.
      const restored = await until('the restored member running', () => etcdTask('e2e-restored-0'), 120_000);
      const value = await must('docker', [
        'exec',
        metaNode,
        'ctr',
        '-n',
        'k8s.io',
        'tasks',
        'exec',
        '--exec-id',
        `e2e-${Date.now()}`,
        restored.id,
        'etcdctl',
        '--endpoints=https://127.0.0.1:2379',
        '--cacert=/etc/etcd/pki/ca.crt',
        '--cert=/etc/etcd/pki/peer.crt',
        '--key=/etc/etcd/pki/peer.key',
        'get',
        '/registry/configmaps/e2e/greeting',
        '--print-value-only',
      ]);
      assert.match(value, /hello from kokpit e2e/);
      return `snapshot on the host at ${location}; ConfigMap e2e/greeting read from the restored member`;
    });
  });

  it('6. a 1.32 business cluster upgraded to 1.33; its machines follow in phases; workloads keep running', async () => {
    const OLD = 'v1.32.0';
    const NEW = 'v1.33.13';
    const LEGACY = 'legacy';
    const legacyKubeconfig = path.join(root, 'legacy.kubeconfig');
    const lk = (...args: string[]) => must(KUBECTL, ['--kubeconfig', legacyKubeconfig, ...args], { env });
    type NodeList = {
      items: Array<{
        metadata: { name: string };
        status: { conditions: Array<{ type: string; status: string }>; nodeInfo: { kubeletVersion: string } };
      }>;
    };
    const kubelets = async () => {
      const l = JSON.parse(await lk('get', 'nodes', '-o', 'json')) as NodeList;
      return l.items.map((n) => ({
        name: n.metadata.name,
        version: n.status.nodeInfo.kubeletVersion,
        ready: n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
      }));
    };
    await step(`6a. catalog + ${OLD} business cluster with 2 kind machines (kubelet Component)`, async () => {
      const file = path.join(root, 'legacy.yaml');
      fs.writeFileSync(
        file,
        [
          // The catalog grows at run time: the 1.32 release the images were built for.
          {
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'KubernetesVersion',
            metadata: { name: OLD },
            spec: {
              version: OLD,
              state: 'Supported',
              nodeImage: `kindest/node:${OLD}`,
              etcd: { minVersion: '3.5.11', recommendedVersion: '3.5.35' },
              images: {
                kubeAPIServer: `registry.k8s.io/kube-apiserver:${OLD}`,
                kubeControllerManager: `registry.k8s.io/kube-controller-manager:${OLD}`,
                kubeScheduler: `registry.k8s.io/kube-scheduler:${OLD}`,
                kubeProxy: `registry.k8s.io/kube-proxy:${OLD}`,
                coreDNS: 'registry.k8s.io/coredns/coredns:v1.11.3',
                pause: 'registry.k8s.io/pause:3.10',
              },
            },
          },
          // The kubelet as an on-host component of kokpit's kind node images (every release's kubelet is in /kind/bin).
          {
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'Component',
            metadata: { name: 'kubelet-kind' },
            spec: {
              version: NEW,
              providers: ['kind'],
              steps: {
                install: { script: 'install -m 0755 /kind/bin/kubelet-{{ .version }} /usr/bin/kubelet', timeoutSeconds: 60 },
                upgrade: {
                  script: 'install -m 0755 /kind/bin/kubelet-{{ .version }} /usr/bin/kubelet && systemctl restart kubelet',
                  timeoutSeconds: 120,
                },
                health: {
                  script:
                    '/usr/bin/kubelet --version | grep -q " {{ .version }}$" && { systemctl is-active --quiet kubelet || ! test -f ' +
                    '/etc/kubernetes/kubelet.conf; }',
                  timeoutSeconds: 30,
                },
              },
            },
          },
          {
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'BusinessCluster',
            metadata: { name: LEGACY, namespace: NS },
            spec: {
              version: OLD,
              etcd: { managed: { replicas: 1 } },
              // The second reserved port of the kind meta cluster (127.0.0.1:36444 → node port 31444).
              apiServer: { service: { type: 'NodePort', nodePort: 31444 }, certSANs: [metaNode] },
              addons: [{ name: 'kokpit-cni' }, { name: 'kube-proxy' }, { name: 'coredns' }],
            },
          },
          {
            apiVersion: 'kokpit.dev/v1alpha1',
            kind: 'MachineSet',
            metadata: { name: `${LEGACY}-pool`, namespace: NS },
            spec: {
              clusterRef: { name: LEGACY },
              replicas: 2,
              template: { spec: { provider: 'kind', role: 'worker', components: [{ name: 'kubelet-kind', version: OLD }] } },
              // The pause holds phase 1 long enough to be seen: without it both kubelets were upgraded between two polls
              // (0/2 → 2/2 in 2.7 s, a run on 2026-12-05).
              rollout: { maxUnavailable: 1, phases: [{ percent: 50, pause: '20s' }, { percent: 100 }] },
            },
          },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n---\n'),
      );
      const a = await kokpit('apply', '-f', file, '--name', NAME);
      assert.equal(a.code, 0, `${a.stdout}\n${a.stderr}`);
      await until(
        `BusinessCluster ${LEGACY} Ready at ${OLD}`,
        async () => {
          const bc = JSON.parse(await meta('get', 'businessclusters.kokpit.dev', '-n', NS, LEGACY, '-o', 'json')) as {
            status?: { version?: string; conditions?: Array<{ type: string; status: string }> };
          };
          return bc.status?.version === OLD && bc.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? bc
            : undefined;
        },
        600_000,
      );
      const kc = await kokpit('kubeconfig', LEGACY, '--name', NAME, '-o', legacyKubeconfig);
      assert.equal(kc.code, 0, kc.stderr);
      const nodes = await until(
        `2 Ready nodes with kubelet ${OLD}`,
        async () => {
          const n = await kubelets();
          return n.length === 2 && n.every((x) => x.ready && x.version === OLD) ? n : undefined;
        },
        600_000,
      );
      // A workload from an image the node image carries, to watch through the upgrade.
      await must(KUBECTL, ['--kubeconfig', legacyKubeconfig, 'apply', '-f', '-'], {
        env,
        input: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'ticker', namespace: 'default' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'ticker' } },
            template: {
              metadata: { labels: { app: 'ticker' } },
              spec: {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: 'kubernetes.io/hostname',
                    whenUnsatisfiable: 'DoNotSchedule',
                    labelSelector: { matchLabels: { app: 'ticker' } },
                  },
                ],
                containers: [
                  {
                    name: 'ticker',
                    image: 'registry.k8s.io/etcd:3.5.35-0',
                    command: ['/bin/sh', '-c', 'while true; do date; sleep 2; done'],
                  },
                ],
              },
            },
          },
        }),
      });
      await lk('rollout', 'status', 'deployment/ticker', '--timeout=180s');
      return `nodes ${nodes.map((n) => `${n.name} ${n.version}`).join(', ')}; workload ticker 2/2`;
    });
    type Pods = {
      items: Array<{ metadata: { uid: string }; status: { containerStatuses?: Array<{ restartCount: number; ready: boolean }> } }>;
    };
    const before = JSON.parse(await lk('get', 'pods', '-l', 'app=ticker', '-o', 'json')) as Pods;
    await step(`6b. kokpit upgrade ${LEGACY} --to ${NEW} (control plane)`, async () => {
      const u = await kokpit('upgrade', LEGACY, '--to', NEW, '--name', NAME, '--timeout', '20m');
      assert.equal(u.code, 0, `${u.stdout}\n${u.stderr}`);
      const v = JSON.parse(await lk('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
      assert.equal(v.serverVersion.gitVersion, NEW);
      return u.stdout.trim().split('\n').slice(-1)[0];
    });
    await step(`6c. machines follow in phases (kubelet ${OLD} → ${NEW})`, async () => {
      await meta(
        'patch',
        'machinesets.kokpit.dev',
        '-n',
        NS,
        `${LEGACY}-pool`,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { template: { spec: { components: [{ name: 'kubelet-kind', version: NEW }] } } } }),
      );
      // Phase 1 (50%): exactly one node on the new kubelet while the other still runs the old one.
      const phases: string[] = [];
      const done = await until(
        `both kubelets at ${NEW}`,
        async () => {
          const n = await kubelets();
          const upgraded = n.filter((x) => x.version === NEW).length;
          const seen = `${upgraded}/${n.length}`;
          if (phases[phases.length - 1] !== seen) phases.push(seen);
          return upgraded === 2 && n.every((x) => x.ready) ? n : undefined;
        },
        900_000,
        1000,
      );
      assert.ok(phases.includes('1/2'), `a phase with one of two machines upgraded was seen: ${phases.join(' → ')}`);
      return `kubelets ${phases.join(' → ')} upgraded; ${done.map((n) => `${n.name} ${n.version}`).join(', ')}`;
    });
    const after = JSON.parse(await lk('get', 'pods', '-l', 'app=ticker', '-o', 'json')) as Pods;
    assert.deepEqual(
      after.items.map((p) => p.metadata.uid).sort(),
      before.items.map((p) => p.metadata.uid).sort(),
      'the same workload pods before and after',
    );
    assert.ok(
      after.items.every((p) => (p.status.containerStatuses ?? []).every((c) => c.ready && c.restartCount === 0)),
      'workload containers ready, never restarted',
    );
  });

  it('6d. a FleetRollout moves coredns 1.11.3 → 1.12.1 on both business clusters, wave by wave, pods Ready on real nodes', async () => {
    const clusters = [CLUSTER, 'legacy'];
    const kubeconfigs: Record<string, string> = { [CLUSTER]: bizKubeconfig, legacy: path.join(root, 'legacy.kubeconfig') };
    /** The cluster's coredns Deployment by its own API server: image, and rolled out with every pod Ready on a Node. */
    const dns = async (cluster: string) => {
      const k = (...a: string[]) => must(KUBECTL, ['--kubeconfig', kubeconfigs[cluster], '-n', 'kube-system', ...a], { env });
      const d = JSON.parse(await k('get', 'deployment', 'coredns', '-o', 'json')) as {
        metadata: { generation: number };
        spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
        status: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
      };
      const pods = JSON.parse(await k('get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'json')) as {
        items: Array<{
          spec: { nodeName?: string; containers: Array<{ image: string }> };
          status: { conditions?: Array<{ type: string; status: string }> };
        }>;
      };
      const image = d.spec.template.spec.containers[0].image;
      const podsReady = pods.items.filter(
        (p) =>
          p.spec.containers[0].image === image &&
          p.spec.nodeName &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      const st = d.status;
      const rolledOut =
        (st.observedGeneration ?? 0) >= d.metadata.generation &&
        st.updatedReplicas === d.spec.replicas &&
        st.availableReplicas === d.spec.replicas &&
        st.replicas === d.spec.replicas &&
        podsReady === d.spec.replicas;
      // Pods of the old version still terminating (shown; the last check waits until they are gone).
      const others = pods.items.length - podsReady;
      return {
        image,
        rolledOut,
        others,
        text: `${image} ${podsReady}/${d.spec.replicas} pods Ready${rolledOut ? ', rolled out' : ''}, ${others} other`,
      };
    };
    await step('6d. addon rollout coredns 1.11.3 → 1.12.1 in waves 1/100% (kokpit addons import, kokpit rollout create)', async () => {
      for (const c of clusters) assert.match((await dns(c)).image, /coredns:v1\.11\.3$/, `${c} starts at coredns 1.11.3`);
      // The catalog offers a second version: the shipped definition with the v1.12.1 image (built by hack/offline-images,
      // preloaded on the machines), imported as the CLI imports any Addon.
      const spec = structuredClone(coreDNSAddon.spec);
      const manifests = spec.manifests.replace('{{ .images.coreDNS }}', 'registry.k8s.io/coredns/coredns:v1.12.1');
      assert.notEqual(manifests, spec.manifests);
      const addonFile = path.join(root, 'coredns-1.12.1.json');
      fs.writeFileSync(
        addonFile,
        JSON.stringify(shippedAddon('coredns-1.12.1', { ...spec, name: 'coredns', version: '1.12.1', manifests })),
      );
      const imp = await kokpit('addons', 'import', addonFile, '--name', NAME);
      assert.equal(imp.code, 0, `${imp.stdout}\n${imp.stderr}`);
      await meta('label', '--overwrite', 'businessclusters.kokpit.dev', '-n', NS, ...clusters, 'e2e-dns=fleet');
      const cr = await kokpit(
        'rollout',
        'create',
        'dns-next',
        '--addon',
        'coredns=1.12.1',
        '--selector',
        'e2e-dns=fleet',
        '-n',
        NS,
        '--waves',
        '1,100%',
        '--soak',
        '10s',
        '--deadline',
        '10m',
        '--name',
        NAME,
      );
      assert.equal(cr.code, 0, `${cr.stdout}\n${cr.stderr}`);
      type Row = { name: string; wave: string; state: string; startedAt?: string; readySince?: string; finishedAt?: string };
      const order: string[] = [];
      const atSoak = new Map<string, Awaited<ReturnType<typeof dns>>>();
      const done = await until(
        'FleetRollout dns-next Succeeded (or Failed)',
        async () => {
          const r = JSON.parse(await meta('get', 'fleetrollouts.kokpit.dev', 'dns-next', '-o', 'json')) as {
            status?: { phase?: string; clusters?: Row[] };
          };
          for (const row of r.status?.clusters ?? []) {
            const line = `${row.name}:${row.state}`;
            if (!order.includes(line)) order.push(line);
            // Soaking means the cluster operator saw it ready at 1.12.1: its own API server must agree (checked below).
            if ((row.state === 'Soaking' || row.state === 'Succeeded') && !atSoak.has(row.name)) atSoak.set(row.name, await dns(row.name));
          }
          return r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed' ? r.status : undefined;
        },
        600_000,
        1000,
      );
      assert.equal(done.phase, 'Succeeded', JSON.stringify(done));
      // Wave by wave, by the rollout's own clock: the second cluster started only after the first had soaked its 10 s.
      const rows = done.clusters ?? [];
      assert.equal(rows.length, 2, JSON.stringify(rows));
      const [first, second] = [...rows].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
      assert.notEqual(first.wave, second.wave, JSON.stringify(rows));
      assert.ok(Date.parse(first.finishedAt!) - Date.parse(first.readySince!) >= 10_000, `first soaked 10 s: ${JSON.stringify(first)}`);
      assert.ok(Date.parse(second.startedAt!) >= Date.parse(first.finishedAt!), `second started after the first: ${JSON.stringify(rows)}`);
      for (const c of clusters) {
        const v = atSoak.get(c);
        assert.ok(v?.rolledOut && v.image.endsWith(':v1.12.1'), `${c} when first seen soaking: ${v?.text}`);
      }
      const after = await until(
        'both clusters at coredns v1.12.1, no old pod left',
        async () => {
          const vs = await Promise.all(clusters.map(dns));
          return vs.every((v) => v.rolledOut && v.others === 0 && v.image.endsWith(':v1.12.1')) ? vs : undefined;
        },
        120_000,
      );
      const soaked = [...atSoak].map(([c, v]) => `${c} ${v.text}`).join('; ');
      return `${order.join(' → ')}; at soak: ${soaked}; after: ${after.map((v) => v.text).join('; ')}`;
    });
  });

  // Issue 18 on real nodes: OCM's hub added to this running meta cluster (`kokpit up --with-ocm` on a running kind
  // environment loads hack/offline-images/ocm-images.sh's images and installs the hub), the multicluster operator
  // beside the in-cluster manager (the command kokpit up prints: its own lease; the manager's pods run none), both
  // business clusters registered, and one ManifestWorkReplicaSet (`kokpit deploy`) puts a web server and a NodePort
  // Service on both: its pods on each cluster's own kind machines, answering HTTP at every machine's address, and the
  // Deployment's replicas fed back to the hub. The image is the etcd one every node image carries (its static busybox
  // has httpd), so nothing is loaded into the machines.
  it('6e. OCM: a ManifestWorkReplicaSet runs a web server on both business clusters’ kind nodes, answering via a Service', async () => {
    const clusters = [CLUSTER, 'legacy'];
    const NODE_PORT = 30080;
    const kubeconfigs: Record<string, string> = {};
    type Pod = { metadata: { name: string }; spec: { nodeName?: string }; status: { phase: string; conditions?: Cond[] } };
    type Cond = { type: string; status: string; reason?: string };
    type Node = {
      metadata: { name: string };
      status: { addresses: Array<{ type: string; address: string }>; nodeInfo: Record<string, string> };
    };
    let operator: ReturnType<typeof spawn> | undefined;
    const operatorLog = path.join(root, 'multicluster-operator.log');
    try {
      await step(
        '6e. OCM hub added to the running meta cluster, sample + legacy registered, a ManifestWorkReplicaSet serving on both',
        async () => {
          const lap = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
          const t = Date.now();
          for (const c of clusters) {
            kubeconfigs[c] = path.join(root, `ocm-${c}.kubeconfig`);
            const r = await kokpit('kubeconfig', c, '--name', NAME, '-o', kubeconfigs[c]);
            assert.equal(r.code, 0, r.stderr);
          }
          await meta('label', '--overwrite', 'businessclusters.kokpit.dev', '-n', NS, ...clusters, 'e2e-ocm=web');
          const up = await kokpit('up', '--runtime', 'kind', '--name', NAME, '--with-ocm');
          assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
          console.log(
            up.stdout
              .split('\n')
              .filter((l) => /OCM|operator/.test(l))
              .map((l) => `        | ${l}`)
              .join('\n'),
          );
          const hubReady = lap(t);
          // The in-cluster manager runs no multicluster operator: kokpit up says so and prints the command that runs one.
          const command = /^\s*kokpit (operator .*--controllers multicluster.*)$/m.exec(up.stdout)?.[1];
          assert.ok(command, `kokpit up names the multicluster operator's command:\n${up.stdout}`);
          const log = fs.openSync(operatorLog, 'w');
          operator = spawn(process.execPath, [BIN, ...command.split(' ')], { env, stdio: ['ignore', log, log] });
          fs.closeSync(log);
          const tReg = Date.now();
          const mcs = await until(
            'ManagedClusters default-sample and default-legacy Joined and Available',
            async () => {
              const l = JSON.parse(await meta('get', 'managedclusters', '-o', 'json')) as {
                items: Array<{ metadata: { name: string }; status?: { conditions?: Cond[] } }>;
              };
              const ok = (n: string) =>
                l.items
                  .find((m) => m.metadata.name === `${NS}-${n}`)
                  ?.status?.conditions?.filter((c) => c.status === 'True')
                  .map((c) => c.type);
              const st = clusters.map((c) => ok(c) ?? []);
              return st.every((x) => x.includes('ManagedClusterJoined') && x.includes('ManagedClusterConditionAvailable'))
                ? l.items.map((m) => m.metadata.name)
                : undefined;
            },
            150_000,
            1000,
          );
          const registered = lap(tReg);
          const status = await kokpit('status', '--name', NAME);
          assert.equal(status.code, 0, `kokpit status exited ${status.code}:\n${status.stdout}\n${status.stderr}`);
          const workload = [
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-ocm' } },
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: 'web', namespace: 'e2e-ocm' },
              spec: {
                replicas: 2,
                selector: { matchLabels: { app: 'web' } },
                template: {
                  metadata: { labels: { app: 'web' } },
                  spec: {
                    // One pod per machine: each of a cluster's two nodes serves.
                    topologySpreadConstraints: [
                      {
                        maxSkew: 1,
                        topologyKey: 'kubernetes.io/hostname',
                        whenUnsatisfiable: 'DoNotSchedule',
                        labelSelector: { matchLabels: { app: 'web' } },
                      },
                    ],
                    containers: [
                      {
                        name: 'web',
                        image: 'registry.k8s.io/etcd:3.5.35-0',
                        command: [
                          '/bin/sh',
                          '-c',
                          '/bin/busybox mkdir -p /tmp/www && echo "web $POD_NAME on $NODE_NAME" > /tmp/www/index.html && ' +
                            'exec /bin/busybox httpd -f -p 8080 -h /tmp/www',
                        ],
                        env: [
                          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                          { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                        ],
                        ports: [{ containerPort: 8080 }],
                        readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 2 },
                      },
                    ],
                  },
                },
              },
            },
            {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'web', namespace: 'e2e-ocm' },
              spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
            },
          ];
          const file = path.join(root, 'e2e-web.yaml');
          fs.writeFileSync(file, workload.map((o) => JSON.stringify(o)).join('\n---\n'));
          const tDeploy = Date.now();
          const d = await kokpit('deploy', file, '--selector', 'e2e-ocm=web', '-n', NS, '--name', NAME);
          assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
          assert.match(d.stdout, /3 objects of .*e2e-web\.yaml go to .*\(e2e-ocm=web\) as ManifestWorkReplicaSet default\/e2e-web/);
          for (const c of clusters) assert.match(d.stdout, new RegExp(`go to .*\\b${NS}-${c}\\b`), d.stdout);
          // Status feedback on the hub: each cluster's ManifestWork (the replica set's, in the cluster's hub namespace).
          type Work = {
            status?: {
              resourceStatus?: {
                manifests?: Array<{
                  resourceMeta: { kind: string };
                  statusFeedback?: { values?: Array<{ name: string; fieldValue: { integer?: number } }> };
                }>;
              };
            };
          };
          const feedback = await until(
            'ReadyReplicas=2 fed back to both hub ManifestWorks',
            async () => {
              const values = await Promise.all(
                clusters.map(async (c) => {
                  const r = await run(
                    KUBECTL,
                    ['--kubeconfig', metaKubeconfig, 'get', 'manifestwork', '-n', `${NS}-${c}`, 'e2e-web', '-o', 'json'],
                    {
                      env,
                    },
                  );
                  if (r.code !== 0) return undefined;
                  const m = (JSON.parse(r.stdout) as Work).status?.resourceStatus?.manifests?.find(
                    (x) => x.resourceMeta.kind === 'Deployment',
                  );
                  return Object.fromEntries((m?.statusFeedback?.values ?? []).map((v) => [v.name, v.fieldValue.integer]));
                }),
              );
              return values.every((v) => v?.ReadyReplicas === 2) ? values : undefined;
            },
            150_000,
            1000,
          );
          const fedBack = lap(tDeploy);
          // Each cluster's pods, by its own API server, on its own nodes, which are this run's kind machine containers.
          const machineIPs = new Map<string, string>();
          // Containers on the kind network (this run's: the meta node and the machines), by address.
          const net = await must('docker', [
            'network',
            'inspect',
            'kind',
            '-f',
            '{{range .Containers}}{{.Name}} {{.IPv4Address}}\n{{end}}',
          ]);
          for (const [name, cidr] of net.split('\n').map((l) => l.trim().split(/\s+/)))
            if (name && cidr && name !== metaNode) machineIPs.set(cidr.split('/')[0]!, name);
          const notes: string[] = [];
          for (const c of clusters) {
            const k = (...a: string[]) => must(KUBECTL, ['--kubeconfig', kubeconfigs[c], ...a], { env });
            const nodes = (JSON.parse(await k('get', 'nodes', '-o', 'json')) as { items: Node[] }).items;
            const ipOf = new Map(
              nodes.map((n) => [n.metadata.name, n.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '']),
            );
            const pods = (JSON.parse(await k('get', 'pods', '-n', 'e2e-ocm', '-l', 'app=web', '-o', 'json')) as { items: Pod[] }).items;
            const ready = pods.filter(
              (p) => p.status.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
            );
            assert.equal(ready.length, 2, `${c}: ${pods.map((p) => `${p.metadata.name}=${p.status.phase}@${p.spec.nodeName}`).join(', ')}`);
            const onNodes = [...new Set(ready.map((p) => p.spec.nodeName!))];
            assert.equal(onNodes.length, 2, `${c}: one pod per machine, got ${onNodes.join(', ')}`);
            for (const n of onNodes) {
              assert.ok(
                machineIPs.has(ipOf.get(n)!),
                `${c}: node ${n} (${ipOf.get(n)}) is a kind machine container of ${NAME}: ${[...machineIPs]}`,
              );
              assert.match(nodes.find((x) => x.metadata.name === n)!.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
            }
            // The Service answers from the host at each machine's address and the NodePort (kube-proxy on that node).
            const answers: string[] = [];
            for (const n of onNodes) {
              const url = `http://${ipOf.get(n)}:${NODE_PORT}/`;
              const body = await until(
                `${url} answers`,
                async () => {
                  const r = await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
                  return r?.ok ? (await r.text()).trim() : undefined;
                },
                60_000,
                1000,
              );
              const m = /^web (\S+) on (\S+)$/.exec(body);
              assert.ok(m && ready.some((p) => p.metadata.name === m[1]) && onNodes.includes(m[2]!), `${c}: ${url} said "${body}"`);
              answers.push(`${ipOf.get(n)} → ${m[1]}@${m[2]}`);
            }
            notes.push(
              `${c}: pods on ${onNodes.map((n) => `${n} (${machineIPs.get(ipOf.get(n)!)})`).join(', ')}; HTTP ${answers.join(', ')}`,
            );
          }
          // kokpit status: JOINED and AVAILABLE True for both (the columns before AGE).
          assert.match(status.stdout, /\bJOINED\s+AVAILABLE\s+AGE\b/, status.stdout);
          for (const c of clusters)
            assert.match(status.stdout, new RegExp(`^\\s*${NS}\\s+${c}\\s.*\\sTrue\\s+True\\s+\\S+\\s*$`, 'm'), status.stdout);
          return (
            `hub ready ${hubReady} after kokpit up; ${mcs.join(', ')} Joined+Available ${registered} after the operator started; ` +
            `feedback ${feedback.map((v, i) => `${clusters[i]} ReadyReplicas=${v!.ReadyReplicas}`).join(', ')} ` +
            `${fedBack} after kokpit deploy; ` +
            notes.join('; ')
          );
        },
      );
    } finally {
      // Only the process this step started: SIGTERM (it releases its lease), SIGKILL if it has not gone in 20 s.
      if (operator?.pid && operator.exitCode === null) {
        const gone = new Promise((r) => operator!.once('exit', r));
        operator.kill('SIGTERM');
        const timer = setTimeout(() => operator!.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }
    }
  });

  it('7. kokpit down removes every container, network and volume it created', async () => {
    await step('7. kokpit down', async () => {
      const down = await kokpit('down', '--name', NAME);
      assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
      const ps = await must('docker', ['ps', '--all', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
      const left = ps.split('\n').filter((l) => l && !containersBefore.has(l.split(' ')[0]));
      assert.deepEqual(left, [], 'containers left (meta nodes and machines alike)');
      const volumes = (await must('docker', ['volume', 'ls', '-q'])).split('\n').filter((v) => v && !volumesBefore.has(v));
      assert.deepEqual(volumes, [], 'volumes left');
      if (!networkExisted)
        assert.notEqual((await run('docker', ['network', 'inspect', 'kind'])).code, 0, 'the kind network this run created is still there');
      return `no container, volume${networkExisted ? '' : ' or network'} left`;
    });
  });
});
