// Open Cluster Management on a kind meta cluster (issue 18). There is no registry: the hub's and the agents' images
// are made on this machine from the OCM binaries (hack/offline-images/ocm-images.sh, one saved archive) and loaded
// into the kind node. Pods reach the meta API server through the `kubernetes` Service, not at the host's
// 127.0.0.1:<port> the kubeconfig names, and a hosted agent reaches its business apiserver at the apiserver Service's
// in-cluster name (kind's host port mapping exists only on the host).
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../api';
import { installHub, metaAccessOf, readOcmManifests } from '../operators/multicluster/hub';
import { OCM_IMAGES } from '../operators/multicluster/names';
import type { MetaAccess } from '../operators/multicluster/render/hub';
import { inClusterEndpoint } from '../operators/cluster/render/pki';
import { parseImage } from '../podrunner/images';
import { loadKindImage, type KindToolOptions } from '../providers/kind/cluster';
import { packageDir } from './assets';

export interface OcmImage {
  image: string;
  /** The binary cache's component (`<bin>/<component>/<version>/<component>`), at the image's root as `/<component>`. */
  component: string;
  version: string;
}

/** The images the hub's controllers and the hosted agents run (render/hub.ts, render/agent.ts), and their binaries. */
export function ocmImages(): OcmImage[] {
  return Object.values(OCM_IMAGES).map((image) => {
    const { repository, tag } = parseImage(image);
    return { image, component: repository.split('/').at(-1)!, version: tag };
  });
}

export const OCM_IMAGES_SCRIPT = 'hack/offline-images/ocm-images.sh';
/** What makes the images on this machine, for the error when Docker lacks one. */
export const OCM_IMAGES_BUILD =
  `\`sudo bash ${OCM_IMAGES_SCRIPT}\` (the OCM binaries first if missing: npm run setup:bins -- --family ocm, ` +
  '~13 min of CPU with empty Go caches; the images then take seconds)';

/** Where ocm-images.sh saves the four images together: `kind load image-archive` loads them in one go. */
export function ocmImagesArchive(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.KOKPIT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'kokpit');
  return path.join(cache, 'images', 'saved', 'ocm.tar');
}

/** The kokpit package (or checkout) root holding config/ocm and schemas/ocm. */
export function ocmManifestsRoot(): string {
  return path.dirname(path.dirname(packageDir('config/ocm')));
}

/** The meta API server as a kind cluster's pods reach it: the `kubernetes` Service's name (kubeadm's certificate covers it). */
export const KIND_POD_META_SERVER = 'https://kubernetes.default.svc';

export function kindHubAccess(kc: KubeConfig): MetaAccess {
  return { server: KIND_POD_META_SERVER, caPEM: metaAccessOf(kc).caPEM };
}

/** A hosted agent in a kind meta cluster reaches its business apiserver by the Service's in-cluster name. */
export const kindAgentServer = (c: BusinessCluster): string => inClusterEndpoint(c);

/** The multicluster operator's options where its hosted agents are pods of the meta cluster (kind, `kokpit operator`). */
export const podAgentsMulticluster = () => ({ manifestsRoot: ocmManifestsRoot(), agentServer: kindAgentServer });

/** The OCM images into the kind cluster's nodes (all four in Docker first, else the build hint). */
export function loadOcmImages(name: string, o: KindToolOptions = {}): Promise<'image-archive' | 'docker-image'> {
  return loadKindImage({ ...o, name, image: ocmImages().map((i) => i.image), archive: ocmImagesArchive(), buildHint: OCM_IMAGES_BUILD });
}

/**
 * The hub into a kind meta cluster, images first; waits as the sandbox does (installHub: every controller ready, a pod
 * that cannot get its image or crash-loops stops it at once). Idempotent: on a cluster that has it, nothing is written.
 */
export async function installKindHub(
  kc: KubeConfig,
  name: string,
  log: (line: string) => void,
  timed: <T>(step: string, fn: () => Promise<T>) => Promise<T> = (_s, fn) => fn(),
): Promise<KubernetesObject[]> {
  const how = await timed(`OCM images (${ocmImages().length}) loaded into the kind node`, () => loadOcmImages(name));
  log(`OCM images: kind load ${how}`);
  return timed('OCM hub (registration, placement and work controllers) ready', () =>
    installHub(kc, { manifests: readOcmManifests(ocmManifestsRoot()), access: kindHubAccess(kc), log }),
  );
}
