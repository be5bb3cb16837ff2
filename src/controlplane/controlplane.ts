// A real Kubernetes control plane on 127.0.0.1, started from TypeScript (in the spirit of controller-runtime's
// envtest): etcd and kube-apiserver with TLS everywhere, and optionally kube-controller-manager,
// kube-scheduler and kwok with fake Nodes. For integration tests and the local meta cluster.
import type { KubeConfig } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_KUBERNETES_VERSION } from '../api/release-defaults';
import { ETCD_VERSION, KUBERNETES_VERSIONS, KWOK_VERSION, UNAVAILABLE } from '../binaries/catalog';
import { loadKubeConfig } from '../kube';
import { buildKubeconfig } from '../pki';
import { resolveBinaries, type BinaryRequest } from './binaries';
import { SERVICE_CIDR, generateControlPlanePKI, kubeletServingTLS, writePair, writeSecretFile, type ControlPlanePKI } from './certs';
import type { KubeletServingTLS } from '../podrunner/kubelet-server';
import { createKwokNodes, kwokArgs, waitForNodesReady, writeKwokConfig } from './kwok';
import { registerTempDir, startProcess, tailFile, unregisterTempDir, type ManagedProcess } from '../binaries/processes';
import { TEMP_DIR_PREFIX, reapStaleControlPlanes, writeOwnerRecord, type OwnerRecord } from './reaper';
import { freePorts, httpsGet, waitFor, type TlsMaterial } from './wait';

export interface StartControlPlaneOptions {
  /** Kubernetes version of kube-apiserver and the other components (default: the shipped default, or
   *  the oldest version all requested components can be built for). */
  kubernetesVersion?: string;
  etcdVersion?: string;
  /** Run kube-controller-manager. */
  controllers?: boolean;
  /** Run kube-scheduler. */
  scheduler?: boolean;
  /** Run kwok and create this many Ready fake Nodes `kwok-node-<i>`. */
  kwokNodes?: number;
  /** Working directory (default: a new temp dir, removed by stop()). A given dir is left in place. */
  dir?: string;
  /** Keep the directory (logs, certs) after stop(), for debugging. */
  keepDir?: boolean;
  /** Progress lines (never secrets). */
  log?: (line: string) => void;
  /** Cluster (and context) name in the kubeconfigs (default `kokpit-testenv`). */
  clusterName?: string;
  /** Deadline for each component to become ready (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Run kube-apiserver with an audit policy that records every write (create, update, patch, delete,
   * deletecollection; Metadata level: who, which user agent, which object, the response code) and no read,
   * to `audit.log` in the control plane's directory. Tests count a component's writes from it
   * (test/support/audit-writes.ts). Off by default: the sandbox runs for days and would grow the file with
   * every lease renewal. `'all'`: reads too (get, list, watch), every request of every user, with the
   * authorizer's decision — to check what an identity is allowed against what it uses (RBAC tests).
   */
  audit?: boolean | 'all';
}

export interface ControlPlaneProcess {
  name: string;
  pid: number;
  logFile: string;
  /** The executable it runs. */
  bin: string;
}

