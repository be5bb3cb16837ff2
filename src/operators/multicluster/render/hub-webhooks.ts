// OCM's hub admission webhooks (registration: ManagedCluster validation and defaults, ManagedClusterSetBinding
// validation; work: ManifestWork validation), as OCM v1.0.0's cluster-manager runs them in Default mode, as pure parts:
// their names, what their serving certificates must say, and the Secrets that hold them. OCM's operator injects the
// certificates (its certrotation controller: a signer and one serving certificate per webhook Service); kokpit issues
// them with its own PKI when it installs the hub (operators/multicluster/hub.ts), and only when missing or no longer
// fitting, so installing again writes nothing. Key material goes into these Secrets only: nothing here logs it.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { needsRenewal } from '../../../pki';
import { HUB_NAMESPACE, LABELS, OCM_IMAGES } from '../names';

/** OCM's `defaultWebhookPort` (the webhook servers' default `--port` and the Services' port). */
export const WEBHOOK_PORT = 9443;
/** Where controller-runtime's webhook server reads tls.crt and tls.key unless told (`{TempDir}/k8s-webhook-server/serving-certs`). */
export const WEBHOOK_CERT_DIR = '/tmp/k8s-webhook-server/serving-certs';

export interface HubWebhook {
  /** The OCM image and command that serve it (`<command> webhook-server`). */
  image: string;
  command: string;
  /** Deployment and Service (OCM's names: the Service's selector is `app: <deployment>`). */
  deployment: string;
  service: string;
  serviceAccount: string;
  /** The serving certificate's Secret (the Deployment template's `secretName`). */
  secret: string;
  /** OCM's readiness path: the registration webhook's `/readyz`, the work webhook's `/healthz`. */
  readyPath: string;
}

export const HUB_WEBHOOKS: readonly HubWebhook[] = [
  {
    image: OCM_IMAGES.registration,
    command: '/registration',
    deployment: 'cluster-manager-registration-webhook',
    service: 'cluster-manager-registration-webhook',
    serviceAccount: 'registration-webhook-sa',
    secret: 'registration-webhook-serving-cert',
    readyPath: '/readyz',
  },
  {
    image: OCM_IMAGES.work,
    command: '/work',
    deployment: 'cluster-manager-work-webhook',
    service: 'cluster-manager-work-webhook',
    serviceAccount: 'work-webhook-sa',
    secret: 'work-webhook-serving-cert',
    readyPath: '/healthz',
  },
];

/** OCM's signer Secret (its certrotation controller's `signer-secret`): the CA that signs both serving certificates. */
export const WEBHOOK_CA_SECRET = 'signer-secret';
export const WEBHOOK_CA_NAME = 'cluster-manager-webhook-ca (kokpit)';

/**
 * Lifetimes. OCM rotates continuously (signer 365 days, serving certificates 30 days); kokpit re-issues only when it
 * installs the hub (`kokpit up`), so its certificates live longer and are re-issued with a margin: a serving
 * certificate with less than 30 days left, the CA with less than a year (then both serving certificates too).
 */
export const WEBHOOK_CA_VALID_DAYS = 3650;
export const WEBHOOK_CA_RENEW_DAYS = 365;
export const WEBHOOK_CERT_VALID_DAYS = 365;
export const WEBHOOK_CERT_RENEW_DAYS = 30;

/** The name the API server checks the serving certificate against: `<service>.<namespace>.svc`. */
export const servingName = (w: Pick<HubWebhook, 'service'>) => `${w.service}.${HUB_NAMESPACE}.svc`;

/** The kinds installHub applies only once the webhook servers answer (a Fail-policy webhook without endpoint refuses all). */
export const isWebhookConfiguration = (o: KubernetesObject) =>
  o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration';

/** Why a serving certificate must be (re)issued: not by this CA, not for `<service>.<namespace>.svc`, near expiry, another key. */
export function servingCertProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  caPem: string,
  dnsName: string,
  now: Date,
): string | undefined {
  if (!certPem || !keyPem) return 'missing';
  const v = needsRenewal(certPem, caPem, {
    minRemainingDays: WEBHOOK_CERT_RENEW_DAYS,
    requiredDNS: [dnsName],
    requiredUsages: ['server'],
    keyPem,
    now,
  });
  return v.renew ? v.reason : undefined;
}

export type SecretObject = V1Secret & KubernetesObject;

/** A kubernetes.io/tls Secret in the hub namespace (`data`, base64: what the API server returns, so a compare finds it equal). */
export function renderTLSSecret(name: string, pair: { certPem: string; keyPem: string }): SecretObject {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: HUB_NAMESPACE, labels: { [LABELS.managedBy]: 'kokpit' } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem) },
  };
}

/**
 * A server-side dry run (nothing stored) that only the named webhook refuses, with these words: when the API server
 * answers so, it has reached the webhook at its endpoint, trusted its certificate and got its verdict. installHub
 * sends them after applying the configurations, until each is refused as expected.
 */
export interface WebhookProbe {
  webhook: string;
  object: KubernetesObject;
  /** OCM v1.0.0's words (pkg/registration/webhook/v1, pkg/work/webhook/common). */
  refusal: string;
}

export const PROBE_NAME = 'kokpit-webhook-probe';

export const WEBHOOK_PROBES: readonly WebhookProbe[] = [
  {
    // Through the mutating webhook (the default cluster set) to the validating one, which refuses a plain-HTTP URL.
    webhook: 'managedclustervalidators.admission.cluster.open-cluster-management.io',
    object: {
      apiVersion: 'cluster.open-cluster-management.io/v1',
      kind: 'ManagedCluster',
      metadata: { name: PROBE_NAME },
      spec: { hubAcceptsClient: false, managedClusterClientConfigs: [{ url: `http://${PROBE_NAME}.invalid` }] },
    } as KubernetesObject,
    refusal: `url "http://${PROBE_NAME}.invalid" is invalid in client configs`,
  },
  {
    webhook: 'manifestworkvalidators.admission.work.open-cluster-management.io',
    object: {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: PROBE_NAME, namespace: HUB_NAMESPACE },
      spec: { workload: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' } }] } },
    } as KubernetesObject,
    refusal: 'name must be set in manifest',
  },
];

/** Whether an API error message is the probe's expected refusal by its webhook. */
export const probeRefused = (p: WebhookProbe, message: string) =>
  message.includes(`admission webhook "${p.webhook}" denied the request: ${p.refusal}`);
