// Least-privilege checks by the API server's audit log, shared by the RBAC tests (manager/rbac.test.ts,
// manager/rbac-multicluster.test.ts): the verb/resource pairs roles grant, the requests that were forbidden, and the
// pairs requests used.
import type { AuditEvent } from './audit-writes';

export type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** `verb group/resource[/sub]` of every pair the rules grant (RBAC has no wildcards here; the unit test checks). */
export function grantedPairs(rules: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${v} ${g}/${res}`);
  return out;
}

export const pairOf = (e: AuditEvent) =>
  `${e.verb} ${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

/** The forbidden requests, as `verb group/resource namespace URI`. */
export const forbiddenRequests = (requests: AuditEvent[]): string[] =>
  requests
    .filter((e) => e.responseStatus?.code === 403 || e.annotations?.['authorization.k8s.io/decision'] === 'forbid')
    .map((e) => `${pairOf(e)} ${e.objectRef?.namespace ?? ''} ${e.requestURI}`);

/** The pairs the requests used; a server-side apply that creates its object is a patch answered 201, authorized as create too. */
export const usedPairs = (requests: AuditEvent[]): Set<string> =>
  new Set(
    requests
      .filter((e) => e.objectRef?.resource)
      .flatMap((e) => (e.verb === 'patch' && e.responseStatus?.code === 201 ? [pairOf(e), pairOf({ ...e, verb: 'create' })] : [pairOf(e)])),
  );
