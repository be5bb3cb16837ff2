// MachineSet: keeps `replicas` Machines and rolls template changes out phase by phase (rollout.ts plans,
// this applies the plan and reports it).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Machine, MachineSet, MachineSetStatus } from '../../api';
import { oneAtATimePerKey, type Logger, type ReconcileResult, splitKey } from '../../controller/reconciler';
import { applyObject, deleteObject, listObjects, makeObjectApi, readObject } from '../../kube';
import { findCondition, mergeConditions, type ConditionInput } from '../../kit';
import { noEvents, type EventRecorder } from '../../kit/events';
import { API, MACHINESET_LABEL, TEMPLATE_HASH_LABEL, machineIndexOf } from './names';
import { renderSetMachine, templateHashOf } from './render';
import { planRollout, type MachineFacts } from './rollout';
import { writeStatusIfChanged } from '../../kit';

export interface MachineSetRuntime {
  kc: KubeConfig;
  log: Logger;
  events?: EventRecorder;
  now?: () => Date;
}

export function machineFacts(setName: string, m: Machine): MachineFacts | undefined {
  const index = machineIndexOf(setName, m.metadata.name);
  if (index === undefined) return undefined;
  return {
    name: m.metadata.name,
    index,
    hash: m.metadata.labels?.[TEMPLATE_HASH_LABEL],
    // Ready only once the machine's status describes its current spec.
    ready: m.status?.phase === 'Running' && m.status.observedGeneration === m.metadata.generation,
    failed: m.status?.phase === 'Failed',
    message: failureMessageOf(m),
  };
}

function failureMessageOf(m: Machine): string | undefined {
  if (m.status?.phase !== 'Failed') return undefined;
  const c =
    m.status.conditions?.find((x) => x.status === 'False' && x.type === 'ComponentsHealthy') ??
    m.status.conditions?.find((x) => x.status === 'False');
  return c ? `${c.reason}: ${c.message ?? ''}`.trim() : undefined;
}

export class MachineSetReconciler {
  private readonly objects;
  private readonly now: () => Date;

  constructor(private readonly rt: MachineSetRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.now = rt.now ?? (() => new Date());
  }

  /** The level-triggered entry point. One pass per MachineSet at a time (oneAtATimePerKey). */
  readonly reconcile = oneAtATimePerKey((key: string) => this.pass(key));

  /* eslint-disable-next-line max-lines-per-function -- scale, then one rollout phase, then status; each part is a call into rollout.ts,
     the rest is their wiring */
  private async pass(key: string): Promise<ReconcileResult | void> {
    const { namespace = 'default', name } = splitKey(key);
    const set = await readObject<MachineSet & KubernetesObject>(this.objects, {
      apiVersion: API,
      kind: 'MachineSet',
      metadata: { name, namespace },
    });
    // Machines carry the set as controller owner: garbage collection removes them with it.
    if (!set || set.metadata.deletionTimestamp) return;

    const owned = (
      await listObjects<Machine & KubernetesObject>(this.objects, API, 'Machine', {
        namespace,
        labelSelector: `${MACHINESET_LABEL}=${name}`,
      })
    ).filter((m) => m.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid && o.controller));
    const facts = owned.map((m) => machineFacts(name, m)).filter((f): f is MachineFacts => f !== undefined);
    const hash = templateHashOf(set);
    const prevStatus = set.status ?? {};
    const sameRollout = prevStatus.templateHash === hash;
    const paused = findCondition(prevStatus.conditions, 'RolloutPaused');
    const now = this.now();
    const plan = planRollout(
      set.spec,
      hash,
      facts,
      sameRollout
        ? {
            currentPhase: prevStatus.currentPhase,
            pausedSince: paused?.status === 'True' && paused.lastTransitionTime ? new Date(paused.lastTransitionTime) : undefined,
          }
        : {},
      now,
    );

