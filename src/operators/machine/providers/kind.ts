// The kind provider, after Cluster API's Docker provider (CAPD): a machine is a container of the kind node
// image on the `kind` network, named after the machine's namespace, cluster and name (containerNameOf), joined to its business cluster with
// `kubeadm join` through a short-lived bootstrap token the cluster operator's code mints. Component steps
// run with `docker exec`. Deletion cordons and drains the Node, deletes it, then removes the container
// (the Machine's finalizer holds the Machine until then).
//
// The unit tests pin every docker/kubeadm argv and how each failure maps to a condition; `npm run test:e2e`
// runs it against a real Docker engine (join, kubelet Component install/upgrade in phases, deletion).
import { createHash, X509Certificate } from 'node:crypto';
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { BusinessCluster, Machine } from '../../../api';
import { applyObject, deleteObject, describeKubeError, redactSecrets } from '../../../kube';
import { mintBootstrapToken, type BootstrapToken } from '../../../pki/bootstrap-tokens';
import { kubeletVersionOf } from '../render';
import { MACHINE_NAMESPACE_LABEL, MACHINE_NAME_LABEL, nodeOwnedBy } from '../names';
import { CommandNotFoundError, execaRunner, tail, type CommandResult, type CommandRunner } from '../../../binaries/processes';
import type {
  DeleteContext,
  DeleteResult,
  JoinResult,
  MachineProvider,
  ProviderContext,
  ProviderDescription,
  ProviderProblem,
  ProvisionResult,
  StepRequest,
  StepResult,
} from './provider';

/** kind's own labels, so `kind get nodes` and CAPD tooling recognise the containers. */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';
/** Where the join configuration (it holds the token) lives in the container, only during the join. */
export const JOIN_CONFIG_PATH = '/etc/kokpit/kubeadm-join.yaml';
/** kubeadm patches applied at join (`JoinConfiguration.patches`). */
export const JOIN_PATCHES_DIR = '/etc/kokpit/kubeadm-patches';
/**
 * The kubelet of a node in a container sees the host's disk, which other software fills: with the default
 * eviction thresholds it taints itself DiskPressure and evicts pods for space it does not own (kind's own
 * nodes are configured the same way). kubeadm merges this into the cluster's KubeletConfiguration.
 */
export const KUBELET_CONFIG_PATCH =
  'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nimageGCHighThresholdPercent: 100\nevictionHard:\n' +
  '  nodefs.available: "0%"\n  nodefs.inodesFree: "0%"\n  imagefs.available: "0%"\n';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
const DRAIN_TIMEOUT_MS = 5 * 60_000;

/** What the provider does in the business cluster (a real client in the operator; a recording one in unit tests). */
export interface BusinessClusterOps {
  mintToken(kc: KubeConfig): Promise<BootstrapToken>;
  /** Labels and taints the kubelet may not set on itself (node-role.kubernetes.io/*, the user's). */
  labelNode(ctx: ProviderContext, labels: Record<string, string>): Promise<V1Node>;
  readNode(ctx: ProviderContext | DeleteContext): Promise<V1Node | undefined>;
  cordon(ctx: DeleteContext): Promise<void>;
  /** Evicts what runs on the Node (not DaemonSet or mirror pods); returns the pods still there. */
  evictPods(ctx: DeleteContext): Promise<string[]>;
  deleteNode(ctx: DeleteContext): Promise<void>;
}

export interface KindProviderOptions {
  runner?: CommandRunner;
  /** docker executable (default `docker`, looked up on PATH). */
  docker?: string;
  network?: string;
  /** Node image for a machine (default `kindest/node:<kubelet version or control-plane version>`). */
  nodeImage?(machine: Machine, cluster: BusinessCluster, kubeletVersion: string | undefined): string | undefined;
  /** `host:port` of the business API server as seen from the kind network (default: status.endpoint without scheme). */
  joinEndpoint?(cluster: BusinessCluster): string | undefined;
  cluster?: BusinessClusterOps;
  drainTimeoutMs?: number;
  /** Extra container labels (`kokpit up` marks its environment's machines, so `kokpit down` finds them without the manager). */
  labels?: Record<string, string>;
}

