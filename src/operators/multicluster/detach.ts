// The order of a BusinessCluster's detach, decided from what is live (no state of its own, so a restarted operator
// picks up where it was). OCM keeps a ManagedCluster and its hub namespace until the cluster's ManifestWorks are
// gone, and only the cluster's agent clears a work: it deletes what the work applied in the business cluster (or,
// with deleteOption Orphan, leaves it) and then drops the work's finalizer. So the ManagedCluster goes first, while
// the agent and the business apiserver run (the cluster operator waits for this operator's finalizer before it
// stops the control plane); the agent, its credentials and the hub namespace after. If the works are not cleared
// within the timeout (the business apiserver is down, the agent cannot start), the detach does what
// `kokpit deregister --force` does: it drops the works' finalizers, and whatever they applied stays where it is.
import type { ConditionInput } from '../../kit';
import { CONDITION } from './names';

export interface DetachView {
  mc: string;
  /** The ManagedCluster: absent (or OCM not installed), there, or deleting since `deletingSinceMs`. */
  managedCluster: 'absent' | 'present' | 'deleting';
  deletingSinceMs?: number;
  /** ManifestWorks still in the cluster's hub namespace. */
  works: string[];
  nowMs: number;
  timeoutMs: number;
  /** The BusinessCluster itself is being deleted (else spec.multicluster.register turned false and it stays). */
  clusterDeleting: boolean;
}

export type DetachAction =
  | { kind: 'delete-managed-cluster'; condition: ConditionInput }
  | { kind: 'wait'; condition: ConditionInput }
  | { kind: 'orphan-works'; works: string[]; condition: ConditionInput }
  | { kind: 'remove-agent' };

const list = (works: string[]) => (works.length > 5 ? `${works.slice(0, 5).join(', ')} and ${works.length - 5} more` : works.join(', '));

export function decideDetach(v: DetachView): DetachAction {
  if (v.managedCluster === 'absent') return { kind: 'remove-agent' };
  const detaching = (reason: string, message: string): ConditionInput => ({ type: CONDITION, status: 'False', reason, message });
  if (v.managedCluster === 'present')
    return {
      kind: 'delete-managed-cluster',
      condition: detaching('Detaching', `deleting ManagedCluster ${v.mc}; its agent removes what its ManifestWorks applied first`),
    };
  const waited = v.nowMs - (v.deletingSinceMs ?? v.nowMs);
  const secs = Math.round(waited / 1000);
  if (!v.works.length)
    return { kind: 'wait', condition: detaching('Detaching', `waiting for OCM's hub to remove ManagedCluster ${v.mc} (${secs} s)`) };
  if (waited < v.timeoutMs)
    return {
      kind: 'wait',
      condition: detaching(
        'WaitingForWorks',
        `ManagedCluster ${v.mc} waits for its agent to clear ManifestWork(s) ${list(v.works)} (${secs} s of ` +
          `${Math.round(v.timeoutMs / 1000)} s; if the business apiserver or the agent is down, their objects are then left in place)`,
      ),
    };
  const where = v.clusterDeleting ? 'they go with the cluster' : 'they stay in the cluster';
  return {
    kind: 'orphan-works',
    works: v.works,
    condition: detaching(
      'WorksOrphaned',
      `after ${secs} s the agent of ManagedCluster ${v.mc} had not cleared ManifestWork(s) ${list(v.works)}: their finalizers ` +
        `were removed as kokpit deregister --force does, and the objects they applied were not deleted (${where})`,
    ),
  };
}
