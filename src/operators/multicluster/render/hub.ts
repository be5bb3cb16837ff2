// The OCM hub in the meta cluster, as pure objects: OCM's CRDs, its namespace, the registration, placement and
// work controllers with the RBAC of OCM's own manifests, and the namespace and Roles every hosted agent shares.
// OCM's admission webhooks (registration: ManagedCluster validation and defaults, ManagedClusterSetBinding
// validation; work: ManifestWork validation) are rendered only when asked (`webhooks`, with the CA that signed their
// serving certificates: render/hub-webhooks.ts): OCM serves them behind Services, which the API server dials at
// their endpoints, so they are for meta clusters whose Services get endpoints: the sandbox's netns pod network (each
// pod in a network namespace of its own, so OCM's two webhook servers, which both bind :8000, :8080 and :9443, run
// side by side), kind, a real cluster. Not the loopback network: its Services get no endpoints. Without them the
// CRDs' own schemas still apply; OCM's extra checks do not.
// The work controller (`work manager`) serves ManifestWorkReplicaSets only (ManifestWorks need no hub controller);
// cluster-manager runs it when the ManifestWorkReplicaSet gate is on, with no flags of its own for the kube driver.
import type { KubernetesObject, V1Container, V1Deployment, V1Volume } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT, AGENT_USER, HUB_NAMESPACE, LABELS, META_KUBECONFIG_CONFIGMAP, OCM_IMAGES } from '../names';
import { HUB_WEBHOOKS, isWebhookConfiguration, WEBHOOK_CERT_DIR, WEBHOOK_PORT, type HubWebhook } from './hub-webhooks';
import { templateObjects, type TemplateValues } from './template';

/** The files of config/ocm and schemas/ocm, read by the caller (name → text). */
export interface OcmManifests {
  /** CRD files (schemas/ocm and config/ocm/hub); the same CRD twice is applied once. */
  crds: string[];
  hub: string[];
  /** config/ocm/hub's `*-webhook-*` files: the webhooks' ServiceAccounts, RBAC, Services and webhook configurations. */
  webhooks: string[];
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

/**
 * The feature gates of the ClusterManager kokpit plays: OCM's operator passes them to the controller and the webhook
 * alike (`RegistrationFeatureGates`, `WorkFeatureGates`; only gates that differ from their default are flags).
 * kokpit creates each ManagedCluster with hubAcceptsClient and hosts its agent: approve that agent's CSR at once.
 * ManifestWorkReplicaSet: kokpit runs its controller (`work manager`), as OCM does only with this gate on.
 */
export const REGISTRATION_FEATURE_GATES = ['--feature-gates=ManagedClusterAutoApproval=true'];
export const WORK_FEATURE_GATES = ['--feature-gates=ManifestWorkReplicaSet=true'];

const HUB_KUBECONFIG_DIR = '/var/run/secrets/hub';

/**
 * One replica of a hub process in the hub namespace, its kubeconfig from the projected volume (`--kubeconfig` in its
 * args): the ServiceAccount's token by file, so the same pod runs under a kubelet and the sandbox's pod runner.
 */
function hubDeployment(name: string, serviceAccount: string, container: V1Container, volumes: V1Volume[] = []): V1Deployment {
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
              ...container,
              // The kubeconfig's relative tokenFile resolves against the working directory (library-go loads it
              // without resolving paths next to the file), and the pod runner maps this path to the volume.
              workingDir: HUB_KUBECONFIG_DIR,
              volumeMounts: [...(container.volumeMounts ?? []), { name: 'hub-kubeconfig', mountPath: HUB_KUBECONFIG_DIR, readOnly: true }],
            },
          ],
          volumes: [...volumes, metaKubeconfigVolume('hub-kubeconfig')],
        },
      },
    },
  };
}

