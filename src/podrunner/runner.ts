// The runner: a Node kept Ready, informers on its pods, Services and EndpointSlices, one PodWorker per
// pod, and the per-pod hosts files that make Service and pod names resolve to pod IPs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { AddressPool, defaultLockDir } from './addresses';
import { secretData } from './env';
import { renderHostsFile, writeInPlace, type HostsEndpoint, type HostsPod, type HostsService, type HostsWorld } from './hosts';
import { cachedBinaryResolver, type BinaryResolver } from './images';
import type { BinaryProvider } from '../binaries/provider';
import { Informer } from '../controller/informer';
import { keyOf, type Logger } from '../controller/reconciler';
import { isNotFound, makeClients } from '../kube';
import { startKubeletServer, type KubeletServer, type KubeletServingTLS } from './kubelet-server';
import { NodeHeartbeat } from './node';
import { PodWorker, type PodContext } from './pod';
import { detectIsolation, ProcessTable, type IsolationMode } from './processes';
import { openNetnsPodNetwork, type NetnsPodNetwork, type PodNetworkMode } from './pod-network';

export interface PodRunnerOptions {
  kubeConfig: KubeConfig;
  /** The Node this runner acts for (created when missing). */
  nodeName: string;
  /** Pod directories, logs, address assignments (kept across restarts; the caller owns it). */
  stateDir: string;
  log?: (line: string) => void;
  /**
   * Bind pods that have no node yet to this node (for control planes without kube-scheduler).
   * `true` binds every unscheduled pod; with `schedulerName`, only pods asking for that scheduler.
   */
  bindUnscheduledPods?: boolean | { schedulerName?: string };
  /** Extra Node labels (pods' nodeSelectors are checked against them when binding). */
  nodeLabels?: Record<string, string>;
  /** Maps (component, version) to a binary; default: the kokpit binary cache (~/.cache/kokpit/bin). */
  binaryResolver?: BinaryResolver;
  /**
   * "Pulls" an image whose binary is missing by building it (kubelet's ContainerCreating while pulling);
   * without it a missing binary is ErrImagePull at once.
   */
  binaries?: BinaryProvider;
  /** Crash-loop backoff (kubelet: 10 s doubling to 5 min). Tests shorten it. */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** How containers get their own /etc/hosts (default: detected; see processes.ts). */
  isolation?: IsolationMode;
  clusterDomain?: string;
  /** Directory of loopback-block lock files shared by all runners on the machine. */
  addressLockDir?: string;
  /** Grace period for containers when the runner stops (default 5 s). */
  stopGraceMs?: number;
  /**
   * Serve the kubelet's container logs (pods/log) with this TLS material, on the node's address; its port goes on the
   * Node's daemonEndpoints. Without it the port is 0 and `kubectl logs` fails as on a node with no kubelet.
   */
  kubelet?: KubeletServingTLS;
  /**
   * Pod addresses: `loopback` (default; 127.0.<b>.x, no privileges, but Kubernetes gives such pods no Service endpoints)
   * or `netns` (198.18.<b>.x, each pod in a network namespace of its own on a bridge; root; Services, webhooks: pod-network.ts).
   */
  podNetwork?: PodNetworkMode;
  /** netns: more of the host's loopback addresses pods reach at the same address (the API server's always is). */
  relay?: Array<{ host: string; port: number }>;
}

export interface PodRunner {
  nodeName: string;
  /** The node's address, 127.0.<block>.1; pod IPs are 127.0.<block>.2–254. */
  hostIP: string;
  isolation: IsolationMode;
  podNetwork: PodNetworkMode;
  /** Pod IP of a pod this runner runs (namespace/name), if it has one. */
  podIP(namespace: string, name: string): string | undefined;
  /** Pids of the running container processes of a pod (namespace/name). */
  pids(namespace: string, name: string): number[];
  /** Log file of a container (appended across restarts; kept in the state dir after the pod is gone). */
  logFile(namespace: string, name: string, container: string): string | undefined;
  /** Stops watching, stops every container (the pods stay in the API), releases addresses. */
  stop(): Promise<void>;
}

/** A cache of one resource whose handler gets the key of what changed, and the object unless it is gone (level-triggered). */
function watchKeys<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  onChange: (key: string, obj: T | undefined) => void,
  log: Logger,
  fieldSelector?: string,
): Informer<T> {
  const informer = new Informer<T>(kc, { path, list, fieldSelector, log });
  informer.onEvent((obj, kind) => onChange(keyOf(obj), kind === 'delete' ? undefined : obj));
  return informer;
}

/** The object, or undefined when the API says it does not exist. */
async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const matchesSelector = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/* eslint-disable-next-line max-lines-per-function -- the runner's state (pods, processes, watches, the node lease) is shared by the
   closures it returns; splitting it would pass that state around */
