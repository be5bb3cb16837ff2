// Connections to business clusters: a client built from the cluster operator's admin kubeconfig Secret,
// a watch on the Nodes kokpit registered there (so a deleted Node is repaired at once), and, once a
// kwok-provider Machine asks for it, the kwok process that keeps those Nodes Ready (machines with real
// kubelets, e.g. provider kind, need no kwok binary). One per business cluster, rebuilt when the
// kubeconfig changes, all stopped with the operator. kwok also serves its Nodes' kubelet API on a port of
// its own, with kwok's Logs/ClusterLogs CRDs installed in the business cluster, so `kubectl logs` of a pod
// on a kwok Node streams the host file a Logs object names.
import { ApiextensionsV1Api, CoreV1Api, type KubeConfig, type KubernetesObjectApi, type V1Node } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { KWOK_VERSION } from '../../binaries/catalog';
import type { BinaryProvider } from '../../binaries/provider';
import { Informer } from '../../controller/informer';
import type { Logger } from '../../controller/reconciler';
import { applyRawCRD, loadKubeConfig, makeObjectApi } from '../../kube';
import { kwokArgs, kwokLogCRDs, writeKwokConfig } from '../../binaries/kwok';
import { startProcess, tailFile, type ManagedProcess } from '../../binaries/processes';
import { MACHINE_NAMESPACE_LABEL, MACHINE_NAME_LABEL, MACHINE_OPERATOR_AGENT } from './names';

export interface ClusterConnection {
  key: string;
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  /** Started by the first kwok-provider Machine of the cluster. */
  kwok?: ManagedProcess;
  /** With `podLogs`: the port kwok serves its Nodes' kubelet API on (chosen when the connection opens; kept across kwok restarts). */
  kubeletPort?: number;
  /** kwok's Logs/ClusterLogs CRDs are Established in the business cluster. */
  logCRDs?: boolean;
  nodes: Informer<V1Node>;
}

export class KwokUnavailableError extends Error {
  /** True while kwok is being built on demand: the Machine waits, it is not stuck. */
  constructor(
    message: string,
    readonly building = false,
  ) {
    super(message);
  }
}

