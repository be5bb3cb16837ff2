// What each certificate and kubeconfig of a business cluster must contain, and the Secrets that hold
// them. Pure: the keys themselves are made by the PKI step; this only says what is required, so the
// step can tell whether an existing Secret still fits.
import { isIP } from 'node:net';
import type { CertUsage } from '../../../pki';
import { KUBECONFIG_KEY, names, type CertPurpose, type KubeconfigPurpose } from '../names';
import { serviceAddresses, parseCIDR } from '../network';
import { ownedMeta, type KubeObject } from './common';
import type { BusinessCluster, DefaultedBusinessCluster } from '../../../api';

export const CA_VALID_DAYS = 3650;
export const LEAF_VALID_DAYS = 365;
/** Re-issue leaves with less than this left, CAs with less than CA_RENEW_DAYS. */
export const LEAF_RENEW_DAYS = 30;
export const CA_RENEW_DAYS = 365;
/**
 * The admin kubeconfig users copy is short-lived and bound through RBAC (group kubeadm:cluster-admins → cluster-admin,
 * as kubeadm does since 1.29), not `system:masters`: a leaked copy stops working within a day, and removing the
 * binding revokes every copy at once. The operator re-issues it with a third of its life left.
 */
export const ADMIN_VALID_DAYS = 1;
export const ADMIN_RENEW_DAYS = 1 / 3;
/** The group the admin kubeconfig's certificate names, bound to cluster-admin inside the business cluster. */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';

/** Which CA signs a leaf: the cluster CA, the front-proxy CA, or the etcd cluster's CA. */
export type Signer = 'ca' | 'front-proxy-ca' | 'etcd-ca';

export interface LeafSpec {
  purpose: Exclude<CertPurpose, 'ca' | 'front-proxy-ca'>;
  signer: Signer;
  commonName: string;
  organizations: string[];
  usages: CertUsage[];
  dnsNames: string[];
  ipAddresses: string[];
}

export interface KubeconfigSpec {
  purpose: KubeconfigPurpose;
  user: string;
  organizations: string[];
  /** https://host:port the kubeconfig points at. */
  server: string;
  /** Certificate lifetime and when to re-issue (days; default LEAF_VALID_DAYS / LEAF_RENEW_DAYS). */
  validDays?: number;
  renewDays?: number;
}

export interface PKIFacts {
  /** ClusterIP of the apiserver Service in the meta cluster (absent for headless/pending). */
  serviceClusterIP?: string;
  /** https://host:port the host (and nodes) use. */
  hostEndpoint: string;
  /** https://host:port nodes use, when it differs from the host's (kind: a meta node's IP and the NodePort). */
  nodeEndpoint?: string;
  /** Domain of the meta cluster, for the Service's FQDN. */
  metaClusterDomain?: string;
}

/** The in-cluster URL of the apiserver Service, for components running in the meta cluster. */
export function inClusterEndpoint(c: BusinessCluster): string {
  return `https://${names.apiServer(c.metadata.name)}.${c.metadata.namespace}.svc:6443`;
}

/** Every DNS name and IP the apiserver serving certificate must cover, sorted and de-duplicated. */
export function apiServerSANs(c: DefaultedBusinessCluster, facts: PKIFacts): { dnsNames: string[]; ipAddresses: string[] } {
  const spec = c.spec;
  const svc = names.apiServer(c.metadata.name);
  const ns = c.metadata.namespace ?? 'default';
  const domain = spec.network.dnsDomain;
  const metaDomain = facts.metaClusterDomain ?? 'cluster.local';
  const dns = new Set<string>([
    // Inside the business cluster: the `kubernetes` Service.
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    // Inside the meta cluster: the apiserver Service.
    svc,
    `${svc}.${ns}`,
    `${svc}.${ns}.svc`,
    `${svc}.${ns}.svc.${metaDomain}`,
    'localhost',
  ]);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  try {
    ips.add(serviceAddresses(parseCIDR(spec.network.serviceCIDR)).kubernetes);
  } catch {
    // An invalid range is reported by the network check before PKI runs.
  }
  if (facts.serviceClusterIP && isIP(facts.serviceClusterIP)) ips.add(facts.serviceClusterIP);
  for (const ep of [facts.hostEndpoint, facts.nodeEndpoint]) {
    if (!ep) continue;
    const host = new URL(ep).hostname.replace(/^\[|\]$/g, '');
    (isIP(host) ? ips : dns).add(host);
  }
  for (const san of spec.apiServer.certSANs ?? []) (isIP(san) ? ips : dns).add(san);
  return { dnsNames: [...dns].sort(), ipAddresses: [...ips].sort() };
}

