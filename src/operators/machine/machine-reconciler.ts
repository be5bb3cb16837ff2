// Machine: brings one node of a business cluster to its final state and keeps it there.
// Steps, in order, each stopping the pass when its dependency is not there yet:
//   finalizer → components plan → business cluster reachable (kwok running) → Node registered → Node Ready.
// The kwok provider simulates the on-host part: components are recorded at their versions without
// running their scripts, and the conditions say so.
import type { KubeConfig, KubernetesObject, V1Node } from '@kubernetes/client-node';
import type { BusinessCluster, Component, ComponentSpec, Condition, Machine, MachineStatus } from '../../api';
import { TerminalError, type Logger, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { applyObject, deleteObject, describeKubeError, makeObjectApi, readObject } from '../../kube';
import { containsDesired } from '../cluster/apply';
import { planComponents, type PlannedComponent } from './components';
import { mergeConditions, type ConditionInput } from './conditions';
import { KwokUnavailableError, type ClusterConnection, type ClusterConnections } from './connections';
import { API, KUBECONFIG_KEY, MACHINE_NAME_LABEL, MACHINE_NAMESPACE_LABEL, NODE_CLEANUP_FINALIZER, adminKubeconfigSecretOf, nodeNameOf } from './names';
import { kubeletVersionOf, renderKwokNode } from './render';
import { setFinalizers, writeStatusIfChanged, type WriteCounter } from './status';

export const MACHINE_CONDITIONS = ['Provisioned', 'Joined', 'NodeReady', 'ComponentsHealthy'] as const;
type Phase = NonNullable<MachineStatus['phase']>;

export interface MachineRuntime {
  kc: KubeConfig;
  log: Logger;
  connections: ClusterConnections;
  /** Reads from the operator's informer caches (their events queue the affected machines); GETs when unset. */
  cache?: {
    component(name: string): Component | undefined;
    cluster(namespace: string, name: string): BusinessCluster | undefined;
  };
  now?: () => Date;
}

/** A Node is Ready when its Ready condition is True (kwok sets it on the nodes it manages). */
export function isNodeReady(node: V1Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Component status entries of a kwok machine: the plan, installed by simulation. */
export function simulatedComponents(plan: PlannedComponent[]): NonNullable<MachineStatus['components']> {
  return plan.map((c) => ({ name: c.name, version: c.version, healthy: true, message: 'installed (simulated by kwok: no script run)' }));
}

export class MachineReconciler {
  readonly counter: WriteCounter = { writes: 0 };
  private readonly objects;
  private readonly now: () => Date;

  constructor(private readonly rt: MachineRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.now = rt.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace = 'default', name } = splitKey(key);
    const machine = await readObject<Machine & KubernetesObject>(this.objects, { apiVersion: API, kind: 'Machine', metadata: { name, namespace } });
    if (!machine) return;
    if (machine.metadata.deletionTimestamp) return this.finalize(machine);

    if (!machine.metadata.finalizers?.includes(NODE_CLEANUP_FINALIZER)) {
      // The rest of this pass does not need the new resourceVersion (status goes through server-side apply).
      await setFinalizers(this.objects, machine, [...(machine.metadata.finalizers ?? []), NODE_CLEANUP_FINALIZER], this.counter);
    }

    // `complete`: this pass evaluated the whole spec (observedGeneration moves only then).
    const report = (phase: Phase, conditions: ConditionInput[], extra: Partial<MachineStatus> = {}, complete = false) =>
      this.writeStatus(machine, phase, conditions, extra, complete);

    // 1. Components: definitions exist, dependencies form an order.
    const defs = new Map<string, ComponentSpec>();
    for (const ref of machine.spec.components ?? []) {
      const c = this.rt.cache
        ? this.rt.cache.component(ref.name)
        : await readObject<Component & KubernetesObject>(this.objects, { apiVersion: API, kind: 'Component', metadata: { name: ref.name } });
      if (c) defs.set(ref.name, c.spec);
    }
    const plan = planComponents(machine.spec.components, defs, machine.spec.provider ?? 'kwok');
    if (!plan.ok) {
      await report(plan.terminal ? 'Failed' : 'Pending', [
        { type: 'Provisioned', status: 'False', reason: plan.reason, message: plan.message },
        { type: 'ComponentsHealthy', status: 'False', reason: plan.reason, message: plan.message },
      ], {}, plan.terminal);
      if (plan.terminal) throw new TerminalError(plan.message, plan.reason);
      return { requeueAfterMs: 30_000 };
    }

    // 2. Provider. The kind provider (containers joined with kubeadm) is a separate piece of work.
    if ((machine.spec.provider ?? 'kwok') !== 'kwok') {
      const message = `provider ${machine.spec.provider} is not implemented by this operator yet; use provider kwok`;
      await report('Failed', [{ type: 'Provisioned', status: 'False', reason: 'ProviderNotImplemented', message }], {}, true);
      throw new TerminalError(message, 'ProviderNotImplemented');
    }

    // 3. The business cluster, through the admin kubeconfig the cluster operator wrote.
    const conn = await this.connect(machine);
    if ('waiting' in conn) {
      await report(machine.status?.phase === 'Running' ? 'Repairing' : 'Pending', [{ type: 'Provisioned', status: 'False', reason: conn.reason, message: conn.waiting }]);
      return { requeueAfterMs: conn.retryMs };
    }

    // 4. The Node: registered as a kubelet would, re-created when it went away (repair).
    const nodeName = nodeNameOf(machine.metadata.name);
    let node = await readObject<V1Node>(conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
    const owner = node?.metadata?.labels;
    if (node && (owner?.[MACHINE_NAME_LABEL] !== machine.metadata.name || owner?.[MACHINE_NAMESPACE_LABEL] !== namespace)) {
      const message = `business cluster already has a Node ${nodeName} that is not this machine's; rename the machine`;
      await report('Failed', [{ type: 'Joined', status: 'False', reason: 'NodeNameTaken', message }], {}, true);
      throw new TerminalError(message, 'NodeNameTaken');
    }
    const repairing = !node && !!machine.status?.nodeName && ['Running', 'Repairing'].includes(machine.status?.phase ?? '');
    const desired = renderKwokNode(machine, plan.components);
    if (!node || !nodeMatches(node, desired)) {
      this.counter.writes++;
      node = await applyObject(conn.objects, desired);
      if (repairing) this.rt.log.info(`machine ${key}: Node ${nodeName} was gone from the business cluster; registered it again`);
    }

    const components = simulatedComponents(plan.components);
    const ready = isNodeReady(node);
    const componentsCondition: ConditionInput = {
      type: 'ComponentsHealthy', status: 'True', reason: 'SimulatedByKwok',
      message: `${plan.components.length} components recorded at their versions; install and health steps simulated by kwok (no script run)`,
    };
    const conditions: ConditionInput[] = [
      { type: 'Provisioned', status: 'True', reason: 'SimulatedByKwok', message: 'simulated by kwok: no host to provision' },
      { type: 'Joined', status: 'True', reason: 'NodeRegistered', message: `Node ${nodeName} registered in business cluster ${machine.spec.clusterRef.name}` },
      ready
        ? { type: 'NodeReady', status: 'True', reason: 'KubeletReady', message: 'Node Ready (kept by kwok)' }
        : { type: 'NodeReady', status: 'False', reason: repairing ? 'NodeRecreated' : 'WaitingForKwok', message: 'waiting for kwok to mark the Node Ready' },
      componentsCondition,
    ];
    const phase: Phase = ready ? 'Running' : repairing || machine.status?.phase === 'Repairing' ? 'Repairing' : 'Joining';
    await report(phase, conditions, {
      nodeName,
      providerID: desired.spec?.providerID,
      kubeletVersion: kubeletVersionOf(plan.components) ?? node.status?.nodeInfo?.kubeletVersion,
      components,
    }, true);
    // Readiness arrives as a Node event; the requeue is only a safety net.
    return ready ? undefined : { requeueAfterMs: 5_000 };
  }

  /** Out-of-API cleanup: the Node lives in the business cluster, where garbage collection cannot reach. */
  private async finalize(machine: Machine & KubernetesObject): Promise<ReconcileResult | void> {
    if (!machine.metadata.finalizers?.includes(NODE_CLEANUP_FINALIZER)) return;
    if (await this.writeStatus(machine, 'Deleting', [], {}, false)) {
      // The status write moved resourceVersion; the finalizer patch below is guarded by it.
      const fresh = await readObject<Machine & KubernetesObject>(this.objects, { apiVersion: API, kind: 'Machine', metadata: { name: machine.metadata.name, namespace: machine.metadata.namespace } });
      if (!fresh) return;
      machine = fresh;
    }
    const conn = await this.connect(machine);
    if ('waiting' in conn) {
      if (conn.clusterGone) {
        // The business cluster is gone, and its Nodes with it.
        this.rt.log.info(`machine ${machine.metadata.namespace}/${machine.metadata.name}: business cluster gone; nothing to clean up`);
      } else {
        return { requeueAfterMs: conn.retryMs };
      }
    } else {
      this.counter.writes++;
      await deleteObject(conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeNameOf(machine.metadata.name) } });
    }
    await setFinalizers(this.objects, machine, (machine.metadata.finalizers ?? []).filter((f) => f !== NODE_CLEANUP_FINALIZER), this.counter);
  }

  private async connect(
    machine: Machine,
  ): Promise<ClusterConnection | { waiting: string; reason: string; retryMs: number; clusterGone?: boolean }> {
    const namespace = machine.metadata.namespace ?? 'default';
    const clusterName = machine.spec.clusterRef.name;
    const cluster = this.rt.cache
      ? this.rt.cache.cluster(namespace, clusterName)
      : await readObject<BusinessCluster & KubernetesObject>(this.objects, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: clusterName, namespace } });
    if (!cluster || cluster.metadata.deletionTimestamp) {
      return { waiting: `BusinessCluster ${clusterName} not found`, reason: 'ClusterNotFound', retryMs: 30_000, clusterGone: true };
    }
    const apiAvailable = cluster.status?.conditions?.find((c) => c.type === 'APIServerAvailable')?.status === 'True';
    if (!apiAvailable) {
      return { waiting: `waiting for business cluster ${clusterName}'s API server (condition APIServerAvailable)`, reason: 'WaitingForCluster', retryMs: 10_000 };
    }
    const secretName = cluster.status?.kubeconfigSecretName ?? adminKubeconfigSecretOf(clusterName);
    const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(this.objects, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace } });
    const encoded = secret?.data?.[KUBECONFIG_KEY];
    if (!encoded) return { waiting: `Secret ${secretName} has no admin kubeconfig yet`, reason: 'WaitingForKubeconfig', retryMs: 10_000 };
    try {
      return await this.rt.connections.get(`${namespace}/${clusterName}`, Buffer.from(encoded, 'base64').toString('utf8'));
    } catch (e) {
      if (e instanceof KwokUnavailableError) return { waiting: e.message, reason: 'KwokUnavailable', retryMs: 60_000 };
      return { waiting: `cannot reach business cluster ${clusterName}: ${describeKubeError(e)}`, reason: 'ClusterUnreachable', retryMs: 10_000 };
    }
  }

  /** Returns whether anything was written. */
  private async writeStatus(machine: Machine, phase: Phase, conditions: ConditionInput[], extra: Partial<MachineStatus>, complete: boolean): Promise<boolean> {
    const prev = machine.status ?? {};
    // Conditions this pass did not compute keep their last value (a waiting pass says nothing about NodeReady).
    const computed = new Map(conditions.map((c) => [c.type, c]));
    const all = MACHINE_CONDITIONS.map((t) => computed.get(t) ?? (prev.conditions?.find((c) => c.type === t) ? toInput(prev.conditions.find((c) => c.type === t)!) : undefined)).filter(
      (c): c is ConditionInput => c !== undefined,
    );
    const status: MachineStatus = {
      phase,
      nodeName: extra.nodeName ?? prev.nodeName,
      providerID: extra.providerID ?? prev.providerID,
      kubeletVersion: extra.kubeletVersion ?? prev.kubeletVersion,
      components: extra.components ?? prev.components,
      conditions: mergeConditions(prev.conditions, all, machine.metadata.generation, this.now()),
      observedGeneration: complete ? machine.metadata.generation : prev.observedGeneration,
    };
    // Keep conditions computed from an older generation honest: only the ones of this pass get the new generation.
    status.conditions = status.conditions!.map((c) => (computed.has(c.type) ? c : { ...c, observedGeneration: prev.conditions?.find((p) => p.type === c.type)?.observedGeneration ?? c.observedGeneration }));
    return writeStatusIfChanged(this.rt.kc, machine as Machine & { metadata: { name: string } }, 'machines', prev, status as Record<string, unknown>, this.counter);
  }
}

/**
 * Whether the live Node already has what we render. Taints are compared as a subset: the node lifecycle
 * controller adds its own (not-ready, unreachable), and re-applying ours over them would flap.
 */
export function nodeMatches(live: V1Node, desired: V1Node): boolean {
  const liveTaints = live.spec?.taints ?? [];
  const taintsPresent = (desired.spec?.taints ?? []).every((t) => liveTaints.some((l) => l.key === t.key && l.effect === t.effect && (l.value ?? '') === (t.value ?? '')));
  return taintsPresent && containsDesired(live, { metadata: desired.metadata, spec: { ...desired.spec, taints: undefined } });
}

function toInput(c: Condition): ConditionInput {
  return { type: c.type, status: c.status, reason: c.reason ?? 'Unknown', ...(c.message ? { message: c.message } : {}) };
}
