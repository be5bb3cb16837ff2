// kube-apiserver: the Service that exposes it and the Deployment that runs it.
import { APISERVER_PORT, names } from '../names';
import { flags, ownedMeta, resources, secretsHash, selectorLabels, SECRETS_HASH_ANNOTATION, type KubeObject } from './common';
import type { ControlPlaneInputs, ServiceType } from './inputs';
import { konnectivityEnabled, konnectivityPodParts, konnectivityServicePort } from './konnectivity';

export const PKI_DIR = '/etc/kubernetes/pki';

/**
 * The apiserver's Go runtime: GOGC=50 collects once the heap has grown by half since the last collection (Go's default,
 * 100: once it doubled), for a smaller resident footprint per business cluster at the price of more frequent GC.
 * `npm run bench -- density` measured 267 → 228 MiB RSS per apiserver (README, "Density"); on kube-controller-manager
 * and kube-scheduler it changed nothing measurable (105 → 103, 63 → 62 MiB), so they keep Go's default.
 */
export const APISERVER_GO_ENV: ReadonlyArray<{ name: string; value: string }> = [{ name: 'GOGC', value: '50' }];

export function renderAPIServerService(inputs: Pick<ControlPlaneInputs, 'cluster' | 'serviceType'>): KubeObject {
  const c = inputs.cluster;
  const spec = c.spec.apiServer;
  const type: ServiceType = inputs.serviceType;
  const nodePort = type !== 'ClusterIP' && spec.service.nodePort !== undefined ? { nodePort: spec.service.nodePort } : {};
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.apiServer(c.metadata.name), 'apiserver'),
    spec: {
      type,
      selector: selectorLabels(c, 'apiserver'),
      ports: [
        { name: 'https', port: APISERVER_PORT, targetPort: APISERVER_PORT, protocol: 'TCP', ...nodePort },
        // egress Konnectivity: where the business cluster's agents dial the apiserver pod's konnectivity-server.
        ...(konnectivityEnabled(c) ? [konnectivityServicePort()] : []),
      ],
    },
  };
}

/** Secret volumes of the apiserver pod: name → Secret, the keys it needs, and where it is mounted. */
function apiServerVolumes(cluster: string) {
  return [
    { volume: 'ca', secret: names.cert(cluster, 'ca'), items: ['tls.crt'], dir: `${PKI_DIR}/ca` },
    { volume: 'serving', secret: names.cert(cluster, 'apiserver-serving'), items: ['tls.crt', 'tls.key'], dir: `${PKI_DIR}/apiserver` },
    {
      volume: 'kubelet-client',
      secret: names.cert(cluster, 'apiserver-kubelet-client'),
      items: ['tls.crt', 'tls.key'],
      dir: `${PKI_DIR}/kubelet-client`,
    },
    { volume: 'front-proxy-ca', secret: names.cert(cluster, 'front-proxy-ca'), items: ['tls.crt'], dir: `${PKI_DIR}/front-proxy-ca` },
    {
      volume: 'front-proxy-client',
      secret: names.cert(cluster, 'front-proxy-client'),
      items: ['tls.crt', 'tls.key'],
      dir: `${PKI_DIR}/front-proxy-client`,
    },
    { volume: 'sa', secret: names.serviceAccountKeys(cluster), items: ['sa.key', 'sa.pub'], dir: `${PKI_DIR}/sa` },
    {
      volume: 'etcd',
      secret: names.cert(cluster, 'apiserver-etcd-client'),
      items: ['ca.crt', 'tls.crt', 'tls.key'],
      dir: `${PKI_DIR}/etcd`,
    },
  ];
}

export interface SecretVolume {
  volume: string;
  secret: string;
  items: string[];
  dir: string;
}

/** Pod volumes and container mounts for Secret volumes; only the listed keys are projected (no CA key where it isn't needed). */
export function secretMounts(vols: SecretVolume[]) {
  return {
    volumes: vols.map((v) => ({
      name: v.volume,
      secret: { secretName: v.secret, defaultMode: 0o400, items: v.items.map((k) => ({ key: k, path: k })) },
    })),
    volumeMounts: vols.map((v) => ({ name: v.volume, mountPath: v.dir, readOnly: true })),
  };
}

export function apiServerMountedSecrets(cluster: string): string[] {
  return apiServerVolumes(cluster).map((v) => v.secret);
}

