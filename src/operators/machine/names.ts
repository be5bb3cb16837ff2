// Names, labels and annotations the machine operator puts on objects. One place, so renderers,
// reconcilers and tests agree.

import { API_VERSION } from '../../api';
import { kokpitUserAgent } from '../../kube';

export const API = API_VERSION;
/** The User-Agent of every request the machine operator sends (meta and business clusters). */
export const MACHINE_OPERATOR_AGENT = kokpitUserAgent('machine-operator');
/** Finalizer on a Machine: its Node lives in another cluster (the business cluster), outside GC's reach. */
export const NODE_CLEANUP_FINALIZER = 'kokpit.dev/machine-node-cleanup';
/** Labels on Nodes in the business cluster, so a Node event maps back to its Machine. */
export const MACHINE_NAME_LABEL = 'kokpit.dev/machine';
export const MACHINE_NAMESPACE_LABEL = 'kokpit.dev/machine-namespace';
/** Labels on Machines of a MachineSet. */
export const MACHINESET_LABEL = 'kokpit.dev/machineset';
export const TEMPLATE_HASH_LABEL = 'kokpit.dev/template-hash';
export const CLUSTER_LABEL = 'kokpit.dev/cluster';
/** kwok only manages Nodes with this annotation, so it never touches a real one. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';
/** Key of the kubeconfig in the cluster operator's kubeconfig Secrets. */
export const KUBECONFIG_KEY = 'value';

/** The Node of a Machine: Machines of one business cluster share its namespace, so the name is unique there. */
export function nodeNameOf(machineName: string): string {
  return machineName;
}

/** Whether a Node carries this machine's labels (set at registration/join): only then may the machine drain or delete it. */
export function nodeOwnedBy(
  node: { metadata?: { labels?: Record<string, string> } },
  machine: { metadata: { name: string; namespace?: string } },
): boolean {
  const labels = node.metadata?.labels;
  return (
    labels?.[MACHINE_NAME_LABEL] === machine.metadata.name &&
    labels?.[MACHINE_NAMESPACE_LABEL] === (machine.metadata.namespace ?? 'default')
  );
}

/** Machines of a set are numbered, so scaling down removes the highest numbers and names never collide. */
export function machineNameOf(setName: string, index: number): string {
  return `${setName}-${index}`;
}

export function machineIndexOf(setName: string, machineName: string): number | undefined {
  if (!machineName.startsWith(`${setName}-`)) return undefined;
  const rest = machineName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** The admin kubeconfig Secret the cluster operator writes (`names.kubeconfig(c, 'admin')` there). */
export function adminKubeconfigSecretOf(cluster: string): string {
  return `${cluster}-admin-kubeconfig`;
}
