// One business cluster's side of OCM, as pure objects: its ManagedCluster on the hub and its agent hosted in
// the meta cluster (OCM's klusterlet "SingletonHosted" shape: `registration-operator agent` with a kubeconfig
// for the managed cluster; manifests/klusterlet/management/klusterlet-agent-deployment.yaml is the model).
import type { KubernetesObject, V1Deployment, V1Secret } from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import type { BusinessCluster } from '../../../api';
import { MulticlusterSpec } from '../../../api/business-cluster';
import { AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT, agentNames, LABELS, managedClusterName, OCM_IMAGES } from '../names';
import { metaKubeconfigVolume } from './hub';

export interface Multicluster {
  register: boolean;
  clusterSet?: string;
  leaseDurationSeconds: number;
}

/** `spec.multicluster` with the schema's defaults (an omitted section registers the cluster). */
export function multiclusterOf(c: BusinessCluster): Multicluster {
  return Value.Default(MulticlusterSpec, structuredClone(c.spec.multicluster ?? {})) as Multicluster;
}

export interface ManagedClusterObject extends KubernetesObject {
  spec: { hubAcceptsClient: boolean; leaseDurationSeconds: number };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; version?: { kubernetes?: string } };
}

/** A ManagedCluster kokpit creates (for a BusinessCluster or an imported cluster): accepted by the hub, kokpit's label. */
export function managedClusterObject(
  name: string,
  labels: Record<string, string>,
  leaseDurationSeconds: number,
  annotations?: Record<string, string>,
): ManagedClusterObject {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name, labels: { ...labels, [LABELS.managedBy]: 'kokpit' }, ...(annotations ? { annotations } : {}) },
    spec: { hubAcceptsClient: true, leaseDurationSeconds },
  };
}

export function renderManagedCluster(c: BusinessCluster): ManagedClusterObject {
  const ns = c.metadata.namespace ?? 'default';
  const mc = multiclusterOf(c);
  const version = c.status?.version ?? c.spec.version;
  const labels = {
    ...(c.metadata.labels ?? {}),
    [LABELS.namespace]: ns,
    [LABELS.cluster]: c.metadata.name,
    [LABELS.kubernetesVersion]: version,
    ...(mc.clusterSet ? { [LABELS.clusterSet]: mc.clusterSet } : {}),
  };
  return managedClusterObject(managedClusterName(ns, c.metadata.name), labels, mc.leaseDurationSeconds);
}

/** The ManagedClusterSet `spec.multicluster.clusterSet` names (kokpit creates it when missing and never deletes it: others may use it). */
export function renderClusterSet(name: string): KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } } {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1beta2',
    kind: 'ManagedClusterSet',
    metadata: { name, labels: { [LABELS.managedBy]: 'kokpit' } },
  };
}

/** The Secret the agent reads the business cluster's kubeconfig from (a copy: a pod mounts Secrets of its own namespace only). */
export function renderManagedKubeconfig(mcName: string, kubeconfig: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: agentNames(mcName).managedKubeconfigSecret, namespace: AGENT_NAMESPACE, labels: { [LABELS.managedBy]: 'kokpit' } },
    type: 'Opaque',
    // data, not stringData: the live Secret holds data, so an unchanged kubeconfig compares equal and is not rewritten.
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  };
}

/**
 * A hung business apiserver (a stopped process, a dead path) answers nothing on the agent's open HTTP/2 connection:
 * client-go gives up on it only after its connection health check, 30 s without a frame and a 15 s ping by default
 * (k8s.io/apimachinery/pkg/util/net/http.go). 10 + 5 s here, so the health-check period, not the transport, sets how
 * soon the loss shows (test/integration/multicluster/loss.test.ts).
 */
export const HTTP2_HEALTH_CHECK = [
  { name: 'HTTP2_READ_IDLE_TIMEOUT_SECONDS', value: '10' },
  { name: 'HTTP2_PING_TIMEOUT_SECONDS', value: '5' },
];

