// How kwok runs: its configuration and flags (the machine operator and the control-plane harness both start it).
// kwok (v0.7) ships default Stages and uses them when its config has none, so no Stage resources are needed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';

/** kwok only manages Nodes with this annotation, so it never touches a real one. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';

/** Writes an empty KwokConfiguration (`kwok.yaml`) into `dir` and returns its path: kwok's default Stages apply. */
export function writeKwokConfig(dir: string): string {
  const file = path.join(dir, 'kwok.yaml');
  fs.writeFileSync(file, 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n');
  return file;
}

/**
 * Where kwok serves the kubelet API of its Nodes (kwok's own server: containerLogs, exec, port-forward): the address
 * goes on each Node as its InternalIP and the port as its kubelet endpoint, so the business kube-apiserver sends
 * pods/log there. kwok serves HTTPS with a self-signed certificate; kube-apiserver accepts it when it runs without
 * --kubelet-certificate-authority, as kokpit's business apiservers do. A Logs object may name any file kwok can read,
 * so whoever may create one in a business cluster reads this host's files: only the sandbox's host manager turns it
 * on (ConnectionsOptions.podLogs), never a manager in a cluster.
 */
export interface KwokKubelet {
  address: string;
  port: number;
}

/** The kwok resources that say which host file a pod's container log is (Logs: one pod; ClusterLogs: by selector). */
export const KWOK_LOG_KINDS = ['Logs', 'ClusterLogs'] as const;

export function kwokArgs(kubeconfigPath: string, configPath: string, kubelet?: KwokKubelet): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    // An explicit config keeps a user's ~/.kwok/kwok.yaml out of tests.
    `--config=${configPath}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
    // Keep leases fresh so the node lifecycle controller does not mark the fake nodes NotReady.
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.1/16',
    ...(kubelet
      ? [
          `--node-ip=${kubelet.address}`,
          `--node-port=${kubelet.port}`,
          `--server-address=${kubelet.address}:${kubelet.port}`,
          // Logs and ClusterLogs are read from the cluster (kwokLogCRDs must be installed first).
          `--enable-crds=${KWOK_LOG_KINDS.join(',')}`,
        ]
      : ['--node-ip=10.240.0.1']),
  ];
}

const stringList = { type: 'array', items: { type: 'string' } };
/** kwok's Log (v0.7, pkg/apis/v1alpha1/logs_types.go): the file a container's log is read from. */
const LOG_SCHEMA = {
  type: 'object',
  properties: {
    containers: stringList,
    logsFile: { type: 'string' },
    previousLogsFile: { type: 'string' },
    follow: { type: 'boolean' },
  },
};

const str = { type: 'string' };
/** What kwok writes in status.conditions. */
const CONDITION_SCHEMA = {
  type: 'object',
  properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: { type: 'string', format: 'date-time' } },
};

/**
 * kwok's Logs and ClusterLogs CRDs (group kwok.x-k8s.io, v1alpha1), with the spec schema of kwok v0.7's
 * kustomize/crd/bases; status is kwok's to write. A log file is in the CRI format the kubelet keeps
 * (`<RFC3339Nano time> stdout F <line>`).
 */
export function kwokLogCRDs(): V1CustomResourceDefinition[] {
  const crd = (kind: string, scope: 'Namespaced' | 'Cluster', spec: Record<string, unknown>): V1CustomResourceDefinition => {
    const plural = kind.toLowerCase();
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.kwok.x-k8s.io` },
      spec: {
        group: 'kwok.x-k8s.io',
        names: { kind, listKind: `${kind}List`, plural, singular: plural },
        scope,
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  apiVersion: { type: 'string' },
                  kind: { type: 'string' },
                  metadata: { type: 'object' },
                  spec: { type: 'object', required: ['logs'], properties: { logs: { type: 'array', items: LOG_SCHEMA }, ...spec } },
                  status: { type: 'object', properties: { conditions: { type: 'array', items: CONDITION_SCHEMA } } },
                },
                required: ['spec'],
              },
            },
          },
        ],
      },
    };
  };
  return [
    crd('Logs', 'Namespaced', {}),
    crd('ClusterLogs', 'Cluster', {
      selector: { type: 'object', properties: { matchNames: stringList, matchNamespaces: stringList } },
    }),
  ];
}
