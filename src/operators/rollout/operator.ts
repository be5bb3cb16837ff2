// Wiring: FleetRollouts, the BusinessClusters they move and the version catalog, all through the process's
// shared informers (BusinessClusters are the same watch the cluster and machine operators use). A cluster's
// change wakes the rollouts that select it; a catalog change wakes every rollout. The maintenance controller
// (patch updates, moves off Unsupported or expired versions) runs beside it on the same caches, per cluster.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, FleetRollout, KubernetesVersion, MachineSet } from '../../api';
import type { Controller, ControllerOptions } from '../../controller/controller';
import { runOperator, type OperatorDefinition } from '../../controller/operator';
import { keyOf, type Logger } from '../../controller/reconciler';
import { kokpitWatch } from '../../controller/shared-informers';
import { kokpitUserAgent, withUserAgent } from '../../kube';
import { MaintenanceReconciler } from './maintenance';
import { RolloutReconciler, rolloutsOf } from './reconciler';
import { maintenanceRelevant } from './render/maintenance';
import { concernedBy } from './render/plan';

const finished = (r: FleetRollout) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed';
/** How long a cluster's event waits for others before the rollouts that hold it make a pass (`npm run bench -- rollout
 *  --timeline`: a 90-cluster wave turning Ready was ~90 passes of a few ms each on the event loop the watches share, and
 *  the last cluster's event was handled ~300 ms after the API server stored it). */
export const CLUSTER_BATCH_MS = 10;

export interface RolloutOperatorOptions {
  kc: KubeConfig;
  log?: Logger;
  now?: () => Date;
  controller?: ControllerOptions;
}

export interface RolloutOperator {
  reconciler: RolloutReconciler;
  controller: Controller;
  maintenance: Controller;
  stop(): Promise<void>;
}

export function rolloutOperator(opts: Omit<RolloutOperatorOptions, 'kc' | 'log'> = {}): OperatorDefinition<Omit<RolloutOperator, 'stop'>> {
  return {
    name: 'rollout-operator',
    setup(ctx) {
      const rollouts = ctx.informer<FleetRollout & KubernetesObject>(kokpitWatch('FleetRollout'));
      const clusters = ctx.informer<BusinessCluster & KubernetesObject>(kokpitWatch('BusinessCluster'));
      const versions = ctx.informer<KubernetesVersion & KubernetesObject>(kokpitWatch('KubernetesVersion'));
      // spec.includeMachines: the machine operator's MachineSet watch (shared under the manager: no second watch).
      const sets = ctx.informer<MachineSet & KubernetesObject>(kokpitWatch('MachineSet'));
      const reconciler = new RolloutReconciler({
        // Its own User-Agent: the API server's audit log tells this operator's writes apart.
        kc: withUserAgent(ctx.kc, kokpitUserAgent('rollout-operator')),
        log: ctx.log,
        now: opts.now,
        cache: {
          rollout: (name) => rollouts.get(name),
          clusters: () => clusters.list(),
          versions: () => versions.list(),
          rollouts: () => rollouts.list(),
          machineSets: () => sets.list(),
        },
      });
      // One worker: rollouts are few, and one pass at a time keeps the overlap check between them simple.
      const controller = ctx.controller('fleetrollout', (key) => reconciler.reconcile(key), { workers: 1, ...opts.controller });
      const maintenanceReconciler = new MaintenanceReconciler({
        kc: withUserAgent(ctx.kc, kokpitUserAgent('rollout-operator')),
        log: ctx.log,
        now: opts.now,
        cache: { versions: () => versions.list(), rollouts: () => rollouts.list() },
      });
      const maintenance = ctx.controller('maintenance', (key) => maintenanceReconciler.reconcile(key), opts.controller);
      // Only clusters maintenance has anything to look at get a pass (the rest of the fleet costs nothing).
      const maintain = (bc: BusinessCluster) => {
        if (maintenanceRelevant(bc, versions.list())) maintenance.enqueue(keyOf(bc));
      };
      rollouts.onEvent((r, kind) => {
        // Its own status write coming back through the watch: the pass that wrote it has acted on it already.
        if (kind === 'delete') controller.enqueue(keyOf(r));
        else void reconciler.isOwnWrite(r).then((own) => own || controller.enqueue(keyOf(r)));
        // A rollout that finishes, goes away or changes its spec (say its selector) may release clusters to
        // maintenance: those with a row, and those its selector and namespaces match (a superset of those it selects;
        // maintenance looks again and skips what it has nothing for). Only then: this walks the whole fleet, and a
        // rollout at work writes its status many times (each write's event was handled here, on the event loop, just
        // as its spec writes were due to go out).
        const specChanged = (r.metadata.generation ?? 0) !== (r.status?.observedGeneration ?? 0);
        if (kind === 'delete' || finished(r) || specChanged) {
          const concerned = concernedBy(r);
          for (const bc of clusters.list()) if (concerned(bc)) maintain(bc);
        }
        // A rollout that finishes or goes away may release clusters another one waits for; finished ones wait for none.
        for (const other of rollouts.list())
          if (other.metadata.name !== r.metadata.name && !finished(other)) controller.enqueue(keyOf(other));
      });
      clusters.onEvent((bc, kind) => {
        // A spec write of the rollout's own coming back (as its status writes above): the pass that sent it has acted.
        // Others wait CLUSTER_BATCH_MS: a wave of clusters turning Ready at once is a few passes, not one per cluster.
        void reconciler.isOwnClusterWrite(bc, kind).then((own) => {
          if (!own) for (const k of rolloutsOf(rollouts.list(), bc)) controller.enqueueAfter(k, CLUSTER_BATCH_MS);
        });
        maintain(bc);
      });
      // A MachineSet's progress wakes the rollouts that hold its cluster.
      sets.onEvent((ms) => {
        const bc = clusters
          .list()
          .find((c) => c.metadata.namespace === ms.metadata.namespace && c.metadata.name === ms.spec.clusterRef.name);
        if (bc) for (const k of rolloutsOf(rollouts.list(), bc)) controller.enqueue(k);
      });
      versions.onEvent(() => {
        for (const r of rollouts.list()) controller.enqueue(keyOf(r));
        for (const bc of clusters.list()) maintain(bc);
      });
      return { reconciler, controller, maintenance };
    },
  };
}

/** The rollout operator alone (tests, benchmarks): its own informers, no lease. */
export function startRolloutOperator(opts: RolloutOperatorOptions): Promise<RolloutOperator> {
  return runOperator(opts.kc, rolloutOperator(opts), opts.log);
}
