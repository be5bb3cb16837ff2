// Konnectivity (sigs.k8s.io/apiserver-network-proxy), opt-in with `spec.apiServer.egress: Konnectivity`: the business
// kube-apiserver runs in the meta cluster, which has no route to the business pod and Service networks, so its
// `cluster` egress (pods/proxy, services/proxy, webhooks, aggregated APIs, kubelets) goes over a Unix socket to a
// konnectivity-server sidecar, which forwards through the tunnels that konnectivity-agent pods in the business
// cluster (addon `konnectivity-agent`, src/catalog/addons/konnectivity-agent.ts) open to its agent port.
// Nothing here is rendered for `Direct` (unset), so those clusters' objects stay exactly as they were.
import type { BusinessCluster } from '../../../api';
import { KUBECONFIG_KEY, names } from '../names';
import { ownedMeta, type KubeObject } from './common';

/** Release pinned in hack/bins/konnectivity (src/binaries/catalog.ts KONNECTIVITY_VERSION); upstream's image names. */
export const KONNECTIVITY_SERVER_IMAGE = 'registry.k8s.io/kas-network-proxy/proxy-server:v0.33.0';
/** Where agents dial in (a second port of the apiserver Service: a NodePort on kind). */
export const KONNECTIVITY_AGENT_PORT = 8132;
export const KONNECTIVITY_ADMIN_PORT = 8133;
export const KONNECTIVITY_HEALTH_PORT = 8134;
/** The Service port's name, by which the operator finds its NodePort for the agents. */
export const KONNECTIVITY_PORT_NAME = 'konnectivity';
/** The agents' identity the server accepts (TokenReview of a token with this audience, from this ServiceAccount). */
export const KONNECTIVITY_AUDIENCE = 'system:konnectivity-server';
export const KONNECTIVITY_AGENT_NAMESPACE = 'kube-system';
export const KONNECTIVITY_AGENT_SERVICE_ACCOUNT = 'konnectivity-agent';
/** The shipped addon (src/catalog/addons/konnectivity-agent.ts) a Konnectivity cluster gets without listing it. */
export const KONNECTIVITY_AGENT_ADDON = 'konnectivity-agent';

const UDS_DIR = '/etc/kubernetes/konnectivity-server';
export const KONNECTIVITY_UDS = `${UDS_DIR}/konnectivity-server.socket`;
const EGRESS_DIR = '/etc/kubernetes/egress';
const EGRESS_FILE = 'egress-selector-configuration.yaml';
const KUBECONFIG_DIR = '/etc/kubernetes/konnectivity-server-kubeconfig';

export function konnectivityEnabled(c: BusinessCluster): boolean {
  return c.spec.apiServer?.egress === 'Konnectivity';
}

/**
 * The egress-selector file's Secret. A Secret, not a ConfigMap, although nothing in it is secret: the manager already
 * applies Secrets (PKI), and its ClusterRole (config/rbac/role.yaml) lists only what it uses, checked against the API
 * server's audit log (test/integration/manager/rbac.test.ts).
 */
export const konnectivityEgressSecretName = (cluster: string) => `${cluster}-konnectivity-egress`;

/** kube-apiserver's `--egress-selector-config-file`: the `cluster` network through the sidecar's socket, over gRPC. */
export function egressSelectorConfiguration(): string {
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    '- name: cluster',
    '  connection:',
    '    proxyProtocol: GRPC',
    '    transport:',
    '      uds:',
    `        udsName: ${KONNECTIVITY_UDS}`,
    '',
  ].join('\n');
}

export function renderEgressSelectorSecret(c: BusinessCluster): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(c, konnectivityEgressSecretName(c.metadata.name), 'apiserver'),
    type: 'Opaque',
    data: { [EGRESS_FILE]: Buffer.from(egressSelectorConfiguration(), 'utf8').toString('base64') },
  };
}

/** The Service port agents dial; `nodePort` is left to the meta cluster. */
export function konnectivityServicePort() {
  return {
    name: KONNECTIVITY_PORT_NAME,
    port: KONNECTIVITY_AGENT_PORT,
    targetPort: KONNECTIVITY_AGENT_PORT,
    protocol: 'TCP',
  };
}