/** A hub controller: health on the pod's own :8443. */
function hubController(name: string, image: string, command: string, serviceAccount: string, args: string[]): V1Deployment {
  return hubDeployment(name, serviceAccount, {
    name,
    image,
    command: [command],
    args: [
      ...args,
      `--kubeconfig=${HUB_KUBECONFIG_DIR}/kubeconfig`,
      `--namespace=${HUB_NAMESPACE}`,
      // One replica: OCM's default lease (137 s) would only delay a restarted controller.
      '--disable-leader-election',
      '--listen=0.0.0.0:8443',
    ],
    readinessProbe: { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS' }, periodSeconds: 2 },
    resources: { requests: { cpu: '2m', memory: '16Mi' } },
  });
}

/**
 * A webhook server as manifests/cluster-manager/management/cluster-manager-{registration,work}-webhook-deployment.yaml
 * renders it in Default mode: `<command> webhook-server port=9443` and the feature gates (`port=9443` is an argument
 * cobra ignores: the server's --port defaults to 9443), OCM's probes on :8000, security context and requests, the
 * serving certificate's Secret at controller-runtime's default directory. kokpit's changes: the command as `command`
 * (the image has no entrypoint), its kubeconfig as in Hosted mode (`--kubeconfig`, from the projected volume),
 * `--certdir` naming that default directory (so the pod runner maps it), readiness every 2 s (install waits on it).
 */
function webhookServer(w: HubWebhook, featureGates: string[]): V1Deployment {
  const health = (path: string) => ({ httpGet: { path, port: 8000, scheme: 'HTTP' }, initialDelaySeconds: 2 });
  return hubDeployment(
    w.deployment,
    w.serviceAccount,
    {
      name: 'cluster-manager-webhook',
      image: w.image,
      command: [w.command],
      args: [
        'webhook-server',
        `port=${WEBHOOK_PORT}`,
        ...featureGates,
        `--kubeconfig=${HUB_KUBECONFIG_DIR}/kubeconfig`,
        `--certdir=${WEBHOOK_CERT_DIR}`,
      ],
      resources: { requests: { cpu: '2m', memory: '16Mi' } },
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
      },
      livenessProbe: { ...health('/healthz'), periodSeconds: 10 },
      readinessProbe: { ...health(w.readyPath), periodSeconds: 2 },
      ports: [{ containerPort: WEBHOOK_PORT, protocol: 'TCP' }],
      volumeMounts: [{ name: 'webhook-secret', mountPath: WEBHOOK_CERT_DIR, readOnly: true }],
    },
    [{ name: 'webhook-secret', secret: { secretName: w.secret } }],
  );
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

export interface HubRenderOptions {
  /** OCM's admission webhooks, served with certificates of this CA (PEM: the webhook configurations' caBundle). */
  webhooks?: { caPEM: string };
}

/**
 * Every object of the hub, CRDs first, then namespaces, RBAC and the other objects, the Deployments and, with webhooks,
 * the webhook configurations last (apply in this order; installHub applies those once the webhook servers answer).
 */
export function renderHub(m: OcmManifests, access: MetaAccess, o: HubRenderOptions = {}): KubernetesObject[] {
  const webhookValues: TemplateValues | undefined = o.webhooks && {
    ...VALUES,
    'RegistrationWebhook.Port': String(WEBHOOK_PORT),
    // The work webhook's configuration names the registration webhook's port and CA bundle too: one port, one CA.
    RegistrationAPIServiceCABundle: Buffer.from(o.webhooks.caPEM).toString('base64'),
  };
  const hub = [
    ...m.hub.flatMap((t) => templateObjects(t, VALUES)),
    ...(webhookValues ? m.webhooks.flatMap((t) => templateObjects(t, webhookValues)) : []),
  ];
  const agent = m.agent.flatMap((t) => templateObjects(t, VALUES));
  const rank = (o: KubernetesObject) =>
    isWebhookConfiguration(o) ? 20 : ['Namespace', 'ServiceAccount', 'ClusterRole', 'Role'].indexOf(o.kind!) + 1 || 9;
  const registration = hubController(
    'cluster-manager-registration-controller',
    OCM_IMAGES.registration,
    '/registration',
    'registration-controller-sa',
    ['controller', ...REGISTRATION_FEATURE_GATES, `--auto-approved-csr-users=${AGENT_USER}`],
  );
  const placement = hubController('cluster-manager-placement-controller', OCM_IMAGES.placement, '/placement', 'placement-controller-sa', [
    'controller',
  ]);
  // manifests/cluster-manager/management/cluster-manager-manifestworkreplicaset-deployment.yaml: `/work manager`.
  const work = hubController('cluster-manager-work-controller', OCM_IMAGES.work, '/work', 'work-controller-sa', ['manager']);
  const webhookServers = o.webhooks
    ? HUB_WEBHOOKS.map((w) => webhookServer(w, w.command === '/work' ? WORK_FEATURE_GATES : REGISTRATION_FEATURE_GATES))
    : [];
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
  const configs = rest.filter(isWebhookConfiguration);
  return [
    ...crdObjects(m.crds),
    ...rest.filter((x) => !isWebhookConfiguration(x)),
    registration,
    placement,
    work,
    ...webhookServers,
    ...configs,
  ];
}
