// The BusinessCluster reconciler: ordered, named steps from the catalog check to the addons. Each pass
// reads the world, renders whole objects with pure functions, and server-side applies only what differs
// (an unchanged cluster costs reads, never writes). A step whose dependency is not ready stops the pass
// and asks for a requeue; status is written at the end of every pass, and only when it changed.
import { isIPv4 } from 'node:net';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Node, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { describePodProblems, podProblems } from './pod-problems';
import {
  API_VERSION,
  withDefaults,
  type Addon,
  type BusinessCluster,
  type BusinessClusterStatus,
  type DefaultedBusinessCluster,
  type EtcdCluster,
  type KubernetesVersion,
  type KubernetesVersionSpec,
} from '../../api';
import {
  TerminalError,
  keyOf,
  oneAtATimePerKey,
  silentLogger,
  splitKey,
  type Logger,
  type ReconcileResult,
} from '../../controller/reconciler';
import {
  deleteObject,
  describeKubeError,
  kokpitUserAgent,
  listObjects,
  loadKubeConfig,
  makeObjectApi,
  toKubeApiError,
  withUserAgent,
} from '../../kube';
import { caSecretName, clientEndpoint, LABEL_CLUSTER as ETCD_CLUSTER_LABEL } from '../../api/etcd-names';
import { podIPResolver, type MemberResolver } from '../../kit/etcd-access';
import { KubeEventRecorder, type EventRecorder } from '../../kit/events';
import {
  addFinalizer,
  Applier,
  applyStatus,
  canonicalJSON,
  compareVersions as compareReleases,
  removeFinalizer,
  runSteps,
  StopPass,
  type ObjectCache,
  type Step,
} from '../../kit';
import { CONDITION_TYPES, findCondition, mergeConditions, type ConditionInput, type ConditionType } from './conditions';
import { deleteEtcdPrefix, reachSharedEtcd } from './etcd-cleanup';
import { APISERVER_PORT, DETACH_FINALIZERS, FINALIZER, KUBECONFIG_KEY, VERSION_LABEL, names } from './names';
import { checkNetwork, serviceAddresses } from './network';
import { foreignOwner, managedEtcdSecrets, NameConflictError, OwnedApplier } from './ownership';
import { ensurePKI } from './pki';
import { issueCert } from '../../pki';
import type { AddonFacts } from './render/addons';
import { addonsCondition, runAddonsPass } from './addons-pass';
import { renderBootstrapObjects } from './render/bootstrap';
import { controlPlaneParts, type ControlPlaneFacts } from './render/control-plane';
import { etcdPrefix } from './render/etcd';
import {
  KONNECTIVITY_AGENT_ADDON,
  konnectivityEgressSecretName,
  konnectivityEnabled,
  konnectivityServerAddress,
} from './render/konnectivity';
import type { ServiceType } from './render/inputs';
import { checkCatalog, compareVersions, planVersions, type LiveComponent } from './versions';

/**
 * The pass, in order: each step's name and the condition it owns (the one place this mapping is written).
 * A pass stops at the first step that is not done; that step's condition says why.
 */
export const STEP_CONDITIONS = {
  catalog: 'CatalogValid',
  network: 'NetworkValid',
  etcd: 'EtcdReady',
  'apiserver-service': 'APIServerAvailable',
  pki: 'CertificatesReady',
  apiserver: 'APIServerAvailable',
  controllers: 'ControlPlaneReady',
  'control-plane-ready': 'ControlPlaneReady',
  'cluster-bootstrap': 'AddonsReady',
  addons: 'AddonsReady',
} as const satisfies Record<string, ConditionType>;
export type StepName = keyof typeof STEP_CONDITIONS;
export const STEPS = Object.keys(STEP_CONDITIONS) as StepName[];

/** Everything the reconciler needs from its environment; tests and the sandbox replace parts of it. */
export interface ClusterRuntime {
  /** The meta cluster. */
  kc: KubeConfig;
  log?: Logger;
  now?: () => Date;
  /** What `Auto` becomes; default: LoadBalancer when the meta cluster has a load-balancer provider, else NodePort. */
  autoServiceType?: () => Promise<'LoadBalancer' | 'NodePort'>;
  /** The URL the host reaches the apiserver at; undefined falls back to the Service-derived endpoint. */
  hostEndpoint?: (cluster: BusinessCluster, service: V1Service) => string | undefined;
  /**
   * Nodes (machines, addons' kubeconfigs, `cluster-info`) use the Service-derived address (a meta node's IP and
   * the NodePort, or the load balancer) instead of the host endpoint. kind: the host reaches 127.0.0.1:<hostPort>,
   * which inside a machine container is the container itself.
   */
  nodesUseServiceEndpoint?: boolean;
  /** A client config for the business cluster from its admin kubeconfig (default: the kubeconfig as is). */
  businessKubeConfig?: (cluster: BusinessCluster, adminKubeconfig: string) => KubeConfig;
  /** Requeue delay while waiting on something (etcd, pods). */
  waitRequeueMs?: number;
  /** Watch caches to read meta-cluster objects from before asking the API server (the operator's informers). */
  cache?: ObjectCache;
  /** The KubernetesVersion catalog from a watch cache; undefined (or a cache that has not synced) lists it each pass. */
  catalog?: () => KubernetesVersion[] | undefined;
  /**
   * How a shared EtcdCluster's members are dialed to remove a deleted cluster's keys: the etcd operator's resolver
   * (`manager/operators.ts` hands over the same setting). Default: pod IPs, or port-forwards with `etcdAccess`.
   */
  etcdResolver?: MemberResolver;
  etcdAccess?: 'pod-ip' | 'port-forward';
}

const PLURAL = 'businessclusters';

/** `https://<IPv4>:<port>` as an address and port (the `kubernetes` Service's endpoint), else undefined. */
function ipEndpoint(url: string): { ip: string; port: number } | undefined {
  try {
    const u = new URL(url);
    return isIPv4(u.hostname) ? { ip: u.hostname, port: Number(u.port || 443) } : undefined;
  } catch {
    return undefined;
  }
}
const API = API_VERSION;

