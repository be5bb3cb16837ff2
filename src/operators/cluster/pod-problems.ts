// Why a business cluster's control-plane pods do not start, in the pods' own words: a container waiting
// on ErrImagePull, CrashLoopBackOff or a config error, one that keeps exiting, a failing readiness probe,
// or a pod nobody can schedule. Pure: the reconciler lists the pods, this picks what a person must know.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface PodProblem {
  pod: string;
  container?: string;
  /** The pod's own reason (ErrImagePull, CrashLoopBackOff, Unschedulable, Unhealthy, …). */
  reason: string;
  message: string;
}

// Waiting reasons that are progress, not trouble (a message still says what is being waited for).
const PROGRESS = new Set(['ContainerCreating', 'PodInitializing']);

function containerProblem(pod: string, s: V1ContainerStatus): PodProblem | undefined {
  const w = s.state?.waiting;
  const last = s.lastState?.terminated;
  const lastLine = last?.message ? `: ${last.message.trim().split('\n').slice(-1)[0]}` : '';
  const lastExit = last ? ` (last exit ${last.exitCode}${last.reason ? ` ${last.reason}` : ''}${lastLine})` : '';
  if (w?.reason && !PROGRESS.has(w.reason)) {
    return {
      pod,
      container: s.name,
      reason: w.reason,
      message: `${w.message ?? w.reason}${w.reason === 'CrashLoopBackOff' ? lastExit : ''}`,
    };
  }
  if (w?.reason && w.message) return { pod, container: s.name, reason: w.reason, message: w.message };
  const t = s.state?.terminated;
  if (t && t.exitCode !== 0)
    return {
      pod,
      container: s.name,
      reason: t.reason ?? 'Error',
      message: `exited ${t.exitCode}${t.message ? `: ${t.message.trim()}` : ''}`,
    };
  if (s.state?.running && !s.ready && s.restartCount > 0) {
    return { pod, container: s.name, reason: 'Unhealthy', message: `running but not ready after ${s.restartCount} restart(s)${lastExit}` };
  }
  return undefined;
}

/** Problems of the given pods, worst first (errors before progress), at most one per container. */
export function podProblems(pods: V1Pod[]): PodProblem[] {
  const out: PodProblem[] = [];
  for (const p of pods) {
    const name = p.metadata?.name ?? '?';
    if (p.metadata?.deletionTimestamp) continue;
    const sched = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (sched?.status === 'False')
      out.push({ pod: name, reason: sched.reason ?? 'Unschedulable', message: sched.message ?? 'not scheduled' });
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const pr = containerProblem(name, s);
      if (pr) out.push(pr);
    }
    const ready = p.status?.conditions?.find((c) => c.type === 'ContainersReady');
    const running = p.status?.phase === 'Running';
    if (running && ready?.status === 'False' && !out.some((o) => o.pod === name)) {
      out.push({ pod: name, reason: 'Unhealthy', message: ready.message ?? 'containers not ready' });
    }
  }
  const rank = (r: PodProblem) => (PROGRESS.has(r.reason) ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** One line for a condition: the first problem, and how many more. */
export function describePodProblems(problems: PodProblem[]): { reason: string; message: string } | undefined {
  const first = problems[0];
  if (!first) return undefined;
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  return {
    reason: first.reason,
    message: `pod ${first.pod}${first.container ? ` container ${first.container}` : ''}: ${first.message}${more}`,
  };
}
