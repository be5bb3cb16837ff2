// The kind runtime of `kokpit up`, after the kind cluster answers: kokpit's CRDs and default catalog, and
// the manager (every reconciler) against the kind meta cluster. On the host (the default), in this process:
// it is outside the cluster network, so etcd members are dialed through the API server's port-forward,
// business API servers through kind's port mappings (127.0.0.1:<hostPort>), and kind machines join through
// the meta control-plane node's name on the kind Docker network. In the cluster (`--manager in-cluster`):
// the kokpit-manager image is loaded into the node and `kokpit install` runs it as two pods with leader
// election (in-cluster-manager.ts), which reach etcd members by pod IP and business API servers at the node's
// address and NodePort (on Linux the host reaches that address too). With `--with-ocm` (host manager): OCM's images
// loaded into the node and its hub installed (kind-ocm.ts), and the multicluster operator beside the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../controller/reconciler';
import { loadKubeConfig } from '../kube';
import type { Manager } from '../manager/manager';
import { kokpitOperators } from '../manager/operators';
import { KindProvider, META_CLUSTER_LABEL } from '../operators/machine/providers/kind';
import { KwokProvider } from '../operators/machine/providers/kwok';
import { kindControlPlaneNode, kindHostEndpoint, kindJoinEndpoint, type PortReservation } from '../providers/kind/config';
import { kindNodeMounts, loadKindImage } from '../providers/kind/cluster';
import { installInClusterManager, MANAGER_IMAGE_BUILD, managerImage, type ManagerPlacement } from './in-cluster-manager';
import { installKokpitBase, MANAGER_NAMESPACE, startKokpitManager, stepTimer } from './meta';
import { startHostPathProvisioner } from './provisioner';
import { stopInOrder } from './stop-steps';
import { renderInstall } from './install';
import { DOCKER_SOCKET, kindInClusterObjects, MANAGER_UID, type KindInClusterInput } from './kind-in-cluster';
import { installKindHub, podAgentsMulticluster } from './kind-ocm';
import { DEFAULT_ENV_NAME, environmentDir, ENV_FILE, writeJsonAtomic, type EnvironmentState, type StepTiming } from './state';

export interface KindEnvironmentOptions {
  name: string;
  /** The kind cluster's admin kubeconfig (0600, in the state dir). */
  kubeconfig: string;
  nodeImage: string;
  reservations: PortReservation[];
  log: Logger;
  step: (s: StepTiming) => void;
  processGroup: boolean;
  logFile?: string;
  /** `--manager`: in this process (host, the default) or as pods of the kind cluster (in-cluster). */
  manager?: ManagerPlacement;
  /** `--with-ocm`: OCM's images into the node, the hub installed, the multicluster operator run (host or pods). */
  ocm?: boolean;
}

export interface KindEnvironment {
  state: EnvironmentState;
  kc: KubeConfig;
  failed: Promise<string>;
  /** Stops the manager; the kind cluster stays (`kokpit down` deletes it, the next `up` reuses it). */
  stop(): Promise<void>;
}

/**
 * Machine providers on the kind meta cluster `name`, for the manager on the host and in its pods alike: kind Machines
 * are containers labelled as this meta cluster's (`kokpit down` removes them) that join through its control-plane node.
 */
export function kindMachineProviders(name: string) {
  return {
    kwok: new KwokProvider(),
    kind: new KindProvider({ joinEndpoint: (c) => kindJoinEndpoint(c, name), labels: { [META_CLUSTER_LABEL]: name } }),
  };
}

/**
 * The operators with the kind runtime's ways of reaching etcd, business API servers and machines; with `ocm`, the
 * multicluster operator too, whose hosted agents (pods of the kind cluster) reach business API servers by Service name.
 */
export function kindOperators(name: string, reservations: PortReservation[], backupRoot: string, ocm = false) {
  return kokpitOperators({
    etcd: { access: 'port-forward', backupRoot },
    cluster: { hostEndpoint: (_c, svc) => kindHostEndpoint(svc, reservations), nodesUseServiceEndpoint: true },
    machine: { providers: kindMachineProviders(name) },
    ...(ocm ? { multicluster: podAgentsMulticluster() } : {}),
  });
}

