// Machine: brings one node of a business cluster to its final state and keeps it there.
// Steps, in order, each stopping the pass when its dependency is not there yet:
//   finalizer → components plan → business cluster reachable → version skew → provision the host →
//   install/upgrade components (dependency order) → join (Node registered) → Node Ready → health
//   (repair on failure; Failed once repair has not helped within the limit, so its MachineSet replaces it).
// How each step is done is the provider's (providers/): kwok simulates the host, kind runs a container.
import type { KubeConfig, KubernetesObject, V1Node } from '@kubernetes/client-node';
import type { BusinessCluster, Component, ComponentSpec, Condition, Machine, MachineStatus } from '../../api';
import { TerminalError, oneAtATimePerKey, type Logger, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { describeKubeError, makeObjectApi, readObject } from '../../kube';
import { planComponents, type PlannedComponent } from './components';
import { findCondition, mergeConditions, type ConditionInput } from '../../kit';
import { KwokUnavailableError, type ClusterConnection, type ClusterConnections } from './connections';
import { noEvents, type EventRecorder } from '../../kit/events';
import {
  API,
  KUBECONFIG_KEY,
  MACHINE_NAME_LABEL,
  MACHINE_NAMESPACE_LABEL,
  NODE_CLEANUP_FINALIZER,
  adminKubeconfigSecretOf,
  nodeNameOf,
} from './names';
import { KwokProvider, SIMULATED_STEP_MESSAGE } from './providers/kwok';
import type { MachineProvider, ProviderContext, ProviderName, Providers, ProvisionResult } from './providers/provider';
import { kubeletVersionOf } from './render';
import { checkKubeletSkew } from './skew';
import { changeStep, renderScript } from './steps';
import { runSteps, setFinalizers, StopPass, writeStatusIfChanged, type Step } from '../../kit';

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

type MachineStepName = 'components' | 'provider' | 'cluster' | 'version-skew' | 'provision' | 'install' | 'join' | 'health';

/**
 * What one pass knows, filled in step by step (a field is set by the step named beside it before any later step
 * reads it), and the status it will write: phase, conditions, fields, and events recorded after the write.
 */
interface MachinePass {
  key: string;
  machine: Machine & KubernetesObject;
  namespace: string;
  prev: MachineStatus;
  phase: Phase;
  conditions: ConditionInput[];
  extra: Partial<MachineStatus>;
  /** This pass evaluated the whole spec (observedGeneration moves only then). */
  complete: boolean;
  /** The stop is final: nothing changes until the spec does. */
  terminal: boolean;
  /** `ifWrote`: only when the status changed (a repeated warning is not repeated). */
  events: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string; ifWrote?: boolean }>;
  requeueAfterMs?: number;
  /** components */
  defs: Map<string, ComponentSpec>;
  plan: PlannedComponent[];
  providerName: ProviderName;
  /** provider */
  provider: MachineProvider;
  described: ReturnType<MachineProvider['describe']>;
  /** cluster */
  conn: ClusterConnection;
  cluster: BusinessCluster;
  /** version-skew */
  desiredKubelet: string | undefined;
  ctx: ProviderContext;
  wasRunning: boolean;
  earlyPhase: Phase;
  /** provision */
  provisioned: Extract<ProvisionResult, { ok: true }>;
  /** install */
  params: ReturnType<MachineReconciler['parameters']>;
  components: ComponentStatus[];
  /** join */
  node: V1Node;
  recreating: boolean;
  joinedCondition: ConditionInput;
}

/** Ends the pass at this step: the status it writes, and when to look again (never, when terminal). */
function stop(p: MachinePass, phase: Phase, conditions: ConditionInput[], o: { retryMs?: number; terminal?: boolean }): never {
  p.phase = phase;
  p.conditions = conditions;
  p.terminal = !!o.terminal;
  p.complete = !!o.terminal;
  const why = conditions.find((c) => c.status === 'False') ?? conditions[0];
  throw new StopPass(why, o.terminal ? undefined : o.retryMs);
}

export class MachineReconciler {
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

