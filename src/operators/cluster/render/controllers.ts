// kube-controller-manager and kube-scheduler: leader-elected Deployments that reach the apiserver
// through their own kubeconfig Secrets.
import { KUBECONFIG_KEY, names } from '../names';
import { PKI_DIR, secretMounts, type SecretVolume } from './apiserver';
import { flags, ownedMeta, resources, secretsHash, selectorLabels, SECRETS_HASH_ANNOTATION, type KubeObject } from './common';
import type { ControlPlaneInputs } from './inputs';

const KUBECONFIG_DIR = '/etc/kubernetes/kubeconfig';
const kubeconfigFile = `${KUBECONFIG_DIR}/${KUBECONFIG_KEY}`;

interface ComponentShape {
  component: 'controller-manager' | 'scheduler';
  name: string;
  container: string;
  image: string;
  version: string;
  replicas: number;
  args: string[];
  port: number;
  vols: SecretVolume[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

function deployment(inputs: ControlPlaneInputs, s: ComponentShape): KubeObject {
  const c = inputs.cluster;
  const { volumes, volumeMounts } = secretMounts(s.vols);
  const probe = (failureThreshold: number) => ({
    httpGet: { path: '/healthz', port: s.port, scheme: 'HTTPS' },
    periodSeconds: 5,
    timeoutSeconds: 5,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMeta(c, s.name, s.component, { 'kokpit.dev/version': s.version }),
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selectorLabels(c, s.component) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { ...selectorLabels(c, s.component), 'kokpit.dev/version': s.version },
          annotations: {
            [SECRETS_HASH_ANNOTATION]: secretsHash(
              s.vols.map((v) => v.secret),
              inputs.secretHashes,
            ),
          },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: s.container,
              image: s.image,
              command: [s.container],
              args: s.args,
              ports: [{ name: 'https', containerPort: s.port, protocol: 'TCP' }],
              startupProbe: probe(60),
              livenessProbe: probe(6),
              readinessProbe: probe(3),
              resources: resources(s.resources),
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

export function controllerManagerMountedSecrets(cluster: string): string[] {
  return controllerManagerVolumes(cluster).map((v) => v.secret);
}

function controllerManagerVolumes(cluster: string): SecretVolume[] {
  return [
    { volume: 'kubeconfig', secret: names.kubeconfig(cluster, 'controller-manager'), items: [KUBECONFIG_KEY], dir: KUBECONFIG_DIR },
    // The CA key signs kubelet client and serving certificates (CSRs).
    { volume: 'ca', secret: names.cert(cluster, 'ca'), items: ['tls.crt', 'tls.key'], dir: `${PKI_DIR}/ca` },
    { volume: 'front-proxy-ca', secret: names.cert(cluster, 'front-proxy-ca'), items: ['tls.crt'], dir: `${PKI_DIR}/front-proxy-ca` },
    { volume: 'sa', secret: names.serviceAccountKeys(cluster), items: ['sa.key'], dir: `${PKI_DIR}/sa` },
  ];
}

export function renderControllerManagerDeployment(inputs: ControlPlaneInputs): KubeObject {
  const c = inputs.cluster;
  const spec = c.spec;
  const release = inputs.releases.controllerManager;
  const vols = controllerManagerVolumes(c.metadata.name);
  const args = flags(
    {
      'allocate-node-cidrs': 'true',
      'authentication-kubeconfig': kubeconfigFile,
      'authorization-kubeconfig': kubeconfigFile,
      'bind-address': '0.0.0.0',
      'client-ca-file': `${PKI_DIR}/ca/tls.crt`,
      'cluster-cidr': spec.network.podCIDR,
      'cluster-name': c.metadata.name,
      'cluster-signing-cert-file': `${PKI_DIR}/ca/tls.crt`,
      'cluster-signing-key-file': `${PKI_DIR}/ca/tls.key`,
      // bootstrapsigner signs cluster-info for `kubeadm join`; tokencleaner removes expired bootstrap tokens.
      controllers: '*,bootstrapsigner,tokencleaner',
      kubeconfig: kubeconfigFile,
      'leader-elect': 'true',
      'requestheader-client-ca-file': `${PKI_DIR}/front-proxy-ca/tls.crt`,
      'root-ca-file': `${PKI_DIR}/ca/tls.crt`,
      'secure-port': '10257',
      'service-account-private-key-file': `${PKI_DIR}/sa/sa.key`,
      'service-cluster-ip-range': spec.network.serviceCIDR,
      'use-service-account-credentials': 'true',
    },
    spec.controllerManager.extraArgs,
  );
  return deployment(inputs, {
    component: 'controller-manager',
    name: names.controllerManager(c.metadata.name),
    container: 'kube-controller-manager',
    image: release.images.kubeControllerManager,
    version: release.version,
    replicas: spec.controllerManager.replicas,
    args,
    port: 10257,
    vols,
    resources: spec.controllerManager.resources,
  });
}

function schedulerVolumes(cluster: string): SecretVolume[] {
  return [{ volume: 'kubeconfig', secret: names.kubeconfig(cluster, 'scheduler'), items: [KUBECONFIG_KEY], dir: KUBECONFIG_DIR }];
}

export function schedulerMountedSecrets(cluster: string): string[] {
  return schedulerVolumes(cluster).map((v) => v.secret);
}

export function renderSchedulerDeployment(inputs: ControlPlaneInputs): KubeObject {
  const c = inputs.cluster;
  const spec = c.spec;
  const release = inputs.releases.scheduler;
  const args = flags(
    {
      'authentication-kubeconfig': kubeconfigFile,
      'authorization-kubeconfig': kubeconfigFile,
      'bind-address': '0.0.0.0',
      kubeconfig: kubeconfigFile,
      'leader-elect': 'true',
      'secure-port': '10259',
    },
    spec.scheduler.extraArgs,
  );
  return deployment(inputs, {
    component: 'scheduler',
    name: names.scheduler(c.metadata.name),
    container: 'kube-scheduler',
    image: release.images.kubeScheduler,
    version: release.version,
    replicas: spec.scheduler.replicas,
    args,
    port: 10259,
    vols: schedulerVolumes(c.metadata.name),
    resources: spec.scheduler.resources,
  });
}
