// The multicluster reconciler: every BusinessCluster (unless spec.multicluster.register is false) becomes an OCM
// ManagedCluster on the hub in the meta cluster, with its agent hosted there and a kubeconfig for the business
// cluster of its own (credential.ts: a client certificate from the cluster's CA, bound in the business cluster to the
// RBAC OCM gives its agent; the admin kubeconfig stays with this operator). kokpit creates both sides, so the
// ManagedCluster is accepted (hubAcceptsClient) and the hub auto-approves the agent's certificate request
// (render/hub.ts). A finalizer detaches the cluster before the cluster operator tears it down (it waits for this
// finalizer): the ManagedCluster first, while its agent removes or orphans what the works applied (detach.ts), then
// agent, credentials, their RBAC and hub namespace.
import {
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  CustomObjectsApi,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Secret,
} from '@kubernetes/client-node';
import type { BusinessCluster, Condition } from '../../api';
import { splitKey, silentLogger, type Logger, type ReconcileResult } from '../../controller/reconciler';
import { applyRawCRD, makeObjectApi, readObject, toKubeApiError } from '../../kube';
import {
  addFinalizer,
  Applier,
  contentHash,
  removeFinalizer,
  runSteps,
  setCondition,
  StopPass,
  type ConditionInput,
  type Step,
} from '../../kit';
import { AGENT_NAMESPACE, agentNames, CONDITION, FIELD_MANAGER, FINALIZER, managedClusterName } from './names';
import { multiclusterOf, renderAgent, renderClusterSet, renderManagedCluster, type ManagedClusterObject } from './render/agent';
import { crdObjects } from './render/hub';
import { decideDetach } from './detach';
import { heldByImport, orphanWorks, worksLeft } from './import';
import { agentRBACInEffect, ensureAgentCredential } from './credential';
import { AGENT_GROUP, agentUser, renderAgentRBAC } from './render/credential';

const API = 'kokpit.dev/v1alpha1';
const KUBECONFIG_KEY = 'value'; // the cluster operator's kubeconfig Secrets (operators/cluster/names.ts)
/** An apply of a kind the API server does not serve (reads of it find nothing): here, OCM's CRDs are not installed. */
const NOT_SERVED = /HTTP 404: 404 page not found|Unrecognized API version and kind/;
const MC_REF = (name: string) => ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name } });

export interface MulticlusterRuntime {
  kc: KubeConfig;
  /** CRD files the agent needs in each business cluster (config/ocm/managed). */
  managedCRDs: string[];
  /** OCM's RBAC files for its agent in a managed cluster (config/ocm/managed-rbac). */
  managedRBAC: string[];
  log?: Logger;
  /** How often to look at a cluster's ManagedCluster while it is not Available, and when it is. */
  pollMs?: { waiting: number; steady: number };
  /** How long a detach waits for the agent to clear the cluster's ManifestWorks before it orphans them (default 5 min). */
  detachTimeoutMs?: number;
  /**
   * Where a cluster's hosted agent reaches its business apiserver. Default: the admin kubeconfig's address (the sandbox's
   * pods are local processes and reach it as this operator does); a kind meta cluster's pods cannot reach the host's
   * 127.0.0.1:<hostPort>, so there the apiserver Service's in-cluster name (which its serving certificate covers).
   */
  agentServer?: (c: BusinessCluster) => string | undefined;
}

interface Pass {
  c: BusinessCluster & KubernetesObject;
  mc: string;
  /** The admin kubeconfig: this operator's own access to the business cluster (CRDs, RBAC), never the agent's. */
  kubeconfig?: string;
  /** The agent's own kubeconfig (credential step). */
  agentKubeconfig?: string;
  managed?: ManagedClusterObject;
}

const stop = (reason: string, message: string, ms: number, status: 'False' | 'Unknown' = 'False') =>
  new StopPass({ type: CONDITION, status, reason, message }, ms);