/** The label `kokpit up --runtime kind` puts on machine containers: the name of its kind meta cluster. */
export const META_CLUSTER_LABEL = 'kokpit.dev/meta-cluster';

/**
 * The Machine's UID on its container: a container of the same namespace, cluster and machine name but another UID
 * was made for an earlier Machine of that name (its meta cluster deleted without `kokpit down`, say) and is joined to
 * a control plane that is gone; it is replaced, not adopted. Containers from before this label are adopted.
 */
export const MACHINE_UID_LABEL = 'kokpit.dev/machine-uid';

/** Longest container name: it is also the container's hostname, a DNS label (63 characters). */
export const CONTAINER_NAME_MAX = 63;
const NAME_HASH_LENGTH = 10;

/** Who a machine container belongs to: the labels docker run sets, and what every destructive action checks. */
export interface ContainerOwner {
  namespace: string;
  cluster: string;
  machine: string;
}

export function ownerOf(machine: Machine): ContainerOwner {
  return { namespace: machine.metadata.namespace ?? 'default', cluster: machine.spec.clusterRef.name, machine: machine.metadata.name };
}

/**
 * `<namespace>-<cluster>-<machine>` (cut to fit) and a hash of the three: CAPD's `<cluster>-<machine>` makes
 * cluster `a` + machine `b-c` and cluster `a-b` + machine `c` (or the same pair in two namespaces) one
 * container. `/` cannot occur in a Kubernetes name, so the hashed identity is unambiguous.
 */
export function containerNameOf(machine: Machine): string {
  const o = ownerOf(machine);
  const hash = createHash('sha256').update(`${o.namespace}/${o.cluster}/${o.machine}`).digest('hex').slice(0, NAME_HASH_LENGTH);
  const readable = `${o.namespace}-${o.cluster}-${o.machine}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${readable.slice(0, CONTAINER_NAME_MAX - NAME_HASH_LENGTH - 1).replace(/-+$/, '')}-${hash}`;
}

/** Whether a container's labels (from `docker container inspect`) say it is this machine's. */
export function ownedBy(labels: Record<string, string> | null | undefined, owner: ContainerOwner): boolean {
  return (
    labels?.[MACHINE_NAMESPACE_LABEL] === owner.namespace &&
    labels?.[KIND_CLUSTER_LABEL] === owner.cluster &&
    labels?.[MACHINE_NAME_LABEL] === owner.machine
  );
}

/** `docker container inspect` output the provider asks for: id, state and labels, one JSON line. */
const INSPECT_FORMAT = '{"id":{{json .Id}},"state":{{json .State.Status}},"labels":{{json .Config.Labels}}}';
interface Inspected {
  id: string;
  state: string;
  labels: Record<string, string> | null;
}

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 over the CA's DER-encoded SubjectPublicKeyInfo. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Removes bootstrap tokens (and anything redactSecrets knows) from command output. */
export function redactJoinOutput(text: string, token?: string): string {
  let out = token ? text.split(token).join('[redacted token]') : text;
  out = out.replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '[redacted token]');
  return redactSecrets(out);
}

