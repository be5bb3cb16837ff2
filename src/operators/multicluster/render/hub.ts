// The OCM hub in the meta cluster, as pure objects: OCM's CRDs, its namespace, the registration, placement and
// work controllers with the RBAC of OCM's own manifests, and the namespace and Roles every hosted agent shares.
// No admission webhooks: OCM serves them behind Services, and the sandbox's pods (127.x addresses) get no
// Service endpoints; the CRDs' own schema defaults still apply, only OCM's extra validation is missing.
// The work controller (`work manager`) serves ManifestWorkReplicaSets only (ManifestWorks need no hub controller);
// cluster-manager runs it when the ManifestWorkReplicaSet gate is on, with no flags of its own for the kube driver.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT, AGENT_USER, HUB_NAMESPACE, LABELS, META_KUBECONFIG_CONFIGMAP, OCM_IMAGES } from '../names';
import { templateObjects, type TemplateValues } from './template';

/** The files of config/ocm and schemas/ocm, read by the caller (name → text). */
export interface OcmManifests {
  /** CRD files (schemas/ocm and config/ocm/hub); the same CRD twice is applied once. */
  crds: string[];
  hub: string[];
  agent: string[];
}

export interface MetaAccess {
  /** The meta API server as pods reach it (the address the pod runner or the kubelet gives pods). */
  server: string;
  /** PEM of the CA that signed its serving certificate; none: TLS is not verified. */
  caPEM?: string;
}

const MANAGED_BY = { [LABELS.managedBy]: 'kokpit' };

const VALUES: TemplateValues = {
  ClusterManagerName: 'cluster-manager',
  ClusterManagerNamespace: HUB_NAMESPACE,
  KlusterletName: 'klusterlet',
  AgentNamespace: AGENT_NAMESPACE,
  RegistrationServiceAccount: AGENT_SERVICE_ACCOUNT,
  WorkServiceAccount: AGENT_SERVICE_ACCOUNT,
  // The Helm chart's bootstrap ClusterRole, which kokpit always wants.
  'or .Values.createBootstrapToken .Values.createBootstrapSA': true,
};

/** A kubeconfig that reads the pod's projected token beside it (`tokenFile: token`, relative: containers run in that directory). */
export function metaKubeconfig(access: MetaAccess): string {
  const tls = access.caPEM
    ? `certificate-authority-data: ${Buffer.from(access.caPEM).toString('base64')}`
    : 'insecure-skip-tls-verify: true';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: meta',
    '  cluster:',
    `    server: ${access.server}`,
    `    ${tls}`,
    'users:',
    '- name: pod',
    '  user:',
    '    tokenFile: token',
    'contexts:',
    '- name: meta',
    '  context: {cluster: meta, user: pod}',
    'current-context: meta',
    '',
  ].join('\n');
}

const kubeconfigConfigMap = (namespace: string, access: MetaAccess): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: META_KUBECONFIG_CONFIGMAP, namespace, labels: MANAGED_BY },
    data: { kubeconfig: metaKubeconfig(access) },
  }) as KubernetesObject;

/** The volume a hub or agent container mounts for meta-cluster access: the kubeconfig and its ServiceAccount's token. */
export const metaKubeconfigVolume = (name: string) => ({
  name,
  projected: {
    sources: [{ configMap: { name: META_KUBECONFIG_CONFIGMAP } }, { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }],
  },
});

/** A hub controller: one replica, its kubeconfig from the projected volume, health on the pod's own :8443. */
function hubController(name: string, image: string, command: string, serviceAccount: string, args: string[]): V1Deployment {
  const labels = { app: name, ...MANAGED_BY };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: HUB_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: serviceAccount,
          // Its own kubeconfig instead: the sandbox's processes cannot see /var/run/secrets/kubernetes.io.
          automountServiceAccountToken: false,
          containers: [
            {
              name,
              image,
              command: [command],
              args: [
                ...args,
                '--kubeconfig=/var/run/secrets/hub/kubeconfig',
                `--namespace=${HUB_NAMESPACE}`,
                // One replica: OCM's default lease (137 s) would only delay a restarted controller.
                '--disable-leader-election',
                '--listen=0.0.0.0:8443',
              ],
              // The kubeconfig's relative tokenFile resolves against the working directory (library-go loads it
              // without resolving paths next to the file), and the pod runner maps this path to the volume.
              workingDir: '/var/run/secrets/hub',
              volumeMounts: [{ name: 'hub-kubeconfig', mountPath: '/var/run/secrets/hub', readOnly: true }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS' }, periodSeconds: 2 },
              resources: { requests: { cpu: '2m', memory: '16Mi' } },
            },
          ],
          volumes: [metaKubeconfigVolume('hub-kubeconfig')],
        },
      },
    },
  };
}

export function crdObjects(files: string[]): KubernetesObject[] {
  const byName = new Map<string, KubernetesObject>();
  for (const text of files)
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as KubernetesObject | null;
      if (o?.kind === 'CustomResourceDefinition') byName.set(o.metadata!.name!, o);
    }
  return [...byName.values()].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

/** Every object of the hub, CRDs first, then namespaces, RBAC and the controllers (apply in this order). */
export function renderHub(m: OcmManifests, access: MetaAccess): KubernetesObject[] {
  const hub = m.hub.flatMap((t) => templateObjects(t, VALUES));
  const agent = m.agent.flatMap((t) => templateObjects(t, VALUES));
  const rank = (o: KubernetesObject) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'Role'].indexOf(o.kind!) + 1 || 9;
  const registration = hubController(
    'cluster-manager-registration-controller',
    OCM_IMAGES.registration,
    '/registration',
    'registration-controller-sa',
    [
      'controller',
      // kokpit creates each ManagedCluster with hubAcceptsClient and hosts its agent: approve that agent's CSR at once.
      '--feature-gates=ManagedClusterAutoApproval=true',
      `--auto-approved-csr-users=${AGENT_USER}`,
    ],
  );
  const placement = hubController('cluster-manager-placement-controller', OCM_IMAGES.placement, '/placement', 'placement-controller-sa', [
    'controller',
  ]);
  // manifests/cluster-manager/management/cluster-manager-manifestworkreplicaset-deployment.yaml: `/work manager`.
  const work = hubController('cluster-manager-work-controller', OCM_IMAGES.work, '/work', 'work-controller-sa', ['manager']);
  const extra: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE, labels: MANAGED_BY } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: AGENT_SERVICE_ACCOUNT, namespace: AGENT_NAMESPACE, labels: MANAGED_BY } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'open-cluster-management:bootstrap:kokpit-agents', labels: MANAGED_BY },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'open-cluster-management:bootstrap' },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_SERVICE_ACCOUNT, namespace: AGENT_NAMESPACE }],
    } as KubernetesObject,
    kubeconfigConfigMap(HUB_NAMESPACE, access),
    kubeconfigConfigMap(AGENT_NAMESPACE, access),
  ];
  const rest = [...hub, ...agent, ...extra].sort((a, b) => rank(a) - rank(b));
  return [...crdObjects(m.crds), ...rest, registration, placement, work];
}
