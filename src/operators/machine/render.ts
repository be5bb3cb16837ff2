// Pure renderers: the Node a kwok Machine registers in its business cluster, and the Machines of a
// MachineSet. Whole objects, no timestamps or random values, so applying them twice changes nothing.
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../api';
import { contentHash } from '../../kit';
import type { PlannedComponent } from './components';
import {
  API,
  CLUSTER_LABEL,
  KWOK_NODE_ANNOTATION,
  KWOK_NODE_ANNOTATION_VALUE,
  MACHINESET_LABEL,
  MACHINE_NAMESPACE_LABEL,
  MACHINE_NAME_LABEL,
  TEMPLATE_HASH_LABEL,
  machineNameOf,
  nodeNameOf,
} from './names';

/** What a simulated node reports as its capacity (kwok nodes have no real resources). */
const KWOK_RESOURCES = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };

/** kubelet version the node reports: the `kubelet` component's, when the machine runs one. */
export function kubeletVersionOf(components: PlannedComponent[]): string | undefined {
  return components.find((c) => c.name === 'kubelet')?.version;
}

export function kwokProviderID(machine: Machine): string {
  return `kwok://${machine.metadata.namespace ?? 'default'}/${machine.spec.clusterRef.name}/${machine.metadata.name}`;
}

/** The Node of a kwok Machine, as a kubelet would register it, marked for the business cluster's kwok. */
export function renderKwokNode(machine: Machine, components: PlannedComponent[]): V1Node {
  const name = nodeNameOf(machine.metadata.name);
  const taints: V1Taint[] | undefined = machine.spec.taints?.map((t) => ({
    key: t.key,
    ...(t.value !== undefined ? { value: t.value } : {}),
    effect: t.effect,
  }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      // No `node.alpha.kubernetes.io/ttl`: the business controller-manager's TTL controller owns it (it sets
      // 15 above 100 Nodes), and rendering it made the operator and that controller rewrite each other.
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE },
      labels: {
        // The machine's own labels first: the ones that identify the node cannot be overridden.
        ...(machine.spec.labels ?? {}),
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        [`node-role.kubernetes.io/${machine.spec.role ?? 'worker'}`]: '',
        [MACHINE_NAME_LABEL]: machine.metadata.name,
        [MACHINE_NAMESPACE_LABEL]: machine.metadata.namespace ?? 'default',
      },
    },
    spec: {
      providerID: kwokProviderID(machine),
      ...(taints?.length ? { taints } : {}),
    },
    // Only used when the Node is created (registration); kwok keeps status up to date afterwards.
    status: {
      allocatable: KWOK_RESOURCES,
      capacity: KWOK_RESOURCES,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: kubeletVersionOf(components) ?? 'kwok',
        kubeProxyVersion: 'kwok',
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'kwok',
        osImage: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
}

/** Hash of what a MachineSet stamps on its machines: a change starts a rollout. */
export function templateHashOf(set: MachineSet): string {
  return contentHash({ clusterRef: set.spec.clusterRef, template: set.spec.template }, 10);
}

/** Machine number `index` of a set, on the template with hash `hash`. */
export function renderSetMachine(set: MachineSet, index: number, hash: string): Machine {
  const t = set.spec.template;
  return {
    apiVersion: API,
    kind: 'Machine',
    metadata: {
      name: machineNameOf(set.metadata.name, index),
      namespace: set.metadata.namespace,
      labels: {
        ...(t.metadata?.labels ?? {}),
        [MACHINESET_LABEL]: set.metadata.name,
        [TEMPLATE_HASH_LABEL]: hash,
        [CLUSTER_LABEL]: set.spec.clusterRef.name,
      },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: API,
          kind: 'MachineSet',
          name: set.metadata.name,
          uid: set.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      clusterRef: { name: set.spec.clusterRef.name },
      provider: t.spec.provider ?? 'kwok',
      role: t.spec.role ?? 'worker',
      ...(t.spec.components ? { components: t.spec.components.map((c) => ({ ...c })) } : {}),
      ...(t.spec.labels ? { labels: { ...t.spec.labels } } : {}),
      ...(t.spec.taints ? { taints: t.spec.taints.map((x) => ({ ...x })) } : {}),
    },
  };
}