export interface ControlPlane {
  kubeconfigPath: string;
  kubeconfigYaml: string;
  /** https://127.0.0.1:<port> */
  server: string;
  dir: string;
  etcd: { endpoints: string[]; caPem: string; clientCertPem: string; clientKeyPem: string };
  /** gitVersion reported by the running kube-apiserver's /version. */
  version: string;
  /** The cluster CA, to verify the apiserver and sign further certificates. */
  caPem: string;
  /** CA and admin client certificate (system:masters) for raw HTTPS requests to the apiserver. */
  adminTLS: TlsMaterial;
  /** For a pod runner's kubelet endpoint: serving certificates this apiserver trusts, and its kubelet-client identity. */
  kubelet: KubeletServingTLS;
  processes: ControlPlaneProcess[];
  /** The audit log (JSON lines, one event per write), when started with `audit: true`. */
  auditLogPath?: string;
  /** Milliseconds from start to etcd ready, to kube-apiserver ready, and to everything ready. */
  timings: { etcdReadyMs: number; apiserverReadyMs: number; totalMs: number };
  /** A fresh client-node KubeConfig for the admin user. */
  kubeConfig(): KubeConfig;
  /** Stop every process (SIGTERM, then SIGKILL) and remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The control planes started and not stopped yet. */
const liveControlPlanes = new Set<ControlPlane>();

export function runningControlPlanes(): ReadonlySet<ControlPlane> {
  return liveControlPlanes;
}

const CLUSTER_NAME = 'kokpit-testenv';

function pickKubernetesVersion(components: string[]): string {
  const fits = (v: string) => !UNAVAILABLE.some((u) => u.version === v && components.includes(u.component));
  if (fits(DEFAULT_KUBERNETES_VERSION)) return DEFAULT_KUBERNETES_VERSION;
  return KUBERNETES_VERSIONS.find(fits) ?? DEFAULT_KUBERNETES_VERSION;
}

/** The binaries (component and version) a control plane with these options runs. */
export function controlPlaneBinaries(opts: StartControlPlaneOptions = {}): BinaryRequest[] {
  const components = ['kube-apiserver'];
  if (opts.controllers) components.push('kube-controller-manager');
  if (opts.scheduler) components.push('kube-scheduler');
  const kubeVersion = opts.kubernetesVersion ?? pickKubernetesVersion(components);
  const requests: BinaryRequest[] = [
    { component: 'etcd', version: opts.etcdVersion ?? ETCD_VERSION },
    ...components.map((component) => ({ component, version: kubeVersion })),
  ];
  if ((opts.kwokNodes ?? 0) > 0) requests.push({ component: 'kwok', version: KWOK_VERSION });
  return requests;
}

function withLogTail(err: unknown, proc: ManagedProcess | undefined): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (!proc) return new Error(msg);
  return new Error(`${msg}\n--- last lines of ${proc.logFile} ---\n${tailFile(proc.logFile, 40)}`);
}

function exitedReason(proc: ManagedProcess, code: { v?: number | null }): string | undefined {
  return proc.isRunning() ? undefined : `${proc.name} exited${code.v !== undefined ? ` with code ${code.v}` : ''}`;
}

