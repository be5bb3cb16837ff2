// The hosted agent's own identity in its business cluster (issue 18: "a kubeconfig for the business cluster issued
// from kokpit's PKI for exactly that purpose"), as pure parts: who it is, what its client certificate must say, when
// to re-issue it, and the RBAC OCM v1.0.0 gives its klusterlet agent, bound to that identity instead of a
// ServiceAccount. The admin kubeconfig never leaves the operator: the agent gets only this.
import type { KubernetesObject } from '@kubernetes/client-node';
import { certInfo, keyMatchesCert, kubeconfigParts, needsRenewal, type KubeconfigParts } from '../../../pki';
import { LABELS } from '../names';
import { templateObjects } from './template';

/** One user per ManagedCluster (a business cluster has one agent), in a group naming every kokpit-hosted agent. */
export const agentUser = (mc: string) => `kokpit:ocm-agent:${mc}`;
export const AGENT_GROUP = 'kokpit:ocm-agents';

/**
 * A month's certificate, re-issued with ten days left (the agent pod rolls then: its kubeconfig hash changes). It never
 * leaves the meta cluster; deleting the bindings below revokes it at once, and a leaked copy dies within the month.
 */
export const AGENT_CERT_VALID_DAYS = 30;
export const AGENT_CERT_RENEW_DAYS = 10;

/**
 * OCM's klusterlet name in its managed manifests (`open-cluster-management:<name>-registration:agent`, …): kokpit's own,
 * so the names never meet those of a klusterlet someone installed in the cluster by other means.
 */
const KLUSTERLET_NAME = 'kokpit';
// OCM's work agent ClusterRole `open-cluster-management:<name>-work:aggregate` aggregates the `-work:execution` rules
// (OCM creates it in Go, not from a file).
const AGGREGATE_LABEL = 'open-cluster-management.io/aggregate-to-work';

export interface AgentCredentialSpec {
  /** https://host:port of the business apiserver as the agent reaches it (the admin kubeconfig's server). */
  server: string;
  /** The business cluster's CA certificate (PEM): signs the client certificate and verifies the server. */
  caPem: string;
  mc: string;
  now?: Date;
}

/** The client certificate inside an agent kubeconfig (PEM), or undefined. */
export function agentClientCert(kubeconfig: string): string | undefined {
  try {
    return kubeconfigParts(kubeconfig).clientCertPem;
  } catch {
    return undefined;
  }
}

/** Why an agent kubeconfig must be re-issued (stable text, no key material), or undefined when it still fits. */
export function agentCredentialProblem(kubeconfig: string | undefined, want: AgentCredentialSpec): string | undefined {
  if (!kubeconfig) return 'missing';
  let k: KubeconfigParts;
  try {
    k = kubeconfigParts(kubeconfig);
  } catch {
    return 'unreadable';
  }
  if (k.server !== want.server) return `server changed to ${want.server}`;
  if (k.caPem !== want.caPem) return 'CA changed';
  if (!k.clientCertPem || !k.clientKeyPem) return 'no client certificate';
  if (!keyMatchesCert(k.clientKeyPem, k.clientCertPem)) return 'key does not match the certificate';
  const v = needsRenewal(k.clientCertPem, want.caPem, {
    minRemainingDays: AGENT_CERT_RENEW_DAYS,
    requiredUsages: ['client'],
    now: want.now,
  });
  if (v.renew) return v.reason;
  const info = certInfo(k.clientCertPem);
  if (info.commonName !== agentUser(want.mc)) return `subject CN ${info.commonName} is not ${agentUser(want.mc)}`;
  if (info.organizations.join(',') !== AGENT_GROUP) return 'subject organizations changed';
  return undefined;
}

export type RBACObject = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } };

/**
 * What OCM v1.0.0's klusterlet operator applies in a managed cluster for its agent (manifests/klusterlet/managed,
 * copied to config/ocm/managed-rbac; klusterlet_managed_reconcile.go), with every binding's subject this agent's user
 * instead of OCM's ServiceAccount: in its single-process ("Singleton") modes OCM gives the one agent both the
 * registration and the work agent's roles, as here. Mirrored, not narrowed: the work agent applies whatever manifests
 * a ManifestWork carries, so OCM binds it to the built-in `admin` ClusterRole cluster-wide plus `-work:execution`
 * (CRDs, namespaces, RBAC with escalate/bind, webhooks, priority classes) through the aggregate role below. That is
 * OCM's choice; a work's author can do that much in the cluster, and no more than OCM allows.
 * `addon-management` (Secrets, Leases) is bound too, as OCM always does, though kokpit runs no add-ons yet.
 * The ServiceAccount files are left out: the identity is a certificate, not a ServiceAccount token.
 */
export function renderAgentRBAC(files: string[], mc: string): RBACObject[] {
  return renderAgentRBACFor(files, {
    klusterletName: KLUSTERLET_NAME,
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: agentUser(mc) }],
  });
}

export interface AgentRBACOptions {
  /** OCM's `KlusterletName` in the role and binding names. */
  klusterletName: string;
  /** Whom every binding names. */
  subjects: { kind: string; apiGroup?: string; name: string; namespace?: string }[];
  /** Put on every object (an imported cluster's identity hangs off one anchor: render/imported-identity.ts). */
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
}

/** renderAgentRBAC with the names, subjects and owners given (an imported cluster's ServiceAccount: render/imported-identity.ts). */
export function renderAgentRBACFor(files: string[], o: AgentRBACOptions): RBACObject[] {
  const values = {
    KlusterletName: o.klusterletName,
    // Only in the ServiceAccount subjects, which are replaced below.
    RegistrationServiceAccount: 'unused',
    WorkServiceAccount: 'unused',
    KlusterletNamespace: 'unused',
  };
  const owners = o.ownerReferences ? { ownerReferences: o.ownerReferences } : {};
  const fromOCM = files.flatMap((f) => templateObjects(f, values)) as RBACObject[];
  const objects = fromOCM.map((x) => ({
    ...x,
    metadata: { ...x.metadata, labels: { ...(x.metadata.labels ?? {}), [LABELS.managedBy]: 'kokpit' }, ...owners },
    ...(x.kind === 'ClusterRoleBinding' ? { subjects: o.subjects } : {}),
  }));
  // No `rules`: the aggregation controller fills them, and this apply does not own them (OCM creates it with none).
  const aggregate: RBACObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `open-cluster-management:${o.klusterletName}-work:aggregate`, labels: { [LABELS.managedBy]: 'kokpit' }, ...owners },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL]: 'true' } }] },
  } as RBACObject;
  // Roles before the bindings that name them.
  const order = (x: RBACObject) => (x.kind === 'ClusterRole' ? 0 : 1);
  return [aggregate, ...objects].sort((a, b) => order(a) - order(b));
}
