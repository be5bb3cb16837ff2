// Component: checks that a definition's dependencies exist and form no cycle, and says so on its status.
// Machines that run the component are queued by the operator wiring whenever it changes.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Component, ComponentSpec, Condition } from '../../api';
import { TerminalError, type Logger, type ReconcileResult } from '../../controller/reconciler';
import { makeObjectApi, readObject } from '../../kube';
import { findCycleThrough } from './components';
import { mergeConditions, type ConditionInput } from '../../kit';
import { API } from './names';
import { writeStatusIfChanged } from '../../kit';

export interface ComponentRuntime {
  kc: KubeConfig;
  log: Logger;
  /** Every Component definition (the operator's cache). */
  definitions(): ReadonlyMap<string, ComponentSpec>;
  now?: () => Date;
}

/** The Valid condition of one Component against the whole catalogue. */
export function componentValidity(name: string, definitions: ReadonlyMap<string, ComponentSpec>): ConditionInput {
  const spec = definitions.get(name);
  const missing = (spec?.dependsOn ?? []).filter((d) => !definitions.has(d));
  if (missing.length)
    return {
      type: 'Valid',
      status: 'False',
      reason: 'DependencyNotFound',
      message: `depends on ${missing.join(', ')}, which is not defined`,
    };
  const cycle = findCycleThrough(name, definitions);
  if (cycle) return { type: 'Valid', status: 'False', reason: 'DependencyCycle', message: `dependency cycle: ${cycle}` };
  return { type: 'Valid', status: 'True', reason: 'DependenciesResolved' };
}

export class ComponentReconciler {
  private readonly objects;

  constructor(private readonly rt: ComponentRuntime) {
    this.objects = makeObjectApi(rt.kc);
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const c = await readObject<Component & KubernetesObject & { status?: { conditions?: Condition[]; observedGeneration?: number } }>(
      this.objects,
      {
        apiVersion: API,
        kind: 'Component',
        metadata: { name },
      },
    );
    if (!c) return;
    const defs = new Map(this.rt.definitions());
    defs.set(name, c.spec);
    const valid = componentValidity(name, defs);
    const prev = c.status ?? {};
    const status = {
      conditions: mergeConditions(prev.conditions, [valid], c.metadata.generation, (this.rt.now ?? (() => new Date()))()),
      observedGeneration: c.metadata.generation,
    };
    await writeStatusIfChanged(this.rt.kc, c as Component & { metadata: { name: string } }, 'components', prev, status);
    // A cycle is fixed by editing some Component; that edit queues every Component again.
    if (valid.reason === 'DependencyCycle') throw new TerminalError(valid.message!, valid.reason);
  }
}
