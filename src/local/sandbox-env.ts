// The sandbox runtime of `kokpit up`: a real meta control plane (etcd, kube-apiserver,
// kube-controller-manager) on 127.0.0.1, kokpit's CRDs and default catalog, a pod runner acting as the
// kubelet of one meta node (the business clusters' etcd and control-plane pods run as real local
// processes), a hostPath volume provisioner, the NodePort proxy that makes business apiservers reachable
// from the host, and the manager with every kokpit reconciler. One process owns all of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../controller/reconciler';
import type { Manager } from '../manager/manager';
import { kokpitOperators } from '../manager/operators';
import { podIPResolver } from '../operators/etcd/access';
import { installHub, readOcmManifests } from '../operators/multicluster/hub';
import { defaultBinaryProvider } from '../binaries/provider';
import { startPodRunner, type PodRunner } from '../podrunner';
import { netnsUnavailable, type PodNetworkMode } from '../podrunner/pod-network';
import { isAlive, kwokNodeName, startControlPlane, type ControlPlane } from '../controlplane';
import { installKokpitBase, MANAGER_NAMESPACE, startKokpitManager, stepTimer } from './meta';
import { startNodePortProxy, sandboxHostEndpoint, type NodePortProxy } from './nodeport-proxy';
import { packageDir } from './assets';
import { installInClusterManager, type ManagerPlacement } from './in-cluster-manager';
import { renderInstall } from './install';
import { stopInOrder } from './stop-steps';
import { startHostPathProvisioner } from './provisioner';
import { environmentDir, ENV_FILE, writeJsonAtomic, type EnvironmentState, type StepTiming } from './state';

export { MANAGER_NAMESPACE };

export interface SandboxEnvironmentOptions {
  name: string;
  kubernetesVersion?: string;
  /** kwok-simulated Nodes in the meta cluster (`--nodes`); there is no scheduler, so only pods that name one run there. */
  simulatedNodes?: number;
  /** Reconciler and component logs. */
  log: Logger;
  /** One line per finished step, with its duration. */
  step: (s: StepTiming) => void;
  /** Whether this process leads its own process group (a detached supervisor). */
  processGroup: boolean;
  logFile?: string;
  /** `--with-ocm`: install the Open Cluster Management hub and register every business cluster with it. */
  ocm?: boolean;
  /** `--manager`: in this process (host, the default) or as pods of the meta cluster that the pod runner runs (in-cluster). */
  manager?: ManagerPlacement;
  /**
   * Pod addresses (podrunner/pod-network.ts): `netns` gives Services endpoints (webhooks, the in-cluster manager's
   * Services) and needs root; `loopback` needs nothing; `auto` (default) is netns where it can run.
   */
  podNetwork?: 'auto' | 'loopback' | 'netns';
}

export interface SandboxEnvironment {
  state: EnvironmentState;
  kc: KubeConfig;
  /** Resolves with a reason when a part dies (a control-plane process, the lease). */
  failed: Promise<string>;
  stop(): Promise<void>;
}

export function machinesSupported(): boolean {
  return kokpitOperators().some((r) => r.name === 'machine-operator');
}

/* eslint-disable-next-line max-lines-per-function -- the environment's start in order, each step timed and undone by the same handle if
   a later one fails */