/** `docker run` for a kind node container (kind's and CAPD's flags: systemd inside, privileged, own cgroup namespace). */
export function dockerRunArgs(o: {
  name: string;
  image: string;
  network: string;
  cluster: string;
  machine: Machine;
  labels?: Record<string, string>;
}): string[] {
  return [
    'run',
    '--detach',
    '--tty',
    '--name',
    o.name,
    '--hostname',
    o.name,
    '--network',
    o.network,
    '--label',
    `${KIND_CLUSTER_LABEL}=${o.cluster}`,
    '--label',
    `${KIND_ROLE_LABEL}=${o.machine.spec.role ?? 'worker'}`,
    '--label',
    `${MACHINE_NAME_LABEL}=${o.machine.metadata.name}`,
    '--label',
    `${MACHINE_NAMESPACE_LABEL}=${o.machine.metadata.namespace ?? 'default'}`,
    ...(o.machine.metadata.uid ? ['--label', `${MACHINE_UID_LABEL}=${o.machine.metadata.uid}`] : []),
    ...Object.entries(o.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
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
    o.image,
  ];
}

/** The kubeadm JoinConfiguration (v1beta4 from Kubernetes 1.31, v1beta3 before). Holds the token: stdin and a 0600 file only. */
export function renderJoinConfiguration(o: {
  endpoint: string;
  token: string;
  caHash: string;
  nodeName: string;
  machine: Machine;
  kubeletVersion?: string;
}): string {
  const minor = Number(/^v?1\.(\d+)\./.exec(o.kubeletVersion ?? '')?.[1] ?? 31);
  const v1beta4 = minor >= 31;
  const nodeLabels =
    `${MACHINE_NAME_LABEL}=${o.machine.metadata.name},` + `${MACHINE_NAMESPACE_LABEL}=${o.machine.metadata.namespace ?? 'default'}`;
  return stringify(
    {
      apiVersion: v1beta4 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: o.endpoint, token: o.token, caCertHashes: [o.caHash] } },
      patches: { directory: JOIN_PATCHES_DIR },
      nodeRegistration: {
        name: o.nodeName,
        criSocket: 'unix:///run/containerd/containerd.sock',
        // Only labels in kokpit.dev/: NodeRestriction refuses a kubelet that labels itself node-role.kubernetes.io/*.
        kubeletExtraArgs: v1beta4 ? [{ name: 'node-labels', value: nodeLabels }] : { 'node-labels': nodeLabels },
        taints: (o.machine.spec.taints ?? []).map((t) => ({
          key: t.key,
          ...(t.value !== undefined ? { value: t.value } : {}),
          effect: t.effect,
        })),
      },
    },
    { lineWidth: 0 },
  );
}

type Failure = { ok: false } & ProviderProblem;
const fail = (reason: string, message: string, retryMs = 30_000, terminal = false): Failure => ({
  ok: false,
  reason,
  message,
  retryMs,
  ...(terminal ? { terminal } : {}),
});
const DAEMON_DOWN = /Cannot connect to the Docker daemon|error during connect|permission denied.*docker|Is the docker daemon running/i;
const NO_SUCH = /No such (container|object)/i;

export class KindProvider implements MachineProvider {
  readonly name = 'kind' as const;
  private readonly runner: CommandRunner;
  private readonly docker: string;
  private readonly network: string;
  private readonly ops: BusinessClusterOps;

  constructor(private readonly opts: KindProviderOptions = {}) {
    this.runner = opts.runner ?? execaRunner;
    this.docker = opts.docker ?? 'docker';
    this.network = opts.network ?? 'kind';
    this.ops = opts.cluster ?? liveClusterOps;
  }

  describe(machine: Machine): ProviderDescription {
    return { provider: 'kind', simulated: false, host: `container ${containerNameOf(machine)}` };
  }