export class MulticlusterReconciler {
  private readonly objects;
  private readonly applier;
  private readonly log: Logger;
  private readonly poll: { waiting: number; steady: number };
  private readonly detachTimeoutMs: number;
  /** Business clusters (uid + kubeconfig hash) whose CRDs, and whose agent RBAC, were applied by this process. */
  private readonly crdsDone = new Set<string>();
  private readonly rbacDone = new Set<string>();
  private readonly steps: Step<Pass>[] = [
    { name: 'finalizer', condition: CONDITION, run: (p) => this.finalizer(p) },
    { name: 'kubeconfig', condition: CONDITION, run: (p) => this.kubeconfig(p) },
    { name: 'managed-crds', condition: CONDITION, run: (p) => this.managedCRDs(p) },
    { name: 'managed-cluster', condition: CONDITION, run: (p) => this.managedCluster(p) },
    // After managed-cluster, which refuses a name an import holds: such a cluster gets no agent, so no RBAC either.
    { name: 'agent-rbac', condition: CONDITION, run: (p) => this.agentRBAC(p) },
    { name: 'credential', condition: CONDITION, run: (p) => this.credential(p) },
    { name: 'agent', condition: CONDITION, run: (p) => this.agent(p) },
    { name: 'joined', condition: CONDITION, run: (p) => this.joined(p) },
  ];

  constructor(private readonly rt: MulticlusterRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.applier = new Applier(this.objects);
    this.log = rt.log ?? silentLogger;
    this.poll = rt.pollMs ?? { waiting: 2000, steady: 30_000 };
    this.detachTimeoutMs = rt.detachTimeoutMs ?? 300_000;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const c = await readObject<BusinessCluster & KubernetesObject>(this.objects, {
      apiVersion: API,
      kind: 'BusinessCluster',
      metadata: { name, namespace },
    });
    if (!c) return;
    const p: Pass = { c, mc: managedClusterName(namespace ?? 'default', name) };
    if (c.metadata.deletionTimestamp || !multiclusterOf(c).register) return this.detach(p);
    const res = await runSteps(this.steps, p);
    const cond: ConditionInput = res.stopped?.stop.condition ?? {
      type: CONDITION,
      status: 'True',
      reason: 'Available',
      message: `ManagedCluster ${p.mc} is Joined and Available`,
    };
    await this.writeCondition(c, cond);
    return { requeueAfterMs: res.stopped?.stop.requeueAfterMs ?? this.poll.steady };
  }

  private async finalizer(p: Pass): Promise<void> {
    await addFinalizer(this.objects, p.c, FINALIZER);
  }

  /** The business cluster's admin kubeconfig, once the cluster operator has written it (for this operator only). */
  private async kubeconfig(p: Pass): Promise<void> {
    p.kubeconfig = await this.adminKubeconfig(p.c);
    if (!p.kubeconfig)
      throw stop('WaitingForKubeconfig', 'waiting for the cluster operator to write the admin kubeconfig', this.poll.waiting);
  }

