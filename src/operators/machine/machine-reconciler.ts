// Machine: brings one node of a business cluster to its final state and keeps it there.
// Steps, in order, each stopping the pass when its dependency is not there yet:
//   finalizer → components plan → business cluster reachable → version skew → provision the host →
//   install/upgrade components (dependency order) → join (Node registered) → Node Ready → health
//   (repair on failure; Failed once repair has not helped within the limit, so its MachineSet replaces it).
// How each step is done is the provider's (providers/): kwok simulates the host, kind runs a container.
import type { KubeConfig, KubernetesObject, V1Node } from '@kubernetes/client-node';
import type { BusinessCluster, Component, ComponentSpec, Condition, Machine, MachineStatus } from '../../api';
import { TerminalError, type Logger, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { describeKubeError, makeObjectApi, readObject } from '../../kube';
import { planComponents, type PlannedComponent } from './components';
import { findCondition, mergeConditions, type ConditionInput } from '../../kit';
import { KwokUnavailableError, type ClusterConnection, type ClusterConnections } from './connections';
import { noEvents, type EventRecorder } from './events';
import { API, KUBECONFIG_KEY, MACHINE_NAME_LABEL, MACHINE_NAMESPACE_LABEL, NODE_CLEANUP_FINALIZER, adminKubeconfigSecretOf, nodeNameOf } from './names';
import { KwokProvider, SIMULATED_STEP_MESSAGE } from './providers/kwok';
import type { MachineProvider, ProviderContext, ProviderName, Providers } from './providers/provider';
import { kubeletVersionOf } from './render';
import { checkKubeletSkew } from './skew';
import { changeStep, renderScript } from './steps';
import { setFinalizers, writeStatusIfChanged, type WriteCounter } from '../../kit';

export { nodeMatches } from './node-match';

export const MACHINE_CONDITIONS = ['Provisioned', 'Joined', 'NodeReady', 'ComponentsHealthy', 'UpToDate'] as const;
type Phase = NonNullable<MachineStatus['phase']>;
type ComponentStatus = NonNullable<MachineStatus['components']>[number];

/** How often a Running machine's health steps run, and how long repair may take before the machine is Failed. */
export const DEFAULT_HEALTH_INTERVAL_MS = 60_000;
export const DEFAULT_REPAIR_LIMIT_MS = 10 * 60_000;

export interface MachineRuntime {
  kc: KubeConfig;
  log: Logger;
  connections: ClusterConnections;
  /** Reads from the operator's informer caches (their events queue the affected machines); GETs when unset. */
  cache?: {
    component(name: string): Component | undefined;
    cluster(namespace: string, name: string): BusinessCluster | undefined;
  };
  /** Providers by name (default: kwok only). */
  providers?: Providers;
  events?: EventRecorder;
  healthIntervalMs?: number;
  repairLimitMs?: number;
  now?: () => Date;
}

/** A Node is Ready when its Ready condition is True (kwok sets it on the nodes it manages). */
export function isNodeReady(node: V1Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Component status entries of a kwok machine: the plan, installed by simulation. */
export function simulatedComponents(plan: PlannedComponent[]): NonNullable<MachineStatus['components']> {
  return plan.map((c) => ({ name: c.name, version: c.version, healthy: true, message: SIMULATED_STEP_MESSAGE }));
}

/** Event reason and type for entering a phase. */
const PHASE_EVENTS: Record<Phase, { reason: string; type: 'Normal' | 'Warning' }> = {
  Pending: { reason: 'Pending', type: 'Normal' },
  Provisioning: { reason: 'Provisioning', type: 'Normal' },
  Joining: { reason: 'Joining', type: 'Normal' },
  Running: { reason: 'Running', type: 'Normal' },
  Repairing: { reason: 'Repairing', type: 'Warning' },
  Failed: { reason: 'Failed', type: 'Warning' },
  Deleting: { reason: 'Deleting', type: 'Normal' },
};

export class MachineReconciler {
  readonly counter: WriteCounter = { writes: 0 };
  private readonly objects;
  private readonly now: () => Date;
  private readonly providers: Providers;
  private readonly events: EventRecorder;

  constructor(private readonly rt: MachineRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.now = rt.now ?? (() => new Date());
    this.providers = rt.providers ?? { kwok: new KwokProvider() };
    this.events = rt.events ?? noEvents;
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
    const prev = machine.status ?? {};

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
    const providerName: ProviderName = machine.spec.provider ?? 'kwok';
    const plan = planComponents(machine.spec.components, defs, providerName);
    if (!plan.ok) {
      await report(plan.terminal ? 'Failed' : 'Pending', [
        { type: 'Provisioned', status: 'False', reason: plan.reason, message: plan.message },
        { type: 'ComponentsHealthy', status: 'False', reason: plan.reason, message: plan.message },
      ], {}, plan.terminal);
      if (plan.terminal) throw new TerminalError(plan.message, plan.reason);
      return { requeueAfterMs: 30_000 };
    }

    // 2. Provider.
    const provider = this.providers[providerName];
    if (!provider) {
      const message = `provider ${providerName} is not enabled in this operator; enable it or use provider kwok`;
      await report('Failed', [{ type: 'Provisioned', status: 'False', reason: 'ProviderNotImplemented', message }], {}, true);
      throw new TerminalError(message, 'ProviderNotImplemented');
    }
    const described = provider.describe(machine);

    // 3. The business cluster, through the admin kubeconfig the cluster operator wrote.
    const conn = await this.connect(machine);
    if ('waiting' in conn) {
      await report(prev.phase === 'Running' ? 'Repairing' : 'Pending', [{ type: 'Provisioned', status: 'False', reason: conn.reason, message: conn.waiting }]);
      return { requeueAfterMs: conn.retryMs };
    }

    // 4. Version skew: a kubelet never newer than the control plane, nor more than three minors older.
    //    A machine that already runs keeps its current versions until the control plane has caught up.
    const desiredKubelet = kubeletVersionOf(plan.components);
    const skew = checkKubeletSkew(desiredKubelet, conn.cluster.status?.version);
    if (!skew.ok) {
      const started = !!prev.components?.length;
      const wrote = await report(started ? (prev.phase ?? 'Running') : 'Pending', [
        ...(started ? [] : [{ type: 'Provisioned', status: 'False' as const, reason: skew.reason, message: skew.message }]),
        { type: 'UpToDate', status: 'False', reason: skew.reason, message: skew.message },
      ]);
      if (wrote && started) await this.event(machine, 'Warning', skew.reason, skew.message);
      return { requeueAfterMs: 30_000 };
    }

    const nodeName = nodeNameOf(machine.metadata.name);
    const ctx: ProviderContext = { machine, cluster: conn.cluster, conn: conn.conn, plan: plan.components, nodeName, counter: this.counter };
    const wasRunning = ['Running', 'Repairing'].includes(prev.phase ?? '');
    const earlyPhase: Phase = wasRunning ? 'Repairing' : 'Provisioning';

    // 5. The host.
    const provisioned = await provider.provision(ctx);
    if (!provisioned.ok) {
      await report(provisioned.terminal ? 'Failed' : earlyPhase, [{ type: 'Provisioned', status: 'False', reason: provisioned.reason, message: provisioned.message }], {}, !!provisioned.terminal);
      if (provisioned.terminal) throw new TerminalError(provisioned.message, provisioned.reason);
      return { requeueAfterMs: provisioned.retryMs };
    }

    // 6. Components, in dependency order: install what is missing, upgrade what is at another version.
    const params = this.parameters(machine, conn.cluster, nodeName);
    const components: ComponentStatus[] = [];
    const installed = new Map((prev.components ?? []).map((c) => [c.name, c]));
    for (const c of plan.components) {
      const def = defs.get(c.name)!;
      const before = installed.get(c.name);
      const change = changeStep(def, before?.version, c.version);
      if (!change) {
        components.push({ name: c.name, version: c.version, healthy: before?.healthy ?? true, ...(before?.message ? { message: before.message } : {}) });
        continue;
      }
      const script = renderScript(change.script, { ...params, version: c.version });
      const result = script.ok
        ? await provider.runStep(ctx, { component: c.name, version: c.version, step: change.step, script: script.script, timeoutSeconds: change.timeoutSeconds })
        : { ok: false, message: `${change.step} of ${c.name}: ${script.message}` };
      if (!result.ok) {
        // What ran so far is kept; the rest waits for this one.
        const kept = [...components, ...(before ? [{ ...before, healthy: false, message: result.message }] : [])];
        const rest = (prev.components ?? []).filter((p) => !kept.some((k) => k.name === p.name));
        await report(earlyPhase, [
          provisioned.condition,
          { type: 'ComponentsHealthy', status: 'False', reason: 'StepFailed', message: result.message },
          { type: 'UpToDate', status: 'False', reason: 'StepFailed', message: result.message },
        ], { providerID: provisioned.providerID, components: [...kept, ...rest] });
        await this.event(machine, 'Warning', 'StepFailed', result.message);
        return { requeueAfterMs: 30_000 };
      }
      components.push({ name: c.name, version: c.version, healthy: true, message: result.message });
      if (!described.simulated) await this.event(machine, 'Normal', change.step === 'install' ? 'ComponentInstalled' : 'ComponentUpgraded', `${c.name} ${c.version}: ${result.message}`);
    }

    // 7. The Node: registered (kwok) or joined (kind); registered again when it went away.
    let node = await readObject<V1Node>(conn.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
    const owner = node?.metadata?.labels;
    if (node && (owner?.[MACHINE_NAME_LABEL] !== machine.metadata.name || owner?.[MACHINE_NAMESPACE_LABEL] !== namespace)) {
      const message = `business cluster already has a Node ${nodeName} that is not this machine's; rename the machine`;
      await report('Failed', [{ type: 'Joined', status: 'False', reason: 'NodeNameTaken', message }], {}, true);
      throw new TerminalError(message, 'NodeNameTaken');
    }
    const recreating = !node && !!prev.nodeName && wasRunning;
    const joined = await provider.join(ctx, node);
    if (!joined.ok) {
      await report(earlyPhase, [provisioned.condition, { type: 'Joined', status: 'False', reason: joined.reason, message: joined.message }], { providerID: provisioned.providerID, components });
      if (joined.reason !== 'WaitingForNode') await this.event(machine, 'Warning', joined.reason, joined.message);
      return { requeueAfterMs: joined.retryMs };
    }
    node = joined.node;
    if (recreating) {
      this.rt.log.info(`machine ${key}: Node ${nodeName} was gone from the business cluster; registered it again`);
      await this.event(machine, 'Warning', 'NodeRecreated', `Node ${nodeName} was gone from business cluster ${machine.spec.clusterRef.name}; registered it again`);
    }
    const ready = isNodeReady(node);

    // 8. Health, on a Ready node: repair what fails, then look again.
    const health = ready ? await this.checkHealth(ctx, provider, described.simulated, defs, components, params) : { unhealthy: [] as string[], repaired: [] as string[] };
    const healthySince = findCondition(prev.conditions, 'ComponentsHealthy');
    const repairLimitMs = this.rt.repairLimitMs ?? DEFAULT_REPAIR_LIMIT_MS;
    const unhealthyFor = health.unhealthy.length && healthySince?.status === 'False' && healthySince.lastTransitionTime ? this.now().getTime() - new Date(healthySince.lastTransitionTime).getTime() : 0;
    const limitReached = health.unhealthy.length > 0 && unhealthyFor >= repairLimitMs;

    const componentsCondition: ConditionInput = health.unhealthy.length
      ? {
          type: 'ComponentsHealthy', status: 'False', reason: limitReached ? 'RepairLimitReached' : 'HealthCheckFailed',
          message: limitReached
            ? `${health.unhealthy.join('; ')}; repair did not help within ${Math.round(repairLimitMs / 1000)}s: machine Failed (its MachineSet replaces it)`
            : `${health.unhealthy.join('; ')}; repairing (machine Failed if not healthy within ${Math.round(repairLimitMs / 1000)}s)`,
        }
      : described.simulated
        ? { type: 'ComponentsHealthy', status: 'True', reason: 'SimulatedByKwok', message: `${plan.components.length} components recorded at their versions; install and health steps simulated by kwok (no script run)` }
        : { type: 'ComponentsHealthy', status: 'True', reason: 'AllHealthy', message: `${plan.components.length} components installed and healthy` };
    const conditions: ConditionInput[] = [
      provisioned.condition,
      joined.condition,
      ready
        ? { type: 'NodeReady', status: 'True', reason: 'KubeletReady', message: described.simulated ? 'Node Ready (kept by kwok)' : 'Node Ready' }
        : { type: 'NodeReady', status: 'False', reason: recreating ? 'NodeRecreated' : described.simulated ? 'WaitingForKwok' : 'WaitingForKubelet', message: described.simulated ? 'waiting for kwok to mark the Node Ready' : 'waiting for the kubelet to report Ready' },
      componentsCondition,
      { type: 'UpToDate', status: 'True', reason: 'AtDesiredVersions', message: `${plan.components.length} components at their desired versions` },
    ];
    const phase: Phase = limitReached
      ? 'Failed'
      : !ready
        ? recreating || prev.phase === 'Repairing' ? 'Repairing' : 'Joining'
        : health.unhealthy.length ? 'Repairing' : 'Running';
    await report(phase, conditions, {
      nodeName,
      providerID: provisioned.providerID,
      kubeletVersion: desiredKubelet ?? node.status?.nodeInfo?.kubeletVersion,
      components,
    }, true);
    for (const r of health.repaired) await this.event(machine, 'Normal', 'Repaired', r);

    // Readiness arrives as a Node event; the requeue is only a safety net. Health steps run periodically.
    if (!ready) return { requeueAfterMs: 5_000 };
    const hasHealthSteps = plan.components.some((c) => defs.get(c.name)?.steps.health);
    return hasHealthSteps || health.unhealthy.length ? { requeueAfterMs: this.rt.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS } : undefined;
  }

  /** Runs each component's health step; on failure its repair step and health once more. Updates `components` in place. */
  private async checkHealth(
    ctx: ProviderContext,
    provider: MachineProvider,
    simulated: boolean,
    defs: ReadonlyMap<string, ComponentSpec>,
    components: ComponentStatus[],
    params: ReturnType<MachineReconciler['parameters']>,
  ): Promise<{ unhealthy: string[]; repaired: string[] }> {
    const unhealthy: string[] = [];
    const repaired: string[] = [];
    for (const entry of components) {
      const steps = defs.get(entry.name)?.steps;
      if (!steps?.health) continue;
      const version = entry.version ?? '';
      const run = async (step: 'health' | 'repair', s: { script: string; timeoutSeconds?: number }) => {
        const script = renderScript(s.script, { ...params, version });
        if (!script.ok) return { ok: false, message: `${step} of ${entry.name}: ${script.message}` };
        return provider.runStep(ctx, { component: entry.name, version, step, script: script.script, timeoutSeconds: s.timeoutSeconds ?? 300 });
      };
      let result = await run('health', steps.health);
      if (!result.ok && steps.repair) {
        const repair = await run('repair', steps.repair);
        const again = await run('health', steps.health);
        if (again.ok) repaired.push(`${entry.name} ${version} healthy again after repair`);
        else result = { ok: false, message: `${result.message} (repair: ${repair.ok ? 'ran, did not help' : repair.message})` };
        if (again.ok) result = again;
      }
      if (result.ok) {
        // A component that was healthy keeps its message (no write); one that recovers says so.
        if (entry.healthy === false) Object.assign(entry, { healthy: true, message: simulated ? SIMULATED_STEP_MESSAGE : result.message });
      } else {
        Object.assign(entry, { healthy: false, message: result.message });
        unhealthy.push(`component ${entry.name} ${version} unhealthy: ${result.message}`);
      }
    }
    return { unhealthy, repaired };
  }

  /** Facts the step scripts get as `{{ .machine.* }}` and `{{ .cluster.* }}`. */
  private parameters(machine: Machine, cluster: BusinessCluster, nodeName: string) {
    return {
      machine: { name: machine.metadata.name, namespace: machine.metadata.namespace ?? 'default', nodeName, role: machine.spec.role ?? 'worker', provider: machine.spec.provider ?? 'kwok' },
      cluster: { name: cluster.metadata.name, namespace: cluster.metadata.namespace ?? 'default', version: cluster.status?.version ?? cluster.spec.version, endpoint: cluster.status?.endpoint ?? '' },
    };
  }

  private async event(machine: Machine, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.events.record({ apiVersion: API, kind: 'Machine', metadata: { name: machine.metadata.name, namespace: machine.metadata.namespace, uid: machine.metadata.uid } }, type, reason, message);
  }

  /** Out-of-API cleanup: the Node lives in the business cluster (and the host outside any API), where garbage collection cannot reach. */
  private async finalize(machine: Machine & KubernetesObject): Promise<ReconcileResult | void> {
    if (!machine.metadata.finalizers?.includes(NODE_CLEANUP_FINALIZER)) return;
    if (await this.writeStatus(machine, 'Deleting', [], {}, false)) {
      // The status write moved resourceVersion; the finalizer patch below is guarded by it.
      const fresh = await readObject<Machine & KubernetesObject>(this.objects, { apiVersion: API, kind: 'Machine', metadata: { name: machine.metadata.name, namespace: machine.metadata.namespace } });
      if (!fresh) return;
      machine = fresh;
    }
    const conn = await this.connect(machine);
    let live: ClusterConnection | undefined;
    if ('waiting' in conn) {
      if (!conn.clusterGone) return { requeueAfterMs: conn.retryMs };
      // The business cluster is gone, and its Nodes with it.
      this.rt.log.info(`machine ${machine.metadata.namespace}/${machine.metadata.name}: business cluster gone; no Node to clean up`);
    } else {
      live = conn.conn;
    }
    const provider = this.providers[machine.spec.provider ?? 'kwok'];
    if (provider) {
      const done = await provider.delete({ machine, nodeName: nodeNameOf(machine.metadata.name), conn: live, now: this.now(), counter: this.counter });
      if (!done.done) {
        await this.writeStatus(machine, 'Deleting', [{ type: 'Provisioned', status: 'False', reason: done.reason, message: done.message }], {}, false);
        return { requeueAfterMs: done.retryMs };
      }
    }
    await setFinalizers(this.objects, machine, (machine.metadata.finalizers ?? []).filter((f) => f !== NODE_CLEANUP_FINALIZER), this.counter);
  }

  private async connect(
    machine: Machine,
  ): Promise<{ conn: ClusterConnection; cluster: BusinessCluster } | { waiting: string; reason: string; retryMs: number; clusterGone?: boolean }> {
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
      // Only kwok-provider Machines need kwok; real kubelets (provider kind) keep their own Nodes Ready.
      const withKwok = (machine.spec.provider ?? 'kwok') === 'kwok';
      return { conn: await this.rt.connections.get(`${namespace}/${clusterName}`, Buffer.from(encoded, 'base64').toString('utf8'), withKwok), cluster };
    } catch (e) {
      if (e instanceof KwokUnavailableError) {
        return e.building ? { waiting: e.message, reason: 'BuildingKwok', retryMs: 5_000 } : { waiting: e.message, reason: 'KwokUnavailable', retryMs: 60_000 };
      }
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
    const wrote = await writeStatusIfChanged(this.rt.kc, machine as Machine & { metadata: { name: string } }, 'machines', prev, status as Record<string, unknown>, this.counter);
    if (wrote && prev.phase !== phase) {
      const e = PHASE_EVENTS[phase];
      const why = conditions.find((c) => c.status === 'False') ?? conditions.find((c) => c.type === 'NodeReady');
      await this.event(machine, e.type, e.reason, `${prev.phase ?? 'new'} -> ${phase}${why?.message ? `: ${why.message}` : ''}`);
    }
    return wrote;
  }
}

function toInput(c: Condition): ConditionInput {
  return { type: c.type, status: c.status, reason: c.reason ?? 'Unknown', ...(c.message ? { message: c.message } : {}) };
}
