// Builders for API objects used by unit tests and benchmarks (no cluster needed).
import type { BusinessCluster, EtcdCluster, Machine } from '../../src/api';

export function etcdCluster(name: string, ns = 'default', members = 3, healthy = true): EtcdCluster {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name, namespace: ns, generation: 1 },
    spec: { replicas: 3, version: '3.5.35' },
    status: {
      phase: 'Running',
      readyMembers: healthy ? members : members - 1,
      currentVersion: '3.5.35',
      members: Array.from({ length: members }, (_, i) => ({
        name: `${name}-${i}`,
        healthy: healthy || i > 0,
        leader: i === 0,
        dbSize: 20480 * (i + 1),
        version: '3.5.35',
      })),
      conditions: [{ type: 'Available', status: 'True', reason: 'QuorumHealthy' }],
    },
  };
}

export function businessCluster(name: string, ns = 'default', phase = 'Running'): BusinessCluster {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name, namespace: ns, generation: 1 },
    spec: { version: 'v1.33.13', etcd: { managed: { replicas: 1, version: '3.5.35' } } } as BusinessCluster['spec'],
    status: {
      phase: phase as 'Running',
      version: 'v1.33.13',
      endpoint: 'https://127.0.0.1:36443',
      components: [
        { name: 'kube-apiserver', replicas: 1, readyReplicas: 1, version: 'v1.33.13' },
        { name: 'kube-controller-manager', replicas: 1, readyReplicas: 1 },
        { name: 'kube-scheduler', replicas: 1, readyReplicas: 1 },
      ],
      conditions: [
        {
          type: 'Ready',
          status: phase === 'Running' ? 'True' : 'False',
          reason: phase,
          message: phase === 'Running' ? undefined : `control plane is ${phase}`,
        },
      ],
    },
  };
}

export function machine(name: string, cluster: string, ns = 'default', phase = 'Running'): Machine {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: ns },
    spec: { clusterRef: { name: cluster }, provider: 'kwok', role: 'worker' },
    status: {
      phase: phase as 'Running',
      nodeName: name,
      conditions: [{ type: 'NodeReady', status: phase === 'Running' ? 'True' : 'False' }],
    },
  };
}