  /** Runs docker; a missing binary or an unreachable engine becomes DockerUnavailable. */
  private async dockerRun(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult | Failure> {
    let r: CommandResult;
    try {
      r = await this.runner.run(this.docker, args, opts);
    } catch (e) {
      if (e instanceof CommandNotFoundError) {
        return fail(
          'DockerUnavailable',
          `cannot run ${this.docker} (${e.message.slice(this.docker.length + 2)}): the kind provider runs each machine as a Docker ` +
            `container; install Docker Engine and put docker on PATH, or use provider kwok`,
          60_000,
        );
      }
      throw e;
    }
    if (r.exitCode !== 0 && DAEMON_DOWN.test(r.stderr)) {
      return fail(
        'DockerUnavailable',
        `the Docker engine is not reachable (${tail(r.stderr, 1)}); start it and check \`docker info\``,
        60_000,
      );
    }
    return r;
  }

  /** The container of this name, if any; a Failure when docker cannot say. */
  private async inspect(name: string, failReason: string): Promise<Inspected | undefined | Failure> {
    const r = await this.dockerRun(['container', 'inspect', '--format', INSPECT_FORMAT, name]);
    if ('ok' in r) return r;
    if (r.exitCode !== 0) {
      if (NO_SUCH.test(r.stderr)) return undefined;
      return fail(failReason, `docker container inspect ${name} exited ${r.exitCode}: ${tail(r.stderr, 3)}`);
    }
    try {
      return JSON.parse(r.stdout.trim()) as Inspected;
    } catch {
      return fail(failReason, `docker container inspect ${name} printed what is not its --format: ${tail(r.stdout, 1)}`);
    }
  }

  async provision(ctx: ProviderContext): Promise<ProvisionResult> {
    const name = containerNameOf(ctx.machine);
    const inspect = await this.inspect(name, 'ProvisionFailed');
    if (inspect && 'ok' in inspect) return inspect;
    const providerID = `kind://docker/${ctx.machine.spec.clusterRef.name}/${name}`;
    const running = () => ({
      ok: true as const,
      providerID,
      condition: {
        type: 'Provisioned',
        status: 'True' as const,
        reason: 'ContainerRunning',
        message: `container ${name} running on Docker network ${this.network}`,
      },
    });

    if (inspect) return this.provisionExisting(ctx, name, inspect, running);

    const kubelet = kubeletVersionOf(ctx.plan);
    const image = this.opts.nodeImage
      ? this.opts.nodeImage(ctx.machine, ctx.cluster, kubelet)
      : defaultNodeImage(kubelet ?? ctx.cluster.status?.version);
    if (!image)
      return fail(
        'ImageNotFound',
        'no kind node image: the machine has no kubelet component and the control plane reports no version',
        30_000,
        true,
      );
    const present = await this.dockerRun(['image', 'inspect', '--format', '{{.Id}}', image]);
    if ('ok' in present) return present;
    if (present.exitCode !== 0) {
      const pull = await this.dockerRun(['pull', image], { timeoutMs: 15 * 60_000 });
      if ('ok' in pull) return pull;
      if (pull.exitCode !== 0)
        return fail(
          'ImageNotFound',
          `kind node image ${image} is not present and \`docker pull\` failed: ${tail(pull.stderr, 2)}`,
          120_000,
        );
    }
    const run = await this.dockerRun(
      dockerRunArgs({
        name,
        image,
        network: this.network,
        cluster: ctx.machine.spec.clusterRef.name,
        machine: ctx.machine,
        labels: this.opts.labels,
      }),
    );
    if ('ok' in run) return run;
    if (run.exitCode !== 0) {
      if (/network .* not found/i.test(run.stderr))
        return fail(
          'NetworkNotFound',
          `Docker network ${this.network} not found (kind creates it with the meta cluster): ${tail(run.stderr, 1)}`,
          60_000,
        );
      return fail('ProvisionFailed', `docker run ${name} exited ${run.exitCode}: ${tail(run.stderr, 3)}`);
    }
    return running();
  }

  /** A container of this name exists: adopted when it is this machine's, replaced when an earlier Machine's, else refused. */
  private async provisionExisting(
    ctx: ProviderContext,
    name: string,
    inspect: Inspected,
    running: () => ProvisionResult,
  ): Promise<ProvisionResult> {
    const owner = ownerOf(ctx.machine);
    if (!ownedBy(inspect.labels, owner))
      return fail(
        'ContainerNameTaken',
        `a container named ${name} exists that is not this machine's (labels ${describeOwner(inspect.labels)}); ` +
          `remove it or rename the machine`,
        60_000,
        true,
      );
    const uid = inspect.labels?.[MACHINE_UID_LABEL];
    if (uid && ctx.machine.metadata.uid && uid !== ctx.machine.metadata.uid) {
      const rm = await this.dockerRun(['rm', '--force', '--volumes', inspect.id], { timeoutMs: 120_000 });
      if ('ok' in rm) return rm;
      if (rm.exitCode !== 0)
        return fail(
          'ProvisionFailed',
          `docker rm ${name} (left by an earlier Machine, uid ${uid}) exited ${rm.exitCode}: ${tail(rm.stderr, 3)}`,
        );
      return fail(
        'StaleContainerRemoved',
        `container ${name} was made for an earlier Machine of this name (uid ${uid}, joined to a control plane that is gone); ` +
          'removed it, creating a new one',
        1_000,
      );
    }
    if (inspect.state === 'running') return running();
    const start = await this.dockerRun(['start', inspect.id]);
    if ('ok' in start) return start;
    if (start.exitCode !== 0)
      return fail('ContainerStartFailed', `docker start ${name} exited ${start.exitCode}: ${tail(start.stderr, 3)}`);
    return running();
  }

  async runStep(ctx: ProviderContext, req: StepRequest): Promise<StepResult> {
    const name = containerNameOf(ctx.machine);
    const r = await this.dockerRun(['exec', name, 'sh', '-c', req.script], { timeoutMs: req.timeoutSeconds * 1000 });
    if ('ok' in r) return { ok: false, message: r.message };
    if (r.timedOut) return { ok: false, message: `${req.step} of ${req.component} ${req.version} timed out after ${req.timeoutSeconds}s` };
    if (r.exitCode !== 0)
      return {
        ok: false,
        message: `${req.step} of ${req.component} ${req.version} exited ${r.exitCode}: ${redactJoinOutput(tail(r.stderr || r.stdout, 3))}`,
      };
    return {
      ok: true,
      message: req.step === 'health' ? 'healthy' : `${req.step === 'upgrade' ? 'upgraded' : 'installed'} in container ${name}`,
    };
  }

  /* eslint-disable-next-line max-lines-per-function -- the kubeadm join of a container in order (token, join, wait for the Node), each
     with its own failure reason */
  async join(ctx: ProviderContext, live: V1Node | undefined): Promise<JoinResult> {
    const name = containerNameOf(ctx.machine);
    const joined = (node: V1Node): JoinResult => ({
      ok: true,
      node,
      condition: {
        type: 'Joined',
        status: 'True',
        reason: 'KubeadmJoined',
        message: `container ${name} joined business cluster ${ctx.machine.spec.clusterRef.name} as Node ${ctx.nodeName}`,
      },
    });
    if (live) return joined(await this.ensureLabels(ctx, live));

    const already = await this.dockerRun(['exec', name, 'test', '-f', KUBELET_CONF]);
    if ('ok' in already) return already;
    if (already.exitCode === 0) {
      // Joined before, but the Node is gone (deleted by someone): a kubelet registers itself when it starts.
      const restart = await this.dockerRun(['exec', name, 'systemctl', 'restart', 'kubelet']);
      if ('ok' in restart) return restart;
      if (restart.exitCode !== 0)
        return fail('JoinFailed', `restarting the kubelet in ${name} exited ${restart.exitCode}: ${tail(restart.stderr, 3)}`);
      return fail('WaitingForNode', `kubelet in ${name} restarted; waiting for it to register Node ${ctx.nodeName}`, 5_000);
    }

    const endpoint = this.opts.joinEndpoint
      ? this.opts.joinEndpoint(ctx.cluster)
      : ctx.cluster.status?.endpoint?.replace(/^https?:\/\//, '').replace(/\/$/, '');
    if (!endpoint)
      return fail(
        'WaitingForEndpoint',
        `business cluster ${ctx.machine.spec.clusterRef.name} reports no API endpoint yet (status.endpoint)`,
        10_000,
      );
    const caData = ctx.conn.kc.getCurrentCluster()?.caData;
    if (!caData)
      return fail(
        'JoinFailed',
        'the admin kubeconfig of the business cluster has no certificate-authority-data; cannot pin the CA for kubeadm discovery',
        60_000,
      );
    let token: BootstrapToken;
    try {
      token = await this.ops.mintToken(ctx.conn.kc);
    } catch (e) {
      return fail('JoinFailed', `minting a bootstrap token: ${describeKubeError(e)}`);
    }
    const config = renderJoinConfiguration({
      endpoint,
      token: token.token,
      caHash: caCertHash(Buffer.from(caData, 'base64').toString('utf8')),
      nodeName: ctx.nodeName,
      machine: ctx.machine,
      kubeletVersion: kubeletVersionOf(ctx.plan),
    });
    const patch = await this.dockerRun(
      ['exec', '-i', name, 'sh', '-c', `mkdir -p ${JOIN_PATCHES_DIR} && cat > ${JOIN_PATCHES_DIR}/kubeletconfiguration+merge.yaml`],
      { input: KUBELET_CONFIG_PATCH },
    );
    if ('ok' in patch) return patch;
    if (patch.exitCode !== 0)
      return fail('JoinFailed', `writing the kubelet configuration patch into ${name} exited ${patch.exitCode}: ${tail(patch.stderr, 3)}`);
    const write = await this.dockerRun(
      ['exec', '-i', name, 'sh', '-c', `umask 077 && mkdir -p ${JOIN_CONFIG_PATH.replace(/\/[^/]+$/, '')} && cat > ${JOIN_CONFIG_PATH}`],
      { input: config },
    );
    if ('ok' in write) return write;
    if (write.exitCode !== 0)
      return fail(
        'JoinFailed',
        `writing the join configuration into ${name} exited ${write.exitCode}: ${redactJoinOutput(tail(write.stderr, 3), token.token)}`,
      );
    let join: CommandResult | Failure;
    try {
      join = await this.dockerRun(['exec', name, 'kubeadm', 'join', '--config', JOIN_CONFIG_PATH, '--skip-phases=preflight', '--v=1'], {
        timeoutMs: 5 * 60_000,
      });
    } finally {
      // The token file goes whatever happened (the token itself expires within the hour).
      await this.dockerRun(['exec', name, 'rm', '-f', JOIN_CONFIG_PATH]).catch(() => undefined);
    }
    if ('ok' in join) return join;
    if (join.exitCode !== 0 || join.timedOut) {
      const why = join.timedOut ? 'timed out after 300s' : `exited ${join.exitCode}`;
      return fail('JoinFailed', `kubeadm join in ${name} ${why}: ${redactJoinOutput(tail(join.stderr || join.stdout, 5), token.token)}`);
    }
    const node = await this.ops.readNode(ctx);
    if (!node) return fail('WaitingForNode', `kubeadm join succeeded; waiting for the kubelet to register Node ${ctx.nodeName}`, 5_000);
    return joined(await this.ensureLabels(ctx, node));
  }

  private async ensureLabels(ctx: ProviderContext, node: V1Node): Promise<V1Node> {
    const want: Record<string, string> = {
      ...(ctx.machine.spec.labels ?? {}),
      [`node-role.kubernetes.io/${ctx.machine.spec.role ?? 'worker'}`]: '',
    };
    const have = node.metadata?.labels ?? {};
    if (Object.entries(want).every(([k, v]) => have[k] === v)) return node;
    return this.ops.labelNode(ctx, want);
  }

  async delete(ctx: DeleteContext): Promise<DeleteResult> {
    const name = containerNameOf(ctx.machine);
    const node = ctx.conn ? await this.ops.readNode(ctx) : undefined;
    // A Node of this name that another machine (or a person) registered is not drained or deleted.
    if (node && nodeOwnedBy(node, ctx.machine)) {
      await this.ops.cordon(ctx);
      const left = await this.ops.evictPods(ctx);
      const started = ctx.machine.metadata.deletionTimestamp
        ? new Date(ctx.machine.metadata.deletionTimestamp).getTime()
        : ctx.now.getTime();
      const timeout = this.opts.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
      if (left.length && ctx.now.getTime() - started < timeout) {
        const shown = `${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}`;
        return {
          done: false,
          reason: 'Draining',
          message: `draining Node ${ctx.nodeName}: ${left.length} pods left (${shown})`,
          retryMs: 5_000,
        };
      }
      await this.ops.deleteNode(ctx);
    }
    // Only a container with this machine's labels is removed, and by the id inspected: never another
    // namespace's node that happens to carry the name.
    const found = await this.inspect(name, 'ContainerRemoveFailed');
    if (found && 'ok' in found) return { done: false, reason: found.reason, message: found.message, retryMs: found.retryMs };
    if (!found || !ownedBy(found.labels, ownerOf(ctx.machine))) return { done: true };
    const rm = await this.dockerRun(['rm', '--force', '--volumes', found.id]);
    if ('ok' in rm) return { done: false, reason: rm.reason, message: rm.message, retryMs: rm.retryMs };
    if (rm.exitCode !== 0 && !NO_SUCH.test(rm.stderr))
      return {
        done: false,
        reason: 'ContainerRemoveFailed',
        message: `docker rm ${name} exited ${rm.exitCode}: ${tail(rm.stderr, 3)}`,
        retryMs: 30_000,
      };
    return { done: true };
  }
}

function describeOwner(labels: Record<string, string> | null | undefined): string {
  const l = labels ?? {};
  return (
    `namespace ${l[MACHINE_NAMESPACE_LABEL] || 'missing'}, cluster ${l[KIND_CLUSTER_LABEL] || 'missing'}, ` +
    `machine ${l[MACHINE_NAME_LABEL] || 'missing'}`
  );
}

export function defaultNodeImage(version: string | undefined): string | undefined {
  return version && /^v\d+\.\d+\.\d+$/.test(version) ? `kindest/node:${version}` : undefined;
}

/** The business-cluster side, through the admin client of the connection. */
export const liveClusterOps: BusinessClusterOps = {
  mintToken: (kc) => mintBootstrapToken(kc, { ttlMs: 15 * 60_000, description: 'kokpit machine join (kind provider)' }),
  async labelNode(ctx, labels) {
    return applyObject(ctx.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName, labels } } as V1Node);
  },
  async readNode(ctx) {
    if (!ctx.conn) return undefined;
    try {
      return await ctx.conn.core.readNode({ name: ctx.nodeName });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  },
  async cordon(ctx) {
    await applyObject(ctx.conn!.objects, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: ctx.nodeName },
      spec: { unschedulable: true },
    } as V1Node);
  },
  async evictPods(ctx) {
    const pods = (await ctx.conn!.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${ctx.nodeName}` })).items;
    const evictable = pods.filter(
      (p: V1Pod) =>
        !p.metadata?.annotations?.['kubernetes.io/config.mirror'] &&
        !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') &&
        !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
    );
    for (const p of evictable) {
      try {
        await ctx.conn!.core.createNamespacedPodEviction({
          name: p.metadata!.name!,
          namespace: p.metadata!.namespace!,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata!.name!, namespace: p.metadata!.namespace! } },
        });
      } catch {
        // A PodDisruptionBudget said no (429) or the pod is already gone: looked at again next pass.
      }
    }
    return evictable.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`);
  },
  async deleteNode(ctx) {
    await deleteObject(ctx.conn!.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName } });
  },
};