export function leafSpecs(c: DefaultedBusinessCluster, facts: PKIFacts): LeafSpec[] {
  const sans = apiServerSANs(c, facts);
  const leaf = (
    purpose: LeafSpec['purpose'],
    signer: Signer,
    commonName: string,
    usages: CertUsage[],
    organizations: string[] = [],
  ): LeafSpec => ({
    purpose,
    signer,
    commonName,
    organizations,
    usages,
    dnsNames: [],
    ipAddresses: [],
  });
  return [
    { ...leaf('apiserver-serving', 'ca', 'kube-apiserver', ['server']), ...sans },
    // kubeadm's identity for apiserver → kubelet calls (logs, exec), bound to cluster-admin.
    leaf('apiserver-kubelet-client', 'ca', 'kube-apiserver-kubelet-client', ['client'], ['system:masters']),
    leaf('front-proxy-client', 'front-proxy-ca', 'front-proxy-client', ['client']),
    leaf('apiserver-etcd-client', 'etcd-ca', 'kube-apiserver-etcd-client', ['client']),
  ];
}

export function kubeconfigSpecs(c: BusinessCluster, facts: PKIFacts): KubeconfigSpec[] {
  const inCluster = inClusterEndpoint(c);
  return [
    {
      purpose: 'admin',
      user: 'kubernetes-admin',
      organizations: [CLUSTER_ADMINS_GROUP],
      server: facts.hostEndpoint,
      validDays: ADMIN_VALID_DAYS,
      renewDays: ADMIN_RENEW_DAYS,
    },
    // kubeadm's super-admin.conf: system:masters, which no RBAC can take away. Only the operator reads it, to create
    // the kubeadm:cluster-admins binding (before which the admin kubeconfig can do nothing) and to manage the cluster.
    { purpose: 'superadmin', user: 'kubernetes-super-admin', organizations: ['system:masters'], server: facts.hostEndpoint },
    { purpose: 'controller-manager', user: 'system:kube-controller-manager', organizations: [], server: inCluster },
    { purpose: 'scheduler', user: 'system:kube-scheduler', organizations: [], server: inCluster },
  ];
}

/** The two CAs: Secret purpose and subject CN. */
export const CA_SPECS = [
  { purpose: 'ca', commonName: 'kubernetes' },
  { purpose: 'front-proxy-ca', commonName: 'front-proxy-ca' },
] as const;

/** A Secret the PKI step writes: name, purpose label, type and the keys it holds (never values). */
export interface PKISecret {
  name: string;
  purpose: string;
  type?: 'kubernetes.io/tls';
  keys: string[];
}

/**
 * Every Secret the PKI step writes, in the order it writes them: the step issues exactly these keys, and
 * `kokpit render` shows them with placeholder values (one list, so the two cannot differ).
 */
export function pkiSecrets(c: DefaultedBusinessCluster, facts: PKIFacts): PKISecret[] {
  const name = c.metadata.name;
  const tls = 'kubernetes.io/tls' as const;
  return [
    ...CA_SPECS.map((ca) => ({ name: names.cert(name, ca.purpose), purpose: ca.purpose, type: tls, keys: ['tls.crt', 'tls.key'] })),
    { name: names.serviceAccountKeys(name), purpose: 'sa', keys: ['sa.key', 'sa.pub'] },
    // The etcd client Secret also carries the etcd CA, to verify etcd's serving certificate.
    ...leafSpecs(c, facts).map((l) => ({
      name: names.cert(name, l.purpose),
      purpose: l.purpose,
      type: tls,
      keys: [...(l.signer === 'etcd-ca' ? ['ca.crt'] : []), 'tls.crt', 'tls.key'],
    })),
    ...kubeconfigSpecs(c, facts).map((k) => ({
      name: names.kubeconfig(name, k.purpose),
      purpose: `${k.purpose}-kubeconfig`,
      keys: [KUBECONFIG_KEY],
    })),
  ];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A Secret of the cluster holding `data` (plain strings, encoded here) with optional annotations. */
export function renderSecret(
  c: BusinessCluster,
  name: string,
  purpose: string,
  data: Record<string, string>,
  opts: { type?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  const meta = ownedMeta(c, name, 'pki', { 'kokpit.dev/pki': purpose });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...meta, ...(opts.annotations && Object.keys(opts.annotations).length ? { annotations: opts.annotations } : {}) },
    type: opts.type ?? 'Opaque',
    data: Object.fromEntries(
      Object.keys(data)
        .sort()
        .map((k) => [k, b64(data[k])]),
    ),
  };
}
