// Short-lived bootstrap tokens for `kubeadm join`, minted in a business cluster for the machine operator.
// The token is a Secret `bootstrap-token-<id>` in kube-system (the format the apiserver's bootstrap
// authenticator and kube-controller-manager's tokencleaner understand); it authenticates as
// `system:bootstrap:<id>` in the group kubeadm's RBAC (rendered by the bootstrap step) allows to join.
// The token value is returned to the caller only; it never goes to a log.
import { randomInt } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { createObject, makeObjectApi } from '../kube';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomString = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

export interface BootstrapToken {
  id: string;
  /** `<id>.<secret>`, what `kubeadm join --token` takes. */
  token: string;
  expires: Date;
}

export interface MintOptions {
  /** Lifetime (default 1 h, at most 24 h: tokens are for joining, not for living on). */
  ttlMs?: number;
  description?: string;
  now?: Date;
}

/** The Secret of a bootstrap token (pure; the caller picks id and secret). */
export function renderBootstrapTokenSecret(
  id: string,
  secret: string,
  expires: Date,
  description: string,
): KubernetesObject & { stringData: Record<string, string> } {
  if (!/^[a-z0-9]{6}$/.test(id) || !/^[a-z0-9]{16}$/.test(secret))
    throw new Error('bootstrap token id must be 6 and secret 16 characters of [a-z0-9]');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'kokpit' } },
    type: 'bootstrap.kubernetes.io/token',
    stringData: {
      'token-id': id,
      'token-secret': secret,
      description,
      expiration: expires.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
      'auth-extra-groups': BOOTSTRAP_GROUP,
    },
  } as KubernetesObject & { stringData: Record<string, string> };
}

/** Creates a new token in the business cluster reached by `kc` (its admin kubeconfig). */
/** The group kubeadm's join tokens authenticate as (the business cluster's bootstrap RBAC binds it). */
export const BOOTSTRAP_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

export async function mintBootstrapToken(kc: KubeConfig, opts: MintOptions = {}): Promise<BootstrapToken> {
  const ttl = Math.min(opts.ttlMs ?? 3_600_000, 24 * 3_600_000);
  const expires = new Date((opts.now ?? new Date()).getTime() + ttl);
  const id = randomString(6);
  const secret = randomString(16);
  await createObject(makeObjectApi(kc), renderBootstrapTokenSecret(id, secret, expires, opts.description ?? 'kokpit machine join'));
  return { id, token: `${id}.${secret}`, expires };
}
