// `kokpit install` waits for what it installed: the manager Deployment rolled out and available, and one of its
// pods holding the lease. While it waits it reads the current pods' container states and stops at the first fault a
// wait cannot cure — an image the node cannot get (the kubelet's ErrImagePull/ImagePullBackOff/InvalidImageName; the
// sandbox's process pod runner says ErrImagePull with its own words, podrunner/pod.ts) or a crash loop — with a
// message naming the image or the container, the node, the runtime's words and the fix. Everything is applied by
// then; running install again with the fix converges (it is all server-side apply).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { briefError } from '../controller/reconciler';
import { podFault, podFaultPlace, readPodFaultContext, type PodFaultContext } from '../kit/pod-faults';
import { parseImage } from '../podrunner/images';
import { packageDir } from './assets';
import { INSTALL_NAMESPACE, MANAGER_DEPLOYMENT } from './install';

/** This kokpit's version: the manager image's tag (`kokpit --version`). */
export const kokpitVersion = (): string => (JSON.parse(fs.readFileSync(packageDir('package.json'), 'utf8')) as { version: string }).version;

export { IMAGE_FAULTS } from '../kit/pod-faults';

/** The manager image hack/offline-images/manager-image.sh builds, and where it saves it for `kind load image-archive`. */
export function managerImageArchive(version: string): { image: string; archive: string } {
  const image = `kokpit.dev/kokpit-manager:${version}`;
  const cache = process.env.KOKPIT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'kokpit');
  return { image, archive: path.join(cache, 'images', 'saved', `${image.replace(/[/:]/g, '_')}.tar`) };
}

export interface FaultContext extends PodFaultContext {
  /** This kokpit's version (the manager image hack/offline-images builds, and the one the pod runner runs). */
  version: string;
}

/** How to get an image onto the node, by who runs the pod. */
function imageFix(image: string, reason: string, node: string | undefined, c: FaultContext): string {
  const { image: ours, archive } = managerImageArchive(c.version);
  if (c.nodeRuntime?.startsWith('kokpit-process://'))
    return (
      "the sandbox's pod runner runs the manager image only at this kokpit's version: " + `run \`kokpit install\` without --image (${ours})`
    );
  if (reason === 'InvalidImageName') return 'pass --image with a valid image reference (registry/name:tag)';
  const kindCluster = node && /^(.+)-(control-plane|worker\d*)$/.exec(node)?.[1];
  const load = `kind load image-archive ${archive} --name ${kindCluster ?? '<cluster>'}`;
  if (/(^|\/)kokpit-manager$/.test(parseImage(image).repository))
    return (
      `build ${ours} with \`sudo bash hack/offline-images/manager-image.sh\` and load it into the nodes (kind: \`${load}\`), ` +
      `then run \`kokpit install\` without --image; or push it to a registry node ${node ?? '(unscheduled)'} pulls from and pass --image`
    );
  return `make ${image} pullable from node ${node ?? '(unscheduled)'} (registry, credentials), or pass --image with an image it can pull`;
}

/**
 * A fault of one manager pod that waiting will not cure, as the sentence `kokpit install` prints; undefined while the
 * pod is merely on its way (scheduling, pulling, starting, running).
 */
export function managerPodFault(pod: V1Pod, c: FaultContext): string | undefined {
  const f = podFault(pod, c);
  if (!f) return undefined;
  const where = podFaultPlace(f);
  if (f.kind === 'image')
    return (
      `${where} cannot get image ${f.image} for container ${f.container}: ${f.reason}${f.words ? `: ${f.words}` : ''}. ` +
      `Fix: ${imageFix(f.image, f.reason, f.node, c)}`
    );
  const exit = f.exit ? `exit code ${f.exit.code}${f.exit.reason ? ` (${f.exit.reason})` : ''}` : 'exited';
  return (
    `${where}: container ${f.container} (image ${f.image}) is crash-looping (CrashLoopBackOff, ${f.restarts} restarts), ` +
    `last ${exit}${f.words ? `; its last words:\n${f.words}` : ''}\n` +
    `Fix what it says (\`kubectl -n ${f.namespace} logs ${f.pod} -c ${f.container} --previous\`), ` +
    'then run `kokpit install` again'
  );
}

