// The BusinessCluster reconciler: ordered, named steps from the catalog check to the addons. Each pass
// reads the world, renders whole objects with pure functions, and server-side applies only what differs
// (an unchanged cluster costs reads, never writes). A step whose dependency is not ready stops the pass
// and asks for a requeue; status is written at the end of every pass, and only when it changed.
import { isIPv4 } from 'node:net';
import { CoreV1Api, PatchStrategy, type KubeConfig, type KubernetesObject, type V1Node, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { describePodProblems, podProblems } from './pod-problems';
import { API_VERSION, withDefaults, type Addon, type BusinessCluster, type BusinessClusterStatus, type EtcdCluster, type KubernetesVersion, type KubernetesVersionSpec } from '../../api';
import { TerminalError, keyOf, silentLogger, splitKey, type Logger, type ReconcileResult } from '../../controller/reconciler';
import { deleteObject, describeKubeError, listObjects, loadKubeConfig, makeObjectApi, toKubeApiError } from '../../kube';
import { caSecretName, clientEndpoint } from '../etcd/names';
import { syncAddonObjects, type AddonRendering } from './addon-inventory';
import { addFinalizer, Applier, applyStatus, removeFinalizer } from '../../kit';
import { findCondition, mergeConditions, type ConditionInput, type ConditionType } from './conditions';
import { deleteEtcdPrefix } from './etcd-cleanup';
import { APISERVER_PORT, FIELD_MANAGER, FINALIZER, KUBECONFIG_KEY, VERSION_LABEL, names } from './names';
import { checkNetwork, serviceAddresses } from './network';
import { ensurePKI } from './pki';
import { issueCert } from '../../pki';
import { AddonError, renderAddon, resolveParameters, type AddonFacts } from './render/addons';
import { renderAPIServerDeployment, renderAPIServerService } from './render/apiserver';
import { renderBootstrapObjects } from './render/bootstrap';
import { renderControllerManagerDeployment, renderSchedulerDeployment } from './render/controllers';
import { etcdPrefix, renderManagedEtcd } from './render/etcd';
import { specOf, type ServiceType } from './render/inputs';
import { checkCatalog, compareVersions, planVersions, type LiveComponent } from './versions';

export const STEPS = ['catalog', 'network', 'etcd', 'apiserver-service', 'pki', 'apiserver', 'controllers', 'cluster-bootstrap', 'addons'] as const;
export type StepName = (typeof STEPS)[number];

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
  /** Called after each named step completes (tests use it to "crash" mid-pass). */
  afterStep?: (step: StepName, cluster: BusinessCluster) => void | Promise<void>;
  /** Requeue delay while waiting on something (etcd, pods). */
  waitRequeueMs?: number;
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

/** Why a pass stopped early: a condition to report and when to look again. */
class StopPass extends Error {
  constructor(
    readonly condition: ConditionInput,
    readonly requeueAfterMs: number | undefined,
  ) {
    super(condition.message ?? condition.reason);
  }
}

interface PassState {
  conditions: ConditionInput[];
  status: Partial<BusinessClusterStatus>;
  completedSteps: StepName[];
  /** Whether the version plan was made (else the previous upgrade status stands). */
  planned?: boolean;
}

export class ClusterReconciler {
  /** Reads and applies in the meta cluster. */
  readonly metaApplier: Applier;
  /** Status, finalizer and delete requests. */
  directWrites = 0;
  businessWrites = 0;
  eventWrites = 0;
  private readonly log: Logger;
  private readonly core: CoreV1Api;
  private autoTypeCache: { at: number; value: 'LoadBalancer' | 'NodePort' } | undefined;

  constructor(private readonly rt: ClusterRuntime) {
    this.metaApplier = new Applier(makeObjectApi(rt.kc));
    this.log = rt.log ?? silentLogger;
    this.core = rt.kc.makeApiClient(CoreV1Api);
  }

  /** All writes this reconciler has sent, of every kind. */
  get writes(): number {
    return this.metaApplier.writes + this.directWrites + this.businessWrites + this.eventWrites;
  }

  /** The level-triggered entry point: `namespace/name` in, nothing/requeue out. */
  reconcile = async (key: string): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    const raw = await this.metaApplier.read<BusinessCluster & KubernetesObject>({ apiVersion: API, kind: 'BusinessCluster', metadata: { name, namespace } });
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
    } catch (e) {
      if (e instanceof StopPass) {
        state.conditions.push(e.condition);
        result = e.requeueAfterMs !== undefined ? { requeueAfterMs: e.requeueAfterMs } : undefined;
      } else {
        failure = e;
      }
    }
    if (failure && !(failure instanceof TerminalError)) {
      // Transient: report it on the condition of the step that failed, then let the queue back off.
      const step = STEPS[state.completedSteps.length];
      state.conditions.push({ type: conditionOfStep(step), status: 'False', reason: 'ReconcileError', message: `step ${step}: ${describeKubeError(failure)}` });
    }
    await this.writeStatus(cluster, state);
    if (failure) throw failure;
    return result;
  };

  private async step(name: StepName, cluster: BusinessCluster, state: PassState, fn: () => Promise<void>): Promise<void> {
    await fn();
    state.completedSteps.push(name);
    await this.rt.afterStep?.(name, cluster);
  }

  private async runSteps(c: BusinessCluster, state: PassState): Promise<ReconcileResult | void> {
    const wait = this.rt.waitRequeueMs ?? 5000;
    const ns = c.metadata.namespace ?? 'default';
    const spec = specOf(c);
    const cond = (type: ConditionType, status: 'True' | 'False', reason: string, message?: string) => state.conditions.push({ type, status, reason, message });

    // 1. Catalog: the version must be Supported or Preview; otherwise say which ones exist.
    let catalog: KubernetesVersion[] = [];
    let target!: KubernetesVersionSpec;
    await this.step('catalog', c, state, async () => {
      catalog = await listObjects<KubernetesVersion & KubernetesObject>(makeObjectApi(this.rt.kc), API, 'KubernetesVersion');
      const verdict = checkCatalog(c.spec.version, catalog);
      if (!verdict.ok) throw new StopPass({ type: 'CatalogValid', status: 'False', reason: verdict.reason, message: verdict.message }, undefined);
      target = verdict.release;
      cond('CatalogValid', 'True', 'VersionAvailable', `${c.spec.version} is ${target.state ?? 'Supported'}`);
    });

    // 2. Network ranges, checked before anything is created so a bad spec leaves nothing behind.
    await this.step('network', c, state, async () => {
      const net = checkNetwork(spec.network);
      if (net.problems.length) throw new StopPass({ type: 'NetworkValid', status: 'False', reason: 'InvalidNetwork', message: net.problems.map((p) => p.message).join('; ') }, undefined);
      cond('NetworkValid', 'True', 'RangesValid');
    });
    const dnsServiceIP = serviceAddresses(checkNetwork(spec.network).service!).dns;

    // Live control-plane Deployments decide the version each component runs in this pass.
    const deployments = {
      apiServer: await this.readDeployment(c, names.apiServer(c.metadata.name)),
      controllerManager: await this.readDeployment(c, names.controllerManager(c.metadata.name)),
      scheduler: await this.readDeployment(c, names.scheduler(c.metadata.name)),
    };
    const controllersLive: LiveComponent = {
      version: deployments.controllerManager.version ?? deployments.scheduler.version,
      rolledOut: deployments.controllerManager.rolledOut && deployments.scheduler.rolledOut,
    };
    const plan = planVersions(c.spec.version, deployments.apiServer, controllersLive, catalog);
    if (!plan.ok) {
      // Keep running what runs: nothing is rendered for a refused version change.
      throw new StopPass({ type: 'CatalogValid', status: 'False', reason: plan.reason, message: plan.message }, undefined);
    }
    state.planned = true;
    if (plan.upgrading) state.status.upgrade = { from: deployments.apiServer.version ?? plan.apiServer, to: c.spec.version, ...(plan.step ? { step: plan.step } : {}) };
    const releaseOf = (v: string) => catalog.find((k) => k.spec.version === v)?.spec ?? target;
    const releases = { apiServer: releaseOf(plan.apiServer), controllerManager: releaseOf(plan.controllers), scheduler: releaseOf(plan.controllers) };

    // 3. etcd: a dedicated EtcdCluster, or a shared one with this cluster's own prefix. Wait until Available.
    let etcdServers = '';
    let etcdCA!: { certPem: string; keyPem: string };
    const prefix = etcdPrefix(c);
    await this.step('etcd', c, state, async () => {
      let etcd: EtcdCluster | undefined;
      if (c.spec.etcd.managed) {
        etcd = (await this.metaApplier.ensure(renderManagedEtcd(c, target.etcd.recommendedVersion) as unknown as KubernetesObject)) as unknown as EtcdCluster;
      } else {
        const ref = c.spec.etcd.clusterRef!.name;
        etcd = await this.metaApplier.read<EtcdCluster & KubernetesObject>({ apiVersion: API, kind: 'EtcdCluster', metadata: { name: ref, namespace: ns } });
        if (!etcd) {
          throw new StopPass({ type: 'EtcdReady', status: 'False', reason: 'EtcdClusterNotFound', message: `EtcdCluster ${ns}/${ref} (spec.etcd.clusterRef) does not exist` }, wait * 4);
        }
        // Shared etcd: the cluster's keys must be removed from it on deletion (garbage collection can't).
        await this.ensureFinalizer(c);
      }
      const etcdName = etcd.metadata.name;
      const available = findCondition(etcd.status?.conditions, 'Available');
      if (available?.status !== 'True') {
        throw new StopPass({ type: 'EtcdReady', status: 'False', reason: 'EtcdNotAvailable', message: `EtcdCluster ${ns}/${etcdName} is not Available yet${available?.message ? `: ${available.message}` : ''}` }, wait);
      }
      const running = etcd.status?.currentVersion;
      if (running && !atLeast(running, target.etcd.minVersion)) {
        throw new StopPass({ type: 'EtcdReady', status: 'False', reason: 'EtcdVersionTooOld', message: `EtcdCluster ${ns}/${etcdName} runs etcd ${running}; ${c.spec.version} needs ${target.etcd.minVersion} or newer` }, undefined);
      }
      const ca = await this.etcdCA(etcd);
      if (!ca) {
        const caName = etcd.status?.caSecretName ?? caSecretName({ name: etcdName, namespace: ns });
        throw new StopPass({ type: 'EtcdReady', status: 'False', reason: 'EtcdCANotFound', message: `Secret ${ns}/${caName} with the CA of EtcdCluster ${etcdName} (tls.crt, tls.key) is missing` }, wait);
      }
      etcdCA = ca;
      etcdServers = etcd.status?.clientEndpoint ?? clientEndpoint({ name: etcdName, namespace: ns });
      state.status.etcdPrefix = prefix;
      cond('EtcdReady', 'True', 'EtcdAvailable', `EtcdCluster ${etcdName}, prefix ${prefix}`);
    });

    // 4. The apiserver Service first: its ClusterIP and the host endpoint go into the serving certificate.
    let service!: V1Service;
    let endpoint = '';
    let nodeEndpoint = '';
    await this.step('apiserver-service', c, state, async () => {
      const type = await this.serviceType(c);
      try {
        service = (await this.metaApplier.ensure(renderAPIServerService({ cluster: c, serviceType: type }) as KubernetesObject)) as V1Service;
      } catch (e) {
        const err = toKubeApiError(e);
        if (err.statusCode === 422) {
          throw new StopPass({ type: 'APIServerAvailable', status: 'False', reason: 'ServiceRejected', message: `Service ${names.apiServer(c.metadata.name)}: ${err.message}` }, undefined);
        }
        throw e;
      }
      const ep = await this.hostEndpoint(c, service);
      if (!ep) throw new StopPass({ type: 'APIServerAvailable', status: 'False', reason: 'LoadBalancerPending', message: 'waiting for the meta cluster to assign a load-balancer address' }, wait);
      endpoint = ep;
      nodeEndpoint = (this.rt.nodesUseServiceEndpoint ? await this.serviceEndpoint(service) : undefined) ?? ep;
      state.status.endpoint = endpoint;
    });

    // 5. PKI.
    let pki!: Awaited<ReturnType<typeof ensurePKI>>;
    await this.step('pki', c, state, async () => {
      pki = await ensurePKI({ cluster: c, applier: this.metaApplier, facts: { serviceClusterIP: service.spec?.clusterIP, hostEndpoint: endpoint, nodeEndpoint }, etcdCA, now: this.rt.now?.() });
      for (const i of pki.issued) this.log.info(`${keyOf(c)}: issued ${i.secret} (${i.reason})`);
      state.status.kubeconfigSecretName = pki.adminKubeconfigSecret;
      cond('CertificatesReady', 'True', 'CertificatesValid');
    });

    const kubernetesEndpoint = this.rt.nodesUseServiceEndpoint ? ipEndpoint(nodeEndpoint) : undefined;
    const inputs = { cluster: c, releases, etcd: { servers: etcdServers, prefix }, serviceType: (service.spec?.type ?? 'ClusterIP') as ServiceType, secretHashes: pki.secretHashes, kubernetesEndpoint };

    // 6. kube-apiserver.
    let apiLive!: LiveDeployment;
    await this.step('apiserver', c, state, async () => {
      apiLive = summarize(await this.metaApplier.ensure(renderAPIServerDeployment(inputs) as KubernetesObject));
    });

    // 7. controller-manager and scheduler (they follow the apiserver's version once it has rolled out).
    let kcmLive!: LiveDeployment;
    let schedLive!: LiveDeployment;
    await this.step('controllers', c, state, async () => {
      kcmLive = summarize(await this.metaApplier.ensure(renderControllerManagerDeployment(inputs) as KubernetesObject));
      schedLive = summarize(await this.metaApplier.ensure(renderSchedulerDeployment(inputs) as KubernetesObject));
    });
    state.status.components = [
      { name: 'kube-apiserver', ...apiLive.counts, ...(apiLive.version ? { version: apiLive.version } : {}) },
      { name: 'kube-controller-manager', ...kcmLive.counts, ...(kcmLive.version ? { version: kcmLive.version } : {}) },
      { name: 'kube-scheduler', ...schedLive.counts, ...(schedLive.version ? { version: schedLive.version } : {}) },
    ];
    const allRolledOut = apiLive.rolledOut && kcmLive.rolledOut && schedLive.rolledOut;
    // The version the whole control plane runs; while it is mixed, the last one it fully ran stays.
    if (allRolledOut && apiLive.version === kcmLive.version && kcmLive.version === schedLive.version) state.status.version = apiLive.version;
    const apiReady = (apiLive.counts.readyReplicas ?? 0) >= 1;
    // A pod that cannot start says why in its own words (ErrImagePull, CrashLoopBackOff, …): the condition
    // carries that reason and message instead of a bare count. Only listed while something is not ready.
    const trouble = allRolledOut && apiReady ? undefined : describePodProblems(podProblems(await this.controlPlanePods(c)));
    cond(
      'ControlPlaneReady',
      allRolledOut ? 'True' : 'False',
      allRolledOut ? 'ComponentsReady' : plan.upgrading ? 'Upgrading' : trouble?.reason ?? 'ComponentsNotReady',
      allRolledOut
        ? undefined
        : [state.status.components.filter((x) => (x.readyReplicas ?? 0) < (x.replicas ?? 1)).map((x) => `${x.name} ${x.readyReplicas ?? 0}/${x.replicas ?? 1} ready`).join(', ') || plan.step, trouble?.message]
            .filter(Boolean)
            .join('; '),
    );
    if (!apiReady) {
      // The Deployment informer wakes this cluster when a pod becomes ready; the requeue is only a safety net
      // (at 5 s, 100 waiting clusters asked for 20 passes a second: the reconcile bench).
      const base = `no ready kube-apiserver pod yet (Deployment ${names.apiServer(c.metadata.name)})`;
      throw new StopPass({ type: 'APIServerAvailable', status: 'False', reason: trouble?.reason ?? 'APIServerNotReady', message: trouble ? `${base}: ${trouble.message}` : base }, wait * 6);
    }
    cond('APIServerAvailable', 'True', 'APIServerReady', `${apiLive.counts.readyReplicas} ready at ${endpoint}`);

    // 8. Inside the business cluster: what `kubeadm join` needs, then the addons.
    let business!: Applier;
    await this.step('cluster-bootstrap', c, state, async () => {
      business = await this.businessApplier(c, pki.adminKubeconfigSecret);
      try {
        for (const obj of renderBootstrapObjects({ cluster: c, version: plan.apiServer, endpoint: nodeEndpoint, kubernetesEndpoint, caPem: pki.caPem, dnsServiceIP, etcdServers })) {
          await business.ensure(obj as KubernetesObject);
        }
      } catch (e) {
        throw new StopPass({ type: 'AddonsReady', status: 'False', reason: 'APIServerUnreachable', message: `bootstrap objects in the business cluster: ${describeKubeError(e)}` }, wait);
      } finally {
        this.businessWrites += business.writes;
        business.writes = 0;
      }
    });

    await this.step('addons', c, state, async () => {
      const facts: AddonFacts = {
        cluster: {
          name: c.metadata.name, namespace: ns, version: plan.apiServer, endpoint: nodeEndpoint,
          serviceCIDR: spec.network.serviceCIDR, podCIDR: spec.network.podCIDR, dnsDomain: spec.network.dnsDomain,
          dnsServiceIP, kubernetesServiceIP: serviceAddresses(checkNetwork(spec.network).service!).kubernetes,
        },
        images: releases.apiServer.images,
      };
      const results: NonNullable<BusinessClusterStatus['addons']> = [];
      const problems: string[] = [];
      // Everything is rendered and checked before the first object is applied: a bad parameter leaves nothing behind.
      const renderings: AddonRendering[] = [];
      const versions = new Map<string, string>();
      for (const ref of c.spec.addons ?? []) {
        try {
          const def = await this.metaApplier.read<Addon & KubernetesObject>({ apiVersion: API, kind: 'Addon', metadata: { name: ref.name } });
          if (!def) throw new AddonError(ref.name, `addon ${ref.name}: no Addon definition named ${ref.name} (import it with \`kokpit addons import\`)`, 'AddonNotFound');
          if (ref.version && ref.version !== def.spec.version) throw new AddonError(ref.name, `addon ${ref.name}: version ${ref.version} requested, the definition is ${def.spec.version}`, 'AddonNotFound');
          const objects = renderAddon(def, facts, resolveParameters(def, ref.parameters as Record<string, unknown> | undefined));
          renderings.push({ name: ref.name, objects: objects as KubernetesObject[] });
          versions.set(ref.name, def.spec.version);
        } catch (e) {
          const msg = e instanceof AddonError ? e.message : `addon ${ref.name}: ${describeKubeError(e)}`;
          problems.push(msg);
          results.push({ name: ref.name, ready: false, message: msg });
          renderings.push({ name: ref.name }); // keeps what it applied before: nothing of it is pruned
        }
      }
      try {
        // Applies, and deletes what no addon renders any more (addons removed from spec included).
        const sync = await syncAddonObjects(business, renderings);
        for (const r of renderings) {
          if (!r.objects) continue;
          const err = sync.applyErrors.get(r.name);
          if (err === undefined) results.push({ name: r.name, version: versions.get(r.name), ready: true });
          else {
            const msg = `addon ${r.name}: ${describeKubeError(err)}`;
            problems.push(msg);
            results.push({ name: r.name, ready: false, message: msg });
          }
        }
        for (const d of sync.deleted) this.log.info(`${keyOf(c)}: pruned ${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name} (no longer rendered by any addon)`);
        problems.push(...sync.pruneProblems);
      } finally {
        this.businessWrites += business.writes;
        business.writes = 0;
      }
      // Status lists addons in spec order.
      const order = new Map((c.spec.addons ?? []).map((a, i) => [a.name, i]));
      results.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
      state.status.addons = results;
      if (problems.length) throw new StopPass({ type: 'AddonsReady', status: 'False', reason: 'AddonFailed', message: problems.join('; ') }, wait * 6);
      cond('AddonsReady', 'True', 'AddonsApplied', results.length ? `${results.length} applied` : 'no addons');
    });

    if (!allRolledOut || plan.upgrading) return { requeueAfterMs: wait };
  }

  /** The control-plane pods of a business cluster in the meta cluster (apiserver, controller-manager, scheduler). */
  private async controlPlanePods(c: BusinessCluster): Promise<V1Pod[]> {
    try {
      const list = await this.core.listNamespacedPod({ namespace: c.metadata.namespace ?? 'default', labelSelector: `kokpit.dev/cluster=${c.metadata.name},kokpit.dev/component in (apiserver,controller-manager,scheduler)` });
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
    const caSecret = await this.metaApplier.read<KubernetesObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: caName, namespace: ns } });
    const pem = (k: string) => (caSecret?.data?.[k] ? Buffer.from(caSecret.data[k], 'base64').toString('utf8') : undefined);
    const certPem = pem('tls.crt') ?? pem('ca.crt');
    const keyPem = pem('tls.key') ?? pem('ca.key');
    return certPem && keyPem ? { certPem, keyPem } : undefined;
  }

  private async readDeployment(c: BusinessCluster, name: string): Promise<LiveComponent> {
    const d = await this.metaApplier.read<KubernetesObject>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: c.metadata.namespace } });
    if (!d) return { version: undefined, rolledOut: false };
    const s = summarize(d);
    return { version: s.version, rolledOut: s.rolledOut };
  }

  private async serviceType(c: BusinessCluster): Promise<ServiceType> {
    const wanted = specOf(c).apiServer.service.type;
    if (wanted !== 'Auto') return wanted;
    // Sticky: once a Service exists, Auto keeps its type (changing it would move the endpoint).
    const live = await this.metaApplier.read<V1Service & KubernetesObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: names.apiServer(c.metadata.name), namespace: c.metadata.namespace } });
    if (live?.spec?.type === 'LoadBalancer' || live?.spec?.type === 'NodePort') return live.spec.type;
    if (this.rt.autoServiceType) return this.rt.autoServiceType();
    const now = Date.now();
    if (!this.autoTypeCache || now - this.autoTypeCache.at > 60_000) this.autoTypeCache = { at: now, value: await this.detectLoadBalancer() };
    return this.autoTypeCache.value;
  }

  /** A meta cluster "assigns load balancers" when some LoadBalancer Service already got an address, or MetalLB is installed. */
  private async detectLoadBalancer(): Promise<'LoadBalancer' | 'NodePort'> {
    const services = await this.core.listServiceForAllNamespaces();
    if (services.items.some((s) => s.spec?.type === 'LoadBalancer' && (s.status?.loadBalancer?.ingress?.length ?? 0) > 0)) return 'LoadBalancer';
    const metallb = await this.metaApplier.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'ipaddresspools.metallb.io' } });
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
      const nodes = (await this.core.listNode()).items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      return url(nodeAddress(nodes) ?? '127.0.0.1', port);
    }
    return svc.spec?.clusterIP && svc.spec.clusterIP !== 'None' ? url(svc.spec.clusterIP, APISERVER_PORT) : undefined;
  }

  private async businessApplier(c: BusinessCluster, secretName: string): Promise<Applier> {
    const secret = await this.metaApplier.read<KubernetesObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: c.metadata.namespace } });
    const yaml = secret?.data?.[KUBECONFIG_KEY] ? Buffer.from(secret.data[KUBECONFIG_KEY], 'base64').toString('utf8') : undefined;
    if (!yaml) throw new Error(`Secret ${secretName} has no ${KUBECONFIG_KEY}`);
    const kc = this.rt.businessKubeConfig?.(c, yaml) ?? loadKubeConfig({ kubeconfigYaml: yaml });
    return new Applier(makeObjectApi(kc));
  }

  private async ensureFinalizer(c: BusinessCluster): Promise<void> {
    if (await addFinalizer(makeObjectApi(this.rt.kc), { ...c, apiVersion: API, kind: 'BusinessCluster' }, FINALIZER)) this.directWrites++;
  }

  /** Deletion: everything in the meta cluster goes with owner references; only a shared etcd's keys need us. */
  private async finalize(c: BusinessCluster): Promise<ReconcileResult | void> {
    if (!c.metadata.finalizers?.includes(FINALIZER)) return;
    const ns = c.metadata.namespace ?? 'default';
    // Stop the control plane first: an apiserver still running would write keys after the cleanup.
    for (const name of [names.apiServer(c.metadata.name), names.controllerManager(c.metadata.name), names.scheduler(c.metadata.name)]) {
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns } };
      if (await this.metaApplier.read(ref)) {
        this.directWrites++;
        await deleteObject(makeObjectApi(this.rt.kc), ref, { propagationPolicy: 'Background' });
      }
    }
    const pods = await this.core.listNamespacedPod({ namespace: ns, labelSelector: `kokpit.dev/cluster=${c.metadata.name},kokpit.dev/component` });
    if (pods.items.length) {
      this.log.info(`${keyOf(c)}: waiting for ${pods.items.length} control-plane pod(s) to stop before removing its etcd keys`);
      return { requeueAfterMs: this.rt.waitRequeueMs ?? 5000 };
    }
    const ref = c.spec.etcd.clusterRef?.name;
    const etcd = ref ? await this.metaApplier.read<EtcdCluster & KubernetesObject>({ apiVersion: API, kind: 'EtcdCluster', metadata: { name: ref, namespace: ns } }) : undefined;
    const ca = etcd ? await this.etcdCA(etcd) : undefined;
    if (etcd && ca) {
      // A fresh client certificate from the etcd CA: the cluster's own may already be garbage-collected
      // (foreground deletion removes dependents before the owner's finalizers run).
      const client = await issueCert(ca, { commonName: 'kokpit-etcd-prefix-cleanup', usages: ['client'], validDays: 1 });
      const servers = (etcd.status?.clientEndpoint ?? clientEndpoint({ name: etcd.metadata.name, namespace: ns })).split(',');
      const deleted = await deleteEtcdPrefix(servers, etcdPrefix(c), { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });
      this.log.info(`${keyOf(c)}: deleted ${deleted} keys under ${etcdPrefix(c)} in EtcdCluster ${etcd.metadata.name}`);
    } else {
      // Without the etcd cluster or its CA nothing can be reached: don't block deletion forever.
      this.log.warn(`${keyOf(c)}: EtcdCluster ${ref} or its CA is gone; keys under ${etcdPrefix(c)} cannot be removed`);
    }
    if (await removeFinalizer(makeObjectApi(this.rt.kc), { ...c, apiVersion: API, kind: 'BusinessCluster' }, FINALIZER)) this.directWrites++;
  }

  private async writeStatus(c: BusinessCluster, state: PassState): Promise<void> {
    const now = this.rt.now?.() ?? new Date();
    const prev = c.status ?? {};
    const full = state.completedSteps.length === STEPS.length;
    // Conditions no step reached this pass: Unknown, saying what they wait for.
    const reached = new Set(state.conditions.map((x) => x.type));
    const blocker = state.conditions.find((x) => x.status !== 'True');
    const pending: ConditionInput[] = (['CatalogValid', 'NetworkValid', 'EtcdReady', 'CertificatesReady', 'APIServerAvailable', 'ControlPlaneReady', 'AddonsReady'] as const)
      .filter((t) => !reached.has(t))
      .map((t) => ({ type: t, status: 'Unknown', reason: 'Waiting', message: blocker ? `waiting for ${blocker.type}` : undefined }));
    const all = [...state.conditions, ...pending];
    const ready = all.every((x) => x.status === 'True');
    all.push(ready ? { type: 'Ready', status: 'True', reason: 'ClusterReady' } : { type: 'Ready', status: 'False', reason: blocker?.reason ?? 'NotReady', message: blocker?.message });
    const conditions = mergeConditions(prev.conditions, all, c.metadata.generation, now);

    const specError = blocker && ['CatalogValid', 'NetworkValid'].includes(blocker.type);
    const everRan = !!(state.status.components ?? prev.components)?.some((x) => x.version);
    const upgrade = state.planned ? state.status.upgrade : prev.upgrade;
    // The plan stops calling it an upgrade once every template has the target version; until the new
    // pods are ready the cluster is still finishing that upgrade, not provisioning.
    const lastVersion = state.status.version ?? prev.version;
    const finishingUpgrade = !ready && (prev.phase === 'Upgrading' || (lastVersion !== undefined && compareVersions(lastVersion, c.spec.version) < 0));
    const phase: BusinessClusterStatus['phase'] = upgrade || finishingUpgrade
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
        endpoint: prev.endpoint, kubeconfigSecretName: prev.kubeconfigSecretName, etcdPrefix: prev.etcdPrefix,
        components: prev.components, addons: prev.addons, version: prev.version,
      }),
      ...pickDefined(state.status),
      phase,
      conditions,
      ...(full ? { observedGeneration: c.metadata.generation } : prev.observedGeneration !== undefined ? { observedGeneration: prev.observedGeneration } : {}),
    };
    if (upgrade) status.upgrade = upgrade;
    if (JSON.stringify(canonical(status)) === JSON.stringify(canonical(prev))) return;
    this.directWrites++;
    await applyStatus(this.rt.kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: c.metadata.name, namespace: c.metadata.namespace } }, PLURAL, status);
    await this.recordEvents(c, prev.conditions ?? [], conditions);
  }

  /** One Event per condition that newly turned False with a new reason: the precise message users see in `kubectl describe`. */
  private async recordEvents(c: BusinessCluster, before: BusinessClusterStatus['conditions'] & object, after: BusinessClusterStatus['conditions'] & object): Promise<void> {
    for (const cnd of after) {
      if (cnd.status !== 'False' || cnd.type === 'Ready' || cnd.reason === 'ReconcileError') continue;
      const old = before.find((b) => b.type === cnd.type);
      if (old && old.status === cnd.status && old.reason === cnd.reason) continue;
      try {
        this.eventWrites++;
        await this.core.createNamespacedEvent({
          namespace: c.metadata.namespace ?? 'default',
          body: {
            metadata: { generateName: `${c.metadata.name}.`, namespace: c.metadata.namespace },
            involvedObject: { apiVersion: API, kind: 'BusinessCluster', name: c.metadata.name, namespace: c.metadata.namespace, uid: c.metadata.uid },
            type: 'Warning',
            reason: cnd.reason,
            message: cnd.message ?? cnd.type,
            source: { component: 'kokpit-cluster-operator' },
            reportingComponent: 'kokpit.dev/cluster-operator',
            firstTimestamp: new Date(),
            lastTimestamp: new Date(),
            count: 1,
          },
        });
      } catch (e) {
        this.log.warn(`${keyOf(c)}: recording event ${cnd.reason}: ${describeKubeError(e)}`);
      }
    }
  }
}

