// The runner's Node: registered like a kubelet registers itself (no not-ready taint once Ready),
// kept alive by renewing its Lease in kube-node-lease every 10 s and refreshing the Ready condition
// every minute, so kube-controller-manager's node lifecycle controller never marks it NotReady.
import * as os from 'node:os';
import { isAlreadyExists, isNotFound, type RawKube } from './kubeclient';

export interface NodeOptions {
  nodeName: string;
  hostIP: string;
  labels?: Record<string, string>;
  /** Reported as nodeInfo.kubeletVersion (the scheduler and kubectl show it). */
  version: string;
  log: (msg: string) => void;
}

const LEASE_DURATION_S = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_REFRESH_MS = 60_000;

function readyCondition(now: string) {
  return {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kokpit process pod runner is posting ready status',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  };
}

function nodeStatus(o: NodeOptions, now: string) {
  const capacity = { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
        type,
        status: 'False',
        reason: `KubeletHas${type === 'MemoryPressure' ? 'SufficientMemory' : type === 'DiskPressure' ? 'NoDiskPressure' : 'SufficientPID'}`,
        message: '',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      })),
      readyCondition(now),
    ],
    addresses: [
      { type: 'InternalIP', address: o.hostIP },
      { type: 'Hostname', address: o.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: os.release(),
      osImage: 'kokpit process pod runner',
      containerRuntimeVersion: 'kokpit-process://1',
      kubeletVersion: o.version,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

export class NodeHeartbeat {
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  uid = '';

  constructor(
    private readonly kube: RawKube,
    private readonly o: NodeOptions,
  ) {}

  /** Creates (or adopts) the Node, marks it Ready and starts the heartbeats. */
  async start(): Promise<void> {
    const name = this.o.nodeName;
    const labels = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
      'kokpit.dev/process-runner': 'true',
      ...this.o.labels,
    };
    let node: any;
    try {
      node = await this.kube.create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} });
      this.o.log(`registered node ${name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node = await this.kube.patch(`/api/v1/nodes/${name}`, { metadata: { labels } }, 'application/merge-patch+json');
      this.o.log(`adopted existing node ${name}`);
    }
    this.uid = node.metadata.uid;
    await this.postStatus();
    // Remove the not-ready taints a node lifecycle controller may have added while we were away.
    const taints = (node.spec?.taints ?? []).filter((t: any) => !String(t.key).startsWith('node.kubernetes.io/'));
    if (taints.length !== (node.spec?.taints ?? []).length) {
      await this.kube.patch(`/api/v1/nodes/${name}`, { spec: { taints } }, 'application/merge-patch+json');
    }
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease().catch((e) => this.o.log(`lease renewal failed: ${e.message}`)), LEASE_RENEW_MS);
    this.statusTimer = setInterval(() => void this.postStatus().catch((e) => this.o.log(`node status update failed: ${e.message}`)), STATUS_REFRESH_MS);
  }

  private async postStatus(): Promise<void> {
    if (this.stopped) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.kube.patch(`/api/v1/nodes/${this.o.nodeName}/status`, { status: nodeStatus(this.o, now) }, 'application/merge-patch+json');
  }

  private async renewLease(): Promise<void> {
    if (this.stopped) return;
    const name = this.o.nodeName;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const renewTime = new Date().toISOString().replace('Z', '000Z').replace(/(\.\d{6})\d*Z$/, '$1Z');
    try {
      await this.kube.patch(path, { spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime } }, 'application/merge-patch+json');
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.kube.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.uid }] },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime },
      });
    }
  }

  /** Stops the heartbeats; the Node stays (it goes NotReady after the lease expires, like a stopped kubelet). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }
}
