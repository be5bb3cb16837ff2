// The kwok provider: no host. The Node is registered in the business cluster as a kubelet would and kept
// Ready by the business cluster's kwok process (connections.ts); component steps are simulated, i.e. not
// run. A simulated step succeeds unless the Machine asks it to fail (fault injection, so health gates,
// repair and replacement can be exercised on kwok machines):
//   kokpit.dev/simulate-step-failure: "agent@2.0.0/health, agent/repair"
// makes the `health` step of component agent fail while it is at version 2.0.0, and its `repair` at any version.
import type { Machine } from '../../../api';
import { applyObject, deleteObject } from '../../../kube';
import { nodeMatches } from '../node-match';
import { kwokProviderID, renderKwokNode } from '../render';
import type { StepName } from '../steps';
import type { DeleteContext, DeleteResult, JoinResult, MachineProvider, ProviderContext, ProviderDescription, ProvisionResult, StepRequest, StepResult } from './provider';

export const SIMULATED_FAILURE_ANNOTATION = 'kokpit.dev/simulate-step-failure';
export const SIMULATED_STEP_MESSAGE = 'installed (simulated by kwok: no script run)';

/** Whether the annotation value asks `step` of `component` at `version` to fail. */
export function injectedFailure(annotation: string | undefined, component: string, version: string, step: StepName): boolean {
  if (!annotation) return false;
  return annotation.split(',').map((s) => s.trim()).filter(Boolean).some((entry) => {
    const m = /^([a-z0-9-]+)(?:@([^/]+))?\/([a-z]+)$/.exec(entry);
    return !!m && m[1] === component && (m[2] === undefined || m[2] === version) && m[3] === step;
  });
}

export class KwokProvider implements MachineProvider {
  readonly name = 'kwok' as const;

  describe(machine: Machine): ProviderDescription {
    return { provider: 'kwok', simulated: true, host: `kwok node ${machine.metadata.name}` };
  }

  async provision(ctx: ProviderContext): Promise<ProvisionResult> {
    return { ok: true, providerID: kwokProviderID(ctx.machine), condition: { type: 'Provisioned', status: 'True', reason: 'SimulatedByKwok', message: 'simulated by kwok: no host to provision' } };
  }

  async runStep(ctx: ProviderContext, req: StepRequest): Promise<StepResult> {
    if (injectedFailure(ctx.machine.metadata.annotations?.[SIMULATED_FAILURE_ANNOTATION], req.component, req.version, req.step)) {
      return { ok: false, message: `${req.step} of ${req.component} ${req.version} failed (injected by annotation ${SIMULATED_FAILURE_ANNOTATION})` };
    }
    return { ok: true, message: req.step === 'install' || req.step === 'upgrade' ? SIMULATED_STEP_MESSAGE : `${req.step} simulated by kwok: no script run` };
  }

  async join(ctx: ProviderContext, live: Parameters<MachineProvider['join']>[1]): Promise<JoinResult> {
    const desired = renderKwokNode(ctx.machine, ctx.plan);
    let node = live;
    if (!node || !nodeMatches(node, desired)) {
      ctx.counter.writes++;
      node = await applyObject(ctx.conn.objects, desired);
    }
    return { ok: true, node, condition: { type: 'Joined', status: 'True', reason: 'NodeRegistered', message: `Node ${ctx.nodeName} registered in business cluster ${ctx.machine.spec.clusterRef.name}` } };
  }

  async delete(ctx: DeleteContext): Promise<DeleteResult> {
    if (!ctx.conn) return { done: true };
    ctx.counter.writes++;
    await deleteObject(ctx.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName } });
    return { done: true };
  }
}
