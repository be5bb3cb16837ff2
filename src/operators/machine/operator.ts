// Wiring: watches Machines, MachineSets, Components and BusinessClusters in the meta cluster and the
// Nodes kokpit registered in each business cluster; maps every event to the keys it affects and runs the
// three reconcilers on de-duplicating work queues. kwok processes (one per business cluster) live and
// die with the operator.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BinaryProvider } from '../../binaries/provider';
import type { BusinessCluster, Component, ComponentSpec, Machine, MachineSet } from '../../api';
import { Controller, type ControllerOptions } from '../../controller/controller';
import { Informer } from '../../controller/informer';
import { keyOf, silentLogger, type Logger } from '../../controller/reconciler';
import { listObjects, makeObjectApi } from '../../kube';
import { ComponentReconciler } from './component-reconciler';
import { ClusterConnections } from './connections';
import { KubeEventRecorder } from './events';
import { MachineReconciler } from './machine-reconciler';
import { KindProvider } from './providers/kind';
import { KwokProvider } from './providers/kwok';
import type { Providers } from './providers/provider';
import { MachineSetReconciler } from './machineset-reconciler';
import { API } from './names';

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
}

export interface MachineOperator {
  machines: MachineReconciler;
  machineSets: MachineSetReconciler;
  components: ComponentReconciler;
  connections: ClusterConnections;
  controllers: Controller[];
  events: KubeEventRecorder;
  /** Write requests sent by the three reconcilers (status, finalizers, Nodes, Machines). */
  writes(): number;
  stop(): Promise<void>;
}

export async function startMachineOperator(opts: MachineOperatorOptions): Promise<MachineOperator> {
  const { kc } = opts;
  const log = opts.log ?? silentLogger;
  const objects = makeObjectApi(kc);
  const informer = <T extends KubernetesObject>(kind: string, plural: string) =>
    new Informer<T>(kc, {
      path: `/apis/${API}/${plural}`,
      list: async () => ({ apiVersion: API, kind: `${kind}List`, metadata: {}, items: await listObjects<T>(objects, API, kind) }) as never,
      log,
    });
  const machines = informer<Machine & KubernetesObject>('Machine', 'machines');
  const sets = informer<MachineSet & KubernetesObject>('MachineSet', 'machinesets');
  const components = informer<Component & KubernetesObject>('Component', 'components');
  const clusters = informer<BusinessCluster & KubernetesObject>('BusinessCluster', 'businessclusters');

  const ctlOpts = { log, ...opts.controller };
  let machineController: Controller | undefined;
  const connections = new ClusterConnections({ log, kwokBinary: opts.kwokBinary, binaries: opts.binaries, onNodeEvent: (key) => machineController?.enqueue(key) });
  const events = new KubeEventRecorder(kc, 'machine-operator', log);
  const machineReconciler = new MachineReconciler({
    kc, log, connections, events,
    providers: opts.providers ?? { kwok: new KwokProvider(), kind: new KindProvider() },
    healthIntervalMs: opts.healthIntervalMs,
    repairLimitMs: opts.repairLimitMs,
    cache: { component: (name) => components.get(name), cluster: (namespace, name) => clusters.get(name, namespace) },
  });
  const setReconciler = new MachineSetReconciler({ kc, log, events });
  const definitions = () => new Map<string, ComponentSpec>(components.list().map((c) => [c.metadata.name, c.spec]));
  const componentReconciler = new ComponentReconciler({ kc, log, definitions });
  machineController = new Controller('machine', (key) => machineReconciler.reconcile(key), { workers: 8, ...ctlOpts });
  const setController = new Controller('machineset', (key) => setReconciler.reconcile(key), ctlOpts);
  const componentController = new Controller('component', (key) => componentReconciler.reconcile(key), ctlOpts);
  const mc = machineController;
  // kwok and the Node watch of a business cluster stop with its last Machine (a new one starts them again).
  const releaseIfUnused = (namespace: string, cluster: string) => {
    if (machines.list(namespace).some((x) => x.spec.clusterRef.name === cluster)) return;
    connections.release(`${namespace}/${cluster}`).catch((e) => log.warn(`stopping kwok of ${namespace}/${cluster}: ${e instanceof Error ? e.message : String(e)}`));
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

  await Promise.all([machines.start(), sets.start(), components.start(), clusters.start()]);
  const controllers = [machineController, setController, componentController];
  for (const c of controllers) c.start();
  return {
    machines: machineReconciler,
    machineSets: setReconciler,
    components: componentReconciler,
    connections,
    controllers,
    events,
    writes: () => machineReconciler.counter.writes + setReconciler.counter.writes + componentReconciler.counter.writes,
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
      await Promise.all([machines.stop(), sets.stop(), components.stop(), clusters.stop()]);
      await connections.stopAll();
    },
  };
}