export async function startSandboxEnvironment(o: SandboxEnvironmentOptions): Promise<SandboxEnvironment> {
  const dir = environmentDir(o.name);
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true, mode: 0o700 });
  const steps: StepTiming[] = [];
  const timed = stepTimer(steps, o.step);
  let cp: ControlPlane | undefined;
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let proxy: NodePortProxy | undefined;
  let manager: Manager | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(timer);
    // Reconcilers first (nothing half-written), then what runs the pods, then the meta cluster; each bounded, so the
    // whole stays within `kokpit down`'s 45 s (the manager aborts its passes after 10 s, the runner kills pods after 5).
    await stopInOrder(
      [
        { what: 'the manager', stop: manager && (() => manager!.stop()), limitMs: 14_000 },
        { what: 'the NodePort proxy', stop: proxy && (() => proxy!.stop()), limitMs: 3000 },
        { what: 'the volume provisioner', stop: provisioner && (() => provisioner!.stop()), limitMs: 3000 },
        { what: 'the pod runner', stop: runner && (() => runner!.stop()), limitMs: 12_000 },
        { what: 'the meta control plane', stop: cp && (() => cp!.stop()), limitMs: 10_000 },
      ],
      o.log,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    cp = await timed('meta control plane (sandbox: etcd, kube-apiserver, kube-controller-manager)', () =>
      startControlPlane({
        kubernetesVersion: o.kubernetesVersion,
        // No kube-scheduler: every meta pod without a node lands on the pod runner's node, which binds it; a
        // scheduler would place control-plane pods on the simulated nodes, where nothing runs.
        controllers: true,
        scheduler: false,
        kwokNodes: o.simulatedNodes ?? 0,
        dir: path.join(dir, 'run'),
        clusterName: `kokpit-${o.name}`,
        readyTimeoutMs: 120_000,
        log: (l) => o.log.debug(`[meta] ${l}`),
      }),
    );
    const kc = cp.kubeConfig();
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, cp.kubeconfigYaml, { mode: 0o600 });
    await timed('kokpit CRDs and default catalog (versions, addons)', () => installKokpitBase(kc));
    const nodeName = `${o.name}-meta-node`;
    const inCluster = o.manager === 'in-cluster';
    const podNetwork: PodNetworkMode =
      o.podNetwork === 'auto' || !o.podNetwork ? (netnsUnavailable() ? 'loopback' : 'netns') : o.podNetwork;
    runner = await timed(`pod runner for meta node ${nodeName} (pods run as local processes; pod network ${podNetwork})`, async () => {
      const r = await startPodRunner({
        kubeConfig: kc,
        nodeName,
        stateDir: path.join(dir, 'runner'),
        bindUnscheduledPods: true,
        restartBackoff: { initialMs: 1000, maxMs: 10_000 },
        // An image whose binary is not built yet is "pulled" by building it (a version added after start).
        binaries: defaultBinaryProvider(),
        stopGraceMs: 3000,
        // `kubectl logs` and the editor's Show Logs on meta pods: the runner serves the kubelet's container logs.
        kubelet: cp!.kubelet,
        podNetwork,
        log: (l) => o.log.debug(l),
      });
      provisioner = await startHostPathProvisioner(kc, (l) => o.log.warn(l));
      // In-cluster, the manager publishes the node's address and NodePort (as in any cluster), so the proxy listens there.
      proxy = await startNodePortProxy(kc, (l) => o.log.info(l), inCluster ? r.hostIP : undefined);
      return r;
    });
    // The OCM manifests beside the code: config/ocm and schemas/ocm under the package root.
    const ocmRoot = o.ocm ? path.dirname(path.dirname(packageDir('config/ocm'))) : undefined;
    if (ocmRoot)
      await timed(
        `OCM hub (registration, placement and work controllers${runner!.podNetwork === 'netns' ? '; admission webhooks' : ''})`,
        () =>
          // OCM's admission webhooks where Services have endpoints: the netns pod network (each pod in its own namespace).
          installHub(kc, { manifests: readOcmManifests(ocmRoot), webhooks: runner!.podNetwork === 'netns', log: (l) => o.log.info(l) }),
      );
    const operators = kokpitOperators({
      etcd: { resolver: podIPResolver, backupRoot: path.join(dir, 'backups'), unsafeNoFsync: true },
      cluster: { hostEndpoint: (_c, svc) => sandboxHostEndpoint(svc) },
      // The host manager is this user's own process and the sandbox's clusters are theirs: kwok pods' logs are safe here.
      machine: { kwokPodLogs: {} },
      ...(ocmRoot ? { multicluster: { manifestsRoot: ocmRoot } } : {}),
    });
    const started: { manager?: Manager; identity: string; lostLease: Promise<string> } = inCluster
      ? await timed(`manager as 2 pods of ${MANAGER_NAMESPACE}/kokpit-manager (kokpit install; run by the pod runner)`, async () => ({
          // With --with-ocm, the manager's pods run the multicluster operator too (config/with-multicluster).
          identity: await installInClusterManager(
            kc,
            (l) => o.log.info(`[install] ${l}`),
            undefined,
            renderInstall({ multicluster: !!ocmRoot }),
          ),
          lostLease: new Promise<string>(() => {}), // the Deployment replaces a pod that dies
        }))
      : await startKokpitManager(timed, kc, operators, o.log).then((m) => ({ ...m, identity: m.manager.identity }));
    manager = started.manager;
    const failed = started.lostLease;
    const state: EnvironmentState = {
      name: o.name,
      runtime: 'sandbox',
      pid: process.pid,
      processGroup: o.processGroup,
      server: cp.server,
      version: cp.version,
      kubeconfig,
      runnerNode: runner.nodeName,
      runnerHostIP: runner.hostIP,
      podNetwork: runner.podNetwork,
      components: cp.processes,
      managerIdentity: started.identity,
      ...(inCluster ? { managerPlacement: 'in-cluster' as const } : {}),
      metricsURL: manager?.metricsURL,
      runnables: operators.map((r) => r.name),
      machines: machinesSupported() ? 'kwok' : 'unsupported',
      simulatedNodes: Array.from({ length: o.simulatedNodes ?? 0 }, (_, i) => kwokNodeName(i)),
      steps,
      logFile: o.logFile,
      startedAt: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(dir, ENV_FILE), state);
    const control = cp;
    const died = new Promise<string>((resolve) => {
      timer = setInterval(() => {
        const dead = control.processes.find((p) => !isAlive(p.pid));
        if (dead) resolve(`${dead.name} (pid ${dead.pid}) exited; see ${dead.logFile}`);
      }, 2000);
    });
    return { state, kc, failed: Promise.race([failed, died]), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
