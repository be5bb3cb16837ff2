// Why the OCM hub's controllers do not come up, decided from their pods (pure; installHub reads the pods): a pod that
// cannot get its image (the kubelet's ErrImagePull/ImagePullBackOff/InvalidImageName, or the sandbox's pod runner with
// no build of OCM's binaries) or that crash-loops stops the wait at once with the image, the node, the runtime's words
// and the fix, instead of a timeout that names only the Deployments.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { OCM_COMPONENTS, OCM_VERSION } from '../../binaries/catalog';
import { podFault, podFaultPlace, type PodFault, type PodFaultContext } from '../../kit';

/** What builds every OCM binary the sandbox's pod runner runs the hub and agents from (a kokpit checkout's hack/bins/ocm). */
export const OCM_BUILD_COMMAND = `npm run setup:bins -- --only ${OCM_COMPONENTS.join(',')}`;

/** A fault of a pod that existed before this wait started counts only this long into it (the runtime may retry it now). */
export const STALE_FAULT_GRACE_MS = 30_000;
/** A crash counts once the container restarted this often: a controller that exits once while its CRDs settle recovers. */
export const CRASH_RESTARTS = 3;

/** The pods a Deployment's selector picks (its matchLabels), not being deleted. */
export function podsOf(d: V1Deployment, pods: V1Pod[]): V1Pod[] {
  const want = Object.entries(d.spec?.selector?.matchLabels ?? {});
  return pods.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.metadata?.namespace === d.metadata?.namespace &&
      want.length > 0 &&
      want.every(([k, v]) => p.metadata?.labels?.[k] === v),
  );
}

export interface FaultTiming {
  /** When the install began (before it applied anything), ms since the epoch. */
  since: number;
  now: number;
  graceMs?: number;
}

/**
 * The first pod whose fault stops the wait: one made by this install (created since it began, to the second) at once;
 * an older one (a pod of an earlier install whose runtime may retry its pull or start now) once the wait is graceMs old.
 * A crash loop counts from CRASH_RESTARTS restarts on.
 */
export function decisiveHubFault(pods: V1Pod[], t: FaultTiming): { pod: V1Pod; fault: PodFault } | undefined {
  const settled = t.now - t.since >= (t.graceMs ?? STALE_FAULT_GRACE_MS);
  for (const pod of pods) {
    const fault = podFault(pod);
    if (!fault || (fault.kind === 'crash' && fault.restarts < CRASH_RESTARTS)) continue;
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : undefined;
    // creationTimestamp has whole seconds: a pod made in the second the install began counts as this install's.
    const ours = created === undefined || created >= Math.floor(t.since / 1000) * 1000;
    if (ours || settled) return { pod, fault };
  }
  return undefined;
}

const tagOf = (image: string) => {
  const noDigest = image.split('@')[0];
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(colon + 1) : 'latest';
};

/** How to get an OCM image onto the node, by who runs the pod. */
function imageFix(f: PodFault, c: PodFaultContext): string {
  const sandbox = `in the sandbox (pod runner): build OCM's binaries with \`${OCM_BUILD_COMMAND}\` in the kokpit checkout`;
  const kindCluster = f.node && /^(.+)-(control-plane|worker\d*)$/.exec(f.node)?.[1];
  const kind =
    `make ${f.image} pullable from node ${f.node ?? '(unscheduled)'} (registry, credentials) or load it onto the node ` +
    `(kind: \`kind load docker-image ${f.image} --name ${kindCluster ?? '<cluster>'}\`)`;
  if (f.reason === 'InvalidImageName')
    return `${f.image} is no valid image reference: use OCM's images (quay.io/open-cluster-management/…)`;
  if (c.nodeRuntime?.startsWith('kokpit-process://')) {
    const tag = tagOf(f.image);
    if (tag !== OCM_VERSION)
      return (
        `the sandbox's pod runner runs OCM only at ${OCM_VERSION} (hack/bins/ocm builds that tag), not ${tag}: ` +
        `use the images at ${OCM_VERSION}`
      );
    return `${sandbox} (\`kokpit up --with-ocm\` builds them up front), then install the hub again`;
  }
  if (c.nodeRuntime) return kind;
  return `${sandbox}; on kind or another cluster: ${kind}`;
}

/** The sentence installHub throws for a fault of one of the hub's pods. */
export function describeHubFault(f: PodFault, c: PodFaultContext): string {
  const where = podFaultPlace(f);
  if (f.kind === 'image')
    return (
      `OCM hub cannot start: ${where} cannot get image ${f.image} for container ${f.container}: ${f.reason}` +
      `${f.words ? `: ${f.words}` : ''}. Fix: ${imageFix(f, c)}`
    );
  const exit = f.exit ? `exit code ${f.exit.code}${f.exit.reason ? ` (${f.exit.reason})` : ''}` : 'exited';
  return (
    `OCM hub cannot start: ${where}: container ${f.container} (image ${f.image}) is crash-looping ` +
    `(CrashLoopBackOff, ${f.restarts} restarts), last ${exit}${f.words ? `; its last words:\n${f.words}` : ''}\n` +
    `Fix what it says (\`kubectl -n ${f.namespace} logs ${f.pod} -c ${f.container} --previous\`), then install the hub again`
  );
}

/** `name (pod p: Reason: message)` per Deployment still waited for, for the timeout's message. */
export function describeHubWait(waiting: V1Deployment[], pods: V1Pod[]): string {
  return waiting
    .map((d) => {
      const states = podsOf(d, pods).map((p) => {
        const w = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.state?.waiting)?.state
          ?.waiting;
        const state = w?.reason ? `${w.reason}${w.message ? `: ${w.message}` : ''}` : (p.status?.phase ?? 'Pending');
        return `pod ${p.metadata?.name} ${state}`;
      });
      return `${d.metadata!.name}${states.length ? ` (${states.join('; ')})` : ' (no pod yet)'}`;
    })
    .join(', ');
}

/**
 * A webhook server's pod with a loopback address (the sandbox's loopback pod network): Kubernetes gives such an address
 * no Service endpoint, so the API server could never call the webhook. The sentence installHub throws, or undefined.
 */
export function loopbackWebhookPod(webhookDeployments: V1Deployment[], pods: V1Pod[]): string | undefined {
  for (const d of webhookDeployments)
    for (const p of podsOf(d, pods)) {
      const ip = p.status?.podIP;
      if (ip && /^127\./.test(ip))
        return (
          `OCM hub webhooks cannot be reached: pod ${p.metadata?.namespace}/${p.metadata?.name} of ${d.metadata?.name} has the ` +
          `loopback address ${ip}, and Kubernetes gives loopback addresses no Service endpoints (the sandbox's loopback pod ` +
          `network). Fix: install the hub without webhooks, or where pods get addresses Services accept`
        );
    }
  return undefined;
}
