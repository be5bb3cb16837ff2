// The kwok provider: no host. The Node is registered in the business cluster as a kubelet would and kept
// Ready by the business cluster's kwok process (connections.ts); component steps are simulated, i.e. not
// run, and always succeeds. (Tests that need a failing step wrap this provider: fault injection lives in
// tests, never here.)
import type { Machine } from '../../../api';
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { applyObject, deleteObject, readObject } from '../../../kube';
import { nodeOwnedBy } from '../names';
import { nodeMatches } from '../node-match';
import { kwokProviderID, renderKwokNode } from '../render';
import type {
  DeleteContext,
  DeleteResult,
  JoinResult,
  MachineProvider,
  ProviderContext,
  ProviderDescription,
  ProvisionResult,
  StepRequest,
  StepResult,
} from './provider';

export const SIMULATED_STEP_MESSAGE = 'installed (simulated by kwok: no script run)';

export class KwokProvider implements MachineProvider {
  readonly name = 'kwok' as const;

  describe(machine: Machine): ProviderDescription {
    return { provider: 'kwok', simulated: true, host: `kwok node ${machine.metadata.name}` };
  }

  async provision(ctx: ProviderContext): Promise<ProvisionResult> {
    return {
      ok: true,
      providerID: kwokProviderID(ctx.machine),
      condition: { type: 'Provisioned', status: 'True', reason: 'SimulatedByKwok', message: 'simulated by kwok: no host to provision' },
    };
  }

  async runStep(_ctx: ProviderContext, req: StepRequest): Promise<StepResult> {
    return {
      ok: true,
      message: req.step === 'install' || req.step === 'upgrade' ? SIMULATED_STEP_MESSAGE : `${req.step} simulated by kwok: no script run`,
    };
  }

  async join(ctx: ProviderContext, live: Parameters<MachineProvider['join']>[1]): Promise<JoinResult> {
    const desired = renderKwokNode(ctx.machine, ctx.plan);
    let node = live;
    if (!node || !nodeMatches(node, desired)) {
      node = await applyObject(ctx.conn.objects, desired);
    }
    // A kubelet restarted at another version reports it in the Node's status. An apply of the Node leaves status alone
    // (it only counts at registration) and kwok's stages keep nodeInfo as it is: so an upgraded machine's is patched.
    const kubelet = desired.status!.nodeInfo!.kubeletVersion;
    if (node.status?.nodeInfo?.kubeletVersion !== kubelet) {
      node = await ctx.conn.core.patchNodeStatus(
        { name: ctx.nodeName, body: { status: { nodeInfo: { kubeletVersion: kubelet } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    return {
      ok: true,
      node,
      condition: {
        type: 'Joined',
        status: 'True',
        reason: 'NodeRegistered',
        message: `Node ${ctx.nodeName} registered in business cluster ${ctx.machine.spec.clusterRef.name}`,
      },
    };
  }

  async delete(ctx: DeleteContext): Promise<DeleteResult> {
    if (!ctx.conn) return { done: true };
    // Only this machine's Node: one of the same name registered by someone else stays.
    const node = await readObject<V1Node>(ctx.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName } });
    if (!node || !nodeOwnedBy(node, ctx.machine)) return { done: true };
    await deleteObject(ctx.conn.objects, { apiVersion: 'v1', kind: 'Node', metadata: { name: ctx.nodeName } });
    return { done: true };
  }
}