/**
 * What the apiserver pod gains: the flag, the sidecar, and their volumes. The sidecar serves agents with the
 * apiserver's serving certificate (its SANs cover the node-facing address agents dial, and agents verify it with the
 * cluster CA from their service-account volume); it authenticates agents by TokenReview with the scheduler's
 * kubeconfig (system:kube-scheduler may create TokenReviews: upstream's bootstrap policy, for delegated authentication),
 * so no new identity is issued.
 */
export function konnectivityPodParts(cluster: string, servingDir: string) {
  const kubeconfigSecret = names.kubeconfig(cluster, 'scheduler');
  const udsMount = { name: 'konnectivity-uds', mountPath: UDS_DIR };
  const server = {
    name: 'konnectivity-server',
    image: KONNECTIVITY_SERVER_IMAGE,
    // Upstream's image has the binary at /proxy-server (distroless, no PATH entry for /); so does kokpit's build.
    command: ['/proxy-server'],
    args: [
      `--admin-port=${KONNECTIVITY_ADMIN_PORT}`,
      `--agent-namespace=${KONNECTIVITY_AGENT_NAMESPACE}`,
      `--agent-port=${KONNECTIVITY_AGENT_PORT}`,
      `--agent-service-account=${KONNECTIVITY_AGENT_SERVICE_ACCOUNT}`,
      `--authentication-audience=${KONNECTIVITY_AUDIENCE}`,
      `--cluster-cert=${servingDir}/tls.crt`,
      `--cluster-key=${servingDir}/tls.key`,
      '--delete-existing-uds-file=true',
      `--health-port=${KONNECTIVITY_HEALTH_PORT}`,
      `--kubeconfig=${KUBECONFIG_DIR}/${KUBECONFIG_KEY}`,
      '--mode=grpc',
      '--proxy-strategies=destHost,default',
      '--server-port=0',
      `--uds-name=${KONNECTIVITY_UDS}`,
    ],
    ports: [
      { name: 'agent', containerPort: KONNECTIVITY_AGENT_PORT, protocol: 'TCP' },
      { name: 'health', containerPort: KONNECTIVITY_HEALTH_PORT, protocol: 'TCP' },
    ],
    livenessProbe: {
      httpGet: { path: '/healthz', port: KONNECTIVITY_HEALTH_PORT, scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    volumeMounts: [
      udsMount,
      { name: 'serving', mountPath: servingDir, readOnly: true },
      { name: 'konnectivity-kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true },
    ],
  };
  return {
    args: { 'egress-selector-config-file': `${EGRESS_DIR}/${EGRESS_FILE}` },
    apiServerMounts: [{ ...udsMount }, { name: 'egress-selector', mountPath: EGRESS_DIR, readOnly: true }],
    container: server,
    /** Mounted Secrets, for the pod's secrets-hash annotation. */
    secrets: [kubeconfigSecret],
    volumes: [
      { name: 'konnectivity-uds', emptyDir: {} },
      {
        name: 'egress-selector',
        secret: { secretName: konnectivityEgressSecretName(cluster), defaultMode: 0o400, items: [{ key: EGRESS_FILE, path: EGRESS_FILE }] },
      },
      {
        name: 'konnectivity-kubeconfig',
        secret: { secretName: kubeconfigSecret, defaultMode: 0o400, items: [{ key: KUBECONFIG_KEY, path: KUBECONFIG_KEY }] },
      },
    ],
  };
}

/**
 * Where agents dial the server: the node-facing endpoint's host, and the konnectivity port's NodePort when the Service
 * is a NodePort (else the port itself). Undefined when the Service has no such port (yet).
 */
export function konnectivityServerAddress(
  nodeEndpoint: string,
  service: { spec?: { type?: string; ports?: Array<{ name?: string; port: number; nodePort?: number }> } },
): { host: string; port: number } | undefined {
  const p = service.spec?.ports?.find((x) => x.name === KONNECTIVITY_PORT_NAME);
  if (!p) return undefined;
  const port = service.spec?.type === 'NodePort' ? p.nodePort : p.port;
  if (!port) return undefined;
  return { host: new URL(nodeEndpoint).hostname.replace(/^\[|\]$/g, ''), port };
}
