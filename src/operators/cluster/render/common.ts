// Shared pieces of the renderers: labels, owner references, flags and content hashes. All pure.
import { API_VERSION, type BusinessCluster } from '../../../api';
import { contentHash } from '../../../kit';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export const SECRETS_HASH_ANNOTATION = 'kokpit.dev/secrets-hash';

export function ownerRef(c: BusinessCluster): OwnerReference {
  if (!c.metadata.uid) throw new Error(`BusinessCluster ${c.metadata.name} has no uid (render from an object read from the API)`);
  return {
    apiVersion: API_VERSION,
    kind: 'BusinessCluster',
    name: c.metadata.name,
    uid: c.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function clusterLabels(c: BusinessCluster, component?: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'kokpit',
    'kokpit.dev/cluster': c.metadata.name,
    ...(component ? { 'kokpit.dev/component': component } : {}),
  };
}

/** Pod selector: stable forever (a Deployment's selector is immutable). */
export function selectorLabels(c: BusinessCluster, component: string): Record<string, string> {
  return { 'kokpit.dev/cluster': c.metadata.name, 'kokpit.dev/component': component };
}

/** Metadata of an object in the cluster's namespace, owned by the cluster. */
export function ownedMeta(c: BusinessCluster, name: string, component?: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: c.metadata.namespace,
    labels: { ...clusterLabels(c, component), ...extraLabels },
    ownerReferences: [ownerRef(c)],
  };
}

/** `{a: '1'}` → `['--a=1']`; later sources override earlier ones flag by flag; sorted for stable output. */
export function flags(...sources: Array<Record<string, string> | undefined>): string[] {
  const merged: Record<string, string> = {};
  for (const s of sources) Object.assign(merged, s ?? {});
  return Object.keys(merged)
    .sort()
    .map((k) => `--${k.replace(/^-+/, '')}=${merged[k]}`);
}

export { canonicalJSON, contentHash } from '../../../kit';

/** The pod-template annotation that rolls a Deployment when any Secret it mounts changes. */
export function secretsHash(mounted: string[], hashes: Record<string, string>): string {
  const missing = mounted.filter((n) => !(n in hashes));
  if (missing.length) throw new Error(`no content hash for mounted Secret(s) ${missing.join(', ')}`);
  return contentHash([...mounted].sort().map((n) => [n, hashes[n]]));
}

/** Resource requirements from the API's optional `resources`, without empty maps. */
export function resources(r?: { requests?: Record<string, string>; limits?: Record<string, string> }) {
  const out: Record<string, Record<string, string>> = {};
  if (r?.requests && Object.keys(r.requests).length) out.requests = r.requests;
  if (r?.limits && Object.keys(r.limits).length) out.limits = r.limits;
  return out;
}
