// Where the manager runs and who holds its leader lease (kokpit-system/kokpit-manager), for `kokpit status`, the
// Fleet view's meta-cluster node, the editor's "Start Reconcilers" (offered only when no manager holds the lease)
// and the notification when the lease changes hands or lapses. Reading is one GET of the Lease (and of the holder's
// Pod: in the cluster the holder identity is the pod's name, config/manager POD_NAME); describing is pure.
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { briefError } from '../controller/reconciler';
import { MANAGER_NAMESPACE } from '../local/sandbox-env';

export const MANAGER_LEASE = 'kokpit-manager';

/** In the meta cluster (the holder is a pod there) or on a host (VS Code, `kokpit up`, `kokpit operator`). */
export type ManagerWhere = { kind: 'pod'; phase: string; node?: string } | { kind: 'host' } | { kind: 'unknown' };

export type ManagerLease =
  | { state: 'absent' }
  | { state: 'released' }
  | {
      state: 'held' | 'expired';
      holder: string;
      where: ManagerWhere;
      renewedAgoSec: number;
      durationSec: number;
    }
  | { state: 'unknown'; error: string };

const LEASE_REF = `${MANAGER_NAMESPACE}/${MANAGER_LEASE}`;

/** The lease as of `nowMs`, given where its holder runs (`where` is asked only when someone holds it). */
export function leaseState(lease: V1Lease, nowMs: number, where: ManagerWhere): ManagerLease {
  const holder = lease.spec?.holderIdentity;
  if (!holder) return { state: 'released' };
  const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
  const durationSec = lease.spec?.leaseDurationSeconds ?? 15;
  const renewedAgoSec = Math.max(0, Math.round((nowMs - renew) / 1000));
  return { state: nowMs - renew < durationSec * 1000 ? 'held' : 'expired', holder, where, renewedAgoSec, durationSec };
}

async function whereHolderRuns(kc: KubeConfig, holder: string): Promise<ManagerWhere> {
  try {
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: holder, namespace: MANAGER_NAMESPACE });
    return { kind: 'pod', phase: pod.status?.phase ?? 'Pending', node: pod.spec?.nodeName };
  } catch (e) {
    return (e as { code?: number }).code === 404 ? { kind: 'host' } : { kind: 'unknown' };
  }
}

/** Reads the lease (and its holder's pod); never throws: an unreadable lease is `unknown` with the reason. */
export async function readManagerLease(kc: KubeConfig, nowMs: () => number = Date.now): Promise<ManagerLease> {
  let lease: V1Lease;
  try {
    lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: MANAGER_LEASE, namespace: MANAGER_NAMESPACE });
  } catch (e) {
    return (e as { code?: number }).code === 404 ? { state: 'absent' } : { state: 'unknown', error: briefError(e) };
  }
  const holder = lease.spec?.holderIdentity;
  return leaseState(lease, nowMs(), holder ? await whereHolderRuns(kc, holder) : { kind: 'unknown' });
}

function whereText(l: Extract<ManagerLease, { holder: string }>): string {
  switch (l.where.kind) {
    case 'pod':
      return `in the cluster: pod ${MANAGER_NAMESPACE}/${l.holder} (${l.where.phase}${l.where.node ? ` on ${l.where.node}` : ''})`;
    case 'host':
      return `on a host: ${l.holder}`;
    default:
      return l.holder;
  }
}

/** Who holds it, in a few words: `pod kokpit-system/x` or `x on a host`. */
function holderText(l: Extract<ManagerLease, { holder: string }>): string {
  return l.where.kind === 'pod' ? `pod ${MANAGER_NAMESPACE}/${l.holder}` : l.where.kind === 'host' ? `${l.holder} on a host` : l.holder;
}

/** The sentence `kokpit status` prints after "Manager:". */
export function describeManagerLease(l: ManagerLease): string {
  switch (l.state) {
    case 'absent':
      return 'no manager has run here (no lease)';
    case 'released':
      return 'no manager holds the lease (none running)';
    case 'unknown':
      return `unknown (${l.error})`;
    default:
      return `${whereText(l)} ${l.state === 'held' ? 'holds' : 'held (expired)'} the lease ${LEASE_REF}, renewed ${l.renewedAgoSec}s ago`;
  }
}

/** Short form for the Fleet view's meta-cluster node. */
export function managerSummary(l: ManagerLease): { text: string; status: 'ok' | 'warning' | 'unknown' } {
  switch (l.state) {
    case 'held':
      return { text: `manager: ${holderText(l)}`, status: 'ok' };
    case 'expired':
      return { text: `manager: lease expired ${l.renewedAgoSec}s ago`, status: 'warning' };
    case 'unknown':
      return { text: 'manager: unknown', status: 'unknown' };
    default:
      return { text: 'no manager running', status: 'warning' };
  }
}

/** Whether some manager holds the lease right now (then the editor does not offer to start its own). */
export const leaseHeld = (l: ManagerLease): boolean => l.state === 'held';

/**
 * The notification for a change between two readings, or undefined: the lease lapsed (nothing reconciles the
 * fleet), changed hands (a failover), or was taken again after a lapse. Unknown readings (a network blip) and the
 * first reading say nothing; a clean release (a manager stopped on purpose) is not an alarm either.
 */
export function leaseTransition(
  prev: ManagerLease | undefined,
  next: ManagerLease,
): { severity: 'info' | 'warning'; message: string } | undefined {
  if (!prev || prev.state === 'unknown' || next.state === 'unknown') return undefined;
  if (prev.state === 'held' && next.state === 'expired') {
    return {
      severity: 'warning',
      message:
        `no manager has renewed the lease ${LEASE_REF} for ${next.renewedAgoSec}s (last holder ${next.holder}): ` +
        'nothing reconciles the fleet',
    };
  }
  if (next.state === 'held' && prev.state === 'held' && prev.holder !== next.holder) {
    return { severity: 'info', message: `the manager lease moved from ${prev.holder} to ${holderText(next)}` };
  }
  if (next.state === 'held' && prev.state === 'expired')
    return { severity: 'info', message: `the manager lease is held again, by ${holderText(next)}` };
  return undefined;
}