export interface ConnectionsOptions {
  log: Logger;
  /** A Node event in a business cluster: queue the Machine `namespace/name`. */
  onNodeEvent(machineKey: string): void;
  /** kwok executable; wins over `binaries`. */
  kwokBinary?: string;
  /** Where kwok comes from when `kwokBinary` is not given: found, or built on demand. */
  binaries?: BinaryProvider;
  /**
   * Pod logs on kwok Nodes: kwok serves its Nodes' kubelet API and reads kwok's Logs/ClusterLogs objects. Off by
   * default: a Logs object names any file this process can read, so whoever may create one in a business cluster
   * reads the manager's files (its kubeconfigs, keys, a pod's ServiceAccount token). Only right where the business
   * clusters' admins are this host's user anyway: the sandbox's host manager turns it on.
   */
  podLogs?: {
    /**
     * The address kwok serves the kubelet API on, and the Nodes' InternalIP: the business kube-apiservers dial it for
     * pods/log. Default 127.0.0.1, right when they run on this host (the sandbox's pod runner).
     */
    kubeletAddress?: string;
  };
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

/** `<tmp>/kokpit-machine-operator-<pid>-XXXXXX`: the pid says whether the operator that made it still runs. */
const DIR_PREFIX = 'kokpit-machine-operator-';
const DIR_PID = new RegExp(`^${DIR_PREFIX}(\\d+)-`);

/**
 * Removes the connections dirs (business admin kubeconfigs, kwok state) of machine operators that are gone: a SIGKILLed
 * one cannot remove its own. Only this user's dirs, only when their pid is no running process.
 */
export function sweepStaleDirs(tmp: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of entries) {
    const pid = Number(DIR_PID.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = path.join(tmp, name);
    try {
      if (fs.lstatSync(dir).uid !== process.getuid?.()) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/**
 * The command run so the kernel SIGKILLs it when this process dies (PR_SET_PDEATHSIG, kept across setpriv's exec):
 * kwok runs in its own process group, so a SIGKILLed operator used to leave it running, and each restart added one
 * more kwok for the same Nodes. Without util-linux setpriv, the command as it is.
 */
export function withParentDeathSignal(file: string, args: string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args];
}

export class ClusterConnections {
  private readonly live = new Map<string, { hash: string; conn: ClusterConnection; dir: string }>();
  private readonly pending = new Map<string, Promise<ClusterConnection>>();
  /** Made on the first connection: an operator that never connects (a standby, most tests) leaves no directory. */
  private baseDirPath: string | undefined;
  private stopped = false;

  constructor(private readonly opts: ConnectionsOptions) {}

  private get baseDir(): string {
    if (!this.baseDirPath) {
      const removed = sweepStaleDirs(os.tmpdir());
      if (removed.length) this.opts.log.info(`removed ${removed.length} connections dir(s) of machine operators no longer running`);
      this.baseDirPath = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    }
    return this.baseDirPath;
  }

  /**
   * The connection to business cluster `key` (`namespace/cluster`) for this kubeconfig; with `withKwok`
   * (a kwok-provider Machine), kwok runs too: started on first need, restarted if it exited.
   */
  async get(key: string, kubeconfigYaml: string, withKwok: boolean): Promise<ClusterConnection> {
    if (this.stopped) throw new Error('machine operator is stopping');
    const hash = createHash('sha256').update(kubeconfigYaml).digest('hex');
    const existing = this.live.get(key);
    const conn = existing?.hash === hash ? existing.conn : await this.reopen(key, kubeconfigYaml, hash);
    if (withKwok) {
      if (this.opts.podLogs && !conn.logCRDs) await installLogCRDs(conn);
      this.ensureKwok(key, conn, kubeconfigYaml);
    }
    return conn;
  }

  /** One open per cluster at a time: concurrent callers share it; the previous connection is released first. */
  private reopen(key: string, kubeconfigYaml: string, hash: string): Promise<ClusterConnection> {
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => {
        await this.release(key);
        return this.open(key, kubeconfigYaml, hash);
      })().finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /** Starts kwok for this connection unless it runs (synchronous: two Machines cannot start two). */
  private ensureKwok(key: string, conn: ClusterConnection, kubeconfigYaml: string): void {
    if (conn.kwok?.isRunning()) return;
    const entry = this.live.get(key);
    if (!entry || entry.conn !== conn) throw new Error(`business cluster ${key}: connection was replaced; retry`);
    const kwokBin = this.kwokBinary();
    if (conn.kwok)
      this.opts.log.warn(`kwok for business cluster ${key} exited; restarting it (log tail: ${tailFile(conn.kwok.logFile, 3)})`);
    // The kubeconfig holds a client key: readable by us only, and on disk only for kwok.
    const kubeconfigPath = path.join(entry.dir, 'kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });
    const podLogs = this.opts.podLogs;
    const kubelet = podLogs && conn.kubeletPort ? { address: podLogs.kubeletAddress ?? '127.0.0.1', port: conn.kubeletPort } : undefined;
    const [file, args] = withParentDeathSignal(kwokBin, kwokArgs(kubeconfigPath, writeKwokConfig(entry.dir), kubelet));
    conn.kwok = startProcess(`kwok-${key}`, file, args, {
      logFile: path.join(entry.dir, 'kwok.log'),
      cwd: entry.dir,
    });
    this.opts.log.info(`started kwok (pid ${conn.kwok.pid}) for business cluster ${key}`);
  }

  /** The kwok executable, or why not (a build on demand is started and the Machine retries soon). */
  private kwokBinary(): string {
    if (this.opts.kwokBinary) {
      if (!fs.existsSync(this.opts.kwokBinary)) throw new KwokUnavailableError(`kwok not found at ${this.opts.kwokBinary}`);
      return this.opts.kwokBinary;
    }
    const binaries = this.opts.binaries;
    if (!binaries) throw new KwokUnavailableError('no kwok binary configured for the machine operator');
    const st = binaries.request('kwok', KWOK_VERSION, (e) =>
      e
        ? this.opts.log.error(`kwok ${KWOK_VERSION} could not be built: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
        : this.opts.log.info(`kwok ${KWOK_VERSION} built on demand`),
    );
    if (st.state === 'present') return st.path;
    throw new KwokUnavailableError(st.message, st.state === 'building');
  }

  /** Stops kwok and the Node watch of one business cluster (when its last Machine is gone). */
  async release(key: string): Promise<void> {
    const entry = this.live.get(key);
    if (!entry) return;
    this.live.delete(key);
    await Promise.all([entry.conn.nodes.stop(), entry.conn.kwok?.stop()]);
    fs.rmSync(entry.dir, { recursive: true, force: true });
  }

  keys(): string[] {
    return [...this.live.keys()];
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.pending.values()]);
    await Promise.all([...this.live.keys()].map((k) => this.release(k)));
    if (this.baseDirPath) fs.rmSync(this.baseDirPath, { recursive: true, force: true });
  }

  private async open(key: string, kubeconfigYaml: string, hash: string): Promise<ClusterConnection> {
    const kc = loadKubeConfig({ kubeconfigYaml, userAgent: MACHINE_OPERATOR_AGENT });
    const dir = fs.mkdtempSync(path.join(this.baseDir, `${key.replace('/', '.')}-`));

    const core = kc.makeApiClient(CoreV1Api);
    const nodes = new Informer<V1Node>(kc, {
      path: '/api/v1/nodes',
      labelSelector: MACHINE_NAME_LABEL,
      list: () => core.listNode({ labelSelector: MACHINE_NAME_LABEL }) as never,
      log: this.opts.log,
    });
    nodes.onEvent((node) => {
      const name = node.metadata?.labels?.[MACHINE_NAME_LABEL];
      const ns = node.metadata?.labels?.[MACHINE_NAMESPACE_LABEL];
      if (name && ns) this.opts.onNodeEvent(`${ns}/${name}`);
    });
    const conn: ClusterConnection = {
      key,
      kc,
      objects: makeObjectApi(kc),
      core,
      nodes,
      kubeletPort: this.opts.podLogs ? await freePort() : undefined,
    };
    try {
      // The informer retries forever; a business apiserver that does not answer fails this pass instead.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        nodes.start(),
        new Promise(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`business cluster ${key}: listing Nodes timed out`)), 15_000)),
        ),
      ]).finally(() => clearTimeout(timer));
    } catch (e) {
      await nodes.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    this.live.set(key, { hash, conn, dir });
    return conn;
  }
}

/** kwok's Logs and ClusterLogs CRDs, applied and Established before kwok (started with them enabled) watches them. */
async function installLogCRDs(conn: ClusterConnection): Promise<void> {
  const crds = kwokLogCRDs();
  await Promise.all(crds.map((crd) => applyRawCRD(conn.kc, crd)));
  const api = conn.kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const live = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
    const established = live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    // Usually at once; if not, this pass fails and the Machine is retried.
    if (!established) throw new Error(`business cluster ${conn.key}: CRD ${crd.metadata!.name} is not Established yet`);
  }
  conn.logCRDs = true;
}

/** A free TCP port on this host (the OS picks it; closed again before kwok listens on it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
