// kwok: fake Nodes that turn Ready, and pods on them that turn Running, without any kubelet.
// kwok (v0.7) ships default Stages (node-initialize, node-heartbeat, pod-ready, pod-complete, pod-delete)
// and uses them when its config has none, so no Stage resources need installing.
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { applyObject, makeClients } from '../kube';
import { waitFor } from './wait';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from '../binaries/kwok';

export { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE, kwokArgs, writeKwokConfig } from '../binaries/kwok';

export function kwokNodeName(i: number): string {
  return `kwok-node-${i}`;
}

/** A Node object as a kubelet would register it, marked for kwok. */
export function kwokNode(name: string): V1Node {
  const resources = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'fake',
        osImage: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
}

/** Create (server-side apply) `count` kwok Nodes; returns their names. */
export async function createKwokNodes(kc: KubeConfig, count: number): Promise<string[]> {
  const { objects } = makeClients(kc);
  const names = Array.from({ length: count }, (_, i) => kwokNodeName(i));
  await Promise.all(names.map((n) => applyObject(objects, kwokNode(n))));
  return names;
}

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function waitForNodesReady(
  kc: KubeConfig,
  names: string[],
  opts: { timeoutMs: number; abortIf?: () => string | undefined },
): Promise<void> {
  const { core } = makeClients(kc);
  await waitFor(
    `Nodes ${names.join(', ')} Ready`,
    async (state) => {
      const list = await core.listNode({ labelSelector: 'type=kwok' });
      const ready = new Set(list.items.filter(isNodeReady).map((n) => n.metadata?.name));
      const notReady = names.filter((n) => !ready.has(n));
      if (notReady.length === 0) return true;
      state.lastReason = `not Ready: ${notReady.join(', ')}`;
      return undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 200, abortIf: opts.abortIf },
  );
}
