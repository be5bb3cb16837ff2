// Shared pieces of the controlplane integration tests (not a test file itself).
import type { V1Deployment } from '@kubernetes/client-node';

/** A Deployment meant for kwok's simulated nodes: nothing ever pulls or runs its image. */
export function pauseDeployment(name: string, replicas: number): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }],
          // kwok's nodes carry no taints, but say so: these pods are meant for simulated nodes only.
          nodeSelector: { type: 'kwok' },
        },
      },
    },
  };
}