    const live = new Map(owned.map((m) => [m.metadata.name, m]));
    await Promise.all(plan.create.map((index) => applyObject(this.objects, renderSetMachine(set, index, hash) as KubernetesObject)));
    for (const machineName of plan.update) {
      const index = facts.find((f) => f.name === machineName)!.index;
      await applyObject(this.objects, renderSetMachine(set, index, hash) as KubernetesObject);
      this.rt.log.info(`machineset ${key}: phase ${plan.currentPhase}: machine ${machineName} moved to template ${hash}`);
    }
    for (const machineName of plan.replace) {
      if (live.get(machineName)?.metadata.deletionTimestamp) continue;
      await deleteObject(this.objects, { apiVersion: API, kind: 'Machine', metadata: { name: machineName, namespace } });
      this.rt.log.info(`machineset ${key}: machine ${machineName} Failed; replacing it`);
      await this.event(
        set,
        'Warning',
        'MachineReplaced',
        `machine ${machineName} Failed (${facts.find((f) => f.name === machineName)?.message ?? 'no reason reported'}); ` +
          `deleted, a new one replaces it`,
      );
    }
    for (const machineName of plan.delete) {
      if (live.get(machineName)?.metadata.deletionTimestamp) continue;
      await deleteObject(this.objects, { apiVersion: API, kind: 'Machine', metadata: { name: machineName, namespace } });
    }

    const conditions: ConditionInput[] = [
      plan.counts.ready >= set.spec.replicas && plan.counts.replicas === set.spec.replicas
        ? {
            type: 'Available',
            status: 'True',
            reason: 'AllMachinesReady',
            message: `${plan.counts.ready} of ${set.spec.replicas} machines ready`,
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MachinesNotReady',
            message: `${plan.counts.ready} of ${set.spec.replicas} machines ready`,
          },
      plan.healthGateFailed
        ? { type: 'RolloutProgressing', status: 'False', reason: 'HealthGateFailed', message: plan.message }
        : plan.rollingOut
          ? { type: 'RolloutProgressing', status: 'True', reason: plan.paused ? 'PhasePause' : 'PhaseInProgress', message: plan.message }
          : { type: 'RolloutProgressing', status: 'False', reason: 'RolloutComplete', message: plan.message },
      plan.paused
        ? { type: 'RolloutPaused', status: 'True', reason: 'PhasePause', message: plan.message }
        : { type: 'RolloutPaused', status: 'False', reason: 'NotPaused' },
    ];
    const status: MachineSetStatus = {
      replicas: plan.counts.replicas,
      readyReplicas: plan.counts.ready,
      // Machines on the current template that are ready with it.
      updatedReplicas: plan.counts.updated,
      currentPhase: plan.currentPhase,
      templateHash: hash,
      message: plan.message,
      conditions: mergeConditions(prevStatus.conditions, conditions, set.metadata.generation, now),
      observedGeneration: set.metadata.generation,
    };
    const wrote = await writeStatusIfChanged(
      this.rt.kc,
      set as MachineSet & { metadata: { name: string } },
      'machinesets',
      prevStatus,
      status as Record<string, unknown>,
    );
    if (wrote) {
      // Events for transitions only: a new phase, a rollout that stops or completes.
      const before = findCondition(prevStatus.conditions, 'RolloutProgressing');
      const after = conditions[1];
      if (plan.rollingOut && !plan.paused && !plan.healthGateFailed && (prevStatus.currentPhase !== plan.currentPhase || !sameRollout)) {
        await this.event(set, 'Normal', 'RolloutPhase', plan.message);
      }
      if (before?.reason !== after.reason && after.reason !== 'PhaseInProgress' && (before || after.reason !== 'RolloutComplete')) {
        await this.event(set, after.reason === 'HealthGateFailed' ? 'Warning' : 'Normal', after.reason, plan.message);
      }
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  private async event(set: MachineSet, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await (this.rt.events ?? noEvents).record(
      {
        apiVersion: API,
        kind: 'MachineSet',
        metadata: { name: set.metadata.name, namespace: set.metadata.namespace, uid: set.metadata.uid },
      },
      type,
      reason,
      message,
    );
  }
}
