// A member whose data volume ran full. etcd does not raise an alarm for it (NOSPACE is the backend quota, not the
// disk): the member exits on its next write to the full disk ("failed to commit tx … no space left on device"),
// and again after every restart while it replays its log. Its last words reach the pod status as the
// container's termination message (terminationMessagePolicy FallbackToLogsOnError, as the kubelet fills it in), so
// the operator reads the cause from the API, as it would on any node. Pure.
import type { V1Pod } from '@kubernetes/client-node';

/** A crash this long ago, with the container running since, is history (a member that later hangs is not "full"). */
const RECENT_MS = 60_000;
const ENOSPC = /no space left on device|ENOSPC/i;

/**
 * Why the member's etcd container stopped, when it was the disk running full and the member has not run for
 * long since; otherwise undefined. etcd logs JSON lines: the message and error of the last one naming ENOSPC.
 */
export function diskFullCause(pod: V1Pod, nowMs: number): string | undefined {
  const st = pod.status?.containerStatuses?.find((c) => c.name === 'etcd');
  const t = st?.state?.terminated ?? st?.lastState?.terminated;
  if (!t || t.exitCode === 0 || !t.message) return undefined;
  const started = st?.state?.running?.startedAt;
  if (started && nowMs - new Date(started).getTime() > RECENT_MS) return undefined;
  const line = t.message
    .split('\n')
    .reverse()
    .find((l) => ENOSPC.test(l));
  if (!line) return undefined;
  let text = line.trim();
  try {
    const j = JSON.parse(text) as { msg?: string; error?: string };
    if (j.msg || j.error) text = [j.msg, j.error].filter(Boolean).join(': ');
  } catch {
    // not JSON (another log format): the line as it is
  }
  return `etcd exited with ${t.exitCode}: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}
