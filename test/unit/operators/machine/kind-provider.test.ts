// The kind provider against a scripted command runner: the exact docker/kubeadm argv of each step, and
// how each failure maps to a condition reason. No Docker engine is involved here; the real run of this
// provider belongs to the end-to-end issue (#9).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { BusinessCluster, Machine } from '../../../../src/api';
import { createCA } from '../../../../src/pki';
import type { ClusterConnection } from '../../../../src/operators/machine/connections';
import {
  JOIN_CONFIG_PATH,
  JOIN_PATCHES_DIR,
  KUBELET_CONFIG_PATCH,
  KindProvider,
  caCertHash,
  containerNameOf,
  renderJoinConfiguration,
  type BusinessClusterOps,
} from '../../../../src/operators/machine/providers/kind';
import type { DeleteContext, ProviderContext } from '../../../../src/operators/machine/providers/provider';
import { CommandNotFoundError, execaRunner, type CommandResult, type CommandRunner } from '../../../../src/binaries/processes';

const TOKEN = 'abcdef.0123456789abcdef';
/** The container of team-a/prod/w1 (containerNameOf): namespace, cluster, machine and a hash of the three. */
const C = 'team-a-prod-w1-50612d8d62';

interface Call {
  file: string;
  args: string[];
  input?: string;
  timeoutMs?: number;
}

/** Answers each command from the first rule whose prefix matches `args.join(' ')`; exit 0 otherwise. */
function scriptedRunner(rules: Array<[string, CommandResult | 'ENOENT']>): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(file, args, opts = {}) {
      calls.push({
        file,
        args: [...args],
        ...(opts.input !== undefined && opts.input !== '' ? { input: opts.input } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      const line = args.join(' ');
      const rule = rules.find(([prefix]) => line.startsWith(prefix));
      if (rule?.[1] === 'ENOENT') throw new CommandNotFoundError(file, 'ENOENT');
      return rule ? rule[1] : { exitCode: 0, stdout: '', stderr: '' };
    },
  };
}
const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const err = (exitCode: number, stderr: string): CommandResult => ({ exitCode, stdout: '', stderr });
/** The labels docker run puts on the container of team-a/prod/w1. */
const OWNED = {
  'kokpit.dev/machine-namespace': 'team-a',
  'io.x-k8s.kind.cluster': 'prod',
  'kokpit.dev/machine': 'w1',
  'io.x-k8s.kind.role': 'worker',
};
const CONTAINER_ID = 'f00d'.repeat(16);
/** What `docker container inspect --format INSPECT_FORMAT` prints for a container. */
const inspected = (state: string, labels: Record<string, string> | null = OWNED): CommandResult =>
  ok(JSON.stringify({ id: CONTAINER_ID, state, labels }));
const INSPECT = [
  'container',
  'inspect',
  '--format',
  '{"id":{{json .Id}},"state":{{json .State.Status}},"labels":{{json .Config.Labels}}}',
  C,
];
/** The Node of team-a/prod/w1 as the kubelet registers it (kokpit.dev/ labels from the join configuration). */
const OWN_NODE: V1Node = { metadata: { name: 'w1', labels: { 'kokpit.dev/machine': 'w1', 'kokpit.dev/machine-namespace': 'team-a' } } };

function recordingOps(node?: V1Node): BusinessClusterOps & { log: string[] } {
  const log: string[] = [];
  let current = node;
  return {
    log,
    async mintToken() {
      log.push('mint');
      return { id: 'abcdef', token: TOKEN, expires: new Date('2026-01-01T01:00:00Z') };
    },
    async labelNode(_ctx, labels) {
      log.push(`label ${JSON.stringify(labels)}`);
      return { ...current!, metadata: { ...current!.metadata, labels: { ...current!.metadata?.labels, ...labels } } };
    },
    async readNode() {
      log.push('read');
      return current;
    },
    async cordon() {
      log.push('cordon');
    },
    async evictPods() {
      log.push('evict');
      return [];
    },
    async deleteNode() {
      log.push('delete-node');
      current = undefined;
    },
    set node(n: V1Node | undefined) {
      current = n;
    },
  } as BusinessClusterOps & { log: string[] };
}

const machine: Machine = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'Machine',
  metadata: { name: 'w1', namespace: 'team-a', uid: 'u1' },
  spec: {
    clusterRef: { name: 'prod' },
    provider: 'kind',
    role: 'worker',
    labels: { zone: 'z1' },
    taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
  },
};
const cluster = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name: 'prod', namespace: 'team-a' },
  spec: { version: 'v1.33.13' },
  status: { version: 'v1.33.13', endpoint: 'https://172.18.0.2:31443' },
} as unknown as BusinessCluster;

