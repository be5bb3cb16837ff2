// Installing the OCM hub in the meta cluster: read the copied manifests, apply what render/hub.ts makes of them
// (compare-before-write, so a second install writes nothing) and wait until the controllers are ready, stopping at
// once when one of their pods cannot get its image or crash-loops (hub-faults.ts says why and the fix).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { applyRawCRD, makeObjectApi } from '../../kube';
import { Applier, podFault, readPodFaultContext } from '../../kit';
import { decisiveHubFault, describeHubFault, describeHubWait, podsOf } from './hub-faults';
import { HUB_NAMESPACE } from './names';
import { renderHub, type MetaAccess, type OcmManifests } from './render/hub';

const yamlFiles = (dir: string, filter: (f: string) => boolean) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml') && filter(f))
        .sort()
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    : [];

/** The manifests under a kokpit checkout or package root: schemas/ocm (CRDs) and config/ocm (the rest). */
export function readOcmManifests(root: string): OcmManifests {
  const isCRD = (f: string) => f.endsWith('.crd.yaml');
  return {
    crds: [...yamlFiles(path.join(root, 'schemas/ocm'), () => true), ...yamlFiles(path.join(root, 'config/ocm/hub'), isCRD)],
    hub: yamlFiles(path.join(root, 'config/ocm/hub'), (f) => !isCRD(f)),
    agent: yamlFiles(path.join(root, 'config/ocm/agent'), () => true),
  };
}

/** The CRDs each business cluster needs for its agent (AppliedManifestWork, ClusterClaim, ClusterProperty). */
export function readManagedCRDs(root: string): string[] {
  return yamlFiles(path.join(root, 'config/ocm/managed'), () => true);
}

/** OCM's ClusterRoles and bindings of its agent in a managed cluster (render/credential.ts binds them to the agent's user). */
export function readManagedRBAC(root: string): string[] {
  return yamlFiles(path.join(root, 'config/ocm/managed-rbac'), () => true);
}

/** How pods reach the meta API server: the address and CA of `kc` (the pod runner gives pods the same server). */
export function metaAccessOf(kc: KubeConfig): MetaAccess {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the meta kubeconfig has no current cluster');
  const caPEM = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile
      ? fs.readFileSync(cluster.caFile, 'utf8')
      : undefined;
  return { server: cluster.server, caPEM: cluster.skipTLSVerify ? undefined : caPEM };
}

export interface HubOptions {
  manifests: OcmManifests;
  /** Default: the address and CA of `kc`. */
  access?: MetaAccess;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** The pods in the Deployments' namespaces (best effort: none when they cannot be read). */
async function podsIn(kc: KubeConfig, deployments: V1Deployment[]): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = [...new Set(deployments.map((d) => d.metadata!.namespace!))];
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      core
        .listNamespacedPod({ namespace })
        .then((l) => l.items)
        .catch(() => []),
    ),
  );
  return lists.flat();
}

/**
 * Applies the hub and waits until its controllers are ready; returns the objects it applied. Throws at once when a
 * pod of theirs cannot get its image or crash-loops (decisiveHubFault), and at the timeout with each pod's state.
 */
export async function installHub(kc: KubeConfig, o: HubOptions): Promise<KubernetesObject[]> {
  const since = Date.now();
  const objects = renderHub(o.manifests, o.access ?? metaAccessOf(kc));
  const applier = new Applier(makeObjectApi(kc));
  for (const obj of objects) {
    // CRDs as plain JSON: the typed client would drop their x-kubernetes-* extensions (see kube/crds.ts).
    if (obj.kind === 'CustomResourceDefinition') await applyRawCRD(kc, obj as V1CustomResourceDefinition);
    else await applier.ensure(obj);
  }
  o.log?.(`OCM hub: ${objects.length} objects applied`);
  const deployments = objects.filter((x): x is V1Deployment & KubernetesObject => x.kind === 'Deployment');
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  for (;;) {
    const waiting: string[] = [];
    for (const d of deployments) {
      const live = await applier.read<V1Deployment & KubernetesObject>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: d.metadata!.name!, namespace: d.metadata!.namespace },
      });
      if ((live?.status?.readyReplicas ?? 0) < 1) waiting.push(d.metadata!.name!);
    }
    if (!waiting.length) return objects;
    const pending = deployments.filter((d) => waiting.includes(d.metadata!.name!));
    const pods = await podsIn(kc, pending);
    const fault = decisiveHubFault(
      pending.flatMap((d) => podsOf(d, pods)),
      { since, now: Date.now() },
    );
    if (fault) {
      // Read again with the kubelet's pull error or the crashed container's log tail.
      const context = await readPodFaultContext(kc, fault.pod);
      throw new Error(describeHubFault(podFault(fault.pod, context) ?? fault.fault, context));
    }
    if (Date.now() > deadline)
      throw new Error(`OCM hub not ready in namespace ${HUB_NAMESPACE}: waiting for ${describeHubWait(pending, pods)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
