// `kokpit up`: a local meta cluster with kokpit's reconcilers running, optionally with a sample business
// cluster. Runtimes: kind (a kind cluster in Docker; the manager on the host, or with `--manager in-cluster` as
// pods of the kind cluster) and the sandbox (real control plane as local processes; business cluster pods
// run through the pod runner).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { buildProgressReporter } from '../../binaries/progress';
import { defaultBinaryProvider } from '../../binaries/provider';
import { environmentBinaries } from '../../local/requirements';
import { API_VERSION, DEFAULT_ETCD_VERSION } from '../../api';
import {
  catalogObjects,
  createSample,
  SAMPLE_NAME,
  SAMPLE_NAMESPACE,
  SAMPLE_VERSION,
  sampleMachines,
  waitClusterReady,
  waitAddonsOnNodes,
  waitMachinesRunning,
} from '../../local/sample';
import { loadEnvironmentConfig, defaultEnvironmentConfig, type LocalEnvironmentConfig } from '../../local/config';
import { parseFlags, str } from '../args';
import { machinesSupported, startSandboxEnvironment } from '../../local/sandbox-env';
import { startKindEnvironment } from '../../local/kind-env';
import type { SampleAPIServer } from '../../local/sample';
import type { Logger } from '../../controller/reconciler';
import {
  DEFAULT_ENV_NAME,
  environmentDir,
  NAME_RE,
  readEnvironment,
  runningEnvironment,
  type EnvironmentState,
  type StepTiming,
} from '../../local/state';
import { applyObject, loadKubeConfig, makeObjectApi } from '../../kube';
import {
  checkDocker,
  checkKind,
  useCachedKind,
  ensureKindCluster,
  formatPreflight,
  KindError,
  kindConfigYaml,
  kindControlPlaneNode,
  listKindClusters,
  portReservations,
  preflightPassed,
  runPreflight,
  type PortReservation,
} from '../../providers/kind';
import { resolveBinaries, tailFile, waitFor } from '../../controlplane';
import { runsBinary } from '../../controlplane/reaper';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { cliLogger } from './operator';
import { defaultKubeconfigPath, readAdminKubeconfig, writePrivateFile } from './kubeconfig';
import { kindInClusterMounts } from '../../local/kind-in-cluster';
import { installKindHub } from '../../local/kind-ocm';
import { stepTimer } from '../../local/meta';

export type Runtime = 'kind' | 'sandbox';

export interface UpArgs {
  name?: string;
  config?: string;
  runtime?: Runtime;
  withSample: boolean;
  detach: boolean;
  verbose: boolean;
  /** The meta cluster's Kubernetes version (instead of kokpit.yaml's or the default). */
  version?: string;
  /** Sandbox: this many kwok-simulated Nodes in the meta cluster. */
  nodes?: number;
  /** Install the OCM hub and register every business cluster (issue 18); on kind it puts the manager on the host. */
  withOcm: boolean;
  /** `--manager in-cluster`: the manager as pods of the meta cluster (kokpit install) instead of in this process. */
  manager?: 'host' | 'in-cluster';
  /** `--pod-network`: the sandbox's pod addresses (kokpit.yaml's metaCluster.podNetwork otherwise; default auto). */
  podNetwork?: 'auto' | 'loopback' | 'netns';
  /** Internal: the detached supervisor. */
  supervise: boolean;
}

