// How kwok runs: its configuration and flags (the machine operator and the control-plane harness both start it).
// kwok (v0.7) ships default Stages and uses them when its config has none, so no Stage resources are needed.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** kwok only manages Nodes with this annotation, so it never touches a real one. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';

/** Writes an empty KwokConfiguration (`kwok.yaml`) into `dir` and returns its path: kwok's default Stages apply. */
export function writeKwokConfig(dir: string): string {
  const file = path.join(dir, 'kwok.yaml');
  fs.writeFileSync(file, 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n');
  return file;
}

export function kwokArgs(kubeconfigPath: string, configPath: string): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    // An explicit config keeps a user's ~/.kwok/kwok.yaml out of tests.
    `--config=${configPath}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
    // Keep leases fresh so the node lifecycle controller does not mark the fake nodes NotReady.
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.1/16',
    '--node-ip=10.240.0.1',
  ];
}