describe('machine operator: kind provider (scripted docker; the real run is npm run test:e2e)', () => {
  let caPem: string;
  let ctx: ProviderContext;
  before(async () => {
    caPem = (await createCA('prod-ca', { validDays: 1 })).certPem;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'prod', server: 'https://127.0.0.1:6443', caData: Buffer.from(caPem).toString('base64') }],
      users: [{ name: 'admin', token: 'unused' }],
      contexts: [{ name: 'prod', cluster: 'prod', user: 'admin' }],
      currentContext: 'prod',
    });
    ctx = {
      machine,
      cluster,
      conn: { kc } as ClusterConnection,
      plan: [{ name: 'kubelet', version: 'v1.33.13', dependsOn: [] }],
      nodeName: 'w1',
    };
  });

  it("names the container <namespace>-<cluster>-<machine>-<hash>: names that CAPD's <cluster>-<machine> would merge stay apart", () => {
    assert.equal(containerNameOf(machine), C);
    const m = (namespace: string, clusterName: string, name: string) =>
      ({ metadata: { name, namespace }, spec: { clusterRef: { name: clusterName } } }) as Machine;
    const names = [m('x', 'a', 'b-c'), m('x', 'a-b', 'c'), m('y', 'a', 'b-c'), m('x-a', 'b', 'c'), m('x', 'a.b', 'c')].map(containerNameOf);
    assert.equal(new Set(names).size, names.length, names.join(' '));
    for (const n of names) assert.match(n, /^[a-z0-9][a-z0-9-]*-[0-9a-f]{10}$/);
    // Longest Kubernetes names (253-character namespace-free subdomains): still a DNS label, still distinct.
    const long = 'n'.repeat(63);
    const a = containerNameOf(m(long, 'c'.repeat(200), 'w'.repeat(253)));
    const b = containerNameOf(m(long, 'c'.repeat(200), `${'w'.repeat(252)}x`));
    assert.ok(a.length <= 63 && b.length <= 63, `${a.length} ${b.length}`);
    assert.notEqual(a, b);
  });

  it('the CA hash is what kubeadm documents (sha256 of the DER public key, as openssl computes it)', () => {
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
      input: execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: caPem }),
    });
    const expected = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString().trim().split(/\s+/).pop();
    assert.equal(caCertHash(caPem), `sha256:${expected}`);
  });

  it('provisions a new container: inspect, image present, docker run with the kind node flags', async () => {
    const runner = scriptedRunner([
      ['container inspect', err(1, `Error response from daemon: No such container: ${C}`)],
      ['image inspect', ok('sha256:1234')],
    ]);
    const p = new KindProvider({ runner, cluster: recordingOps() });
    const r = await p.provision(ctx);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.providerID, `kind://docker/prod/${C}`);
    assert.equal(r.condition.reason, 'ContainerRunning');
    assert.deepEqual(
      runner.calls.map((c) => [c.file, ...c.args]),
      [
        ['docker', ...INSPECT],
        ['docker', 'image', 'inspect', '--format', '{{.Id}}', 'kindest/node:v1.33.13'],
        [
          'docker',
          'run',
          '--detach',
          '--tty',
          '--name',
          C,
          '--hostname',
          C,
          '--network',
          'kind',
          '--label',
          'io.x-k8s.kind.cluster=prod',
          '--label',
          'io.x-k8s.kind.role=worker',
          '--label',
          'kokpit.dev/machine=w1',
          '--label',
          'kokpit.dev/machine-namespace=team-a',
          '--label',
          'kokpit.dev/machine-uid=u1',
          '--privileged',
          '--security-opt',
          'seccomp=unconfined',
          '--security-opt',
          'apparmor=unconfined',
          '--tmpfs',
          '/tmp',
          '--tmpfs',
          '/run',
          '--volume',
          '/var',
          '--volume',
          '/lib/modules:/lib/modules:ro',
          '--cgroupns=private',
          '--restart=on-failure:1',
          '--init=false',
          'kindest/node:v1.33.13',
        ],
      ],
    );
  });

  it('an existing running container of this machine is left alone; a stopped one is started', async () => {
    const running = scriptedRunner([['container inspect', inspected('running')]]);
    assert.ok((await new KindProvider({ runner: running }).provision(ctx)).ok);
    assert.equal(running.calls.length, 1);
    const stopped = scriptedRunner([['container inspect', inspected('exited')]]);
    assert.ok((await new KindProvider({ runner: stopped }).provision(ctx)).ok);
    assert.deepEqual(stopped.calls[1].args, ['start', CONTAINER_ID]);
  });

  it('a container of an earlier Machine of this name (another uid label) is removed and made anew; one without it adopted', async () => {
    const stale = scriptedRunner([['container inspect', inspected('running', { ...OWNED, 'kokpit.dev/machine-uid': 'u0' })]]);
    const r = await new KindProvider({ runner: stale }).provision(ctx);
    assert.ok(!r.ok && r.reason === 'StaleContainerRemoved' && !r.terminal, JSON.stringify(r));
    assert.match(r.message, /made for an earlier Machine of this name \(uid u0/);
    assert.deepEqual(stale.calls[1].args, ['rm', '--force', '--volumes', CONTAINER_ID]);
    const same = scriptedRunner([['container inspect', inspected('running', { ...OWNED, 'kokpit.dev/machine-uid': 'u1' })]]);
    assert.ok((await new KindProvider({ runner: same }).provision(ctx)).ok);
    assert.equal(same.calls.length, 1, 'its own container: left alone');
    const unlabelled = scriptedRunner([['container inspect', inspected('running')]]);
    assert.ok((await new KindProvider({ runner: unlabelled }).provision(ctx)).ok, 'made before the label: adopted');
    assert.equal(unlabelled.calls.length, 1);
  });

  it(
    "a container of the same name that is not this machine's (namespace, cluster or machine label differs) " +
      'is a terminal ContainerNameTaken, never started',
    async () => {
      for (const labels of [
        { ...OWNED, 'kokpit.dev/machine-namespace': 'team-b' },
        { ...OWNED, 'io.x-k8s.kind.cluster': 'prod-w1' },
        { ...OWNED, 'kokpit.dev/machine': 'w2' },
        null,
      ]) {
        const runner = scriptedRunner([['container inspect', inspected('exited', labels)]]);
        const r = await new KindProvider({ runner }).provision(ctx);
        assert.ok(!r.ok && r.reason === 'ContainerNameTaken' && r.terminal, JSON.stringify(r));
        assert.equal(runner.calls.length, 1, 'nothing done to a container that is not ours');
      }
    },
  );

  it('no docker binary: DockerUnavailable with a message that says what to do', async () => {
    const r = await new KindProvider({ runner: scriptedRunner([['', 'ENOENT']]) }).provision(ctx);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'DockerUnavailable');
    assert.equal(
      r.message,
      'cannot run docker (ENOENT): the kind provider runs each machine as a Docker container; ' +
        'install Docker Engine and put docker on PATH, or use provider kwok',
    );
    assert.equal(r.terminal, undefined, 'installing Docker fixes it without a spec change: retried');
  });

  it('docker present but the engine down: DockerUnavailable naming the daemon error', async () => {
    const r = await new KindProvider({
      runner: scriptedRunner([
        ['container inspect', err(1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')],
      ]),
    }).provision(ctx);
    assert.ok(!r.ok && r.reason === 'DockerUnavailable');
    assert.match(r.message, /^the Docker engine is not reachable \(Cannot connect to the Docker daemon/);
  });

  it('image missing and the pull fails: ImageNotFound with the pull error', async () => {
    const runner = scriptedRunner([
      ['container inspect', err(1, `Error: No such container: ${C}`)],
      ['image inspect', err(1, 'Error: No such image: kindest/node:v1.33.13')],
      ['pull', err(1, 'Error response from daemon: manifest for kindest/node:v1.33.13 not found: manifest unknown')],
    ]);
    const r = await new KindProvider({ runner }).provision(ctx);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'ImageNotFound');
    assert.equal(
      r.message,
      'kind node image kindest/node:v1.33.13 is not present and `docker pull` failed: Error response from daemon: ' +
        'manifest for kindest/node:v1.33.13 not found: manifest unknown',
    );
    assert.deepEqual(runner.calls[2].args, ['pull', 'kindest/node:v1.33.13']);
    assert.equal(runner.calls.length, 3, 'no docker run without an image');
  });

  it('joins with kubeadm: token minted, config through stdin (never argv), join, config removed, labels applied', async () => {
    const ops = recordingOps();
    const runner = scriptedRunner([[`exec ${C} test -f`, err(1, '')]]);
    // kubeadm join registers the Node; the fake returns it from then on.
    const p = new KindProvider({ runner, cluster: ops });
    const origRun = runner.run.bind(runner);
    runner.run = async (file, args, opts) => {
      const r = await origRun(file, args, opts);
      if (args.includes('join'))
        (ops as unknown as { node: V1Node }).node = {
          metadata: { name: 'w1', labels: { 'kokpit.dev/machine': 'w1', 'kokpit.dev/machine-namespace': 'team-a' } },
        };
      return r;
    };
    const r = await p.join(ctx, undefined);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.condition.reason, 'KubeadmJoined');
    assert.deepEqual(
      runner.calls.map((c) => c.args),
      [
        ['exec', C, 'test', '-f', '/etc/kubernetes/kubelet.conf'],
        ['exec', '-i', C, 'sh', '-c', `mkdir -p ${JOIN_PATCHES_DIR} && cat > ${JOIN_PATCHES_DIR}/kubeletconfiguration+merge.yaml`],
        ['exec', '-i', C, 'sh', '-c', `umask 077 && mkdir -p /etc/kokpit && cat > ${JOIN_CONFIG_PATH}`],
        ['exec', C, 'kubeadm', 'join', '--config', JOIN_CONFIG_PATH, '--skip-phases=preflight', '--v=1'],
        ['exec', C, 'rm', '-f', JOIN_CONFIG_PATH],
      ],
    );
    assert.ok(
      runner.calls.every((c) => !c.args.join(' ').includes(TOKEN)),
      'the token is never in argv',
    );
    assert.equal(runner.calls[1].input, KUBELET_CONFIG_PATCH, "eviction thresholds off: the node sees the host's disk");
    assert.match(KUBELET_CONFIG_PATCH, /imagefs.available: "0%"/);
    const config = runner.calls[2].input!;
    assert.match(config, new RegExp(`patches:\\n  directory: ${JOIN_PATCHES_DIR}`));
    assert.equal(
      config,
      renderJoinConfiguration({
        endpoint: '172.18.0.2:31443',
        token: TOKEN,
        caHash: caCertHash(caPem),
        nodeName: 'w1',
        machine,
        kubeletVersion: 'v1.33.13',
      }),
    );
    assert.match(config, /apiVersion: kubeadm.k8s.io\/v1beta4/);
    assert.match(config, /apiServerEndpoint: 172.18.0.2:31443/);
    assert.match(config, new RegExp(`- ${caCertHash(caPem).replace(':', ':')}`));
    assert.match(config, /value: kokpit.dev\/machine=w1,kokpit.dev\/machine-namespace=team-a/);
    assert.deepEqual(ops.log, ['mint', 'read', 'label {"zone":"z1","node-role.kubernetes.io/worker":""}']);
  });

  it("join refused: JoinFailed with the tail of kubeadm's stderr, the token redacted; the config is removed anyway", async () => {
    const stderr = [
      '[preflight] Running pre-flight checks',
      `I1123 discovery.go:52] token ${TOKEN} used for discovery`,
      "error execution phase preflight: couldn't validate the identity of the API Server: " +
        'could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"',
      'To see the stack trace of this error execute with --v=5 or higher',
    ].join('\n');
    const runner = scriptedRunner([
      [`exec ${C} test -f`, err(1, '')],
      [`exec ${C} kubeadm join`, err(1, stderr)],
    ]);
    const r = await new KindProvider({ runner, cluster: recordingOps() }).join(ctx, undefined);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'JoinFailed');
    assert.ok(!r.message.includes(TOKEN), r.message);
    assert.equal(
      r.message,
      [
        `kubeadm join in ${C} exited 1: [preflight] Running pre-flight checks`,
        'I1123 discovery.go:52] token [redacted token] used for discovery',
        "error execution phase preflight: couldn't validate the identity of the API Server: " +
          'could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"',
        'To see the stack trace of this error execute with --v=5 or higher',
      ].join('\n'),
    );
    assert.deepEqual(runner.calls.at(-1)!.args, ['exec', C, 'rm', '-f', JOIN_CONFIG_PATH]);
  });

  it('a joined container whose Node was deleted gets its kubelet restarted (it registers again), no second join', async () => {
    const runner = scriptedRunner([]);
    const r = await new KindProvider({ runner, cluster: recordingOps() }).join(ctx, undefined);
    assert.ok(!r.ok && r.reason === 'WaitingForNode');
    assert.deepEqual(
      runner.calls.map((c) => c.args),
      [
        ['exec', C, 'test', '-f', '/etc/kubernetes/kubelet.conf'],
        ['exec', C, 'systemctl', 'restart', 'kubelet'],
      ],
    );
  });

  it('component steps run with docker exec sh -c and the step timeout; failures carry the exit code and stderr', async () => {
    const runner = scriptedRunner([[`exec ${C} sh -c systemctl is-active`, err(3, 'inactive')]]);
    const p = new KindProvider({ runner });
    const good = await p.runStep(ctx, {
      component: 'containerd',
      version: '1.7.0',
      step: 'install',
      script: 'apt-get install -y containerd=1.7.0',
      timeoutSeconds: 120,
    });
    assert.deepEqual(good, { ok: true, message: `installed in container ${C}` });
    assert.deepEqual(runner.calls[0], {
      file: 'docker',
      args: ['exec', C, 'sh', '-c', 'apt-get install -y containerd=1.7.0'],
      timeoutMs: 120_000,
    });
    const bad = await p.runStep(ctx, {
      component: 'containerd',
      version: '1.7.0',
      step: 'health',
      script: 'systemctl is-active containerd',
      timeoutSeconds: 10,
    });
    assert.deepEqual(bad, { ok: false, message: 'health of containerd 1.7.0 exited 3: inactive' });
  });

  it('deletion cordons, drains and deletes the Node, then removes the container it inspected (by id)', async () => {
    const ops = recordingOps(OWN_NODE);
    const runner = scriptedRunner([['container inspect', inspected('running')]]);
    const dctx: DeleteContext = { machine, nodeName: 'w1', conn: ctx.conn, now: new Date() };
    const r = await new KindProvider({ runner, cluster: ops }).delete(dctx);
    assert.deepEqual(r, { done: true });
    assert.deepEqual(ops.log, ['read', 'cordon', 'evict', 'delete-node']);
    assert.deepEqual(
      runner.calls.map((c) => c.args),
      [INSPECT, ['rm', '--force', '--volumes', CONTAINER_ID]],
    );
  });

  it("deletion never removes a container, or drains a Node, that carries another machine's labels", async () => {
    for (const labels of [
      { ...OWNED, 'kokpit.dev/machine-namespace': 'team-b' },
      { ...OWNED, 'io.x-k8s.kind.cluster': 'other' },
      { ...OWNED, 'kokpit.dev/machine': 'w9' },
      null,
    ]) {
      const ops = recordingOps({
        metadata: { name: 'w1', labels: { 'kokpit.dev/machine': 'w1', 'kokpit.dev/machine-namespace': 'team-b' } },
      });
      const runner = scriptedRunner([['container inspect', inspected('running', labels)]]);
      const r = await new KindProvider({ runner, cluster: ops }).delete({ machine, nodeName: 'w1', conn: ctx.conn, now: new Date() });
      assert.deepEqual(r, { done: true }, 'nothing of ours is left: the finalizer may go');
      assert.deepEqual(ops.log, ['read'], "a Node of another namespace's machine is neither cordoned nor deleted");
      assert.deepEqual(
        runner.calls.map((c) => c.args),
        [INSPECT],
        `no docker rm for labels ${JSON.stringify(labels)}`,
      );
    }
  });

  it('deletion: docker failing to inspect is ContainerRemoveFailed and retried, nothing removed', async () => {
    const runner = scriptedRunner([['container inspect', err(1, 'Error response from daemon: i/o timeout')]]);
    const r = await new KindProvider({ runner, cluster: recordingOps() }).delete({ machine, nodeName: 'w1', now: new Date() });
    assert.ok(!r.done && r.reason === 'ContainerRemoveFailed', JSON.stringify(r));
    assert.equal(runner.calls.length, 1);
  });

  it('deletion waits for pods to drain (until the drain timeout), and tolerates a container already gone', async () => {
    const ops = recordingOps(OWN_NODE);
    ops.evictPods = async () => ['default/web-1'];
    const deleting = {
      ...machine,
      metadata: { ...machine.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
    } as Machine;
    const p = new KindProvider({
      runner: scriptedRunner([['container inspect', err(1, `Error response from daemon: No such container: ${C}`)]]),
      cluster: ops,
      drainTimeoutMs: 60_000,
    });
    const waiting = await p.delete({ machine: deleting, nodeName: 'w1', conn: ctx.conn, now: new Date('2026-01-01T00:00:30Z') });
    assert.ok(!waiting.done && waiting.reason === 'Draining' && /default\/web-1/.test(waiting.message));
    const forced = await p.delete({ machine: deleting, nodeName: 'w1', conn: ctx.conn, now: new Date('2026-01-01T00:01:01Z') });
    assert.deepEqual(forced, { done: true });
  });

  it('with the business cluster gone, only the container is removed', async () => {
    const runner = scriptedRunner([['container inspect', inspected('exited')]]);
    const ops = recordingOps(OWN_NODE);
    assert.deepEqual(await new KindProvider({ runner, cluster: ops }).delete({ machine, nodeName: 'w1', now: new Date() }), { done: true });
    assert.deepEqual(ops.log, []);
    assert.deepEqual(
      runner.calls.map((c) => c.args),
      [INSPECT, ['rm', '--force', '--volumes', CONTAINER_ID]],
    );
  });

  it('renders a v1beta3 JoinConfiguration for kubelets before 1.31', () => {
    const y = renderJoinConfiguration({
      endpoint: 'h:1',
      token: TOKEN,
      caHash: 'sha256:00',
      nodeName: 'w1',
      machine,
      kubeletVersion: 'v1.30.4',
    });
    assert.match(y, /apiVersion: kubeadm.k8s.io\/v1beta3/);
    assert.match(y, /node-labels: kokpit.dev\/machine=w1,kokpit.dev\/machine-namespace=team-a/);
    assert.match(y, /key: dedicated\n\s+value: x\n\s+effect: NoSchedule/);
  });
});

describe('machine operator: the execa command runner (real processes, no Docker)', () => {
  it('returns exit code, stdout and stderr; feeds stdin', async () => {
    const r = await execaRunner.run('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'from stdin' });
    assert.deepEqual(r, { exitCode: 3, stdout: 'from stdin', stderr: 'oops' });
  });

  it('a binary that does not exist rejects with CommandNotFoundError (what DockerUnavailable is made of)', async () => {
    await assert.rejects(
      execaRunner.run('/nonexistent/docker', ['version']),
      (e: unknown) => e instanceof CommandNotFoundError && /ENOENT/.test((e as Error).message),
    );
  });

  it('a command that runs too long is reported as timed out', async () => {
    const r = await execaRunner.run('sleep', ['5'], { timeoutMs: 200 });
    assert.equal(r.timedOut, true);
  });
});