/**
 * How often the work agent re-reads the business cluster for a ManifestWork's status and feedback. OCM v1.0.0's work
 * agent polls (pkg/work/spoke/controllers/statuscontroller: requeue after Jitter(interval, 0.9), so 1–1.9 × the
 * interval); its default is 10 s, and its klusterlet operator sets 60 s for a single-replica agent. 2 s keeps a change
 * on the hub within ~4 s (bench/multicluster.ts) for one GET per carried resource per period.
 */
export const STATUS_SYNC_INTERVAL = '2s';

/**
 * The hosted agent (registration and work in one process). Its bootstrap identity is its own ServiceAccount
 * (the meta kubeconfig), which the hub auto-approves; the hub kubeconfig it obtains lands in its Secret and
 * in an emptyDir. `kubeconfigHash` rolls the pod when the business cluster's kubeconfig changes.
 * The agent checks the business apiserver (/livez) as often as it renews its lease, at most every 30 s: OCM pairs its
 * 60 s lease with a 1 min check, which with client-go's HTTP/2 check (10 + 5 s) saw a stopped apiserver only after up to
 * 75 s (71 s measured by `npm run bench -- multicluster`); issue 18 asks for loss detected within 60 s.
 */
/** The longest gap between two checks of the business apiserver (loss seen within 30 + 15 s whatever the lease). */
export const MAX_HEALTHCHECK_PERIOD_S = 30;

export function renderAgent(mcName: string, kubeconfigHash: string, leaseDurationSeconds = 60): V1Deployment {
  const n = agentNames(mcName);
  const labels = { app: 'klusterlet-agent', [LABELS.managedBy]: 'kokpit', 'open-cluster-management.io/cluster-name': mcName };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: n.deployment, namespace: AGENT_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'klusterlet-agent', 'open-cluster-management.io/cluster-name': mcName } },
      template: {
        metadata: { labels, annotations: { 'kokpit.dev/managed-kubeconfig-hash': kubeconfigHash } },
        spec: {
          serviceAccountName: AGENT_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'klusterlet-agent',
              image: OCM_IMAGES.agent,
              command: ['/registration-operator'],
              args: [
                'agent',
                `--spoke-cluster-name=${mcName}`,
                '--agent-id=kokpit',
                '--bootstrap-kubeconfig=/spoke/meta/kubeconfig',
                `--bootstrap-kubeconfig-secret=${n.bootstrapSecret}`,
                `--hub-kubeconfig-secret=${n.hubKubeconfigSecret}`,
                '--hub-kubeconfig-dir=/spoke/hub-kubeconfig',
                '--workload-source-driver=kube',
                '--workload-source-config=/spoke/hub-kubeconfig/kubeconfig',
                '--spoke-kubeconfig=/spoke/config/kubeconfig',
                '--terminate-on-files=/spoke/config/kubeconfig',
                '--kubeconfig=/spoke/meta/kubeconfig',
                `--namespace=${AGENT_NAMESPACE}`,
                '--disable-leader-election',
                '--listen=0.0.0.0:8443',
                `--cluster-healthcheck-period=${Math.min(leaseDurationSeconds, MAX_HEALTHCHECK_PERIOD_S)}s`,
                `--status-sync-interval=${STATUS_SYNC_INTERVAL}`,
              ],
              workingDir: '/spoke/meta', // the meta kubeconfig's relative tokenFile (see render/hub.ts)
              env: HTTP2_HEALTH_CHECK,
              volumeMounts: [
                { name: 'meta-kubeconfig', mountPath: '/spoke/meta', readOnly: true },
                { name: 'hub-kubeconfig', mountPath: '/spoke/hub-kubeconfig' },
                { name: 'spoke-kubeconfig-secret', mountPath: '/spoke/config', readOnly: true },
              ],
              readinessProbe: { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS' }, periodSeconds: 5 },
              resources: { requests: { cpu: '2m', memory: '16Mi' } },
            },
          ],
          volumes: [
            metaKubeconfigVolume('meta-kubeconfig'),
            { name: 'hub-kubeconfig', emptyDir: { medium: 'Memory' } },
            { name: 'spoke-kubeconfig-secret', secret: { secretName: n.managedKubeconfigSecret } },
          ],
        },
      },
    },
  };
}
