// The hosted agent's own identity in a cluster imported by `kokpit register`, as pure parts. kokpit holds no CA key
// of such a cluster, so the identity is a ServiceAccount there with a TokenRequest token, not a client certificate:
// TokenRequest is served by every conformant apiserver (GA since 1.22) and needs nothing else, while a CSR for
// `kubernetes.io/kube-apiserver-client` needs the cluster's controller-manager to sign it, which managed offerings
// (EKS, GKE) do not. The token is bound to the ServiceAccount (deleting it revokes every copy at once) and expires;
// the agent renews it with itself (a Role allows exactly that ServiceAccount's token), so the user's kubeconfig is
// needed only while registering. Everything hangs off one anchor ClusterRole: deleting it (which the agent's own
// identity may do, as OCM's `-work:execution` role allows) lets the cluster's garbage collector remove the
// ServiceAccount and every role and binding, which is how `kokpit deregister` removes it without the user's kubeconfig.
import { LABELS } from '../names';
import { IMPORTED_LABEL } from './import';
import { renderAgentRBACFor, type RBACObject } from './credential';

/** The agent's namespace in the imported cluster (OCM's own name for it; created when missing, never deleted: it may be shared). */
export const IMPORTED_AGENT_NAMESPACE = 'open-cluster-management-agent';
/** One ServiceAccount per import (two names for one cluster never share an identity). */
export const importedAgentServiceAccount = (name: string) => `kokpit-ocm-${name}`;
export const importedAgentUser = (name: string) => `system:serviceaccount:${IMPORTED_AGENT_NAMESPACE}:${importedAgentServiceAccount(name)}`;
export const IMPORTED_AGENT_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${IMPORTED_AGENT_NAMESPACE}`];
/** The anchor every other object of the identity is owned by. */
export const importedAnchorName = (name: string) => `kokpit:ocm-import:${name}`;
/** OCM's `KlusterletName` for an import's roles: never the name a BusinessCluster's agent uses there ("kokpit"). */
const klusterletName = (name: string) => `kokpit-import-${name}`;

/** A week's token, renewed with a third of its life left (the agent pod rolls then, as for a new certificate). */
export const IMPORTED_TOKEN_SECONDS = 7 * 24 * 3600;
const RENEW_FRACTION = 1 / 3;

const labels = (name: string) => ({ [LABELS.managedBy]: 'kokpit', [IMPORTED_LABEL]: name });

export function renderImportedAnchor(name: string): RBACObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    // No rules (and no `rules: []`, which the server drops, so the object would never compare equal).
    metadata: { name: importedAnchorName(name), labels: labels(name) },
  } as RBACObject;
}

/**
 * Everything but the anchor, owned by it (uid from the live anchor): the ServiceAccount, the Role that lets it renew
 * its own token, and OCM v1.0.0's agent RBAC (config/ocm/managed-rbac) bound to it — what a BusinessCluster's agent gets.
 */
export function renderImportedIdentity(files: string[], name: string, anchorUid: string): RBACObject[] {
  const ownerReferences = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: importedAnchorName(name), uid: anchorUid },
  ];
  const sa = importedAgentServiceAccount(name);
  const meta = (n: string, namespace?: string) => ({ name: n, ...(namespace ? { namespace } : {}), labels: labels(name), ownerReferences });
  const renew = `kokpit:ocm-agent-token:${name}`;
  const own: RBACObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(sa, IMPORTED_AGENT_NAMESPACE) } as RBACObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(renew, IMPORTED_AGENT_NAMESPACE),
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [sa], verbs: ['create'] }],
    } as RBACObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(renew, IMPORTED_AGENT_NAMESPACE),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: renew },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: IMPORTED_AGENT_NAMESPACE }],
    } as RBACObject,
  ];
  const ocm = renderAgentRBACFor(files, {
    klusterletName: klusterletName(name),
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: IMPORTED_AGENT_NAMESPACE }],
    ownerReferences,
  }).map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...labels(name) } } }) as RBACObject);
  return [...own, ...ocm];
}

/** The namespace, when the cluster lacks it. */
export function renderImportedNamespace(): RBACObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: IMPORTED_AGENT_NAMESPACE, labels: { [LABELS.managedBy]: 'kokpit' } } };
}

/** `iat` and `exp` of a ServiceAccount token (a JWT; read, not verified: kokpit wrote it), or undefined. */
export function tokenTimes(token: string): { iat: number; exp: number } | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return typeof claims.iat === 'number' && typeof claims.exp === 'number' ? { iat: claims.iat, exp: claims.exp } : undefined;
  } catch {
    return undefined;
  }
}

/** Why the token must be renewed (no token text in it), or undefined while more than a third of its life is left. */
export function tokenRenewalReason(token: string | undefined, now: Date): string | undefined {
  if (!token) return 'no token';
  const t = tokenTimes(token);
  if (!t) return 'not a ServiceAccount token';
  const left = t.exp - now.getTime() / 1000;
  if (left <= 0) return 'expired';
  if (left < (t.exp - t.iat) * RENEW_FRACTION) return `expires in ${Math.round(left / 3600)} h`;
  return undefined;
}