/* eslint-disable-next-line max-lines-per-function -- every process it starts is stopped by the handle it returns, and a failure part-way
   stops what started; one scope keeps that exact */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const kwokNodes = opts.kwokNodes ?? 0;
  const clusterName = opts.clusterName ?? CLUSTER_NAME;

  const bins = await resolveBinaries(controlPlaneBinaries(opts), { log });

  const ownDir = opts.dir === undefined;
  if (ownDir) reapStaleControlPlanes(os.tmpdir(), log);
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), TEMP_DIR_PREFIX));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (ownDir && !opts.keepDir) registerTempDir(dir);

  const procs: ManagedProcess[] = [];
  let stopped = false;
  const stopAll = async () => {
    // The apiserver's clients together first, then the apiserver, etcd last: nobody logs errors
    // about a server that went away before it did.
    const errors: string[] = [];
    const stopGroup = (ps: ManagedProcess[]) => Promise.all(ps.map((p) => p.stop().catch((e: Error) => void errors.push(e.message))));
    await stopGroup(procs.filter((p) => p.name !== 'etcd' && p.name !== 'kube-apiserver'));
    await stopGroup(procs.filter((p) => p.name === 'kube-apiserver'));
    await stopGroup(procs.filter((p) => p.name === 'etcd'));
    if (ownDir && !opts.keepDir) {
      fs.rmSync(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    }
    if (errors.length) throw new Error(`stopping the control plane: ${errors.join('; ')}`);
  };

  try {
    const pki = await generateControlPlanePKI();
    const files = writeFiles(dir, pki);
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort] = await freePorts(5);
    const exitCode: Record<string, { v?: number | null }> = {};
    const owner: OwnerRecord = { ownerPid: process.pid, processes: [] };
    const start = (name: string, args: string[]) => {
      const p = startProcess(name, bins.get(name)!, args, { logFile: path.join(dir, `${name}.log`), cwd: dir });
      // Recorded before anything can fail, so a runner killed outright leaves something to reap.
      owner.processes.push({ name, pid: p.pid, bin: bins.get(name)! });
      writeOwnerRecord(dir, owner);
      const code: { v?: number | null } = {};
      exitCode[name] = code;
      void p.exited.then((r) => (code.v = r.code));
      procs.push(p);
      return p;
    };

    // etcd, and kube-apiserver right behind it: the apiserver spends its first seconds building its
    // handlers and retries etcd on its own, so starting both at once saves the time etcd needs to come up.
    const etcdURL = `https://127.0.0.1:${etcdPort}`;
    const server = `https://127.0.0.1:${apiPort}`;
    const etcd = start('etcd', etcdArgs(dir, files, etcdURL, `https://127.0.0.1:${etcdPeerPort}`));
    const auditLogPath = opts.audit ? path.join(dir, 'audit.log') : undefined;
    const apiserver = start('kube-apiserver', [
      ...apiserverArgs(dir, files, apiPort, etcdURL, !!opts.controllers),
      ...(auditLogPath ? auditArgs(dir, auditLogPath, opts.audit === 'all' ? AUDIT_POLICY_ALL : AUDIT_POLICY) : []),
    ]);
    const etcdTLS = { caPem: pki.etcdCA.certPem, certPem: pki.etcdClient.certPem, keyPem: pki.etcdClient.keyPem };
    await waitFor(
      'etcd /health',
      async () => {
        const r = await httpsGet(`${etcdURL}/health`, etcdTLS);
        if (r.status === 200 && /"health":\s*"true"/.test(r.body)) return true;
        throw new Error(`HTTP ${r.status} ${r.body.trim().slice(0, 200)}`);
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 50, abortIf: () => exitedReason(etcd, exitCode.etcd) },
    ).catch((e) => {
      throw withLogTail(e, etcd);
    });
    const etcdReadyMs = Date.now() - t0;
    log(`etcd ready on ${etcdURL} after ${etcdReadyMs} ms`);

    const adminTLS = { caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        const r = await httpsGet(`${server}/readyz`, adminTLS);
        if (r.status === 200) return true;
        // The body lists the failing checks: the most useful "last reason" on timeout.
        throw new Error(
          `HTTP ${r.status} ${r.body
            .split('\n')
            .filter((l) => l.includes('[-]'))
            .join(' ')
            .slice(0, 300)}`,
        );
      },
      {
        timeoutMs: readyTimeoutMs,
        intervalMs: 100,
        abortIf: () => exitedReason(apiserver, exitCode['kube-apiserver']) ?? exitedReason(etcd, exitCode.etcd),
      },
    ).catch((e) => {
      throw withLogTail(e, etcd.isRunning() ? apiserver : etcd);
    });
    const apiserverReadyMs = Date.now() - t0;
    log(`kube-apiserver ready on ${server} after ${apiserverReadyMs} ms`);

    const versionBody = await httpsGet(`${server}/version`, adminTLS);
    const version = String((JSON.parse(versionBody.body) as { gitVersion?: string }).gitVersion ?? '');

    const kubeconfigYaml = buildKubeconfig({
      clusterName,
      server,
      caPem: pki.ca.certPem,
      user: 'kokpit-admin',
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
    });
    const kubeconfigPath = writeSecretFile(path.join(dir, 'admin.kubeconfig'), kubeconfigYaml);
    const componentKubeconfig = (name: string, user: string, pair: { certPem: string; keyPem: string }) =>
      writeSecretFile(
        path.join(dir, `${name}.kubeconfig`),
        buildKubeconfig({ clusterName, server, caPem: pki.ca.certPem, user, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem }),
      );

    // Optional components, started together, then waited on together.
    const waits: Promise<unknown>[] = [];
    const componentTLS = { caPem: pki.ca.certPem };
    const waitHealthz = (p: ManagedProcess, port: number) =>
      waitFor(
        `${p.name} /healthz`,
        async () => {
          const r = await httpsGet(`https://127.0.0.1:${port}/healthz`, componentTLS);
          if (r.status === 200) return true;
          throw new Error(`HTTP ${r.status} ${r.body.trim().slice(0, 300)}`);
        },
        { timeoutMs: readyTimeoutMs, intervalMs: 100, abortIf: () => exitedReason(p, exitCode[p.name]) },
      ).catch((e) => {
        throw withLogTail(e, p);
      });
    if (opts.controllers) {
      const kc = componentKubeconfig('kube-controller-manager', 'system:kube-controller-manager', pki.controllerManager);
      const p = start('kube-controller-manager', controllerManagerArgs(files, kc, kcmPort, path.join(dir, 'kcm')));
      waits.push(waitHealthz(p, kcmPort));
    }
    if (opts.scheduler) {
      const kc = componentKubeconfig('kube-scheduler', 'system:kube-scheduler', pki.scheduler);
      const p = start('kube-scheduler', schedulerArgs(files, kc, schedPort, path.join(dir, 'scheduler')));
      waits.push(waitHealthz(p, schedPort));
    }
    if (kwokNodes > 0) {
      const p = start('kwok', kwokArgs(kubeconfigPath, writeKwokConfig(dir)));
      const kc = loadKubeConfig({ kubeconfigYaml });
      waits.push(
        (async () => {
          const names = await createKwokNodes(kc, kwokNodes);
          await waitForNodesReady(kc, names, {
            timeoutMs: readyTimeoutMs,
            abortIf: () => exitedReason(p, exitCode.kwok),
          });
          log(`${names.length} kwok nodes Ready`);
        })().catch((e) => {
          throw withLogTail(e, p);
        }),
      );
    }
    // allSettled first so no wait is left running against processes we are about to stop.
    const settled = await Promise.allSettled(waits);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const totalMs = Date.now() - t0;
    log(`control plane ${version} ready after ${totalMs} ms (${procs.map((p) => p.name).join(', ')})`);

    const cp: ControlPlane = {
      kubeconfigPath,
      kubeconfigYaml,
      server,
      dir,
      etcd: {
        endpoints: [etcdURL],
        caPem: pki.etcdCA.certPem,
        clientCertPem: pki.etcdClient.certPem,
        clientKeyPem: pki.etcdClient.keyPem,
      },
      version,
      caPem: pki.ca.certPem,
      adminTLS,
      kubelet: kubeletServingTLS(pki.ca),
      processes: procs.map((p) => ({ name: p.name, pid: p.pid, logFile: p.logFile, bin: bins.get(p.name)! })),
      ...(auditLogPath ? { auditLogPath } : {}),
      timings: { etcdReadyMs, apiserverReadyMs, totalMs },
      kubeConfig: () => loadKubeConfig({ kubeconfigYaml }),
      async stop() {
        if (stopped) return;
        stopped = true;
        liveControlPlanes.delete(cp);
        await stopAll();
      },
    };
    liveControlPlanes.add(cp);
    return cp;
  } catch (err) {
    stopped = true;
    await stopAll().catch(() => {});
    throw err;
  }
}

