// The runner's Node: registered like a kubelet registers itself (no not-ready taint once Ready),
// kept alive by renewing its Lease in kube-node-lease every 10 s and refreshing the Ready condition
// every minute, so kube-controller-manager's node lifecycle controller never marks it NotReady.
import * as os from 'node:os';
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { microTime } from '../controller/leader-election';
import { isNotFound, toKubeApiError, type KubeClients } from '../kube';

export interface NodeOptions {
  nodeName: string;
  hostIP: string;
  labels?: Record<string, string>;
  /** The kubelet endpoint's port (container logs; 0: none), where the apiserver sends pods/log. */
  kubeletPort: number;
  /** Reported as nodeInfo.kubeletVersion (the scheduler and kubectl show it). */
  version: string;
  log: (msg: string) => void;
}

const LEASE_DURATION_S = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_REFRESH_MS = 60_000;
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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
  const capacity = {
    cpu: String(os.cpus().length),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': '100Gi',
  };
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
        type,
        status: 'False',
        reason:
          'KubeletHas' + (type === 'MemoryPressure' ? 'SufficientMemory' : type === 'DiskPressure' ? 'NoDiskPressure' : 'SufficientPID'),
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
    daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort } },
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
    private readonly kube: Pick<KubeClients, 'core' | 'objects'>,
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
    const { core } = this.kube;
    let node: V1Node;
    try {
      node = await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} } });
      this.o.log(`registered node ${name}`);
    } catch (e) {
      if (toKubeApiError(e).reason !== 'AlreadyExists') throw e;
      node = await core.patchNode({ name, body: { metadata: { labels } } }, MERGE_PATCH);
      this.o.log(`adopted existing node ${name}`);
    }
    this.uid = node.metadata!.uid!;
    await this.postStatus();
    // Remove the not-ready taints a node lifecycle controller may have added while we were away.
    const taints = (node.spec?.taints ?? []).filter((t) => !String(t.key).startsWith('node.kubernetes.io/'));
    if (taints.length !== (node.spec?.taints ?? []).length) {
      await core.patchNode({ name, body: { spec: { taints } } }, MERGE_PATCH);
    }
    await this.renewLease();
    this.leaseTimer = setInterval(
      () => void this.renewLease().catch((e) => this.o.log(`lease renewal failed: ${e.message}`)),
      LEASE_RENEW_MS,
    );
    this.statusTimer = setInterval(
      () => void this.postStatus().catch((e) => this.o.log(`node status update failed: ${e.message}`)),
      STATUS_REFRESH_MS,
    );
  }

  private async postStatus(): Promise<void> {
    if (this.stopped) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.kube.core.patchNodeStatus({ name: this.o.nodeName, body: { status: nodeStatus(this.o, now) } }, MERGE_PATCH);
  }

  private async renewLease(): Promise<void> {
    if (this.stopped) return;
    const name = this.o.nodeName;
    // The Lease as a plain object through the dynamic client: MicroTime strings (see leader-election.ts).
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime(new Date()) },
    };
    try {
      await this.kube.objects.patch(lease, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const owner = { apiVersion: 'v1', kind: 'Node', name, uid: this.uid };
      await this.kube.objects.create({ ...lease, metadata: { ...lease.metadata, ownerReferences: [owner] } });
    }
  }

  /** Stops the heartbeats; the Node stays (it goes NotReady after the lease expires, like a stopped kubelet). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }
}