export async function startPodRunner(opts: PodRunnerOptions): Promise<PodRunner> {
  const log = opts.log ?? (() => {});
  const rlog = (m: string) => log(`[podrunner ${opts.nodeName}] ${m}`);
  fs.mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  const kube = makeClients(opts.kubeConfig);
  const { core } = kube;
  const discovery = opts.kubeConfig.makeApiClient(DiscoveryV1Api);
  const logger: Logger = { info: rlog, warn: rlog, error: rlog, debug: () => {} };
  const podNetwork = opts.podNetwork ?? 'loopback';
  const pool = AddressPool.open(opts.stateDir, opts.addressLockDir ?? defaultLockDir(), undefined, podNetwork);
  const server = new URL(opts.kubeConfig.getCurrentCluster()!.server);
  let netns: NetnsPodNetwork | undefined;
  try {
    if (podNetwork === 'netns') {
      netns = await openNetnsPodNetwork({ block: pool.block, log: rlog });
      // Pods reach the API server at the host's address they are given (KUBERNETES_SERVICE_HOST, kubeconfigs).
      const apiHost = server.hostname === 'localhost' ? '127.0.0.1' : server.hostname;
      if (apiHost.startsWith('127.')) await netns.relay(apiHost, Number(server.port || 443));
      for (const r of opts.relay ?? []) await netns.relay(r.host, r.port);
    }
  } catch (e) {
    await netns?.close();
    pool.close();
    throw e;
  }
  const processes = new ProcessTable(opts.stateDir);
  const leftovers = processes.killLeftovers();
  if (leftovers) rlog(`killed ${leftovers} process(es) left by a previous runner`);
  const isolation =
    opts.isolation ??
    (() => {
      const d = detectIsolation();
      rlog(
        d.mode === 'none'
          ? `no mount namespaces (${d.detail}): Service names will not resolve in containers`
          : `per-pod /etc/hosts via ${d.detail}`,
      );
      return d.mode;
    })();
  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  const clusterCA = (() => {
    const c = opts.kubeConfig.getCurrentCluster()!;
    if (c.caData) return Buffer.from(c.caData, 'base64').toString('utf8');
    if (c.caFile) return fs.readFileSync(c.caFile, 'utf8');
    return undefined;
  })();

  const workers = new Map<string, PodWorker>(); // by uid
  const workerOf = (ns: string, name: string) => [...workers.values()].find((w) => w.key === `${ns}/${name}` && !w.finished);
  let kubelet: KubeletServer | undefined;
  if (opts.kubelet) {
    kubelet = await startKubeletServer({
      host: pool.hostIP,
      nodeName: opts.nodeName,
      tls: opts.kubelet,
      log: rlog,
      lookup: (ns, name, container, previous) =>
        workerOf(ns, name)?.logRun(container, previous) ?? { status: 404, message: `pod "${ns}/${name}" does not exist` },
    });
  }
  const heartbeat = new NodeHeartbeat(kube, {
    nodeName: opts.nodeName,
    hostIP: pool.hostIP,
    kubeletPort: kubelet?.port ?? 0,
    labels: opts.nodeLabels,
    version: 'v1.33.13-kokpit-process',
    log: rlog,
  });
  await heartbeat.start().catch(async (e) => {
    await kubelet?.close();
    await netns?.close();
    pool.close();
    throw e;
  });

  const logDirs = new Map<string, string>(); // namespace/name → log dir of its latest pod
  let stopping = false;

  // Name resolution: rewrite every pod's hosts file when pods, readiness or Services change.
  let hostsTimer: NodeJS.Timeout | undefined;
  const hostsWorld = (): HostsWorld => {
    const pods: HostsPod[] = [...workers.values()]
      .filter((w) => w.podIP && !w.finished)
      .map((w) => ({
        namespace: w.pod.metadata!.namespace!,
        name: w.pod.metadata!.name!,
        ip: w.podIP!,
        ready: w.ready,
        labels: w.pod.metadata?.labels ?? {},
        hostname: w.pod.spec?.hostname ?? w.pod.metadata!.name!,
        explicitHostname: !!w.pod.spec?.hostname,
        subdomain: w.pod.spec?.subdomain,
        hostAliases: (w.pod.spec?.hostAliases ?? []).map((a) => ({ ip: a.ip!, hostnames: a.hostnames ?? [] })),
      }));
    const services: HostsService[] = services_.list().map((s) => ({
      namespace: s.metadata!.namespace!,
      name: s.metadata!.name!,
      selector: s.spec?.selector,
      headless: s.spec?.clusterIP === 'None',
      publishNotReadyAddresses: !!s.spec?.publishNotReadyAddresses,
    }));
    const endpoints: HostsEndpoint[] = slices.list().flatMap((sl) => {
      const svc = sl.metadata?.labels?.['kubernetes.io/service-name'];
      if (!svc) return [];
      return (sl.endpoints ?? []).flatMap((ep) =>
        (ep.addresses ?? []).map((ip) => ({
          namespace: sl.metadata!.namespace!,
          serviceName: svc,
          ip,
          ready: ep.conditions?.ready !== false,
          hostname: ep.hostname,
        })),
      );
    });
    return { pods, services, endpoints, clusterDomain };
  };
  const writeHosts = (w: PodWorker, world = hostsWorld()) => {
    const me = world.pods.find((p) => p.namespace === w.pod.metadata!.namespace && p.name === w.pod.metadata!.name);
    if (!me) return;
    const changed = writeInPlace(w.hostsFile, renderHostsFile(world, me, `written by kokpit's process pod runner for ${w.key}`));
    if (changed) rlog(`hosts file of ${w.key} updated`);
  };
  const refreshHosts = () => {
    clearTimeout(hostsTimer);
    hostsTimer = setTimeout(() => {
      const world = hostsWorld();
      for (const w of workers.values()) if (w.podIP && !w.finished) writeHosts(w, world);
      relayNodePorts();
    }, 50);
  };
  // In the netns network a pod dialling its node's address and a NodePort (the in-cluster manager reaching a business
  // apiserver, as on any node) is relayed to the host, where the NodePort proxy listens on the node's address.
  const relayNodePorts = () => {
    if (!netns) return;
    for (const svc of services_.list())
      for (const p of svc.spec?.ports ?? [])
        // On the node's address (the in-cluster manager's endpoints) and on 127.0.0.1 (the sandbox's host manager's):
        // the NodePort proxy listens on one of them.
        for (const host of new Set([pool.hostIP, '127.0.0.1']))
          if (p.nodePort) netns.relay(host, p.nodePort).catch((e) => rlog(`relaying node port ${host}:${p.nodePort}: ${e.message}`));
  };

  const ctx: PodContext = {
    core,
    nodeName: opts.nodeName,
    hostIP: pool.hostIP,
    stateDir: opts.stateDir,
    nodeRoot: path.join(opts.stateDir, 'node-root'),
    provisionedRoot: path.join(opts.stateDir, 'volumes'),
    resolver: opts.binaryResolver ?? cachedBinaryResolver,
    binaries: opts.binaries,
    isolation,
    processes,
    node: { cpu: os.cpus().length, memoryBytes: os.totalmem() },
    restartBackoff: opts.restartBackoff ?? { initialMs: 10_000, maxMs: 300_000 },
    baseEnv: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port || '443' },
    allocateIP: (key) => pool.allocate(key),
    podNamespace: netns && ((key, ip) => netns!.addPod(key, ip)),
    releaseIP: (key) => {
      pool.release(key);
      netns?.removePod(key);
      refreshHosts();
    },
    writeHosts: (w) => writeHosts(w),
    onReadinessChanged: refreshHosts,
    log: rlog,
    lookup: {
      async secret(namespace, name) {
        const secret = await unlessNotFound(core.readNamespacedSecret({ name, namespace }));
        return secret && secretData(secret);
      },
      async configMap(namespace, name) {
        const cm = await unlessNotFound(core.readNamespacedConfigMap({ name, namespace }));
        return cm && (cm.data ?? {});
      },
      async configMapFiles(namespace, name) {
        const cm = await unlessNotFound(core.readNamespacedConfigMap({ name, namespace }));
        if (!cm) return undefined;
        const out: Record<string, Buffer> = {};
        for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
        for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
        return out;
      },
      pvc: (namespace, name) => unlessNotFound(core.readNamespacedPersistentVolumeClaim({ name, namespace })),
      pv: (name) => unlessNotFound(core.readPersistentVolume({ name })),
      async token(pod, sa, audience, expirationSeconds) {
        const tr = await core.createNamespacedServiceAccountToken({
          name: sa,
          namespace: pod.metadata!.namespace!,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: audience ? [audience] : [],
              expirationSeconds,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, uid: pod.metadata!.uid },
            },
          },
        });
        if (!tr.status?.token) throw new Error(`TokenRequest for ${sa} returned no token`);
        return tr.status.token;
      },
      clusterCA: () => clusterCA,
    },
  };

  // A re-created pod of the same name (StatefulSet) starts once its predecessor has let go of the address.
  const onPod = (key: string, pod: V1Pod | undefined) => {
    if (stopping) return;
    if (pod && pod.spec?.nodeName !== opts.nodeName) pod = undefined;
    const existing = [...workers.values()].filter((w) => w.key === key);
    for (const w of existing) {
      if (pod && w.uid === pod.metadata!.uid) continue;
      // Gone from the API (force-deleted) or replaced: stop it without waiting for a grace period.
      void w.terminate(2000, false).then(() => {
        workers.delete(w.uid);
        refreshHosts();
        if (pod) onPod(key, pods.get(pod.metadata!.name!, pod.metadata!.namespace));
      });
    }
    if (!pod) return;
    const w = workers.get(pod.metadata!.uid!);
    if (w) return w.update(pod);
    if (existing.some((o) => o.uid !== pod!.metadata!.uid)) return; // predecessor still stopping
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return; // terminal pods are never run again
    const worker = new PodWorker(pod, ctx);
    workers.set(worker.uid, worker);
    logDirs.set(key, worker.logDir);
    rlog(`pod ${key} assigned to this node`);
    worker.kick();
    refreshHosts();
  };

  const kc = opts.kubeConfig;
  const mine = `spec.nodeName=${opts.nodeName}`;
  const pods = watchKeys<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces({ fieldSelector: mine }), onPod, logger, mine);
  const services_ = watchKeys<V1Service>(kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), refreshHosts, logger);
  const slicesPath = '/apis/discovery.k8s.io/v1/endpointslices';
  const slices = watchKeys<V1EndpointSlice>(kc, slicesPath, () => discovery.listEndpointSliceForAllNamespaces(), refreshHosts, logger);
  const informers: Array<Pick<Informer<KubernetesObject>, 'start' | 'stop'>> = [services_, slices, pods];

  if (opts.bindUnscheduledPods) {
    const schedulerName = typeof opts.bindUnscheduledPods === 'object' ? opts.bindUnscheduledPods.schedulerName : undefined;
    const nodeLabels = { 'kubernetes.io/hostname': opts.nodeName, 'kubernetes.io/os': 'linux', ...opts.nodeLabels };
    const binding = new Set<string>();
    const unbound = 'spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed';
    const bind = (key: string, pod: V1Pod | undefined) => {
      const uid = pod?.metadata?.uid;
      if (!pod || !uid || pod.metadata!.deletionTimestamp || binding.has(uid)) return;
      if (schedulerName && (pod.spec?.schedulerName ?? 'default-scheduler') !== schedulerName) return;
      if (!matchesSelector(pod.spec?.nodeSelector, nodeLabels)) return;
      binding.add(uid);
      const [namespace, name] = key.split('/');
      const target = { apiVersion: 'v1', kind: 'Node', name: opts.nodeName };
      const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target };
      core
        .createNamespacedPodBinding({ name, namespace, body })
        .then(() => rlog(`bound pod ${key} to ${opts.nodeName}`))
        .catch((e) => {
          binding.delete(uid);
          if (!isNotFound(e)) rlog(`binding pod ${key} failed: ${e.message}`);
        });
    };
    const listUnbound = () => core.listPodForAllNamespaces({ fieldSelector: unbound });
    informers.push(watchKeys<V1Pod>(kc, '/api/v1/pods', listUnbound, bind, logger, unbound));
  }

  try {
    // Services first, so the first hosts files already list them.
    await Promise.all(informers.map((i) => i.start()));
  } catch (e) {
    heartbeat.stop();
    await kubelet?.close();
    await Promise.all(informers.map((i) => i.stop()));
    await netns?.close();
    pool.close();
    throw e;
  }
  rlog(`running pods of node ${opts.nodeName} (node IP ${pool.hostIP}, isolation ${isolation}, pod network ${podNetwork})`);

  const onExit = () => {
    // Last resort (test runner killed): no container outlives the process that started it.
    for (const w of workers.values())
      for (const pid of w.pids()) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
  };
  process.on('exit', onExit);

  return {
    nodeName: opts.nodeName,
    hostIP: pool.hostIP,
    isolation,
    podNetwork,
    podIP: (ns, name) => workerOf(ns, name)?.podIP,
    pids: (ns, name) => workerOf(ns, name)?.pids() ?? [],
    logFile: (ns, name, container) => {
      const dir = logDirs.get(`${ns}/${name}`);
      return dir ? path.join(dir, `${container}.log`) : undefined;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      heartbeat.stop();
      await kubelet?.close();
      await Promise.all(informers.map((i) => i.stop()));
      clearTimeout(hostsTimer);
      await Promise.all([...workers.values()].map((w) => w.terminate(opts.stopGraceMs ?? 5000, false)));
      await processes.terminateAll(1000);
      workers.clear();
      await netns?.close();
      pool.close();
      process.removeListener('exit', onExit);
      rlog('stopped');
    },
  };
}
