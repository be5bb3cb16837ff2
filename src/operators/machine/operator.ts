// Wiring: watches Machines, MachineSets, Components and BusinessClusters in the meta cluster (through the
// process's shared informers) and the Nodes kokpit registered in each business cluster; maps every event to
// the keys it affects and runs the three reconcilers on de-duplicating work queues. kwok processes (one per
// business cluster) live and die with the operator.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BinaryProvider } from '../../binaries/provider';
import type { BusinessCluster, Component, ComponentSpec, Machine, MachineSet } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorContext, type OperatorDefinition } from '../../controller/operator';
import { keyOf, type Logger } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { withUserAgent } from '../../kube';
import { ComponentReconciler } from './component-reconciler';
import { ClusterConnections, type ConnectionsOptions } from './connections';
import { KubeEventRecorder } from '../../kit/events';
import { MachineReconciler } from './machine-reconciler';
import { MACHINE_OPERATOR_AGENT } from './names';
import { KindProvider } from './providers/kind';
import { KwokProvider } from './providers/kwok';
import type { Providers } from './providers/provider';
import { MachineSetReconciler } from './machineset-reconciler';

export interface MachineOperatorOptions {
  kc: KubeConfig;
  log?: Logger;
  /** kwok executable (wins over `binaries`). */
  kwokBinary?: string;
  /** Where kwok comes from otherwise: the binary cache, built on demand when missing. */
  binaries?: BinaryProvider;
  controller?: ControllerOptions;
  /** Machine providers (default: kwok, and kind through the docker on PATH). */
  providers?: Providers;
  /** How often Running machines run their components' health steps (default 60 s). */
  healthIntervalMs?: number;
  /** How long repair may take before an unhealthy machine is Failed and replaced (default 10 min). */
  repairLimitMs?: number;
  /** Pod logs on kwok Nodes (off by default: see ConnectionsOptions.podLogs for why). */
  kwokPodLogs?: ConnectionsOptions['podLogs'];
}

export interface MachineOperator {
  machines: MachineReconciler;
  machineSets: MachineSetReconciler;
  components: ComponentReconciler;
  connections: ClusterConnections;
  controllers: Controller[];
  events: KubeEventRecorder;
  stop(): Promise<void>;
}

type Handle = Omit<MachineOperator, 'stop'>;

export function machineOperator(opts: Omit<MachineOperatorOptions, 'kc' | 'log'>): OperatorDefinition<Handle> {
  return { name: 'machine-operator', setup: (ctx) => setup(ctx, opts) };
}

/** The machine operator alone (tests, benchmarks): its own informers, no lease. */
export function startMachineOperator(opts: MachineOperatorOptions): Promise<MachineOperator> {
  return runOperator(opts.kc, machineOperator(opts), opts.log);
}

function setup(ctx: OperatorContext, opts: Omit<MachineOperatorOptions, 'kc' | 'log'>): Handle {
  const { log } = ctx;
  // Its own User-Agent, in the meta and the business clusters: the API server's audit log tells its writes apart.
  const kc = withUserAgent(ctx.kc, MACHINE_OPERATOR_AGENT);
  const machines = ctx.informer<Machine & KubernetesObject>(kokpitWatch('Machine'));
  const sets = ctx.informer<MachineSet & KubernetesObject>(kokpitWatch('MachineSet'));
  const components = ctx.informer<Component & KubernetesObject>(kokpitWatch('Component'));
  const clusters = ctx.informer<BusinessCluster & KubernetesObject>(kokpitWatch('BusinessCluster'));

  // Its reconciler, made below, is only called once the controller starts.
  const mc = ctx.controller('machine', (key) => machineReconciler.reconcile(key), { workers: 8, ...opts.controller });
  const connections = new ClusterConnections({
    log,
    kwokBinary: opts.kwokBinary,
    binaries: opts.binaries,
    onNodeEvent: (key) => mc.enqueue(key),
    podLogs: opts.kwokPodLogs,
  });
  const events = new KubeEventRecorder(kc, 'machine-operator', log);
  const machineReconciler = new MachineReconciler({
    kc,
    log,
    connections,
    events,
    providers: opts.providers ?? { kwok: new KwokProvider(), kind: new KindProvider() },
    healthIntervalMs: opts.healthIntervalMs,
    repairLimitMs: opts.repairLimitMs,
    cache: { component: (name) => components.get(name), cluster: (namespace, name) => clusters.get(name, namespace) },
  });
  const setReconciler = new MachineSetReconciler({ kc, log, events });
  const definitions = () => new Map<string, ComponentSpec>(components.list().map((c) => [c.metadata.name, c.spec]));
  const componentReconciler = new ComponentReconciler({ kc, log, definitions });
  const setController = ctx.controller('machineset', (key) => setReconciler.reconcile(key), opts.controller);
  const componentController = ctx.controller('component', (key) => componentReconciler.reconcile(key), opts.controller);
  ctx.onStop(() => connections.stopAll());
  // kwok and the Node watch of a business cluster stop with its last Machine (a new one starts them again).
  const releaseIfUnused = (namespace: string, cluster: string) => {
    if (machines.list(namespace).some((x) => x.spec.clusterRef.name === cluster)) return;
    connections
      .release(`${namespace}/${cluster}`)
      .catch((e) => log.warn(`stopping kwok of ${namespace}/${cluster}: ${e instanceof Error ? e.message : String(e)}`));
  };

  machines.onEvent((m, kind) => {
    mc.enqueue(keyOf(m));
    if (kind === 'delete') releaseIfUnused(m.metadata.namespace ?? 'default', m.spec.clusterRef.name);
    const owner = m.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'MachineSet');
    if (owner) setController.enqueue(`${m.metadata.namespace}/${owner.name}`);
  });
  sets.onEvent((s) => setController.enqueue(keyOf(s)));
  components.onEvent((c) => {
    // Any Component change can make another valid or invalid (a dependency appears, a cycle closes).
    for (const other of components.list()) componentController.enqueue(other.metadata.name);
    componentController.enqueue(c.metadata.name);
    for (const m of machines.list()) if (m.spec.components?.some((r) => r.name === c.metadata.name)) mc.enqueue(keyOf(m));
  });
  clusters.onEvent((c) => {
    for (const m of machines.list(c.metadata.namespace)) if (m.spec.clusterRef.name === c.metadata.name) mc.enqueue(keyOf(m));
  });

  return {
    machines: machineReconciler,
    machineSets: setReconciler,
    components: componentReconciler,
    connections,
    controllers: [mc, setController, componentController],
    events,
  };
}
