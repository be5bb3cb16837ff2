// Notifications that matter, as transitions: given each new state of a fleet object (as the watches deliver it),
// say once when it turns Degraded, loses etcd quorum, fails an upgrade or fails a rollout — not again on the
// next watch event while it stays so, and again only after it recovered and failed anew. Pure; the editor shows them.
import { terminalClusterCondition, type Condition } from '../api';

export type ProblemKind = 'cluster-degraded' | 'etcd-degraded' | 'etcd-quorum-lost' | 'upgrade-failed' | 'rollout-failed';

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface FleetNotification {
  problem: ProblemKind;
  severity: 'error' | 'warning';
  ref: ObjectRef;
  /** One sentence: what happened and the reason the object gives. */
  message: string;
}

interface Problem {
  /** Identifies this problem on this object: the same id again is not a new transition. */
  id: string;
  problem: ProblemKind;
  severity: 'error' | 'warning';
  message: string;
}

/** What a watch delivers: any kokpit object (only BusinessCluster, EtcdCluster and FleetRollout can have problems). */
export interface WatchedObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: unknown;
  status?: unknown;
}

interface StatusLike {
  phase?: string;
  version?: string;
  conditions?: Condition[];
  lastFailure?: { cluster: string; reason: string; message?: string };
}

function cond(status: StatusLike, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** ": Reason: message" of a condition, or ''. */
function because(c: Condition | undefined): string {
  if (!c) return '';
  return `: ${c.reason ?? c.type}${c.message ? ` — ${c.message}` : ''}`;
}

function label(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The problems an object has in this state. */
export function problemsOf(obj: WatchedObject): Problem[] {
  const ref = refOf(obj);
  if (!ref) return [];
  const status = (obj.status ?? {}) as StatusLike;
  const what = label(ref);
  const out: Problem[] = [];
  switch (obj.kind) {
    case 'BusinessCluster': {
      // The cluster operator calls a cluster that was Running and is no longer Ready "Degraded"; Ready says why.
      if (status.phase === 'Degraded')
        out.push({
          id: 'degraded',
          problem: 'cluster-degraded',
          severity: 'error',
          message: `${what} is Degraded${because(cond(status, 'Ready'))}`,
        });
      const spec = (obj.spec ?? {}) as { version?: string };
      // An upgrade (a running cluster asked for another version) that failed for good: waiting will not fix it.
      const stuck = terminalClusterCondition(status.conditions, obj.metadata?.generation ?? 0);
      if (stuck && status.version && spec.version && spec.version !== status.version)
        out.push({
          id: `upgrade-failed:${spec.version}`,
          problem: 'upgrade-failed',
          severity: 'error',
          message: `upgrade of ${what} from ${status.version} to ${spec.version} failed${because(stuck)}`,
        });
      break;
    }
    case 'EtcdCluster': {
      const quorum = cond(status, 'QuorumLost');
      if (quorum?.status === 'True' || status.phase === 'QuorumLost')
        out.push({ id: 'quorum-lost', problem: 'etcd-quorum-lost', severity: 'error', message: `${what} lost quorum${because(quorum)}` });
      else {
        const degraded = cond(status, 'Degraded');
        if (degraded?.status === 'True' || status.phase === 'Degraded')
          out.push({ id: 'degraded', problem: 'etcd-degraded', severity: 'warning', message: `${what} is Degraded${because(degraded)}` });
      }
      break;
    }
    case 'FleetRollout': {
      if (status.phase === 'Failed') {
        const last = status.lastFailure;
        const why = last
          ? `: ${last.cluster}: ${last.reason}${last.message ? ` — ${last.message}` : ''}`
          : because(cond(status, 'Progressing'));
        out.push({ id: 'failed', problem: 'rollout-failed', severity: 'error', message: `${what} failed${why}` });
      }
      break;
    }
  }
  return out;
}

function refOf(obj: WatchedObject): ObjectRef | undefined {
  if (!obj.kind || !obj.metadata?.name) return undefined;
  return { kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}

const keyOf = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

export interface DetectorOptions {
  /** Notify about problems an object already has the first time it is seen (default false: connecting to a fleet
   *  lists every object, and what was wrong before is no transition). */
  notifyExisting?: boolean;
}

/** Remembers each object's problems; `observe` returns only the ones that are new since its last state. */
export class TransitionDetector {
  private readonly active = new Map<string, Set<string>>();

  constructor(private readonly opts: DetectorOptions = {}) {}

  observe(obj: WatchedObject, event: 'add' | 'update' | 'delete' = 'update'): FleetNotification[] {
    const ref = refOf(obj);
    if (!ref) return [];
    const key = keyOf(ref);
    if (event === 'delete') {
      this.active.delete(key);
      return [];
    }
    const before = this.active.get(key);
    const now = problemsOf(obj);
    this.active.set(key, new Set(now.map((p) => p.id)));
    if (!before && !this.opts.notifyExisting) return [];
    return now.filter((p) => !before?.has(p.id)).map((p) => ({ problem: p.problem, severity: p.severity, ref, message: p.message }));
  }

  /** Forget everything (a new connection lists the fleet again). */
  reset(): void {
    this.active.clear();
  }
}
