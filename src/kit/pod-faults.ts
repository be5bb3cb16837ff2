// A pod fault that waiting will not cure, read from the pod's container states: an image the node cannot get (the
// kubelet's ErrImagePull/ImagePullBackOff/InvalidImageName/ErrImageNeverPull; the sandbox's process pod runner says
// ErrImagePull in its own words, podrunner/pod.ts) or a crash loop. Whoever waits for pods (`kokpit install`'s manager
// wait, the OCM hub's install) stops at the first one and says it with its own fix; this module only finds it and reads
// the facts around it (the node's runtime, the kubelet's pull error, the crashed container's last log lines).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** The waiting reasons a kubelet (and the pod runner) gives for an image it cannot get: retrying will not help. */
export const IMAGE_FAULTS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

/** Facts beyond the pod that make a fault's message precise; each is optional (best effort). */
export interface PodFaultContext {
  /** The node's container runtime (nodeInfo.containerRuntimeVersion): `kokpit-process://…` is the sandbox's pod runner. */
  nodeRuntime?: string;
  /** The previous container's last log lines, for a crash loop. */
  logTail?: string;
  /** The kubelet's last "Failed to pull image" words (an ImagePullBackOff's own message only says it backs off). */
  pullEvent?: string;
}

export interface PodFault {
  kind: 'image' | 'crash';
  namespace: string;
  pod: string;
  node?: string;
  container: string;
  image: string;
  /** The container's waiting reason (ErrImagePull, …, CrashLoopBackOff). */
  reason: string;
  /** image: the runtime's words (waiting message and pull event, once each); crash: the termination message, else the log tail. */
  words?: string;
  restarts: number;
  /** crash: how the last container ended. */
  exit?: { code: number; reason?: string };
}

/** `pod ns/name on node n` (or `(unscheduled)`), how a fault's sentence starts. */
export const podFaultPlace = (f: Pick<PodFault, 'namespace' | 'pod' | 'node'>): string =>
  `pod ${f.namespace}/${f.pod} on node ${f.node ?? '(unscheduled)'}`;

/** The first fault of a pod's (init) containers that waiting will not cure; undefined while it is merely on its way. */
export function podFault(pod: V1Pod, c: PodFaultContext = {}): PodFault | undefined {
  const base = { namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '?', node: pod.spec?.nodeName };
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = s.state?.waiting;
    if (!w?.reason) continue;
    const at = { ...base, container: s.name, image: s.image, reason: w.reason, restarts: s.restartCount };
    if (IMAGE_FAULTS.includes(w.reason)) {
      const words = [w.message, c.pullEvent].filter((m, i, all) => m && all.indexOf(m) === i).join('; ');
      return { kind: 'image', ...at, ...(words ? { words } : {}) };
    }
    // The kubelet says CrashLoopBackOff only once the container exited and its restart is held back.
    if (w.reason === 'CrashLoopBackOff') {
      const t = s.lastState?.terminated;
      const words = t?.message?.trim() || c.logTail?.trim();
      return {
        kind: 'crash',
        ...at,
        ...(words ? { words } : {}),
        ...(t ? { exit: { code: t.exitCode, ...(t.reason ? { reason: t.reason } : {}) } } : {}),
      };
    }
  }
  return undefined;
}

/** Reads what podFault's message needs beyond the pod: the node's runtime, the kubelet's pull error, a crash's log tail. */
export async function readPodFaultContext(kc: KubeConfig, pod: V1Pod): Promise<PodFaultContext> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = pod.metadata!.name!;
  const namespace = pod.metadata!.namespace!;
  const c: PodFaultContext = {};
  // Each is best effort: the fault is reported with what could be read.
  if (pod.spec?.nodeName)
    c.nodeRuntime = await core
      .readNode({ name: pod.spec.nodeName })
      .then((n) => n.status?.nodeInfo?.containerRuntimeVersion)
      .catch(() => undefined);
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting);
  if (waiting?.state?.waiting?.reason === 'ImagePullBackOff')
    c.pullEvent = await core
      .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},reason=Failed` })
      .then((l) => l.items.filter((e) => /pull/i.test(e.message ?? '')).at(-1)?.message)
      .catch(() => undefined);
  if (waiting?.state?.waiting?.reason === 'CrashLoopBackOff')
    c.logTail = await core
      .readNamespacedPodLog({ name, namespace, container: waiting.name, previous: true, tailLines: 20 })
      .catch(() => undefined);
  return c;
}
