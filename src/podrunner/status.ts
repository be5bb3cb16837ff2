// Pod status as the kubelet computes it (pkg/kubelet/kubelet_pods.go getPhase and the status manager's
// conditions), from the runner's view of its containers. Pure, so it is unit-tested without processes.

export interface ContainerStateView {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: {
    exitCode: number;
    reason: string;
    message?: string;
    signal?: number;
    startedAt?: string;
    finishedAt: string;
    containerID?: string;
  };
}

export interface ContainerView {
  name: string;
  image: string;
  state: ContainerStateView;
  lastState?: ContainerStateView;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
  /** A restart is still to come (restartPolicy allows it). */
  willRestart: boolean;
}

export interface PodView {
  restartPolicy: string;
  podIP?: string;
  hostIP: string;
  startTime: string;
  init: ContainerView[];
  containers: ContainerView[];
  /** Set while volumes or the sandbox cannot be set up (the pod stays Pending). */
  setupError?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
  lastProbeTime: null;
}

function phaseOf(v: PodView): string {
  const initFailed = v.init.some((c) => c.state.terminated && c.state.terminated.exitCode !== 0 && !c.willRestart);
  if (initFailed) return 'Failed';
  const initDone = v.init.every((c) => c.state.terminated?.exitCode === 0);
  if (!initDone || v.setupError) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of v.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (v.restartPolicy === 'Always') return 'Running';
    if (v.containers.some((c) => c.willRestart)) return 'Running';
    return succeeded === stopped ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}

function condition(
  type: string,
  ok: boolean,
  reason: string | undefined,
  message: string | undefined,
  prev: Condition[] | undefined,
  now: string,
): Condition {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  return {
    type,
    status,
    ...(ok || !reason ? {} : { reason }),
    ...(ok || !message ? {} : { message }),
    lastProbeTime: null,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  };
}

function containerStatus(c: ContainerView) {
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ?? {},
  };
}

/** The whole `status` of a pod; `prevConditions` keeps lastTransitionTime stable across updates. */
export function computePodStatus(
  v: PodView,
  prevConditions: Condition[] | undefined,
  now = new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
) {
  const phase = phaseOf(v);
  const initialized = v.init.every((c) => c.state.terminated?.exitCode === 0);
  const notReady = v.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = notReady.length === 0 && phase === 'Running';
  const unreadyMsg = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const pendingInit = v.init.filter((c) => c.state.terminated?.exitCode !== 0).map((c) => c.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const conditions = [
    condition('PodReadyToStartContainers', !!v.podIP && !terminal, undefined, undefined, prevConditions, now),
    condition(
      'Initialized',
      initialized,
      'ContainersNotInitialized',
      `containers with incomplete status: [${pendingInit.join(' ')}]`,
      prevConditions,
      now,
    ),
    condition('Ready', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady', unreadyMsg, prevConditions, now),
    condition('ContainersReady', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady', unreadyMsg, prevConditions, now),
    condition('PodScheduled', true, undefined, undefined, prevConditions, now),
  ];
  return {
    phase,
    conditions,
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    ...(v.podIP ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {}),
    startTime: v.startTime,
    message: v.setupError ?? null,
    reason: null,
    ...(v.init.length ? { initContainerStatuses: v.init.map(containerStatus) } : {}),
    containerStatuses: v.containers.map(containerStatus),
  };
}