export async function startKindEnvironment(o: KindEnvironmentOptions): Promise<KindEnvironment> {
  const dir = environmentDir(o.name);
  const steps: StepTiming[] = [];
  const timed = stepTimer(steps, o.step);
  const kc = loadKubeConfig({ kubeconfigPath: o.kubeconfig });
  let manager: Manager | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await stopInOrder(
      [
        { what: 'the manager', stop: manager && (() => manager!.stop()), limitMs: 14_000 },
        { what: 'the volume provisioner', stop: provisioner && (() => provisioner!.stop()), limitMs: 3000 },
      ],
      o.log,
    );
  };
  try {
    await timed('kokpit CRDs and default catalog (versions, addons)', () => installKokpitBase(kc));
    // The node image's default StorageClass names kokpit's provisioner: hostPath volumes on the node's /var.
    provisioner = await timed('volume provisioner (hostPath on the kind node)', () => startHostPathProvisioner(kc, (l) => o.log.warn(l)));
    const inCluster = o.manager === 'in-cluster';
    if (o.ocm) await installKindHub(kc, o.name, (l) => o.log.info(l), timed);
    const operators = kindOperators(o.name, o.reservations, path.join(dir, 'backups'), o.ocm);
    const started = inCluster
      ? await startInClusterManager(o, kc, timed)
      : await startKokpitManager(timed, kc, operators, o.log).then((m) => ({ ...m, identity: m.manager.identity }));
    manager = started.manager;
    const version = (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
    const node = kindControlPlaneNode(o.name);
    const state: EnvironmentState = {
      name: o.name,
      runtime: 'kind',
      pid: process.pid,
      processGroup: o.processGroup,
      server: kc.getCurrentCluster()?.server ?? '?',
      version,
      kubeconfig: o.kubeconfig,
      runnerNode: node,
      runnerHostIP: `${node} on the kind Docker network`,
      components: [],
      managerIdentity: started.identity,
      ...(inCluster ? { managerPlacement: 'in-cluster' as const } : {}),
      metricsURL: manager?.metricsURL,
      runnables: operators.map((r) => r.name),
      machines: 'kind',
      kind: { cluster: o.name, nodeImage: o.nodeImage, ports: o.reservations.map((r) => ({ hostPort: r.hostPort, nodePort: r.nodePort })) },
      steps,
      logFile: o.logFile,
      startedAt: new Date().toISOString(),
    };
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(path.join(dir, ENV_FILE), state);
    return { state, kc, failed: started.lostLease, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * What the in-cluster manager's pods need from this host (kind-in-cluster.ts): the Docker socket mounted into the
 * kind node (a kind cluster made before, without it, is named with the fix), its group, and the backups directory
 * owned by the user the pods run as.
 */
async function kindInClusterInput(name: string, backupDir: string): Promise<KindInClusterInput> {
  const node = kindControlPlaneNode(name);
  if (!(await kindNodeMounts(node))?.includes(DOCKER_SOCKET))
    throw new Error(
      `the kind node ${node} does not mount ${DOCKER_SOCKET}, which the in-cluster manager needs to make kind Machines ` +
        `(the cluster was created by an earlier \`kokpit up\` with the manager on the host); recreate it: ` +
        `\`kokpit down${name === DEFAULT_ENV_NAME ? '' : ` --name ${name}`}\`, then \`kokpit up --runtime kind\` (or keep it ` +
        `with the manager on the host: \`kokpit up --manager host\`)`,
    );
  let dockerSocketGid: number;
  try {
    dockerSocketGid = fs.statSync(DOCKER_SOCKET).gid;
  } catch (e) {
    throw new Error(
      `cannot read ${DOCKER_SOCKET} (${(e as Error).message}): the in-cluster manager on kind needs the Docker engine's socket there`,
      { cause: e },
    );
  }
  const uid = process.getuid?.() ?? 0;
  const runAs = uid > 0 ? { uid, gid: process.getgid?.() ?? uid } : { uid: MANAGER_UID, gid: MANAGER_UID };
  fs.mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  if (uid === 0) fs.chownSync(backupDir, MANAGER_UID, MANAGER_UID);
  return { kindCluster: name, backupDir, dockerSocketGid, runAs };
}

/** `--manager in-cluster`: the image into the kind node, then `kokpit install`, until a pod holds the lease. */
async function startInClusterManager(
  o: KindEnvironmentOptions,
  kc: KubeConfig,
  timed: ReturnType<typeof stepTimer>,
): Promise<{ manager?: Manager; identity: string; lostLease: Promise<string> }> {
  const image = managerImage();
  const how = await timed(`${image} loaded into the kind node`, () =>
    loadKindImage({ name: o.name, image, buildHint: MANAGER_IMAGE_BUILD }),
  );
  o.log.info(`${image}: kind load ${how}`);
  // With --with-ocm the pods run the multicluster operator too, with its grants (config/with-multicluster).
  const objects = kindInClusterObjects(
    renderInstall({ multicluster: !!o.ocm }),
    await kindInClusterInput(o.name, path.join(environmentDir(o.name), 'backups')),
  );
  const identity = await timed(`manager as 2 pods of ${MANAGER_NAMESPACE}/kokpit-manager (kokpit install, kind machines and backups)`, () =>
    installInClusterManager(kc, (l) => o.log.info(`[install] ${l}`), undefined, objects),
  );
  // The Deployment replaces a pod that dies and the standby takes the lease: nothing here to fail.
  return { identity, lostLease: new Promise<string>(() => {}) };
}