// eslint-disable-next-line max-lines-per-function -- one object literal: the Deployment as it is applied, flag by flag
export function renderAPIServerDeployment(inputs: ControlPlaneInputs): KubeObject {
  const c = inputs.cluster;
  const name = c.metadata.name;
  const spec = c.spec;
  const release = inputs.releases.apiServer;
  const vols = apiServerVolumes(name);
  const { volumes, volumeMounts } = secretMounts(vols);
  const p = (dir: string, file: string) => `${vols.find((v) => v.volume === dir)!.dir}/${file}`;
  // egress Konnectivity (render/konnectivity.ts): a sidecar, its volumes and one flag; nothing for Direct.
  const knp = konnectivityEnabled(c) ? konnectivityPodParts(name, vols.find((v) => v.volume === 'serving')!.dir) : undefined;
  const args = flags(
    {
      'advertise-address': '$(POD_IP)',
      'allow-privileged': 'true',
      'authorization-mode': 'Node,RBAC',
      'bind-address': '0.0.0.0',
      'client-ca-file': p('ca', 'tls.crt'),
      'enable-admission-plugins': 'NodeRestriction',
      'enable-bootstrap-token-auth': 'true',
      ...(inputs.kubernetesEndpoint ? { 'endpoint-reconciler-type': 'none' } : {}),
      // The discovery document's jwks_uri defaults to the advertised pod IP, which the cluster's pods cannot reach
      // when nodes go through a node-facing endpoint (conformance: ServiceAccountIssuerDiscovery).
      ...(inputs.kubernetesEndpoint
        ? { 'service-account-jwks-uri': `https://${inputs.kubernetesEndpoint.ip}:${inputs.kubernetesEndpoint.port}/openid/v1/jwks` }
        : {}),
      'etcd-cafile': p('etcd', 'ca.crt'),
      'etcd-certfile': p('etcd', 'tls.crt'),
      'etcd-keyfile': p('etcd', 'tls.key'),
      'etcd-prefix': inputs.etcd.prefix,
      'etcd-servers': inputs.etcd.servers,
      'kubelet-client-certificate': p('kubelet-client', 'tls.crt'),
      'kubelet-client-key': p('kubelet-client', 'tls.key'),
      'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
      'proxy-client-cert-file': p('front-proxy-client', 'tls.crt'),
      'proxy-client-key-file': p('front-proxy-client', 'tls.key'),
      'requestheader-allowed-names': 'front-proxy-client',
      'requestheader-client-ca-file': p('front-proxy-ca', 'tls.crt'),
      'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
      'requestheader-group-headers': 'X-Remote-Group',
      'requestheader-username-headers': 'X-Remote-User',
      'secure-port': String(6443),
      'service-account-issuer': `https://kubernetes.default.svc.${spec.network.dnsDomain}`,
      'service-account-key-file': p('sa', 'sa.pub'),
      'service-account-signing-key-file': p('sa', 'sa.key'),
      'service-cluster-ip-range': spec.network.serviceCIDR,
      'tls-cert-file': p('serving', 'tls.crt'),
      'tls-private-key-file': p('serving', 'tls.key'),
    },
    knp?.args,
    spec.apiServer.extraArgs,
  );
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { path, port: 6443, scheme: 'HTTPS' },
    periodSeconds: 5,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const labels = { ...selectorLabels(c, 'apiserver'), 'kokpit.dev/version': release.version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMeta(c, names.apiServer(name), 'apiserver', { 'kokpit.dev/version': release.version }),
    spec: {
      replicas: spec.apiServer.replicas,
      selector: { matchLabels: selectorLabels(c, 'apiserver') },
      // A new apiserver is up before an old one goes: the cluster keeps answering during rollouts.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: {
            [SECRETS_HASH_ANNOTATION]: secretsHash([...vols.map((v) => v.secret), ...(knp?.secrets ?? [])], inputs.secretHashes),
          },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: 'kube-apiserver',
              image: release.images.kubeAPIServer,
              command: ['kube-apiserver'],
              args,
              env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...APISERVER_GO_ENV],
              ports: [{ name: 'https', containerPort: 6443, protocol: 'TCP' }],
              startupProbe: probe('/livez', 60),
              livenessProbe: probe('/livez', 6),
              readinessProbe: { ...probe('/readyz', 3), periodSeconds: 2 },
              resources: resources(spec.apiServer.resources),
              volumeMounts: knp ? [...volumeMounts, ...knp.apiServerMounts] : volumeMounts,
            },
            ...(knp ? [knp.container] : []),
          ],
          volumes: knp ? [...volumes, ...knp.volumes] : volumes,
        },
      },
    },
  };
}