  /** The level-triggered entry point: the steps in order, then status (written only when it changed). One pass per Machine at a time. */
  readonly reconcile = oneAtATimePerKey((key: string) => this.pass(key));

  private async pass(key: string): Promise<ReconcileResult | void> {
    const { namespace = 'default', name } = splitKey(key);
    const machine = await readObject<Machine & KubernetesObject>(this.objects, {
      apiVersion: API,
      kind: 'Machine',
      metadata: { name, namespace },
    });
    if (!machine) return;
    if (machine.metadata.deletionTimestamp) return this.finalize(machine);

    if (!machine.metadata.finalizers?.includes(NODE_CLEANUP_FINALIZER)) {
      // The rest of this pass does not need the new resourceVersion (status goes through server-side apply).
      await setFinalizers(this.objects, machine, [...(machine.metadata.finalizers ?? []), NODE_CLEANUP_FINALIZER]);
    }
    const p = {
      key,
      machine,
      namespace,
      prev: machine.status ?? {},
      conditions: [],
      extra: {},
      complete: false,
      terminal: false,
      events: [],
    } as unknown as MachinePass;
    const result = await runSteps(this.steps, p);
    const wrote = await this.writeStatus(machine, p.phase, p.conditions, p.extra, p.complete);
    for (const e of p.events) if (!e.ifWrote || wrote) await this.event(machine, e.type, e.reason, e.message);
    if (result.stopped) {
      const { stop } = result.stopped;
      if (p.terminal) throw new TerminalError(stop.condition.message ?? stop.condition.reason, stop.condition.reason);
      return stop.requeueAfterMs !== undefined ? { requeueAfterMs: stop.requeueAfterMs } : undefined;
    }
    return p.requeueAfterMs !== undefined ? { requeueAfterMs: p.requeueAfterMs } : undefined;
  }

  /** The steps of a pass, in order; each one that is not done says so on status and ends the pass. */
  private readonly steps: ReadonlyArray<Step<MachinePass, MachineStepName>> = [
    { name: 'components', condition: 'ComponentsHealthy', run: (p) => this.componentsStep(p) },
    { name: 'provider', condition: 'Provisioned', run: async (p) => this.providerStep(p) },
    { name: 'cluster', condition: 'Provisioned', run: (p) => this.clusterStep(p) },
    { name: 'version-skew', condition: 'UpToDate', run: async (p) => this.skewStep(p) },
    { name: 'provision', condition: 'Provisioned', run: (p) => this.provisionStep(p) },
    { name: 'install', condition: 'ComponentsHealthy', run: (p) => this.installStep(p) },
    { name: 'join', condition: 'Joined', run: (p) => this.joinStep(p) },
    { name: 'health', condition: 'ComponentsHealthy', run: (p) => this.healthStep(p) },
  ];

  /** 1. Components: definitions exist, dependencies form an order. */
  private async componentsStep(p: MachinePass): Promise<void> {
    p.defs = new Map<string, ComponentSpec>();
    for (const ref of p.machine.spec.components ?? []) {
      const c = this.rt.cache
        ? this.rt.cache.component(ref.name)
        : await readObject<Component & KubernetesObject>(this.objects, {
            apiVersion: API,
            kind: 'Component',
            metadata: { name: ref.name },
          });
      if (c) p.defs.set(ref.name, c.spec);
    }
    p.providerName = p.machine.spec.provider ?? 'kwok';
    const plan = planComponents(p.machine.spec.components, p.defs, p.providerName);
    if (!plan.ok) {
      const conditions: ConditionInput[] = [
        { type: 'Provisioned', status: 'False', reason: plan.reason, message: plan.message },
        { type: 'ComponentsHealthy', status: 'False', reason: plan.reason, message: plan.message },
      ];
      stop(p, plan.terminal ? 'Failed' : 'Pending', conditions, { retryMs: 30_000, terminal: plan.terminal });
    }
    p.plan = plan.components;
  }