/** egress Konnectivity: the agents' dial address, as addon facts; nothing otherwise. */
function konnectivityFacts(c: BusinessCluster, nodeEndpoint: string, service: V1Service) {
  const a = konnectivityEnabled(c) ? konnectivityServerAddress(nodeEndpoint, service as never) : undefined;
  return a ? { konnectivityServerHost: a.host, konnectivityServerPort: a.port } : {};
}

/** egress Konnectivity brings its agents: the shipped `konnectivity-agent` addon, unless the spec lists it already. */
function withKonnectivityAgent(c: BusinessCluster, refs: NonNullable<BusinessCluster['spec']['addons']>) {
  if (!konnectivityEnabled(c) || refs.some((r) => r.name === KONNECTIVITY_AGENT_ADDON)) return refs;
  return [...refs, { name: KONNECTIVITY_AGENT_ADDON }];
}
/** The User-Agent of every request the cluster operator sends (meta and business clusters). */
export const CLUSTER_OPERATOR_AGENT = kokpitUserAgent('cluster-operator');
const STEADY_RESYNC_MS = 10 * 60 * 60 * 1000;
const NODE_ADDRESS_TTL_MS = 30_000;

interface PassState {
  conditions: ConditionInput[];
  status: Partial<BusinessClusterStatus>;
  completedSteps: StepName[];
  /** Whether the version plan was made (else the previous upgrade status stands). */
  planned?: boolean;
}

type Plan = Extract<ReturnType<typeof planVersions>, { ok: true }>;
type Release = KubernetesVersionSpec;

/**
 * What one pass knows, filled in step by step: a step reads what the steps before it wrote (the `!` fields are
 * set by the step named beside them before any later step runs).
 */
interface Pass {
  c: DefaultedBusinessCluster;
  ns: string;
  spec: DefaultedBusinessCluster['spec'];
  wait: number;
  state: PassState;
  cond(type: ConditionType, status: 'True' | 'False', reason: string, message?: string): void;
  /** catalog */
  catalog: KubernetesVersion[];
  target: Release;
  plan: Plan;
  releases: { apiServer: Release; controllerManager: Release; scheduler: Release };
  /** network */
  dnsServiceIP: string;
  /** etcd */
  etcdServers: string;
  etcdCA: { certPem: string; keyPem: string };
  prefix: string;
  /** apiserver-service */
  service: V1Service;
  endpoint: string;
  nodeEndpoint: string;
  /** pki */
  pki: Awaited<ReturnType<typeof ensurePKI>>;
  /** apiserver, controllers */
  apiLive: LiveDeployment;
  /** apiserver: the controller Deployments as read with the apiserver's (one round trip for the three) */
  controllersRead: [KubernetesObject | undefined, KubernetesObject | undefined];
  kcmLive: LiveDeployment;
  schedLive: LiveDeployment;
  allRolledOut: boolean;
  /** cluster-bootstrap */
  business: Applier;
  /** Set by the addons step while a nodeless cluster's addons wait: look again soon, the first Node sends no event here. */
  addonsRequeueMs?: number;
}

export class ClusterReconciler {
  /** Reads and applies in the meta cluster; never takes over another owner's object (NameConflict). */
  readonly metaApplier: OwnedApplier;
  private readonly rt: ClusterRuntime;
  private readonly log: Logger;
  private readonly core: CoreV1Api;
  private readonly events: EventRecorder;
  private autoTypeCache: { at: number; value: 'LoadBalancer' | 'NodePort' } | undefined;
  private nodeAddressCache: { at: number; value: string | undefined } | undefined;

  constructor(rt: ClusterRuntime) {
    // Its own User-Agent: the API server's audit log tells this operator's writes apart.
    this.rt = { ...rt, kc: withUserAgent(rt.kc, CLUSTER_OPERATOR_AGENT) };
    this.metaApplier = new OwnedApplier(makeObjectApi(this.rt.kc), rt.cache);
    this.log = rt.log ?? silentLogger;
    this.core = this.rt.kc.makeApiClient(CoreV1Api);
    this.events = new KubeEventRecorder(this.rt.kc, 'cluster-operator', this.log);
  }

  /** The level-triggered entry point: `namespace/name` in, nothing/requeue out. One pass per cluster at a time. */
  reconcile = oneAtATimePerKey((key: string) => this.pass(key));