interface Files {
  ca: { cert: string; key: string };
  apiserver: { cert: string; key: string };
  componentServing: { cert: string; key: string };
  saPub: string;
  saKey: string;
  etcdCA: string;
  etcdServer: { cert: string; key: string };
  apiserverEtcdClient: { cert: string; key: string };
  apiserverKubeletClient: { cert: string; key: string };
}

function writeFiles(dir: string, pki: ControlPlanePKI): Files {
  const pkiDir = path.join(dir, 'pki');
  return {
    ca: writePair(pkiDir, 'ca', pki.ca),
    apiserver: writePair(pkiDir, 'apiserver', pki.apiserver),
    componentServing: writePair(pkiDir, 'component-serving', pki.componentServing),
    saPub: writeSecretFile(path.join(pkiDir, 'sa.pub'), pki.serviceAccount.publicKeyPem),
    saKey: writeSecretFile(path.join(pkiDir, 'sa.key'), pki.serviceAccount.privateKeyPem),
    etcdCA: writeSecretFile(path.join(pkiDir, 'etcd', 'ca.crt'), pki.etcdCA.certPem),
    etcdServer: writePair(path.join(pkiDir, 'etcd'), 'server', pki.etcdServer),
    apiserverEtcdClient: writePair(pkiDir, 'apiserver-etcd-client', pki.apiserverEtcdClient),
    apiserverKubeletClient: writePair(pkiDir, 'apiserver-kubelet-client', pki.apiserverKubeletClient),
  };
}

function etcdArgs(dir: string, f: Files, clientURL: string, peerURL: string): string[] {
  return [
    '--name=default',
    `--data-dir=${path.join(dir, 'etcd-data')}`,
    `--listen-client-urls=${clientURL}`,
    `--advertise-client-urls=${clientURL}`,
    // Single member: the peer listener only has to exist, on loopback.
    `--listen-peer-urls=${peerURL}`,
    `--initial-advertise-peer-urls=${peerURL}`,
    `--initial-cluster=default=${peerURL}`,
    '--initial-cluster-state=new',
    `--cert-file=${f.etcdServer.cert}`,
    `--key-file=${f.etcdServer.key}`,
    `--trusted-ca-file=${f.etcdCA}`,
    '--client-cert-auth=true',
    // Secure serving only: the (unused) peer listener speaks mutual TLS too.
    `--peer-cert-file=${f.etcdServer.cert}`,
    `--peer-key-file=${f.etcdServer.key}`,
    `--peer-trusted-ca-file=${f.etcdCA}`,
    '--peer-client-cert-auth=true',
    // A test etcd survives nothing anyway; skipping fsync makes it several times faster.
    '--unsafe-no-fsync=true',
    '--listen-metrics-urls=',
    '--log-level=warn',
  ];
}