export interface WaitManagerOptions {
  timeoutMs: number;
  /** This kokpit's version (default: the package's). */
  version?: string;
  log: (line: string) => void;
  intervalMs?: number;
}

/** The Deployment's pods of its current revision (what a rollout waits for), not being deleted. */
async function currentPods(kc: KubeConfig, d: V1Deployment): Promise<V1Pod[]> {
  const ns = d.metadata!.namespace!;
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const revision = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const sets = await kc.makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace: ns, labelSelector: selector });
  const rs = sets.items.find(
    (r) =>
      r.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) &&
      r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision,
  );
  const hash = rs?.metadata?.labels?.['pod-template-hash'];
  if (!hash) return [];
  const pods = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: ns, labelSelector: `${selector},pod-template-hash=${hash}` });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The facts managerPodFault needs beyond the pod: the node's runtime, the kubelet's pull error, a crash's log tail. */
async function faultContext(kc: KubeConfig, pod: V1Pod, version: string): Promise<FaultContext> {
  return { version, ...(await readPodFaultContext(kc, pod)) };
}

function describeRollout(d: V1Deployment, pods: V1Pod[], holder: string | undefined): string {
  const want = d.spec?.replicas ?? 1;
  const states = pods.map((p) => {
    const w = p.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting?.reason;
    return `${p.metadata?.name} ${w ?? p.status?.phase ?? 'Pending'}`;
  });
  return (
    `deployment ${INSTALL_NAMESPACE}/${MANAGER_DEPLOYMENT}: ${d.status?.availableReplicas ?? 0}/${want} available` +
    (states.length ? ` (${states.join(', ')})` : '') +
    (want ? `; lease: ${holder ? `held by ${holder}` : 'not held by a manager pod yet'}` : '')
  );
}

/**
 * Waits until the manager Deployment's current revision is rolled out and available and one of its pods holds the
 * lease (none when scaled to 0); returns the holder. Throws at the first pod fault (managerPodFault), a ReplicaSet
 * that cannot make pods, or the timeout, with the last state seen. A line is logged whenever the state changes.
 */
export async function waitForManager(kc: KubeConfig, o: WaitManagerOptions): Promise<string | undefined> {
  const apps = kc.makeApiClient(AppsV1Api);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const deadline = Date.now() + o.timeoutMs;
  const version = o.version ?? kokpitVersion();
  let last = '';
  for (;;) {
    let d: V1Deployment | undefined;
    try {
      d = await apps.readNamespacedDeployment({ name: MANAGER_DEPLOYMENT, namespace: INSTALL_NAMESPACE });
      const failure = d.status?.conditions?.find(
        (c) =>
          (c.type === 'ReplicaFailure' && c.status === 'True') || (c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'),
      );
      if (failure) throw new InstallFault(`deployment ${INSTALL_NAMESPACE}/${MANAGER_DEPLOYMENT}: ${failure.reason}: ${failure.message}`);
      // Until the controller has seen the new spec, its revision annotation (and so "current") is the previous one.
      const observed = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
      const pods = observed ? await currentPods(kc, d) : [];
      for (const p of pods) {
        if (!managerPodFault(p, { version })) continue;
        throw new InstallFault(managerPodFault(p, await faultContext(kc, p, version))!);
      }
      const holder = await leases
        .readNamespacedLease({ name: MANAGER_DEPLOYMENT, namespace: INSTALL_NAMESPACE })
        .then((l) => l.spec?.holderIdentity ?? undefined)
        .catch(() => undefined);
      const now = describeRollout(d, pods, holder);
      if (now !== last) o.log((last = now));
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const rolledOut = observed && (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) >= want;
      const leading = want === 0 || pods.some((p) => p.metadata?.name === holder);
      if (rolledOut && leading) return want === 0 ? undefined : holder;
    } catch (e) {
      if (e instanceof InstallFault) throw e;
      last = `reading the manager: ${briefError(e)}`;
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${Math.round(o.timeoutMs / 1000)}s waiting for the manager (last: ${last || 'nothing read'})`);
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs ?? 1000, Math.max(0, deadline - Date.now()))));
  }
}

/** A fault waiting will not cure: stops the wait at once. */
export class InstallFault extends Error {}