  private pass = async (key: string): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const raw = await this.metaApplier.read<BusinessCluster & KubernetesObject>({
      apiVersion: API,
      kind: 'BusinessCluster',
      metadata: { name, namespace },
    });
    if (!raw) return;
    const cluster = withDefaults(raw as BusinessCluster);
    if (cluster.metadata.deletionTimestamp) return this.finalize(cluster);
    if (cluster.spec.paused) {
      this.log.info(`${key}: paused; nothing is changed`);
      return;
    }
    const state: PassState = { conditions: [], status: {}, completedSteps: [] };
    let result: ReconcileResult | void = undefined;
    let failure: unknown;
    try {
      result = await this.runSteps(cluster, state);
    } catch (err) {
      const e = err instanceof NameConflictError ? this.conflictStop(err, state) : err;
      if (e instanceof StopPass) {
        state.conditions.push(e.condition as ConditionInput);
        result = e.requeueAfterMs !== undefined ? { requeueAfterMs: e.requeueAfterMs } : undefined;
      } else {
        failure = e;
      }
    }
    if (failure && !(failure instanceof TerminalError)) {
      // Transient: report it on the condition of the step that failed, then let the queue back off.
      const step = STEPS[state.completedSteps.length];
      state.conditions.push({
        type: step ? STEP_CONDITIONS[step] : 'AddonsReady',
        status: 'False',
        reason: 'ReconcileError',
        message: `step ${step}: ${describeKubeError(failure)}`,
      });
    }
    await this.writeStatus(cluster, state);
    if (failure) throw failure;
    return result;
  };

  /**
   * A name this cluster derives is another owner's object: the step that wanted it stops on its own condition with
   * NameConflict (naming the object and its owner). Not retried with backoff: it clears only when the other owner
   * goes, which sends no event here, so it looks again every minute or so.
   */
  private conflictStop(e: NameConflictError, state: PassState): StopPass {
    const step = STEPS[state.completedSteps.length] ?? 'addons';
    return new StopPass(
      { type: STEP_CONDITIONS[step], status: 'False', reason: 'NameConflict', message: e.message },
      (this.rt.waitRequeueMs ?? 5000) * 12,
    );
  }

  /** One pass: the steps in order, then a requeue while the control plane rolls out or upgrades. */
  private async runSteps(c: DefaultedBusinessCluster, state: PassState): Promise<ReconcileResult | void> {
    const pass = {
      c,
      state,
      ns: c.metadata.namespace ?? 'default',
      spec: c.spec,
      wait: this.rt.waitRequeueMs ?? 5000,
      prefix: etcdPrefix(c),
      cond: (type: ConditionType, status: 'True' | 'False', reason: string, message?: string) =>
        void state.conditions.push({ type, status, reason, message }),
    } as Pass;
    const result = await runSteps(this.steps, pass, (name) => void state.completedSteps.push(name));
    if (result.stopped) throw result.stopped.stop;
    if (!pass.allRolledOut || pass.plan.upgrading) return { requeueAfterMs: pass.wait };
    if (pass.addonsRequeueMs) return { requeueAfterMs: pass.addonsRequeueMs };
    // Steady: look again when the short-lived admin kubeconfig is due, and at least every 10 h (controller-runtime's
    // default SyncPeriod), so certificates are renewed on a cluster nobody touches.
    return { requeueAfterMs: Math.max(60_000, Math.min(STEADY_RESYNC_MS, pass.pki.renewAt.getTime() - Date.now())) };
  }

  /** The steps of a pass (render parts are pure functions in render/; these read the world and apply). */
  private readonly steps: ReadonlyArray<Step<Pass, StepName>> = [
    { name: 'catalog', condition: STEP_CONDITIONS.catalog, run: (p) => this.catalogStep(p) },
    { name: 'network', condition: STEP_CONDITIONS.network, run: async (p) => this.networkStep(p) },
    { name: 'etcd', condition: STEP_CONDITIONS.etcd, run: (p) => this.etcdStep(p) },
    { name: 'apiserver-service', condition: STEP_CONDITIONS['apiserver-service'], run: (p) => this.serviceStep(p) },
    { name: 'pki', condition: STEP_CONDITIONS.pki, run: (p) => this.pkiStep(p) },
    { name: 'apiserver', condition: STEP_CONDITIONS.apiserver, run: (p) => this.apiServerStep(p) },
    { name: 'controllers', condition: STEP_CONDITIONS.controllers, run: (p) => this.controllersStep(p) },
    { name: 'control-plane-ready', condition: STEP_CONDITIONS['control-plane-ready'], run: (p) => this.readinessStep(p) },
    { name: 'cluster-bootstrap', condition: STEP_CONDITIONS['cluster-bootstrap'], run: (p) => this.bootstrapStep(p) },
    { name: 'addons', condition: STEP_CONDITIONS.addons, run: (p) => this.addonsStep(p) },
  ];

  /** 1. The version must be Supported or Preview (else say which exist); the live Deployments decide what each component runs. */
  private async catalogStep(p: Pass): Promise<void> {
    const { c } = p;
    p.catalog =
      this.rt.catalog?.() ?? (await listObjects<KubernetesVersion & KubernetesObject>(makeObjectApi(this.rt.kc), API, 'KubernetesVersion'));
    const [apiServer, controllerManager, scheduler] = await Promise.all(
      [names.apiServer(c.metadata.name), names.controllerManager(c.metadata.name), names.scheduler(c.metadata.name)].map((n) =>
        this.readDeployment(c, n),
      ),
    );
    const deployments = { apiServer, controllerManager, scheduler };
    // A version the cluster already runs stays reconciled when it turns Deprecated (issue 17: only new clusters are refused).
    const verdict = checkCatalog(c.spec.version, p.catalog, [deployments.apiServer.version, c.status?.version]);
    if (!verdict.ok)
      throw new StopPass({ type: 'CatalogValid', status: 'False', reason: verdict.reason, message: verdict.message }, undefined);
    p.target = verdict.release;
    if (verdict.deprecated) p.cond('CatalogValid', 'True', 'VersionDeprecated', verdict.deprecated);
    else p.cond('CatalogValid', 'True', 'VersionAvailable', `${c.spec.version} is ${p.target.state ?? 'Supported'}`);
    const controllersLive: LiveComponent = {
      version: deployments.controllerManager.version ?? deployments.scheduler.version,
      rolledOut: deployments.controllerManager.rolledOut && deployments.scheduler.rolledOut,
    };
    const plan = planVersions(c.spec.version, deployments.apiServer, controllersLive, p.catalog);
    // Keep running what runs: nothing is rendered for a refused version change.
    if (!plan.ok) throw new StopPass({ type: 'CatalogValid', status: 'False', reason: plan.reason, message: plan.message }, undefined);
    p.plan = plan;
    p.state.planned = true;
    if (plan.upgrading)
      p.state.status.upgrade = {
        from: deployments.apiServer.version ?? plan.apiServer,
        to: c.spec.version,
        ...(plan.step ? { step: plan.step } : {}),
      };
    const releaseOf = (v: string) => p.catalog.find((k) => k.spec.version === v)?.spec ?? p.target;
    p.releases = {
      apiServer: releaseOf(plan.apiServer),
      controllerManager: releaseOf(plan.controllers),
      scheduler: releaseOf(plan.controllers),
    };
  }

  /** 2. Network ranges, checked before anything is created so a bad spec leaves nothing behind. */
  private networkStep(p: Pass): void {
    const net = checkNetwork(p.spec.network);
    if (net.problems.length)
      throw new StopPass(
        { type: 'NetworkValid', status: 'False', reason: 'InvalidNetwork', message: net.problems.map((x) => x.message).join('; ') },
        undefined,
      );
    p.dnsServiceIP = serviceAddresses(net.service!).dns;
    p.cond('NetworkValid', 'True', 'RangesValid');
  }

  /** 3. etcd: a dedicated EtcdCluster, or a shared one with this cluster's own prefix. Wait until Available. */
  private async etcdStep(p: Pass): Promise<void> {
    const { c, ns, wait, target } = p;
    let etcd: EtcdCluster | undefined;
    const [dedicated] = controlPlaneParts.etcd(c, p);
    if (dedicated) {
      const live = await this.metaApplier.read<KubernetesObject>(dedicated);
      if (!live) await this.refuseTakenEtcdSecrets(c);
      etcd = (await this.metaApplier.ensureAgainst(dedicated as unknown as KubernetesObject, live)) as unknown as EtcdCluster;
    } else {
      const ref = c.spec.etcd.clusterRef!.name;
      etcd = await this.metaApplier.read<EtcdCluster & KubernetesObject>({
        apiVersion: API,
        kind: 'EtcdCluster',
        metadata: { name: ref, namespace: ns },
      });
      if (!etcd) {
        throw new StopPass(
          {
            type: 'EtcdReady',
            status: 'False',
            reason: 'EtcdClusterNotFound',
            message: `EtcdCluster ${ns}/${ref} (spec.etcd.clusterRef) does not exist`,
          },
          wait * 4,
        );
      }
      // Shared etcd: the cluster's keys must be removed from it on deletion (garbage collection can't).
      await this.ensureFinalizer(c);
    }
    const etcdName = etcd.metadata.name;
    const available = findCondition(etcd.status?.conditions, 'Available');
    if (available?.status !== 'True') {
      throw new StopPass(
        {
          type: 'EtcdReady',
          status: 'False',
          reason: 'EtcdNotAvailable',
          message: `EtcdCluster ${ns}/${etcdName} is not Available yet${available?.message ? `: ${available.message}` : ''}`,
        },
        wait,
      );
    }
    const running = etcd.status?.currentVersion;
    if (running && compareReleases(running, target.etcd.minVersion) < 0) {
      throw new StopPass(
        {
          type: 'EtcdReady',
          status: 'False',
          reason: 'EtcdVersionTooOld',
          message: `EtcdCluster ${ns}/${etcdName} runs etcd ${running}; ${c.spec.version} needs ${target.etcd.minVersion} or newer`,
        },
        undefined,
      );
    }
    const ca = await this.etcdCA(etcd);
    if (!ca) {
      const caName = etcd.status?.caSecretName ?? caSecretName({ name: etcdName, namespace: ns });
      throw new StopPass(
        {
          type: 'EtcdReady',
          status: 'False',
          reason: 'EtcdCANotFound',
          message: `Secret ${ns}/${caName} with the CA of EtcdCluster ${etcdName} (tls.crt, tls.key) is missing`,
        },
        wait,
      );
    }
    p.etcdCA = ca;
    p.etcdServers = etcd.status?.clientEndpoint ?? clientEndpoint({ name: etcdName, namespace: ns });
    p.state.status.etcdPrefix = p.prefix;
    p.cond('EtcdReady', 'True', 'EtcdAvailable', `EtcdCluster ${etcdName}, prefix ${p.prefix}`);
  }

  /**
   * Before the managed EtcdCluster is made: the Secrets the etcd operator will make for it must not exist (another
   * cluster's `<x>-etcd-ca` CA, `<x>-apiserver-etcd-client`), or that operator would find and use them. Two reads,
   * only until the EtcdCluster exists; from then on its Secrets are its own.
   */
  private async refuseTakenEtcdSecrets(c: BusinessCluster): Promise<void> {
    for (const name of Object.values(managedEtcdSecrets(c.metadata.name))) {
      const s = await this.metaApplier.read<KubernetesObject>({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: c.metadata.namespace },
      });
      if (s)
        throw new NameConflictError('Secret', name, foreignOwner(s, { name: c.metadata.name, uid: '' }) ?? 'someone else', c.metadata.name);
    }
  }

  /** 4. The apiserver Service first: its ClusterIP and the host endpoint go into the serving certificate. */
  private async serviceStep(p: Pass): Promise<void> {
    const { c } = p;
    const type = await this.serviceType(c);
    try {
      p.service = (await this.metaApplier.ensure(
        controlPlaneParts['apiserver-service'](c, { serviceType: type })[0] as KubernetesObject,
      )) as V1Service;
    } catch (e) {
      const err = toKubeApiError(e);
      if (err.statusCode === 422) {
        throw new StopPass(
          {
            type: 'APIServerAvailable',
            status: 'False',
            reason: 'ServiceRejected',
            message: `Service ${names.apiServer(c.metadata.name)}: ${err.message}`,
          },
          undefined,
        );
      }
      throw e;
    }
    const ep = await this.hostEndpoint(c, p.service);
    if (!ep)
      throw new StopPass(
        {
          type: 'APIServerAvailable',
          status: 'False',
          reason: 'LoadBalancerPending',
          message: 'waiting for the meta cluster to assign a load-balancer address',
        },
        p.wait,
      );
    p.endpoint = ep;
    p.nodeEndpoint = (this.rt.nodesUseServiceEndpoint ? await this.serviceEndpoint(p.service) : undefined) ?? ep;
    p.state.status.endpoint = ep;
  }

  /** 5. PKI: CAs, serving and client certificates, kubeconfigs (rotated when a fact in them changes). */
  private async pkiStep(p: Pass): Promise<void> {
    const { c } = p;
    p.pki = await ensurePKI({
      cluster: c,
      applier: this.metaApplier,
      facts: { serviceClusterIP: p.service.spec?.clusterIP, hostEndpoint: p.endpoint, nodeEndpoint: p.nodeEndpoint },
      etcdCA: p.etcdCA,
      now: this.rt.now?.(),
    });
    for (const i of p.pki.issued) this.log.info(`${keyOf(c)}: issued ${i.secret} (${i.reason})`);
    p.state.status.kubeconfigSecretName = p.pki.adminKubeconfigSecret;
    p.cond('CertificatesReady', 'True', 'CertificatesValid');
  }

  /** What the steps before found, for the render parts of the control-plane Deployments. */
  private facts(p: Pass): ControlPlaneFacts {
    return {
      target: p.target,
      releases: p.releases,
      etcdServers: p.etcdServers,
      serviceType: (p.service.spec?.type ?? 'ClusterIP') as ServiceType,
      secretHashes: p.pki.secretHashes,
      kubernetesEndpoint: this.kubernetesEndpoint(p),
    };
  }

  private kubernetesEndpoint(p: Pass) {
    return this.rt.nodesUseServiceEndpoint ? ipEndpoint(p.nodeEndpoint) : undefined;
  }

  /**
   * 6. The apiserver Deployment; the controllers' two are read with it. A new cluster's three are cache misses, taken
   * as absent and written create-only (kit Applier: missMeansAbsent).
   */
  private async apiServerStep(p: Pass): Promise<void> {
    const name = p.c.metadata.name;
    const [api, kcm, sched] = await Promise.all(
      [names.apiServer(name), names.controllerManager(name), names.scheduler(name)].map((n) =>
        this.metaApplier.read<KubernetesObject>(
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: n, namespace: p.ns } },
          { missMeansAbsent: true },
        ),
      ),
    );
    p.controllersRead = [kcm, sched];
    const [deployment, ...config] = controlPlaneParts.apiserver(p.c, this.facts(p));
    // egress Konnectivity: the egress-selector Secret the pod mounts, before the pod that needs it.
    for (const o of config) await this.metaApplier.ensure(o as KubernetesObject);
    p.apiLive = summarize(await this.metaApplier.ensureAgainst(deployment as KubernetesObject, api));
    // Back to Direct: the egress Secret the pod no longer mounts goes (a steady Direct pass asks the cache only).
    if (!konnectivityEnabled(p.c)) {
      const egress = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: konnectivityEgressSecretName(p.c.metadata.name), namespace: p.ns },
      };
      if (await this.metaApplier.read(egress, { owned: true })) await this.metaApplier.delete(egress);
    }
  }

  /** 7. controller-manager and scheduler (they follow the apiserver's version once it has rolled out). */
  private async controllersStep(p: Pass): Promise<void> {
    const [kcm, sched] = controlPlaneParts.controllers(p.c, this.facts(p));
    p.kcmLive = summarize(await this.metaApplier.ensureAgainst(kcm as KubernetesObject, p.controllersRead[0]));
    p.schedLive = summarize(await this.metaApplier.ensureAgainst(sched as KubernetesObject, p.controllersRead[1]));
  }

  /** 8. Readiness of what runs: components on status, ControlPlaneReady, and a ready apiserver before going inside. */
  private async readinessStep(p: Pass): Promise<void> {
    const { c, state, apiLive, kcmLive, schedLive, plan } = p;
    state.status.components = [
      { name: 'kube-apiserver', ...apiLive.counts, ...(apiLive.version ? { version: apiLive.version } : {}) },
      { name: 'kube-controller-manager', ...kcmLive.counts, ...(kcmLive.version ? { version: kcmLive.version } : {}) },
      { name: 'kube-scheduler', ...schedLive.counts, ...(schedLive.version ? { version: schedLive.version } : {}) },
    ];
    const allRolledOut = (p.allRolledOut = apiLive.rolledOut && kcmLive.rolledOut && schedLive.rolledOut);
    // The version the whole control plane runs; while it is mixed, the last one it fully ran stays.
    if (allRolledOut && apiLive.version === kcmLive.version && kcmLive.version === schedLive.version)
      state.status.version = apiLive.version;
    const apiReady = (apiLive.counts.readyReplicas ?? 0) >= 1;
    // A pod that cannot start says why in its own words (ErrImagePull, CrashLoopBackOff, …): the condition
    // carries that reason and message instead of a bare count. Only listed while something is not ready.
    // Nothing to list while no Deployment has been seen by the deployment controller (no status yet): no pods.
    const trouble =
      (allRolledOut && apiReady) || ![apiLive, kcmLive, schedLive].some((x) => x.observed)
        ? undefined
        : describePodProblems(podProblems(await this.controlPlanePods(c)));
    p.cond(
      'ControlPlaneReady',
      allRolledOut ? 'True' : 'False',
      allRolledOut ? 'ComponentsReady' : plan.upgrading ? 'Upgrading' : (trouble?.reason ?? 'ComponentsNotReady'),
      allRolledOut
        ? undefined
        : [
            state.status.components
              .filter((x) => (x.readyReplicas ?? 0) < (x.replicas ?? 1))
              .map((x) => `${x.name} ${x.readyReplicas ?? 0}/${x.replicas ?? 1} ready`)
              .join(', ') || plan.step,
            trouble?.message,
          ]
            .filter(Boolean)
            .join('; '),
    );
    if (!apiReady) {
      // The Deployment informer wakes this cluster when a pod becomes ready; the requeue is only a safety net
      // (at 5 s, 100 waiting clusters asked for 20 passes a second: the reconcile bench).
      const base = `no ready kube-apiserver pod yet (Deployment ${names.apiServer(c.metadata.name)})`;
      throw new StopPass(
        {
          type: 'APIServerAvailable',
          status: 'False',
          reason: trouble?.reason ?? 'APIServerNotReady',
          message: trouble ? `${base}: ${trouble.message}` : base,
        },
        p.wait * 6,
      );
    }
    p.cond('APIServerAvailable', 'True', 'APIServerReady', `${apiLive.counts.readyReplicas} ready at ${p.endpoint}`);
  }

  /** 9. Inside the business cluster: what `kubeadm join` needs. */
  private async bootstrapStep(p: Pass): Promise<void> {
    const { c } = p;
    // The super-admin credentials: the admin kubeconfig works only once this step has bound its group.
    const business = (p.business = await this.businessApplier(c, p.pki.superAdminKubeconfigSecret));
    try {
      const objects = renderBootstrapObjects({
        cluster: c,
        version: p.plan.apiServer,
        endpoint: p.nodeEndpoint,
        kubernetesEndpoint: this.kubernetesEndpoint(p),
        caPem: p.pki.caPem,
        dnsServiceIP: p.dnsServiceIP,
        etcdServers: p.etcdServers,
      });
      for (const obj of objects) await business.ensure(obj as KubernetesObject);
    } catch (e) {
      throw new StopPass(
        {
          type: 'AddonsReady',
          status: 'False',
          reason: 'APIServerUnreachable',
          message: `bootstrap objects in the business cluster: ${describeKubeError(e)}`,
        },
        p.wait,
      );
    }
  }

  /** 10. Addons (addons-pass.ts): each pin resolved and rendered first, then applied, pruned, and the workloads read back. */
  private async addonsStep(p: Pass): Promise<void> {
    const { c, ns, spec, plan, releases, dnsServiceIP, nodeEndpoint, business, wait, state, cond } = p;
    const facts: AddonFacts = {
      cluster: {
        name: c.metadata.name,
        namespace: ns,
        version: plan.apiServer,
        endpoint: nodeEndpoint,
        serviceCIDR: spec.network.serviceCIDR,
        podCIDR: spec.network.podCIDR,
        dnsDomain: spec.network.dnsDomain,
        dnsServiceIP,
        kubernetesServiceIP: serviceAddresses(checkNetwork(spec.network).service!).kubernetes,
        ...konnectivityFacts(c, nodeEndpoint, p.service),
      },
      images: releases.apiServer.images,
    };
    const refs = withKonnectivityAgent(c, c.spec.addons ?? []);
    // Every version of every addon: one LIST, only when the cluster has addons.
    const catalog = refs.length ? await listObjects<Addon & KubernetesObject>(makeObjectApi(this.rt.kc), API, 'Addon') : [];
    // Asked only when a workload waits: a cluster without any Node yet cannot run them (see addons-pass.ts).
    const hasNodes = async () =>
      (await (await this.businessKubeConfig(c, p.pki.superAdminKubeconfigSecret)).makeApiClient(CoreV1Api).listNode({ limit: 1 })).items
        .length > 0;
    const pass = await runAddonsPass(business, refs, catalog, facts, hasNodes);
    for (const d of pass.deleted)
      this.log.info(`${keyOf(c)}: pruned ${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name} (no longer rendered by any addon)`);
    state.status.addons = pass.results;
    const { status, reason, message, waiting } = addonsCondition(pass.problems, pass.results.length, pass.nodeless);
    // Waiting for workloads to roll out requeues after the wait (nothing in the business cluster is watched); failures back off.
    if (status === 'False') throw new StopPass({ type: 'AddonsReady', status, reason, message }, waiting ? wait : wait * 6);
    if (waiting) p.addonsRequeueMs = wait * 6;
    cond('AddonsReady', status, reason, message);
  }

  /** The control-plane pods of a business cluster in the meta cluster (apiserver, controller-manager, scheduler). */
  private async controlPlanePods(c: BusinessCluster): Promise<V1Pod[]> {
    try {
      const list = await this.core.listNamespacedPod({
        namespace: c.metadata.namespace ?? 'default',
        labelSelector: `kokpit.dev/cluster=${c.metadata.name},kokpit.dev/component in (apiserver,controller-manager,scheduler)`,
      });
      return list.items;
    } catch (e) {
      this.log.debug(`${keyOf(c)}: listing control-plane pods: ${describeKubeError(e)}`);
      return [];
    }
  }

  /** The CA of an EtcdCluster (status.caSecretName, else `<etcd>-ca`), or undefined when missing. */
  private async etcdCA(etcd: EtcdCluster): Promise<{ certPem: string; keyPem: string } | undefined> {
    const ns = etcd.metadata.namespace ?? 'default';
    const caName = etcd.status?.caSecretName ?? caSecretName({ name: etcd.metadata.name, namespace: ns });
    const caSecret = await this.metaApplier.read<KubernetesObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: caName, namespace: ns },
    });
    const pem = (k: string) => (caSecret?.data?.[k] ? Buffer.from(caSecret.data[k], 'base64').toString('utf8') : undefined);
    const certPem = pem('tls.crt') ?? pem('ca.crt');
    const keyPem = pem('tls.key') ?? pem('ca.key');
    return certPem && keyPem ? { certPem, keyPem } : undefined;
  }

  private async readDeployment(c: BusinessCluster, name: string): Promise<LiveComponent> {
    const d = await this.metaApplier.read<KubernetesObject>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: c.metadata.namespace },
    });
    // Someone else's Deployment of that name says nothing about this cluster (its apply step will refuse it).
    if (!d || foreignOwner(d, { name: c.metadata.name, uid: c.metadata.uid ?? '' })) return { version: undefined, rolledOut: false };
    const s = summarize(d);
    return { version: s.version, rolledOut: s.rolledOut };
  }

  private async serviceType(c: DefaultedBusinessCluster): Promise<ServiceType> {
    const wanted = c.spec.apiServer.service.type;
    if (wanted !== 'Auto') return wanted;
    // Sticky: once a Service exists, Auto keeps its type (changing it would move the endpoint).
    const live = await this.metaApplier.read<V1Service & KubernetesObject>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: names.apiServer(c.metadata.name), namespace: c.metadata.namespace },
    });
    if (live?.spec?.type === 'LoadBalancer' || live?.spec?.type === 'NodePort') return live.spec.type;
    if (this.rt.autoServiceType) return this.rt.autoServiceType();
    const now = Date.now();
    if (!this.autoTypeCache || now - this.autoTypeCache.at > 60_000)
      this.autoTypeCache = { at: now, value: await this.detectLoadBalancer() };
    return this.autoTypeCache.value;
  }

  /** A meta cluster "assigns load balancers" when some LoadBalancer Service already got an address, or MetalLB is installed. */
  private async detectLoadBalancer(): Promise<'LoadBalancer' | 'NodePort'> {
    const services = await this.core.listServiceForAllNamespaces();
    if (services.items.some((s) => s.spec?.type === 'LoadBalancer' && (s.status?.loadBalancer?.ingress?.length ?? 0) > 0))
      return 'LoadBalancer';
    const metallb = await this.metaApplier.read({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'ipaddresspools.metallb.io' },
    });
    return metallb ? 'LoadBalancer' : 'NodePort';
  }

  private async hostEndpoint(c: BusinessCluster, svc: V1Service): Promise<string | undefined> {
    return this.rt.hostEndpoint?.(c, svc) ?? (await this.serviceEndpoint(svc));
  }

  /** The address the Service itself offers: the load balancer, a node's address and the NodePort, or the ClusterIP. */
  private async serviceEndpoint(svc: V1Service): Promise<string | undefined> {
    const type = svc.spec?.type;
    const url = (host: string, port: number) => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (type === 'LoadBalancer') {
      const ing = svc.status?.loadBalancer?.ingress?.[0];
      return ing ? url(ing.ip ?? ing.hostname!, APISERVER_PORT) : undefined;
    }
    if (type === 'NodePort') {
      const port = svc.spec?.ports?.[0]?.nodePort;
      if (!port) return undefined;
      return url((await this.nodeAddress()) ?? '127.0.0.1', port);
    }
    return svc.spec?.clusterIP && svc.spec.clusterIP !== 'None' ? url(svc.spec.clusterIP, APISERVER_PORT) : undefined;
  }

  /**
   * A meta node's address for NodePort endpoints, listed at most every 30 s: every pass of every NodePort cluster
   * asks, and a fleet's first passes listed the meta cluster's nodes once per cluster (npm run bench -- fleet).
   */
  private async nodeAddress(): Promise<string | undefined> {
    const now = Date.now();
    if (!this.nodeAddressCache || now - this.nodeAddressCache.at > NODE_ADDRESS_TTL_MS) {
      const nodes = (await this.core.listNode()).items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      this.nodeAddressCache = { at: now, value: nodeAddress(nodes) };
    }
    return this.nodeAddressCache.value;
  }

  private async businessApplier(c: BusinessCluster, secretName: string): Promise<Applier> {
    return new Applier(makeObjectApi(await this.businessKubeConfig(c, secretName)));
  }

  private async businessKubeConfig(c: BusinessCluster, secretName: string): Promise<KubeConfig> {
    const secret = await this.metaApplier.read<KubernetesObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace: c.metadata.namespace },
    });
    const yaml = secret?.data?.[KUBECONFIG_KEY] ? Buffer.from(secret.data[KUBECONFIG_KEY], 'base64').toString('utf8') : undefined;
    if (!yaml) throw new Error(`Secret ${secretName} has no ${KUBECONFIG_KEY}`);
    return withUserAgent(this.rt.businessKubeConfig?.(c, yaml) ?? loadKubeConfig({ kubeconfigYaml: yaml }), CLUSTER_OPERATOR_AGENT);
  }

  private async ensureFinalizer(c: BusinessCluster): Promise<void> {
    await addFinalizer(makeObjectApi(this.rt.kc), { ...c, apiVersion: API, kind: 'BusinessCluster' }, FINALIZER);
  }

  /** Deletion: everything in the meta cluster goes with owner references; only a shared etcd's keys need us. */
  private async finalize(c: BusinessCluster): Promise<ReconcileResult | void> {
    if (!c.metadata.finalizers?.includes(FINALIZER)) return;
    const detaching = c.metadata.finalizers.filter((f) => DETACH_FINALIZERS.includes(f));
    if (detaching.length) {
      this.log.info(`${keyOf(c)}: waiting for ${detaching.join(', ')} before stopping the control plane`);
      return { requeueAfterMs: this.rt.waitRequeueMs ?? 5000 };
    }
    const ns = c.metadata.namespace ?? 'default';
    // Stop the control plane first: an apiserver still running would write keys after the cleanup.
    for (const name of [names.apiServer(c.metadata.name), names.controllerManager(c.metadata.name), names.scheduler(c.metadata.name)]) {
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns } };
      const live = await this.metaApplier.read(ref);
      // Only its own: a Deployment of that name that is someone else's is left running.
      if (live && !foreignOwner(live, { name: c.metadata.name, uid: c.metadata.uid ?? '' })) {
        await deleteObject(makeObjectApi(this.rt.kc), ref, { propagationPolicy: 'Background' });
      }
    }
    const pods = await this.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `kokpit.dev/cluster=${c.metadata.name},kokpit.dev/component`,
    });
    if (pods.items.length) {
      this.log.info(`${keyOf(c)}: waiting for ${pods.items.length} control-plane pod(s) to stop before removing its etcd keys`);
      return { requeueAfterMs: this.rt.waitRequeueMs ?? 5000 };
    }
    const ref = c.spec.etcd.clusterRef?.name;
    const etcd = ref
      ? await this.metaApplier.read<EtcdCluster & KubernetesObject>({
          apiVersion: API,
          kind: 'EtcdCluster',
          metadata: { name: ref, namespace: ns },
        })
      : undefined;
    const ca = etcd ? await this.etcdCA(etcd) : undefined;
    if (etcd && ca) {
      // A fresh client certificate from the etcd CA: the cluster's own may already be garbage-collected
      // (foreground deletion removes dependents before the owner's finalizers run).
      const client = await issueCert(ca, { commonName: 'kokpit-etcd-prefix-cleanup', usages: ['client'], validDays: 1 });
      // Its members as the etcd operator reaches them: the client Service's name does not resolve on a host.
      const etcdRef = { name: etcd.metadata.name, namespace: ns };
      const members = await this.core.listNamespacedPod({ namespace: ns, labelSelector: `${ETCD_CLUSTER_LABEL}=${etcdRef.name}` });
      const endpoint = etcd.status?.clientEndpoint ?? clientEndpoint(etcdRef);
      const targets = await reachSharedEtcd(etcdRef, members.items, this.rt.etcdResolver ?? podIPResolver, endpoint);
      const deleted = await deleteEtcdPrefix(targets, etcdPrefix(c), { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });
      this.log.info(`${keyOf(c)}: deleted ${deleted} keys under ${etcdPrefix(c)} in EtcdCluster ${etcd.metadata.name}`);
    } else {
      // Without the etcd cluster or its CA nothing can be reached: don't block deletion forever.
      this.log.warn(`${keyOf(c)}: EtcdCluster ${ref} or its CA is gone; keys under ${etcdPrefix(c)} cannot be removed`);
    }
    await removeFinalizer(makeObjectApi(this.rt.kc), { ...c, apiVersion: API, kind: 'BusinessCluster' }, FINALIZER);
  }

  private async writeStatus(c: BusinessCluster, state: PassState): Promise<void> {
    const now = this.rt.now?.() ?? new Date();
    const prev = c.status ?? {};
    const full = state.completedSteps.length === STEPS.length;
    // Conditions no step reached this pass: Unknown, saying what they wait for.
    const reached = new Set(state.conditions.map((x) => x.type));
    const blocker = state.conditions.find((x) => x.status !== 'True');
    const pending: ConditionInput[] = CONDITION_TYPES.filter((t) => t !== 'Ready' && !reached.has(t)).map((t) => ({
      type: t,
      status: 'Unknown',
      reason: 'Waiting',
      message: blocker ? `waiting for ${blocker.type}` : undefined,
    }));
    const all = [...state.conditions, ...pending];
    const ready = all.every((x) => x.status === 'True');
    all.push(
      ready
        ? { type: 'Ready', status: 'True', reason: 'ClusterReady' }
        : { type: 'Ready', status: 'False', reason: blocker?.reason ?? 'NotReady', message: blocker?.message },
    );
    const conditions = mergeConditions(prev.conditions, all, c.metadata.generation, now);

    const specError = blocker && ['CatalogValid', 'NetworkValid'].includes(blocker.type);
    const everRan = !!(state.status.components ?? prev.components)?.some((x) => x.version);
    const upgrade = state.planned ? state.status.upgrade : prev.upgrade;
    // The plan stops calling it an upgrade once every template has the target version; until the new
    // pods are ready the cluster is still finishing that upgrade, not provisioning.
    const lastVersion = state.status.version ?? prev.version;
    const finishingUpgrade =
      !ready && (prev.phase === 'Upgrading' || (lastVersion !== undefined && compareVersions(lastVersion, c.spec.version) < 0));
    const phase: BusinessClusterStatus['phase'] =
      upgrade || finishingUpgrade
        ? 'Upgrading'
        : ready
          ? 'Running'
          : specError && !everRan
            ? 'Pending'
            : prev.phase === 'Running' || prev.phase === 'Degraded'
              ? 'Degraded'
              : 'Provisioning';
    // Fields a stopped pass didn't recompute keep their previous values.
    const status: BusinessClusterStatus = {
      ...pickDefined({
        endpoint: prev.endpoint,
        kubeconfigSecretName: prev.kubeconfigSecretName,
        etcdPrefix: prev.etcdPrefix,
        components: prev.components,
        addons: prev.addons,
        version: prev.version,
      }),
      ...pickDefined(state.status),
      phase,
      conditions,
      ...(full
        ? { observedGeneration: c.metadata.generation }
        : prev.observedGeneration !== undefined
          ? { observedGeneration: prev.observedGeneration }
          : {}),
    };
    if (upgrade) status.upgrade = upgrade;
    // Conditions other operators own (the multicluster operator's ManagedCluster) are theirs to write: left out of
    // the comparison, and kept by server-side apply since another field manager owns them.
    const own: readonly string[] = CONDITION_TYPES;
    // status.maintenance is the maintenance controller's (issue 17), likewise.
    const { maintenance: _theirs, ...prevMine } = prev;
    const prevOwn = { ...prevMine, ...(prev.conditions ? { conditions: prev.conditions.filter((x) => own.includes(x.type)) } : {}) };
    if (canonicalJSON(status) === canonicalJSON(prevOwn)) return;
    await applyStatus(
      this.rt.kc,
      { apiVersion: API, kind: 'BusinessCluster', metadata: { name: c.metadata.name, namespace: c.metadata.namespace } },
      PLURAL,
      status,
    );
    await this.recordEvents(c, prev.conditions ?? [], conditions);
  }

  /**
   * One Event per condition that newly turned False with a new reason: the precise message users see in
   * `kubectl describe`. The kit's recorder names it after (cluster, reason, message), so the same transition seen
   * again (after a restart, or a flap) bumps its count instead of adding an Event.
   */
  private async recordEvents(
    c: BusinessCluster,
    before: BusinessClusterStatus['conditions'] & object,
    after: BusinessClusterStatus['conditions'] & object,
  ): Promise<void> {
    const target = { apiVersion: API, kind: 'BusinessCluster', metadata: c.metadata };
    const news = after.filter((cnd) => {
      if (cnd.status !== 'False' || cnd.type === 'Ready' || cnd.reason === 'ReconcileError') return false;
      const old = before.find((b) => b.type === cnd.type);
      return !(old && old.status === cnd.status && old.reason === cnd.reason);
    });
    // Sent together: independent of each other, and a new cluster's first pass has two.
    await Promise.all(news.map((cnd) => this.events.record(target, 'Warning', cnd.reason ?? cnd.type, cnd.message ?? cnd.type)));
  }
}

