// The live half of "Deploy to Clusters…" and `kokpit deploy`: read the hub's ManagedClusters, check before
// creating anything (OCM served, the cluster set and namespace there, the selector picks a cluster), then apply
// what deploy-to-clusters.ts built, by server-side apply under the caller's field manager.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { OCM_INSTALL_HINT, OCM_KINDS, ocmApiVersion, ocmCrdName } from '../api/ocm';
import { applyObject, listObjects, makeObjectApi, readObject } from '../kube';
import { unservedResources } from '../kube/discovery';
import { noMatchMessage, selects, type Deployment, type LabelledCluster } from './deploy-to-clusters';

const NEEDED = ['ManagedCluster', 'ManagedClusterSet', 'ManagedClusterSetBinding', 'Placement', 'ManifestWorkReplicaSet'];
const kindOf = (k: string) => OCM_KINDS.find((x) => x.kind === k)!;

/** The hub's ManagedClusters with their labels. */
export async function listManagedClusters(kc: KubeConfig): Promise<LabelledCluster[]> {
  const items = await listObjects<KubernetesObject>(makeObjectApi(kc), ocmApiVersion(kindOf('ManagedCluster')), 'ManagedCluster');
  return items.map((m) => ({ name: m.metadata!.name!, labels: m.metadata?.labels ?? {} }));
}

/** Why the deployment cannot be created here (with the fix), or the clusters it will reach; nothing is written. */
export async function checkDeployment(
  kc: KubeConfig,
  d: Deployment,
  selector: Record<string, string>,
): Promise<{ problem: string } | { clusters: string[] }> {
  const missing = await unservedResources(kc, NEEDED.map(kindOf));
  if (missing.length) {
    const crds = missing.map(ocmCrdName).join(', ');
    const kinds = missing.map((k) => k.kind).join(', ');
    const problem = `the meta cluster does not serve ${kinds} (missing CRD ${crds}): Open Cluster Management is not installed`;
    return { problem: `${problem}; ${OCM_INSTALL_HINT}` };
  }
  const objects = makeObjectApi(kc);
  if (!(await readObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: d.namespace } })))
    return { problem: `namespace ${d.namespace} does not exist in the meta cluster; create it or choose another (--namespace)` };
  const set = String((d.objects[0].spec as { clusterSet: string }).clusterSet);
  if (
    !(await readObject(objects, {
      apiVersion: ocmApiVersion(kindOf('ManagedClusterSet')),
      kind: 'ManagedClusterSet',
      metadata: { name: set },
    }))
  )
    return {
      problem: `ManagedClusterSet ${set} does not exist on the hub (OCM's registration controller makes "global" for every cluster)`,
    };
  const clusters = await listManagedClusters(kc);
  const none = noMatchMessage(selector, clusters);
  if (none) return { problem: `${none}; nothing created` };
  return { clusters: clusters.filter((c) => selects(selector, c.labels)).map((c) => c.name) };
}

/** Applies the binding, the Placement and the ManifestWorkReplicaSet in order; returns `kind/name` of each. */
export async function applyDeployment(kc: KubeConfig, d: Deployment, fieldManager: string): Promise<string[]> {
  const objects = makeObjectApi(kc);
  const done: string[] = [];
  for (const o of d.objects) {
    await applyObject(objects, o as KubernetesObject, { fieldManager });
    done.push(`${o.kind.toLowerCase()}/${o.metadata.name}`);
  }
  return done;
}
