// The cluster's PKI, idempotently: a CA, and per member a server and a peer certificate, plus one client
// certificate. A certificate is (re)issued only when it is missing, expiring, not from the current CA,
// lacks a required name, or no longer matches its key; otherwise the stored one is kept byte for byte.
import { type CertKeyPair, createCA, issueCert, needsRenewal } from '../../pki';
import { type ClusterRef, MEMBER_IP_SANS, memberPeerDNSNames, memberServerDNSNames } from './names';
import type { MemberTLSFiles } from './render';

export const CA_VALID_DAYS = 3650;
export const LEAF_VALID_DAYS = 365;
/** Reissue leaf certificates this long before they expire. */
export const RENEW_BEFORE_DAYS = 30;

/** Secret data, decoded. */
export type SecretFiles = Record<string, string>;

export interface PKIResult<T> {
  files: T;
  /** Why it was (re)issued; undefined when the stored one was kept. */
  issued?: string;
}

/** The CA: kept while it has a matching key and years to live. A new CA means every leaf is reissued. */
export async function ensureCA(cluster: ClusterRef, stored: SecretFiles | undefined, now = new Date()): Promise<PKIResult<CertKeyPair>> {
  const cert = stored?.['ca.crt'];
  const key = stored?.['ca.key'];
  if (cert && key) {
    const verdict = needsRenewal(cert, cert, { minRemainingDays: 365, keyPem: key, now });
    if (!verdict.renew) return { files: { certPem: cert, keyPem: key } };
    return {
      files: await createCA(`etcd-ca ${cluster.namespace}/${cluster.name}`, { validDays: CA_VALID_DAYS, now }),
      issued: `CA ${verdict.reason}`,
    };
  }
  return { files: await createCA(`etcd-ca ${cluster.namespace}/${cluster.name}`, { validDays: CA_VALID_DAYS, now }), issued: 'CA missing' };
}

export async function ensureMemberTLS(
  cluster: ClusterRef,
  member: string,
  ca: CertKeyPair,
  stored: SecretFiles | undefined,
  now = new Date(),
): Promise<PKIResult<MemberTLSFiles>> {
  const serverDNS = memberServerDNSNames(cluster, member);
  const peerDNS = memberPeerDNSNames(cluster, member);
  const server = await ensureLeaf(ca, stored?.['server.crt'], stored?.['server.key'], now, {
    commonName: member,
    dnsNames: serverDNS,
    ipAddresses: MEMBER_IP_SANS,
    usages: ['server', 'client'],
  });
  // Peer certificates serve and dial: etcd uses the same certificate for both ends of a peer connection.
  const peer = await ensureLeaf(ca, stored?.['peer.crt'], stored?.['peer.key'], now, {
    commonName: member,
    dnsNames: peerDNS,
    ipAddresses: MEMBER_IP_SANS,
    usages: ['server', 'client'],
  });
  const caChanged = stored?.['ca.crt'] !== ca.certPem;
  const issued = [
    server.issued && `server certificate ${server.issued}`,
    peer.issued && `peer certificate ${peer.issued}`,
    caChanged && stored && 'CA bundle changed',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    files: {
      'ca.crt': ca.certPem,
      'server.crt': server.pair.certPem,
      'server.key': server.pair.keyPem,
      'peer.crt': peer.pair.certPem,
      'peer.key': peer.pair.keyPem,
    },
    issued: issued || (stored ? undefined : 'missing'),
  };
}

export async function ensureClientTLS(
  cluster: ClusterRef,
  ca: CertKeyPair,
  stored: SecretFiles | undefined,
  now = new Date(),
): Promise<PKIResult<{ 'ca.crt': string; 'tls.crt': string; 'tls.key': string }>> {
  const leaf = await ensureLeaf(ca, stored?.['tls.crt'], stored?.['tls.key'], now, {
    commonName: `etcd-client ${cluster.namespace}/${cluster.name}`,
    usages: ['client'],
  });
  const caChanged = stored?.['ca.crt'] !== ca.certPem;
  return {
    files: { 'ca.crt': ca.certPem, 'tls.crt': leaf.pair.certPem, 'tls.key': leaf.pair.keyPem },
    issued: leaf.issued ?? (caChanged ? 'CA bundle changed' : undefined),
  };
}

async function ensureLeaf(
  ca: CertKeyPair,
  certPem: string | undefined,
  keyPem: string | undefined,
  now: Date,
  want: { commonName: string; dnsNames?: string[]; ipAddresses?: string[]; usages: Array<'server' | 'client'> },
): Promise<{ pair: CertKeyPair; issued?: string }> {
  const verdict = needsRenewal(certPem, ca.certPem, {
    minRemainingDays: RENEW_BEFORE_DAYS,
    requiredDNS: want.dnsNames,
    requiredIPs: want.ipAddresses,
    requiredUsages: want.usages,
    keyPem: keyPem ?? '',
    now,
  });
  if (!verdict.renew && certPem && keyPem) return { pair: { certPem, keyPem } };
  const pair = await issueCert(ca, { ...want, validDays: LEAF_VALID_DAYS, now });
  return { pair, issued: verdict.renew ? verdict.reason : 'missing' };
}