interface LiveDeployment {
  version?: string;
  rolledOut: boolean;
  /** The deployment controller has written its status (else it has made no pods for it). */
  observed: boolean;
  counts: { replicas: number; readyReplicas: number };
}

function summarize(d: KubernetesObject): LiveDeployment {
  const o = d as KubernetesObject & {
    spec?: { replicas?: number };
    status?: {
      observedGeneration?: number;
      replicas?: number;
      updatedReplicas?: number;
      readyReplicas?: number;
      availableReplicas?: number;
    };
  };
  const want = o.spec?.replicas ?? 1;
  const st = o.status ?? {};
  const rolledOut =
    (st.observedGeneration ?? 0) >= (o.metadata?.generation ?? 1) &&
    (st.updatedReplicas ?? 0) >= want &&
    (st.readyReplicas ?? 0) >= want &&
    (st.replicas ?? 0) === want; // no old pods left
  return {
    version: o.metadata?.labels?.[VERSION_LABEL],
    rolledOut,
    observed: st.observedGeneration !== undefined,
    counts: { replicas: want, readyReplicas: st.readyReplicas ?? 0 },
  };
}

function nodeAddress(nodes: V1Node[]): string | undefined {
  for (const type of ['ExternalIP', 'InternalIP']) {
    for (const n of nodes) {
      const a = n.status?.addresses?.find((x) => x.type === type)?.address;
      if (a) return a;
    }
  }
  return undefined;
}

function pickDefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