export function parseUpArgs(argv: string[]): UpArgs {
  const p = parseFlags(argv, [
    { name: 'name', value: true },
    { name: 'config', short: 'f', value: true },
    { name: 'runtime', value: true, oneOf: ['sandbox', 'kind'] },
    { name: 'with-sample' },
    { name: 'with-ocm' },
    { name: 'manager', value: true, oneOf: ['in-cluster', 'host'] },
    { name: 'detach', short: 'd' },
    { name: 'verbose', short: 'v' },
    { name: 'version', value: true },
    { name: 'nodes', value: true },
    { name: 'pod-network', value: true, oneOf: ['auto', 'loopback', 'netns'] },
    { name: 'supervise' },
  ]);
  if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
  const name = str(p, 'name');
  if (name !== undefined && !NAME_RE.test(name))
    throw new UsageError(`--name must be lowercase letters, digits and dashes (max 40), got "${name}"`);
  const nodes = str(p, 'nodes');
  if (nodes !== undefined && (!/^\d+$/.test(nodes) || Number(nodes) > 100))
    throw new UsageError(`--nodes must be a whole number from 0 to 100, got ${nodes}`);
  if (nodes !== undefined && str(p, 'runtime') === 'kind')
    throw new UsageError('--nodes is for the sandbox runtime (kind: add kind Machines to a business cluster)');
  const manager = str(p, 'manager') as UpArgs['manager'];
  const podNetwork = str(p, 'pod-network') as UpArgs['podNetwork'];
  if (podNetwork && str(p, 'runtime') === 'kind')
    throw new UsageError('--pod-network is for the sandbox runtime (kind has its own pod network)');
  return {
    name,
    config: str(p, 'config'),
    runtime: str(p, 'runtime') as Runtime | undefined,
    withSample: p.flags['with-sample'] === true,
    withOcm: p.flags['with-ocm'] === true,
    detach: p.flags.detach === true,
    verbose: p.flags.verbose === true,
    supervise: p.flags.supervise === true,
    ...(str(p, 'version') !== undefined ? { version: str(p, 'version') } : {}),
    ...(nodes !== undefined ? { nodes: Number(nodes) } : {}),
    ...(manager ? { manager } : {}),
    ...(podNetwork ? { podNetwork } : {}),
  };
}