function apiserverArgs(dir: string, f: Files, port: number, etcdURL: string, controllers: boolean): string[] {
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(dir, 'apiserver')}`,
    `--tls-cert-file=${f.apiserver.cert}`,
    `--tls-private-key-file=${f.apiserver.key}`,
    `--client-ca-file=${f.ca.cert}`,
    `--etcd-servers=${etcdURL}`,
    `--etcd-cafile=${f.etcdCA}`,
    `--etcd-certfile=${f.apiserverEtcdClient.cert}`,
    `--etcd-keyfile=${f.apiserverEtcdClient.key}`,
    '--authorization-mode=Node,RBAC',
    // pods/log (and exec, port-forward) reach a node's kubelet, here the pod runner's endpoint: the apiserver dials the
    // Node's InternalIP (its Hostname is a bare name nothing resolves), checks the serving certificate against the cluster
    // CA and presents its own client certificate (src/podrunner/kubelet-server.ts).
    `--kubelet-client-certificate=${f.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${f.apiserverKubeletClient.key}`,
    `--kubelet-certificate-authority=${f.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--service-account-key-file=${f.saPub}`,
    `--service-account-signing-key-file=${f.saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    '--enable-admission-plugins=NodeRestriction',
    // Without kube-controller-manager nobody creates the `default` ServiceAccount, and the
    // ServiceAccount admission plugin would then reject every Pod.
    ...(controllers ? [] : ['--disable-admission-plugins=ServiceAccount']),
    // 127.0.0.1 is not a valid Endpoints address; with one apiserver there is nothing to reconcile.
    '--endpoint-reconciler-type=none',
    // Webhooks and aggregated APIs behind a Service are dialled at its endpoints (pod IPs, which the pod runner's netns
    // network routes here), never at a ClusterIP: nothing routes ClusterIPs on this host, so such a dial would leave it.
    '--enable-aggregator-routing=true',
    '--profiling=false',
    '--v=1',
  ];
}

/**
 * The path a client GETs to put a mark in the audit log (`<path>/<id>`, answered 404): a reader waits for its
 * mark to know that every write answered before it was sent has been logged.
 */
export const AUDIT_MARK_PATH = '/kokpit-audit-mark';

/** Writes only (every resource, every user), plus the marks; reads and the RequestReceived stage are left out. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    nonResourceURLs: ['${AUDIT_MARK_PATH}/*']
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

/** Every request (reads and writes, resource and non-resource), Metadata level. */
const AUDIT_POLICY_ALL = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

function auditArgs(dir: string, logPath: string, policyText: string): string[] {
  const policy = path.join(dir, 'audit-policy.yaml');
  fs.writeFileSync(policy, policyText);
  return [
    `--audit-policy-file=${policy}`,
    `--audit-log-path=${logPath}`,
    '--audit-log-format=json',
    // Each event is written by the request that caused it as it completes, not buffered for seconds in
    // batches; a client may still see the response a moment before its event is written, which the marks cover.
    '--audit-log-mode=blocking',
  ];
}

/** What controller-manager and scheduler share: their kubeconfig, serving certificate, client CA, no leader election. */
function componentArgs(f: Files, kubeconfig: string, port: number, certDir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    `--tls-cert-file=${f.componentServing.cert}`,
    `--tls-private-key-file=${f.componentServing.key}`,
    `--client-ca-file=${f.ca.cert}`,
    '--leader-elect=false',
  ];
}

function controllerManagerArgs(f: Files, kubeconfig: string, port: number, certDir: string): string[] {
  return [
    ...componentArgs(f, kubeconfig, port, certDir),
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${f.saKey}`,
    `--root-ca-file=${f.ca.cert}`,
    `--cluster-signing-cert-file=${f.ca.cert}`,
    `--cluster-signing-key-file=${f.ca.key}`,
    `--cluster-name=${CLUSTER_NAME}`,
    // Everything on by default, minus the controllers that need a cloud provider.
    '--controllers=*,-cloud-node-lifecycle-controller,-node-route-controller,-service-lb-controller',
    '--v=1',
  ];
}

function schedulerArgs(f: Files, kubeconfig: string, port: number, certDir: string): string[] {
  return [...componentArgs(f, kubeconfig, port, certDir), '--v=1'];
}
