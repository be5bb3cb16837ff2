// Who may read `/metrics` when it is served securely: the caller's bearer token is authenticated with a
// TokenReview and the request `get /metrics` authorized with a SubjectAccessReview — what kubebuilder scaffolds
// (controller-runtime's `filters.WithAuthenticationAndAuthorization`) and kube-rbac-proxy did before it. A reader
// needs a ClusterRole granting `get` on the non-resource URL `/metrics` (config/rbac/metrics_reader_role.yaml).
// No library does this for Node; the two reviews are two API calls. Verdicts are cached briefly (10 s, as
// k8s.io/apiserver's delegating authenticator/authorizer do) so a scrape every few seconds costs no API call.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { briefError } from '../controller/reconciler';

export type MetricsVerdict = { allowed: true; user: string } | { allowed: false; status: 401 | 403 | 500; reason: string };

export type MetricsAuthorizer = (authorizationHeader: string | undefined) => Promise<MetricsVerdict>;

interface Reviews {
  authenticate(token: string): Promise<{ user?: { username?: string; uid?: string; groups?: string[]; extra?: object }; error?: string }>;
  authorize(user: { username?: string; uid?: string; groups?: string[]; extra?: object }): Promise<{ allowed: boolean; reason?: string }>;
}

/** The two reviews against the API server the manager runs on (its own credentials need `create` on both). */
export function apiServerReviews(kc: KubeConfig): Reviews {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async authenticate(token) {
      const r = await authn.createTokenReview({ body: { spec: { token } } });
      return r.status?.authenticated ? { user: r.status.user } : { error: r.status?.error || 'token not authenticated' };
    },
    async authorize(user) {
      const r = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra as Record<string, string[]> | undefined,
            nonResourceAttributes: { path: '/metrics', verb: 'get' },
          },
        },
      });
      return { allowed: !!r.status?.allowed, reason: r.status?.reason };
    },
  };
}

export function metricsAuthorizer(reviews: Reviews, opts: { cacheTtlMs?: number; now?: () => number } = {}): MetricsAuthorizer {
  const ttl = opts.cacheTtlMs ?? 10_000;
  const now = opts.now ?? Date.now;
  // Keyed by the token's hash: the cache never holds a token.
  const cache = new Map<string, { at: number; verdict: MetricsVerdict }>();
  return async (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return { allowed: false, status: 401, reason: 'a bearer token is required (Authorization: Bearer <token>)' };
    const key = createHash('sha256').update(m[1]).digest('hex');
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttl) return hit.verdict;
    let verdict: MetricsVerdict;
    try {
      const authn = await reviews.authenticate(m[1]);
      if (!authn.user) verdict = { allowed: false, status: 401, reason: `unauthenticated: ${authn.error}` };
      else {
        const authz = await reviews.authorize(authn.user);
        verdict = authz.allowed
          ? { allowed: true, user: authn.user.username ?? '' }
          : {
              allowed: false,
              status: 403,
              reason:
                `${authn.user.username} may not get /metrics${authz.reason ? ` (${authz.reason})` : ''}; ` +
                'bind the ClusterRole kokpit-metrics-reader',
            };
      }
    } catch (e) {
      // Not cached: the next scrape asks again once the API server answers.
      return { allowed: false, status: 500, reason: `cannot review the token: ${briefError(e)}` };
    }
    if (cache.size > 1000) cache.clear();
    cache.set(key, { at: now(), verdict });
    return verdict;
  };
}