/** Auto: kind when the Docker engine answers and a recent enough `kind` is on PATH, else the sandbox. Says why. */
export async function chooseRuntime(
  requested: Runtime | undefined,
  configured: LocalEnvironmentConfig['runtime'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ runtime: Runtime; reason: string }> {
  if (requested) return { runtime: requested, reason: `--runtime ${requested}` };
  if (configured !== 'Auto')
    return { runtime: configured === 'Kind' ? 'kind' : 'sandbox', reason: `metaCluster.runtime: ${configured} in the config` };
  const [docker, kind] = await Promise.all([checkDocker({ env, timeoutMs: 5000 }), checkKind({ env, timeoutMs: 5000 })]);
  if (docker.ok && kind.ok) {
    return { runtime: 'kind', reason: `${docker.detail}; ${kind.detail}` };
  }
  const missing = [docker, kind].filter((c) => !c.ok).map((c) => c.detail);
  return {
    runtime: 'sandbox',
    reason: `${missing.join('; ')} — the sandbox needs neither (real control plane as local processes, simulated worker nodes)`,
  };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const stepLine = (s: StepTiming) => `  ✓ ${s.step} (${secs(s.ms)})`;

export const upCommand: Command = {
  async run(argv, io) {
    const given = parseUpArgs(argv);
    const loaded = given.config ? loadEnvironmentConfig(path.resolve(io.cwd, given.config)) : defaultEnvironmentConfig();
    const config = given.version ? { ...loaded, kubernetesVersion: given.version } : loaded;
    // kokpit.yaml's metaCluster.ocm means --with-ocm.
    const a: UpArgs = { ...given, withOcm: given.withOcm || config.ocm };
    const name = a.name ?? (a.config ? config.name : DEFAULT_ENV_NAME);
    if (a.supervise) return supervise(name, config, a, io);
    // --nodes only means something to the sandbox, so it picks it.
    const { runtime, reason } = await chooseRuntime(a.runtime ?? (a.nodes !== undefined ? 'sandbox' : undefined), config.runtime);
    io.out(`Runtime: ${runtime} (${reason})`);
    if (runtime === 'kind') return kindUp(name, config, a, io);
    return sandboxUp(name, config, a, io);
  },
};

interface KindSettings {
  nodeImage: string;
  pinnedImages: { etcdTag: string; coreDNSTag: string };
  /** Where the etcd operator keeps backups; the kind node sees it at the same path (restore pods mount it). */
  backups: string;
  configFile: string;
  kubeconfig: string;
  reservations: PortReservation[];
}

function kindSettings(name: string, config: LocalEnvironmentConfig): KindSettings {
  const version = config.kubernetesVersion ?? SAMPLE_VERSION;
  const entry = catalogObjects().find(
    (o) => o.kind === 'KubernetesVersion' && (o as { spec?: { version?: string } }).spec?.version === version,
  ) as { spec?: { nodeImage?: string; images?: { coreDNS?: string } } } | undefined;
  const dir = environmentDir(name);
  return {
    nodeImage: entry?.spec?.nodeImage ?? `kindest/node:${version}`,
    pinnedImages: {
      etcdTag: `${DEFAULT_ETCD_VERSION}-0`,
      coreDNSTag: (entry?.spec?.images?.coreDNS ?? 'registry.k8s.io/coredns/coredns:v1.11.3').replace(/^.*:/, ''),
    },
    backups: path.join(dir, 'backups'),
    configFile: path.join(dir, 'kind-config.yaml'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    reservations: portReservations(config.ports),
  };
}

/**
 * Where the manager runs on kind: where it would on a real meta cluster, as its pods (issue 16), unless --manager host;
 * with --with-ocm on the host unless --manager in-cluster asks (the e2e runs OCM on kind with a host manager), said in `note`.
 */
export function kindManagerPlacement(a: Pick<UpArgs, 'manager' | 'withOcm'>): { manager: 'host' | 'in-cluster'; note?: string } {
  if (a.manager) return { manager: a.manager };
  if (a.withOcm)
    return {
      manager: 'host',
      note: 'Manager: on this host (--with-ocm on kind; --manager in-cluster runs the multicluster operator in the manager pods)',
    };
  return { manager: 'in-cluster' };
}

async function kindUp(name: string, config: LocalEnvironmentConfig, given: UpArgs, io: CliIO): Promise<number> {
  const t0 = Date.now();
  let state = runningEnvironment(name);
  if (state && state.runtime !== 'kind') {
    throw new Error(
      `local environment "${name}" is running with the ${state.runtime} runtime; stop it first (\`kokpit ` +
        `down${name === DEFAULT_ENV_NAME ? '' : ` --name ${name}`}\`) or choose another --name`,
    );
  }
  // A running environment keeps its manager where it runs (its kind config below is written as it was).
  const placement = state ? { manager: state.managerPlacement ?? ('host' as const) } : kindManagerPlacement(given);
  const a: UpArgs = { ...given, manager: placement.manager };
  if (!state) cleanStale(name, io);
  if ('note' in placement && placement.note) io.out(placement.note);
  const cachedKind = useCachedKind();
  if (cachedKind) io.out(`kind: not on PATH; using kokpit's build ${cachedKind}`);
  const checks = await runPreflight({ ports: config.ports });
  await acceptOwnPorts(checks, name);
  io.out(`Preflight (kind):\n${formatPreflight(checks)}`);
  const k = kindSettings(name, config);
  fs.mkdirSync(environmentDir(name), { recursive: true, mode: 0o700 });
  fs.mkdirSync(k.backups, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    k.configFile,
    kindConfigYaml({
      name,
      nodeImage: k.nodeImage,
      ports: config.ports,
      // The in-cluster manager makes kind Machines through the host's Docker engine, as CAPD does (kind-in-cluster.ts).
      extraMounts: [...(config.extraMounts ?? []), ...(a.manager === 'in-cluster' ? kindInClusterMounts() : [])],
      pinnedImages: k.pinnedImages,
      sharedDir: k.backups,
    }),
  );
  io.out(`kind config: ${k.configFile} (node image ${k.nodeImage})`);
  if (!preflightPassed(checks)) {
    const failed = checks.filter((c) => !c.ok && c.severity === 'error');
    io.err(
      `kokpit up: preflight failed: ${failed.map((c) => `${c.detail}\n  fix: ${c.fix ?? '-'}`).join('\n')}\n` +
        `(or run \`kokpit up --runtime sandbox\`: no Docker needed)`,
    );
    return EXIT.FAILED;
  }
  try {
    const tc = Date.now();
    io.out(`kind cluster "${name}": \`kind create cluster\` (or reuse); the first run pulls ${k.nodeImage}…`);
    const { created } = await ensureKindCluster({ name, configFile: k.configFile, kubeconfigFile: k.kubeconfig });
    io.out(
      stepLine({
        step: created
          ? `kind cluster ${name} created, kubeconfig ${k.kubeconfig} (0600)`
          : `kind cluster ${name} exists: reused (kind get kubeconfig), kubeconfig ${k.kubeconfig} (0600)`,
        ms: Date.now() - tc,
      }),
    );
  } catch (e) {
    if (!(e instanceof KindError)) throw e;
    io.err(`kokpit up: ${e.message}\n  fix: ${e.fix}`);
    return EXIT.FAILED;
  }
  if (!state) {
    await ensureEnvironmentBinaries('kind', config, a, io);
    if (!a.detach) return foreground(name, config, a, io, t0, 'kind');
    state = await startDetached(name, config, a, io, 'kind');
  } else {
    io.out(`Local environment "${name}" is already running (manager pid ${state.pid}, ${state.server}); reusing it.`);
    if (a.withOcm) await addHubToRunningKind(state, io);
  }
  const kc = loadKubeConfig({ kubeconfigPath: state.kubeconfig });
  await ensureClusters(kc, name, config, a, io, 'kind');
  printSummary(
    state,
    io,
    `Running in the background (pid ${state.pid}). Stop with: kokpit down${name === DEFAULT_ENV_NAME ? '' : ` --name ${name}`}`,
    Date.now() - t0,
  );
  return EXIT.OK;
}

/** The command that runs the multicluster operator beside a manager that has none (its own lease namespace). */
export function multiclusterOperatorCommand(kubeconfig: string): string {
  return `kokpit operator --kubeconfig ${kubeconfig} --controllers multicluster --namespace ${MULTICLUSTER_LEASE_NAMESPACE}`;
}
export const MULTICLUSTER_LEASE_NAMESPACE = 'kokpit-multicluster';

/**
 * `kokpit up --runtime kind --with-ocm` on a running kind environment: OCM's images and the hub into its meta cluster
 * (nothing written when it has them). A manager started without --with-ocm (on the host, or in the cluster) registers
 * no cluster: the command that runs the multicluster operator beside it is printed.
 */
async function addHubToRunningKind(state: EnvironmentState, io: CliIO): Promise<void> {
  const kc = loadKubeConfig({ kubeconfigPath: state.kubeconfig });
  const line = (s: StepTiming) => io.out(stepLine(s));
  await installKindHub(kc, state.kind?.cluster ?? state.name, (l) => io.out(`  ${l}`), stepTimer([], line));
  if (state.runnables.includes('multicluster-operator')) return;
  const where = state.managerPlacement === 'in-cluster' ? 'the manager pods' : `the manager (pid ${state.pid})`;
  io.out(
    `OCM hub installed; ${where} run no multicluster operator, so no cluster registers yet. Run one beside them ` +
      `(its own lease):\n  ${multiclusterOperatorCommand(state.kubeconfig)}`,
  );
}

/** An existing kind cluster of this name holds the reserved ports itself (Docker publishes them): it is reused. */
async function acceptOwnPorts(checks: Awaited<ReturnType<typeof runPreflight>>, name: string): Promise<void> {
  const [docker, kind] = checks;
  const ports = checks.find((c) => c.name === 'ports');
  if (ports && !ports.ok && docker?.ok && kind?.ok && (await listKindClusters().catch((): string[] => [])).includes(name)) {
    Object.assign(ports, {
      ok: true,
      detail: `${ports.detail.replace(/^host ports in use: /, '')} held by the existing kind cluster "${name}" (reused)`,
      fix: undefined,
    });
  }
}

/** Remove what a dead environment left behind (its processes, its directory). */
function cleanStale(name: string, io: CliIO): void {
  const env = readEnvironment(name);
  for (const c of env?.components ?? []) {
    if (runsBinary(c.pid, c.bin)) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (fs.existsSync(environmentDir(name))) {
    fs.rmSync(environmentDir(name), { recursive: true, force: true });
    io.err(`cleaned up after local environment "${name}" whose process had died`);
  }
}

/**
 * Every binary this environment will run (meta control plane, business clusters' pods, machine provider),
 * built here before anything starts, with progress: a live line on a terminal, a line per build otherwise.
 */
async function ensureEnvironmentBinaries(runtime: Runtime, config: LocalEnvironmentConfig, a: UpArgs, io: CliIO): Promise<void> {
  const needed = environmentBinaries({ runtime, config, withSample: a.withSample, withOcm: a.withOcm });
  const binaries = defaultBinaryProvider();
  const missing = needed.filter((n) => !binaries.find(n.component, n.version));
  if (missing.length === 0) return;
  io.err(
    `Binaries: ${needed.length} needed, ${missing.length} not built yet. They are compiled from Go modules (no prebuilt binary can be ` +
      `downloaded here); a first run with empty Go caches took ~8 min on an idle 2-core machine, later ones need no build:\n` +
      missing.map((m) => `  ${m.component} ${m.version} (${m.why})`).join('\n'),
  );
  // A terminal gets one live line per build; anything else (a log, CI) one line when a build starts and ends.
  const progress = buildProgressReporter(
    io.isTTY ? { write: (s: string) => process.stderr.write(s), isTTY: true } : { write: (s: string) => io.err(s.replace(/\n$/, '')) },
    '  ',
  );
  try {
    await resolveBinaries(missing, { onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
}

async function sandboxUp(name: string, config: LocalEnvironmentConfig, a: UpArgs, io: CliIO): Promise<number> {
  const t0 = Date.now();
  let state = runningEnvironment(name);
  if (state) {
    io.out(`Local environment "${name}" is already running (pid ${state.pid}, ${state.server}); reusing it.`);
  } else {
    cleanStale(name, io);
    await ensureEnvironmentBinaries('sandbox', config, a, io);
    if (!a.detach) return foreground(name, config, a, io, t0, 'sandbox');
    state = await startDetached(name, config, a, io, 'sandbox');
  }
  const kc = loadKubeConfig({ kubeconfigPath: state.kubeconfig });
  await ensureClusters(kc, name, config, a, io, 'sandbox');
  printSummary(
    state,
    io,
    `Running in the background (pid ${state.pid}). Stop with: kokpit down${name === DEFAULT_ENV_NAME ? '' : ` --name ${name}`}`,
    Date.now() - t0,
  );
  return EXIT.OK;
}

/** Business clusters from the config and the sample: applied, then waited for until Ready. */
async function ensureClusters(
  kc: KubeConfig,
  name: string,
  config: LocalEnvironmentConfig,
  a: UpArgs,
  io: CliIO,
  runtime: Runtime,
): Promise<void> {
  const objects = makeObjectApi(kc);
  const wanted: Array<{ name: string; namespace: string }> = [];
  // kind: each business cluster without its own Service settings gets the next reserved node port, which
  // kind maps to 127.0.0.1:<hostPort>, and the meta node's name as a SAN (kind machines join through it).
  const reservations = runtime === 'kind' ? portReservations(config.ports) : [];
  let next = 0;
  const placement = (cluster: string): SampleAPIServer | undefined => {
    if (runtime !== 'kind') return undefined;
    const r = reservations[next++];
    if (!r)
      throw new Error(
        `business cluster ${cluster}: all ${reservations.length} reserved ports are taken; ` +
          `raise spec.metaCluster.ports.count in kokpit.yaml (kind maps ports only at create time: \`kokpit down\` first)`,
      );
    return {
      service: { type: 'NodePort', nodePort: r.nodePort },
      certSANs: [kindControlPlaneNode(name)],
      addons: ['kokpit-cni', 'kube-proxy', 'coredns'],
    };
  };
  for (const bc of config.businessClusters) {
    const namespace = bc.namespace ?? 'default';
    const spec = bc.spec as { apiServer?: { service?: unknown; certSANs?: string[] } } | undefined;
    const placed = spec?.apiServer?.service ? undefined : placement(bc.name);
    const withPlacement = placed
      ? {
          ...spec,
          apiServer: {
            ...spec?.apiServer,
            service: placed.service,
            certSANs: [...(spec?.apiServer?.certSANs ?? []), ...(placed.certSANs ?? [])],
          },
        }
      : bc.spec;
    await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await applyObject(objects, {
      apiVersion: API_VERSION,
      kind: 'BusinessCluster',
      metadata: { name: bc.name, namespace },
      spec: withPlacement,
    } as never);
    wanted.push({ name: bc.name, namespace });
  }
  if (a.withSample) {
    await createSample(kc, placement(SAMPLE_NAME));
    wanted.push({ name: SAMPLE_NAME, namespace: SAMPLE_NAMESPACE });
  }
  for (const w of wanted) {
    io.out(`BusinessCluster ${w.namespace}/${w.name}: waiting until Ready`);
    const bc = await waitClusterReady(kc, w.name, w.namespace, (type, ms, message) =>
      io.out(`  ✓ ${type} (+${secs(ms)})${message ? ` ${message}` : ''}`),
    );
    const { yaml } = await readAdminKubeconfig(kc, w.name, w.namespace);
    const file = defaultKubeconfigPath(w.name, w.namespace, name);
    writePrivateFile(file, yaml);
    io.out(`  endpoint ${bc.status?.endpoint ?? '?'}; kubeconfig ${file} (0600)\n  kubectl --kubeconfig ${file} get ns`);
    if (w.name === SAMPLE_NAME && a.withSample) {
      if (machinesSupported()) {
        const machines = sampleMachines(w.name, SAMPLE_NAMESPACE, runtime === 'kind' ? 'kind' : 'kwok');
        for (const m of machines) await applyObject(objects, m);
        const what =
          runtime === 'kind'
            ? 'provider kind: containers of the kind node image joined with kubeadm'
            : 'provider kwok: simulated worker nodes, no kubelet or containers';
        io.out(`Machines: ${machines.map((m) => m.metadata!.name).join(', ')} (${what})`);
        await waitMachinesRunning(kc, machines, (m, node, ms) => io.out(`  ✓ ${m} Running as Node ${node} (+${secs(ms)})`));
        // The nodes now start the addons' pods (CoreDNS): until they are available the sample is not Running.
        const ms = await waitAddonsOnNodes(kc, w.name, SAMPLE_NAMESPACE);
        io.out(`  ✓ addons available on the nodes (+${secs(ms)})`);
      } else {
        io.out('  Machines: not yet supported (no machine-operator in this build); the sample has a control plane and no worker nodes');
      }
    }
  }
}

function printSummary(s: EnvironmentState, io: CliIO, how: string, totalMs: number): void {
  if (s.runtime === 'kind') {
    const ports = s.kind?.ports ?? [];
    const range = ports.length
      ? `127.0.0.1:${ports[0]!.hostPort}-${ports[ports.length - 1]!.hostPort} → ` +
        `node ports ${ports[0]!.nodePort}-${ports[ports.length - 1]!.nodePort}`
      : 'none reserved';
    io.out(
      [
        `Local environment "${s.name}" ready in ${secs(totalMs)} (runtime: kind)`,
        `  meta cluster  kind cluster ${s.kind?.cluster ?? s.name} at ${s.server} (Kubernetes ${s.version}, ` +
          `node image ${s.kind?.nodeImage ?? '?'}), kubeconfig ${s.kubeconfig}`,
        s.managerPlacement === 'in-cluster'
          ? `  manager       2 pods of kokpit-system/kokpit-manager (kokpit install), ${s.managerIdentity} leading`
          : `  manager       pid ${s.pid} on this host: ${s.runnables.join(', ')}`,
        s.managerPlacement === 'in-cluster'
          ? // The pods know no host port mapping: they publish the Service's own address (on Linux the host reaches it too).
            `  business API  <meta node IP>:<nodePort> (the in-cluster manager publishes the node's address on the kind network)`
          : `  business API  ${range} (reserved when the kind cluster was created: at most ${ports.length} business clusters ` +
            `reachable from the host)`,
        how,
      ].join('\n'),
    );
    return;
  }
  const workers = s.machines === 'kwok' ? 'kwok Machines: Nodes without kubelet or containers' : 'none: no machine-operator';
  io.out(
    [
      `Local environment "${s.name}" ready in ${secs(totalMs)} (runtime: sandbox)`,
      `  meta cluster  ${s.server} (Kubernetes ${s.version}), kubeconfig ${s.kubeconfig}`,
      s.managerPlacement === 'in-cluster'
        ? `  manager       2 pods of kokpit-system/kokpit-manager (kokpit install; processes of the pod runner), ` +
          `${s.managerIdentity} leading`
        : `  manager       pid ${s.pid}: ${s.runnables.join(', ')}`,
      `  meta node     ${s.runnerNode} (${s.runnerHostIP}): business clusters' etcd and control-plane pods run as local processes`,
      s.podNetwork === 'netns'
        ? `  pod network   netns: pod IPs 198.18.${s.runnerHostIP.split('.')[2]}.x each in a network namespace of its own; ` +
          'Services get endpoints (webhooks reach pods)'
        : `  pod network   loopback: pod IPs ${s.runnerHostIP.replace(/\.1$/, '.x')}; Services get no endpoints ` +
          '(run as root for the netns network)',
      ...(s.simulatedNodes?.length
        ? [
            `  meta nodes    ${s.simulatedNodes.join(', ')} simulated by kwok (no kubelet): ` +
              `a pod that names one is reported Running, nothing runs`,
          ]
        : []),
      `  simulated     worker nodes (${workers}); no kube-proxy: business API servers are reached through ` +
        `${s.managerPlacement === 'in-cluster' ? s.runnerHostIP : '127.0.0.1'}:<nodePort>`,
      how,
    ].join('\n'),
  );
}

function onSignals(handler: (sig: string) => void): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => handler(sig));
}

type RunningEnvironment = Awaited<ReturnType<typeof startSandboxEnvironment>>;

/** The runtime's meta cluster parts that live in this process (sandbox: all of them; kind: the manager). */
function startEnvironment(
  runtime: Runtime,
  name: string,
  config: LocalEnvironmentConfig,
  a: UpArgs,
  o: { log: Logger; step: (s: StepTiming) => void; processGroup: boolean; logFile?: string },
): Promise<RunningEnvironment> {
  if (runtime === 'sandbox')
    return startSandboxEnvironment({
      name,
      kubernetesVersion: config.kubernetesVersion,
      simulatedNodes: a.nodes,
      ocm: a.withOcm,
      manager: a.manager,
      podNetwork: a.podNetwork ?? (config.podNetwork.toLowerCase() as 'auto' | 'loopback' | 'netns'),
      ...o,
    });
  const k = kindSettings(name, config);
  return startKindEnvironment({
    name,
    kubeconfig: k.kubeconfig,
    nodeImage: k.nodeImage,
    reservations: k.reservations,
    manager: a.manager,
    ocm: a.withOcm,
    ...o,
  });
}

const whatStops = (runtime: Runtime) =>
  runtime === 'sandbox' ? 'manager, pod runner, control plane' : 'manager; the kind cluster stays until `kokpit down`';

async function foreground(
  name: string,
  config: LocalEnvironmentConfig,
  a: UpArgs,
  io: CliIO,
  t0: number,
  runtime: Runtime,
): Promise<number> {
  const log = cliLogger(io, a.verbose);
  // eslint-disable-next-line prefer-const -- the signal handler below may run (and read it) before it is set
  let env: RunningEnvironment | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) =>
    (stopping ??= (async () => {
      io.err(`${why}: stopping local environment "${name}" (${whatStops(runtime)})…`);
      await env?.stop();
    })());
  onSignals((sig) => void shutdown(sig).then(() => process.exit(EXIT.OK)));
  io.out(`Starting local environment "${name}" (${runtime})…`);
  env = await startEnvironment(runtime, name, config, a, { log, step: (s) => io.out(stepLine(s)), processGroup: false });
  try {
    await ensureClusters(env.kc, name, config, a, io, runtime);
  } catch (e) {
    await shutdown('failed');
    throw e;
  }
  printSummary(env.state, io, 'Press Ctrl-C to stop (everything it started stops with it).', Date.now() - t0);
  const why = await env.failed;
  await shutdown(why);
  return EXIT.FAILED;
}

/** The detached supervisor: owns the environment until SIGTERM (from `kokpit down`). Logs go to its log file. */
async function supervise(name: string, config: LocalEnvironmentConfig, a: UpArgs, io: CliIO): Promise<number> {
  const log = cliLogger(io, a.verbose);
  const runtime: Runtime = a.runtime ?? 'sandbox';
  let env: RunningEnvironment | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) =>
    (stopping ??= (async () => {
      io.err(`${why}: stopping local environment "${name}"`);
      await env?.stop();
    })());
  onSignals((sig) => void shutdown(sig).then(() => process.exit(EXIT.OK)));
  try {
    env = await startEnvironment(runtime, name, config, a, {
      log,
      processGroup: true,
      logFile: path.join(environmentDir(name), 'up.log'),
      step: (s) => io.err(stepLine(s)),
    });
  } catch (e) {
    io.err(`start failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.FAILED;
  }
  io.err(`local environment "${name}" ready`);
  const why = await env.failed;
  await shutdown(why);
  return EXIT.FAILED;
}

async function startDetached(
  name: string,
  config: LocalEnvironmentConfig,
  a: UpArgs,
  io: CliIO,
  runtime: Runtime,
): Promise<EnvironmentState> {
  const dir = environmentDir(name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, 'up.log');
  const fd = fs.openSync(logFile, 'w', 0o600);
  const args = [
    'up',
    '--name',
    name,
    '--supervise',
    '--runtime',
    runtime,
    ...(a.config ? ['--config', path.resolve(io.cwd, a.config)] : []),
    ...(a.verbose ? ['-v'] : []),
  ];
  if (a.version) args.push('--version', a.version);
  if (a.nodes !== undefined) args.push('--nodes', String(a.nodes));
  if (a.withOcm) args.push('--with-ocm');
  if (a.manager) args.push('--manager', a.manager);
  if (a.podNetwork) args.push('--pod-network', a.podNetwork);
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell how this CLI was started (no process.argv[1])');
  let child;
  try {
    child = spawn(process.execPath, [...process.execArgv, path.resolve(entry), ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: process.env,
    });
  } finally {
    fs.closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the local environment process');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.unref();
  io.out(`Starting local environment "${name}" (${runtime}) in the background (pid ${pid}, log ${logFile})…`);
  try {
    const state = await waitFor(
      `local environment "${name}" ready`,
      async () => {
        const s = readEnvironment(name);
        return s && s.pid === pid ? s : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 200, abortIf: () => (exited ? `the environment process ${exited}` : undefined) },
    );
    for (const s of state.steps) io.out(stepLine(s));
    return state;
  } catch (e) {
    if (!exited) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- last lines of ${logFile} ---\n${tailFile(logFile, 30)}`, {
      cause: e,
    });
  }
}