  /** 2. The provider the machine names must be enabled in this operator. */
  private providerStep(p: MachinePass): void {
    const provider = this.providers[p.providerName];
    if (!provider) {
      const message = `provider ${p.providerName} is not enabled in this operator; enable it or use provider kwok`;
      stop(p, 'Failed', [{ type: 'Provisioned', status: 'False', reason: 'ProviderNotImplemented', message }], { terminal: true });
    }
    p.provider = provider;
    p.described = provider.describe(p.machine);
  }

  /** 3. The business cluster, through the admin kubeconfig the cluster operator wrote. */
  private async clusterStep(p: MachinePass): Promise<void> {
    const conn = await this.connect(p.machine);
    if ('waiting' in conn) {
      const phase = p.prev.phase === 'Running' ? 'Repairing' : 'Pending';
      stop(p, phase, [{ type: 'Provisioned', status: 'False', reason: conn.reason, message: conn.waiting }], { retryMs: conn.retryMs });
    }
    p.conn = conn.conn;
    p.cluster = conn.cluster;
  }

  /**
   * 4. Version skew: a kubelet never newer than the control plane, nor more than three minors older.
   * A machine that already runs keeps its current versions until the control plane has caught up.
   */
  private skewStep(p: MachinePass): void {
    p.desiredKubelet = kubeletVersionOf(p.plan);
    const skew = checkKubeletSkew(p.desiredKubelet, p.cluster.status?.version);
    if (!skew.ok) {
      const started = !!p.prev.components?.length;
      const upToDate: ConditionInput = { type: 'UpToDate', status: 'False', reason: skew.reason, message: skew.message };
      const conditions: ConditionInput[] = started
        ? [upToDate]
        : [{ type: 'Provisioned', status: 'False', reason: skew.reason, message: skew.message }, upToDate];
      if (started) p.events.push({ type: 'Warning', reason: skew.reason, message: skew.message, ifWrote: true });
      stop(p, started ? (p.prev.phase ?? 'Running') : 'Pending', conditions, { retryMs: 30_000 });
    }
    const nodeName = nodeNameOf(p.machine.metadata.name);
    p.ctx = { machine: p.machine, cluster: p.cluster, conn: p.conn, plan: p.plan, nodeName };
    p.wasRunning = ['Running', 'Repairing'].includes(p.prev.phase ?? '');
    p.earlyPhase = p.wasRunning ? 'Repairing' : 'Provisioning';
  }

  /** 5. The host. */
  private async provisionStep(p: MachinePass): Promise<void> {
    const provisioned = await p.provider.provision(p.ctx);
    if (!provisioned.ok) {
      const conditions: ConditionInput[] = [
        { type: 'Provisioned', status: 'False', reason: provisioned.reason, message: provisioned.message },
      ];
      stop(p, provisioned.terminal ? 'Failed' : p.earlyPhase, conditions, {
        retryMs: provisioned.retryMs,
        terminal: !!provisioned.terminal,
      });
    }
    p.provisioned = provisioned;
    p.extra.providerID = provisioned.providerID;
  }

  /** 6. Components, in dependency order: install what is missing, upgrade what is at another version. */
  private async installStep(p: MachinePass): Promise<void> {
    p.params = this.parameters(p.machine, p.cluster, p.ctx.nodeName);
    p.components = [];
    const installed = new Map((p.prev.components ?? []).map((c) => [c.name, c]));
    for (const c of p.plan) {
      const def = p.defs.get(c.name)!;
      const before = installed.get(c.name);
      const change = changeStep(def, before?.version, c.version);
      if (!change) {
        p.components.push({
          name: c.name,
          version: c.version,
          healthy: before?.healthy ?? true,
          ...(before?.message ? { message: before.message } : {}),
        });
        continue;
      }
      const script = renderScript(change.script, { ...p.params, version: c.version });
      const result = script.ok
        ? await p.provider.runStep(p.ctx, {
            component: c.name,
            version: c.version,
            step: change.step,
            script: script.script,
            timeoutSeconds: change.timeoutSeconds,
          })
        : { ok: false, message: `${change.step} of ${c.name}: ${script.message}` };
      if (!result.ok) {
        // What ran so far is kept; the rest waits for this one.
        const kept = [...p.components, ...(before ? [{ ...before, healthy: false, message: result.message }] : [])];
        const rest = (p.prev.components ?? []).filter((x) => !kept.some((k) => k.name === x.name));
        p.extra.components = [...kept, ...rest];
        p.events.push({ type: 'Warning', reason: 'StepFailed', message: result.message });
        stop(
          p,
          p.earlyPhase,
          [
            p.provisioned.condition,
            { type: 'ComponentsHealthy', status: 'False', reason: 'StepFailed', message: result.message },
            { type: 'UpToDate', status: 'False', reason: 'StepFailed', message: result.message },
          ],
          { retryMs: 30_000 },
        );
      }
      p.components.push({ name: c.name, version: c.version, healthy: true, message: result.message });
      if (!p.described.simulated) {
        await this.event(
          p.machine,
          'Normal',
          change.step === 'install' ? 'ComponentInstalled' : 'ComponentUpgraded',
          `${c.name} ${c.version}: ${result.message}`,
        );
      }
    }
    p.extra.components = p.components;
  }