interface LiveDeployment {
  version?: string;
  rolledOut: boolean;
  counts: { replicas: number; readyReplicas: number };
}

function summarize(d: KubernetesObject): LiveDeployment {
  const o = d as KubernetesObject & { spec?: { replicas?: number }; status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number } };
  const want = o.spec?.replicas ?? 1;
  const st = o.status ?? {};
  const rolledOut =
    (st.observedGeneration ?? 0) >= (o.metadata?.generation ?? 1) &&
    (st.updatedReplicas ?? 0) >= want &&
    (st.readyReplicas ?? 0) >= want &&
    (st.replicas ?? 0) === want; // no old pods left
  return { version: o.metadata?.labels?.[VERSION_LABEL], rolledOut, counts: { replicas: want, readyReplicas: st.readyReplicas ?? 0 } };
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

function conditionOfStep(step: StepName | undefined): ConditionType {
  switch (step) {
    case 'catalog': return 'CatalogValid';
    case 'network': return 'NetworkValid';
    case 'etcd': return 'EtcdReady';
    case 'apiserver-service': case 'apiserver': return 'APIServerAvailable';
    case 'pki': return 'CertificatesReady';
    case 'controllers': return 'ControlPlaneReady';
    default: return 'AddonsReady';
  }
}

function atLeast(version: string, min: string): boolean {
  const p = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [a, b] = [p(version), p(min)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

function pickDefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