  private async adminKubeconfig(c: BusinessCluster): Promise<string | undefined> {
    const secretName = c.status?.kubeconfigSecretName;
    const secret = secretName
      ? await this.applier.read<V1Secret & KubernetesObject>({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, namespace: c.metadata.namespace },
        })
      : undefined;
    const value = secret?.data?.[KUBECONFIG_KEY];
    return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  }

  /** AppliedManifestWork, ClusterClaim and ClusterProperty in the business cluster (once per kubeconfig and process). */
  private async managedCRDs(p: Pass): Promise<void> {
    await this.onceInBusiness(p, this.crdsDone, "installing OCM's agent CRDs", async (kc) => {
      for (const crd of crdObjects(this.rt.managedCRDs)) await applyRawCRD(kc, crd as V1CustomResourceDefinition);
    });
  }

  /**
   * OCM's agent ClusterRoles in the business cluster, bound to the agent's own user (once per kubeconfig and process),
   * and in effect before the agent starts (agentRBACInEffect says why).
   */
  private async agentRBAC(p: Pass): Promise<void> {
    await this.onceInBusiness(p, this.rbacDone, "applying the OCM agent's RBAC", async (kc) => {
      const business = new Applier(makeObjectApi(kc));
      for (const o of renderAgentRBAC(this.rt.managedRBAC, p.mc)) await business.ensure(o);
      if (!(await agentRBACInEffect(kc, agentUser(p.mc), [AGENT_GROUP])))
        throw stop(
          'WaitingForAgentRBAC',
          `the OCM agent's RBAC is not in effect yet: ${agentUser(p.mc)} may not get configmaps (the built-in admin role ` +
            "gets its rules from the business cluster's controller-manager)",
          this.poll.waiting,
        );
    });
  }

  /** `work` through the admin kubeconfig, once per business cluster, kubeconfig and process; a failure stops the pass. */
  private async onceInBusiness(p: Pass, done: Set<string>, what: string, work: (kc: KubeConfig) => Promise<void>): Promise<void> {
    const key = `${p.c.metadata.uid}/${contentHash(p.kubeconfig)}`;
    if (done.has(key)) return;
    const kc = new KubeConfig();
    kc.loadFromString(p.kubeconfig!);
    try {
      await work(kc);
    } catch (e) {
      if (e instanceof StopPass) throw e;
      throw stop('BusinessClusterUnreachable', `${what}: ${e instanceof Error ? e.message : String(e)}`, this.poll.waiting);
    }
    done.add(key);
  }

  /** The agent's own kubeconfig: issued from the business cluster's CA when missing, changed or ten days from expiry. */
  private async credential(p: Pass): Promise<void> {
    const r = await ensureAgentCredential({
      applier: this.applier,
      namespace: p.c.metadata.namespace!,
      cluster: p.c.metadata.name,
      mc: p.mc,
      adminKubeconfig: p.kubeconfig!,
      server: this.rt.agentServer?.(p.c),
    });
    if ('waiting' in r) throw stop('WaitingForCertificateAuthority', r.waiting, this.poll.waiting);
    if (r.issued)
      this.log.info(`BusinessCluster ${p.c.metadata.namespace}/${p.c.metadata.name}: OCM agent credential issued (${r.issued})`);
    p.agentKubeconfig = r.kubeconfig;
  }

  private async managedCluster(p: Pass): Promise<void> {
    if (await heldByImport(this.applier, p.mc))
      throw stop(
        'NameTaken',
        `ManagedCluster ${p.mc} is a cluster imported by kokpit register: rename this BusinessCluster`,
        this.poll.steady,
      );
    try {
      const set = multiclusterOf(p.c).clusterSet;
      if (set && !(await this.applier.read(renderClusterSet(set)))) await this.applier.ensure(renderClusterSet(set));
      p.managed = await this.applier.ensure(renderManagedCluster(p.c));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (NOT_SERVED.test(message))
        throw stop(
          'HubNotInstalled',
          `the OCM hub is not installed in the meta cluster (kokpit up --with-ocm): ${message}`,
          this.poll.steady, // installing it takes a person: no need to try every few seconds
        );
      throw e;
    }
  }

  /** The agent's Deployment; a new credential rolls its pod (the hash), which reads the Secret the credential step wrote. */
  private async agent(p: Pass): Promise<void> {
    const lease = multiclusterOf(p.c).leaseDurationSeconds;
    await this.applier.ensure(renderAgent(p.mc, contentHash(p.agentKubeconfig), lease) as KubernetesObject);
  }

  /** OCM's own conditions on the ManagedCluster, mirrored: Joined, then Available. */
  private async joined(p: Pass): Promise<void> {
    const conds = p.managed?.status?.conditions ?? [];
    const joined = conds.find((x) => x.type === 'ManagedClusterJoined');
    const available = conds.find((x) => x.type === 'ManagedClusterConditionAvailable');
    if (joined?.status !== 'True')
      throw stop(
        'Joining',
        `ManagedCluster ${p.mc}: waiting for its hosted agent to join${joined?.message ? ` (${joined.message})` : ''}`,
        this.poll.waiting,
      );
    if (available?.status !== 'True') {
      const status = available?.status === 'False' ? 'False' : 'Unknown';
      throw stop(
        available?.reason ?? 'NotAvailable',
        `ManagedCluster ${p.mc} is Joined, Available=${available?.status ?? 'Unknown'}: ${available?.message ?? ''}`,
        this.poll.waiting,
        status,
      );
    }
  }

  /**
   * Deletion or register: false (the order is decideDetach's): the ManagedCluster first, while the agent clears its
   * works; then agent, credentials and hub namespace; then the finalizer, which lets the cluster operator stop the
   * business control plane.
   */
  private async detach(p: Pass): Promise<ReconcileResult | void> {
    if (!p.c.metadata.finalizers?.includes(FINALIZER)) return;
    // The name is an imported cluster's (the managed-cluster step refused it): nothing of this cluster's to delete.
    if (await heldByImport(this.applier, p.mc)) return this.release(p);
    const live = await this.readIfServed(MC_REF(p.mc));
    const deleting = live?.metadata?.deletionTimestamp;
    const action = decideDetach({
      mc: p.mc,
      managedCluster: !live ? 'absent' : deleting ? 'deleting' : 'present',
      deletingSinceMs: deleting ? new Date(deleting).getTime() : undefined,
      works: live ? (await worksLeft(this.rt.kc, p.mc).catch(() => [])).map((w) => w.metadata!.name!) : [],
      nowMs: Date.now(),
      timeoutMs: this.detachTimeoutMs,
      clusterDeleting: !!p.c.metadata.deletionTimestamp,
    });
    if (action.kind === 'remove-agent') return this.removeAgent(p);
    if (action.kind === 'delete-managed-cluster') await this.applier.delete(MC_REF(p.mc));
    if (action.kind === 'orphan-works') {
      this.log.warn(`BusinessCluster ${p.c.metadata.namespace}/${p.c.metadata.name}: ${action.condition.message}`);
      await orphanWorks(this.rt.kc, p.mc, { deletingOnly: true });
    }
    await this.writeCondition(p.c, action.condition);
    return { requeueAfterMs: this.poll.waiting };
  }

  /** The ManagedCluster is gone: its agent, credentials, their RBAC in the business cluster and hub namespace, then the finalizer. */
  private async removeAgent(p: Pass): Promise<void> {
    const n = agentNames(p.mc);
    await this.applier.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: n.deployment, namespace: AGENT_NAMESPACE } });
    for (const s of [n.managedKubeconfigSecret, n.hubKubeconfigSecret, n.bootstrapSecret])
      await this.applier.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s, namespace: AGENT_NAMESPACE } });
    await this.removeAgentRBAC(p);
    await this.applier.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: p.mc } });
    await this.release(p);
  }

  /**
   * The agent's bindings and roles in the business cluster. A cluster that leaves OCM (register: false) keeps running,
   * so a failure retries; a cluster being deleted takes them with it, so there a failure is only logged.
   */
  private async removeAgentRBAC(p: Pass): Promise<void> {
    for (const k of this.rbacDone) if (k.startsWith(`${p.c.metadata.uid}/`)) this.rbacDone.delete(k);
    const admin = await this.adminKubeconfig(p.c);
    if (!admin) return; // never got as far as the RBAC
    const kc = new KubeConfig();
    kc.loadFromString(admin);
    const business = new Applier(makeObjectApi(kc));
    try {
      for (const o of renderAgentRBAC(this.rt.managedRBAC, p.mc).reverse()) await business.delete(o);
    } catch (e) {
      if (!p.c.metadata.deletionTimestamp) throw e;
      this.log.warn(
        `BusinessCluster ${p.c.metadata.namespace}/${p.c.metadata.name}: OCM agent RBAC left (the cluster is being deleted): ${e}`,
      );
    }
  }

  /** The end of a detach: the condition (unless the cluster is going) and the finalizer. */
  private async release(p: Pass): Promise<void> {
    if (!p.c.metadata.deletionTimestamp) await this.writeCondition(p.c, undefined);
    await removeFinalizer(this.objects, p.c, FINALIZER);
  }

  /** A ManagedCluster, or undefined when there is none or OCM is not installed. */
  private async readIfServed(ref: ReturnType<typeof MC_REF>): Promise<KubernetesObject | undefined> {
    try {
      return await this.applier.read(ref);
    } catch (e) {
      if (NOT_SERVED.test(e instanceof Error ? e.message : String(e))) return undefined;
      throw e;
    }
  }

  /**
   * The ManagedCluster condition on the BusinessCluster's status, under this operator's own field manager so the
   * cluster operator's status applies keep it (and it theirs); undefined removes it. No write when unchanged.
   */
  private async writeCondition(c: BusinessCluster, cond: ConditionInput | undefined): Promise<void> {
    const live = c.status?.conditions?.find((x) => x.type === CONDITION);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const next: Condition | undefined = cond && setCondition(c.status?.conditions, { ...cond, lastTransitionTime: now } as Condition, now);
    if (
      (!cond && !live) ||
      (cond && live && live.status === cond.status && live.reason === cond.reason && (live.message ?? '') === (cond.message ?? ''))
    )
      return;
    const body = {
      apiVersion: API,
      kind: 'BusinessCluster',
      metadata: { name: c.metadata.name, namespace: c.metadata.namespace },
      status: { conditions: next ? [next] : [] },
    };
    try {
      await this.rt.kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
        {
          group: 'kokpit.dev',
          version: 'v1alpha1',
          plural: 'businessclusters',
          namespace: c.metadata.namespace!,
          name: c.metadata.name,
          body,
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (e) {
      throw toKubeApiError(e, `apply the ${CONDITION} condition of BusinessCluster ${c.metadata.namespace}/${c.metadata.name}`);
    }
  }
}