  /** 7. The Node: registered (kwok) or joined (kind); registered again when it went away. */
  private async joinStep(p: MachinePass): Promise<void> {
    const { machine, ctx } = p;
    const node = await readObject<V1Node>(p.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName } });
    const owner = node?.metadata?.labels;
    if (node && (owner?.[MACHINE_NAME_LABEL] !== machine.metadata.name || owner?.[MACHINE_NAMESPACE_LABEL] !== p.namespace)) {
      const message = `business cluster already has a Node ${ctx.nodeName} that is not this machine's; rename the machine`;
      p.extra = {};
      stop(p, 'Failed', [{ type: 'Joined', status: 'False', reason: 'NodeNameTaken', message }], { terminal: true });
    }
    p.recreating = !node && !!p.prev.nodeName && p.wasRunning;
    const joined = await p.provider.join(ctx, node);
    if (!joined.ok) {
      if (joined.reason !== 'WaitingForNode') p.events.push({ type: 'Warning', reason: joined.reason, message: joined.message });
      stop(
        p,
        p.earlyPhase,
        [p.provisioned.condition, { type: 'Joined', status: 'False', reason: joined.reason, message: joined.message }],
        { retryMs: joined.retryMs },
      );
    }
    p.node = joined.node;
    p.joinedCondition = joined.condition;
    if (p.recreating) {
      this.rt.log.info(`machine ${p.key}: Node ${ctx.nodeName} was gone from the business cluster; registered it again`);
      await this.event(
        machine,
        'Warning',
        'NodeRecreated',
        `Node ${ctx.nodeName} was gone from business cluster ${machine.spec.clusterRef.name}; registered it again`,
      );
    }
  }

  /** 8. Health, on a Ready node: repair what fails, then look again. The last step: the whole spec was evaluated. */
  private async healthStep(p: MachinePass): Promise<void> {
    const { plan, defs, described } = p;
    const ready = isNodeReady(p.node);
    const health = ready
      ? await this.checkHealth(p.ctx, p.provider, described.simulated, defs, p.components, p.params)
      : { unhealthy: [] as string[], repaired: [] as string[] };
    const healthySince = findCondition(p.prev.conditions, 'ComponentsHealthy');
    const repairLimitMs = this.rt.repairLimitMs ?? DEFAULT_REPAIR_LIMIT_MS;
    const since =
      healthySince?.status === 'False' && healthySince.lastTransitionTime ? new Date(healthySince.lastTransitionTime).getTime() : undefined;
    const unhealthyFor = health.unhealthy.length && since !== undefined ? this.now().getTime() - since : 0;
    const limitReached = health.unhealthy.length > 0 && unhealthyFor >= repairLimitMs;
    const limitS = Math.round(repairLimitMs / 1000);
    const componentsCondition: ConditionInput = health.unhealthy.length
      ? {
          type: 'ComponentsHealthy',
          status: 'False',
          reason: limitReached ? 'RepairLimitReached' : 'HealthCheckFailed',
          message: limitReached
            ? `${health.unhealthy.join('; ')}; repair did not help within ${limitS}s: machine Failed (its MachineSet replaces it)`
            : `${health.unhealthy.join('; ')}; repairing (machine Failed if not healthy within ${limitS}s)`,
        }
      : described.simulated
        ? {
            type: 'ComponentsHealthy',
            status: 'True',
            reason: 'SimulatedByKwok',
            message: `${plan.length} components recorded at their versions; install and health steps simulated by kwok (no script run)`,
          }
        : { type: 'ComponentsHealthy', status: 'True', reason: 'AllHealthy', message: `${plan.length} components installed and healthy` };
    const notReadyReason = p.recreating ? 'NodeRecreated' : described.simulated ? 'WaitingForKwok' : 'WaitingForKubelet';
    p.conditions = [
      p.provisioned.condition,
      p.joinedCondition,
      ready
        ? {
            type: 'NodeReady',
            status: 'True',
            reason: 'KubeletReady',
            message: described.simulated ? 'Node Ready (kept by kwok)' : 'Node Ready',
          }
        : {
            type: 'NodeReady',
            status: 'False',
            reason: notReadyReason,
            message: described.simulated ? 'waiting for kwok to mark the Node Ready' : 'waiting for the kubelet to report Ready',
          },
      componentsCondition,
      { type: 'UpToDate', status: 'True', reason: 'AtDesiredVersions', message: `${plan.length} components at their desired versions` },
    ];
    p.phase = limitReached
      ? 'Failed'
      : !ready
        ? p.recreating || p.prev.phase === 'Repairing'
          ? 'Repairing'
          : 'Joining'
        : health.unhealthy.length
          ? 'Repairing'
          : 'Running';
    p.extra = {
      nodeName: p.ctx.nodeName,
      providerID: p.provisioned.providerID,
      kubeletVersion: p.desiredKubelet ?? p.node.status?.nodeInfo?.kubeletVersion,
      components: p.components,
    };
    p.complete = true;
    for (const r of health.repaired) p.events.push({ type: 'Normal', reason: 'Repaired', message: r });
    // Readiness arrives as a Node event; the requeue is only a safety net. Health steps run periodically.
    const hasHealthSteps = plan.some((c) => defs.get(c.name)?.steps.health);
    p.requeueAfterMs = !ready
      ? 5_000
      : hasHealthSteps || health.unhealthy.length
        ? (this.rt.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS)
        : undefined;
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
        return provider.runStep(ctx, {
          component: entry.name,
          version,
          step,
          script: script.script,
          timeoutSeconds: s.timeoutSeconds ?? 300,
        });
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
      machine: {
        name: machine.metadata.name,
        namespace: machine.metadata.namespace ?? 'default',
        nodeName,
        role: machine.spec.role ?? 'worker',
        provider: machine.spec.provider ?? 'kwok',
      },
      cluster: {
        name: cluster.metadata.name,
        namespace: cluster.metadata.namespace ?? 'default',
        version: cluster.status?.version ?? cluster.spec.version,
        endpoint: cluster.status?.endpoint ?? '',
      },
    };
  }

  private async event(machine: Machine, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.events.record(
      {
        apiVersion: API,
        kind: 'Machine',
        metadata: { name: machine.metadata.name, namespace: machine.metadata.namespace, uid: machine.metadata.uid },
      },
      type,
      reason,
      message,
    );
  }

  /** Out-of-API cleanup: the Node lives in the business cluster (and the host outside any API), where garbage collection cannot reach. */
  private async finalize(machine: Machine & KubernetesObject): Promise<ReconcileResult | void> {
    if (!machine.metadata.finalizers?.includes(NODE_CLEANUP_FINALIZER)) return;
    if (await this.writeStatus(machine, 'Deleting', [], {}, false)) {
      // The status write moved resourceVersion; the finalizer patch below is guarded by it.
      const fresh = await readObject<Machine & KubernetesObject>(this.objects, {
        apiVersion: API,
        kind: 'Machine',
        metadata: { name: machine.metadata.name, namespace: machine.metadata.namespace },
      });
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
      const done = await provider.delete({ machine, nodeName: nodeNameOf(machine.metadata.name), conn: live, now: this.now() });
      if (!done.done) {
        await this.writeStatus(
          machine,
          'Deleting',
          [{ type: 'Provisioned', status: 'False', reason: done.reason, message: done.message }],
          {},
          false,
        );
        return { requeueAfterMs: done.retryMs };
      }
    }
    await setFinalizers(
      this.objects,
      machine,
      (machine.metadata.finalizers ?? []).filter((f) => f !== NODE_CLEANUP_FINALIZER),
    );
  }

  private async connect(
    machine: Machine,
  ): Promise<
    { conn: ClusterConnection; cluster: BusinessCluster } | { waiting: string; reason: string; retryMs: number; clusterGone?: boolean }
  > {
    const namespace = machine.metadata.namespace ?? 'default';
    const clusterName = machine.spec.clusterRef.name;
    const cluster = this.rt.cache
      ? this.rt.cache.cluster(namespace, clusterName)
      : await readObject<BusinessCluster & KubernetesObject>(this.objects, {
          apiVersion: API,
          kind: 'BusinessCluster',
          metadata: { name: clusterName, namespace },
        });
    if (!cluster || cluster.metadata.deletionTimestamp) {
      return { waiting: `BusinessCluster ${clusterName} not found`, reason: 'ClusterNotFound', retryMs: 30_000, clusterGone: true };
    }
    const apiAvailable = cluster.status?.conditions?.find((c) => c.type === 'APIServerAvailable')?.status === 'True';
    if (!apiAvailable) {
      return {
        waiting: `waiting for business cluster ${clusterName}'s API server (condition APIServerAvailable)`,
        reason: 'WaitingForCluster',
        retryMs: 10_000,
      };
    }
    const secretName = cluster.status?.kubeconfigSecretName ?? adminKubeconfigSecretOf(clusterName);
    const secret = await readObject<KubernetesObject & { data?: Record<string, string> }>(this.objects, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace },
    });
    const encoded = secret?.data?.[KUBECONFIG_KEY];
    if (!encoded) return { waiting: `Secret ${secretName} has no admin kubeconfig yet`, reason: 'WaitingForKubeconfig', retryMs: 10_000 };
    try {
      // Only kwok-provider Machines need kwok; real kubelets (provider kind) keep their own Nodes Ready.
      const withKwok = (machine.spec.provider ?? 'kwok') === 'kwok';
      return {
        conn: await this.rt.connections.get(`${namespace}/${clusterName}`, Buffer.from(encoded, 'base64').toString('utf8'), withKwok),
        cluster,
      };
    } catch (e) {
      if (e instanceof KwokUnavailableError) {
        return e.building
          ? { waiting: e.message, reason: 'BuildingKwok', retryMs: 5_000 }
          : { waiting: e.message, reason: 'KwokUnavailable', retryMs: 60_000 };
      }
      return {
        waiting: `cannot reach business cluster ${clusterName}: ${describeKubeError(e)}`,
        reason: 'ClusterUnreachable',
        retryMs: 10_000,
      };
    }
  }

  /** Returns whether anything was written. */
  private async writeStatus(
    machine: Machine,
    phase: Phase,
    conditions: ConditionInput[],
    extra: Partial<MachineStatus>,
    complete: boolean,
  ): Promise<boolean> {
    const prev = machine.status ?? {};
    // Conditions this pass did not compute keep their last value (a waiting pass says nothing about NodeReady).
    const computed = new Map(conditions.map((c) => [c.type, c]));
    const all = MACHINE_CONDITIONS.map(
      (t) =>
        computed.get(t) ?? (prev.conditions?.find((c) => c.type === t) ? toInput(prev.conditions.find((c) => c.type === t)!) : undefined),
    ).filter((c): c is ConditionInput => c !== undefined);
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
    status.conditions = status.conditions!.map((c) =>
      computed.has(c.type)
        ? c
        : { ...c, observedGeneration: prev.conditions?.find((p) => p.type === c.type)?.observedGeneration ?? c.observedGeneration },
    );
    const wrote = await writeStatusIfChanged(
      this.rt.kc,
      machine as Machine & { metadata: { name: string } },
      'machines',
      prev,
      status as Record<string, unknown>,
    );
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
