// X.509 certificates made in-process: a CA, and leaf certificates it signs.
// @peculiar/x509 builds and signs them (node:crypto cannot); node:crypto reads and verifies them.
//
// Only keys and serial numbers are random. Everything else follows from the inputs and the clock
// (which callers can pass as `now`), so a reconciler can tell whether a certificate still fits its spec.

// tsyringe (used by @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { type KeyAlgorithm, generateCryptoKeyPair, importSigningKey, privateKeyToPem, signingParamsFor } from './keys';
import { memoized } from './memo';

// Node's webcrypto is the provider; the cast avoids depending on the DOM lib's `Crypto` type.
(x509.cryptoProvider as unknown as { set(provider: unknown): void }).set(webcrypto);

/** A certificate and its private key, both PEM (key as PKCS#8 `-----BEGIN PRIVATE KEY-----`). */
export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

/** A CA is just a certificate that may sign, with its key. */
export type CertificateAuthority = CertKeyPair;

export type CertUsage = 'server' | 'client';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a peer whose clock lags slightly still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface CommonCertOptions {
  validDays: number;
  /** Clock used for notBefore/notAfter (default: now). */
  now?: Date;
  keyAlgorithm?: KeyAlgorithm;
}

export interface CreateCAOptions extends CommonCertOptions {
  organizations?: string[];
}

export interface IssueCertOptions extends CommonCertOptions {
  commonName: string;
  /** Subject O= values; Kubernetes reads them as the groups of a client certificate. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usages: CertUsage[];
}

function subjectName(commonName: string, organizations: string[] = []): x509.JsonName {
  // One RDN per attribute, in the conventional order (O before CN, like kubeadm's certificates).
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

/** A positive, non-zero 128-bit serial number (RFC 5280 allows up to 20 octets). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(opts: CommonCertOptions): { notBefore: Date; notAfter: Date } {
  if (!(opts.validDays > 0)) throw new Error(`validDays must be > 0, got ${opts.validDays}`);
  const now = (opts.now ?? new Date()).getTime();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + opts.validDays * DAY_MS) };
}

/** A self-signed CA certificate (basicConstraints CA:true, keyCertSign). */
export async function createCA(commonName: string, opts: CreateCAOptions): Promise<CertificateAuthority> {
  const keys = await generateCryptoKeyPair(opts.keyAlgorithm);
  const keyPem = await privateKeyToPem(keys.privateKey);
  const name = subjectName(commonName, opts.organizations);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    ...validity(opts),
    signingAlgorithm: signingParamsFor(keyPem).signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** A leaf certificate signed by `ca`, with a new key. */
export async function issueCert(ca: CertificateAuthority, opts: IssueCertOptions): Promise<CertKeyPair> {
  if (opts.usages.length === 0) throw new Error(`certificate ${opts.commonName}: at least one usage is required`);
  for (const ip of opts.ipAddresses ?? []) {
    if (!isIP(ip)) throw new Error(`certificate ${opts.commonName}: '${ip}' is not an IP address`);
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importSigningKey(ca.keyPem);
  const keys = await generateCryptoKeyPair(opts.keyAlgorithm);

  const eku = [
    ...(opts.usages.includes('server') ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(opts.usages.includes('client') ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // keyEncipherment only means something for RSA key transport; ECDSA keys only sign.
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (opts.keyAlgorithm === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(opts.commonName, opts.organizations),
    issuer: caCert.subjectName,
    ...validity(opts),
    signingAlgorithm: signingParamsFor(ca.keyPem).signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyToPem(keys.privateKey) };
}

export interface CertInfo {
  commonName: string;
  organizations: string[];
  issuerCommonName: string;
  dnsNames: string[];
  /** Canonical text form (IPv6 compressed, lower case). */
  ipAddresses: string[];
  usages: CertUsage[];
  isCA: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Hex, upper case (as node:crypto prints it). */
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/** Canonical text of an IP address, so `::1` and `0:0:0:0:0:0:0:1` compare equal. */
export function canonicalIP(ip: string): string {
  if (isIP(ip) === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  if (isIP(ip) === 4)
    return ip
      .split('.')
      .map((p) => String(Number(p)))
      .join('.');
  return ip;
}

export function certInfo(pem: string): CertInfo {
  // A copy: callers may change what they get.
  return structuredClone(memoized('certInfo', [pem], () => readCertInfo(pem)));
}

/**
 * The last few certificates node:crypto parsed, by their text: one check of a cluster's PKI reads each certificate
 * three times (its fields, the signed-by check, its key) and the same CA once per certificate it signed.
 */
const parsedCerts = new Map<string, X509Certificate>();
const PARSED_MAX = 64;

function parseCert(pem: string): X509Certificate {
  let cert = parsedCerts.get(pem);
  if (!cert) {
    cert = new X509Certificate(pem);
    if (parsedCerts.size >= PARSED_MAX) parsedCerts.delete(parsedCerts.keys().next().value!);
    parsedCerts.set(pem, cert);
  }
  return cert;
}

function readCertInfo(pem: string): CertInfo {
  const node = parseCert(pem);
  return fromNodeText(node) ?? readCertInfoAsn1(pem, node);
}

const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * CertInfo from node:crypto's (OpenSSL's) text forms: ~10x cheaper than @peculiar/x509's ASN.1 parse, which was most
 * of a restarted manager's first pass over every cluster (npm run bench -- fleet). Undefined when a name holds
 * anything those texts escape or join ambiguously (quotes, backslashes, commas, `+`): the ASN.1 parse reads those.
 */
function fromNodeText(node: X509Certificate): CertInfo | undefined {
  const fields = (dn: string) => {
    const out: Array<[string, string]> = [];
    for (const line of dn.split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0) return undefined;
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
    return out;
  };
  const unsafe = /["\\+,]/;
  const san = node.subjectAltName ?? '';
  if (unsafe.test(node.subject) || unsafe.test(node.issuer) || /["\\]/.test(san)) return undefined;
  const subject = fields(node.subject);
  const issuer = fields(node.issuer);
  if (!subject || !issuer) return undefined;
  const names = san ? san.split(', ') : [];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const n of names) {
    if (n.startsWith('DNS:')) dnsNames.push(n.slice(4));
    else if (n.startsWith('IP Address:')) ipAddresses.push(canonicalIP(n.slice(11)));
    else return undefined;
  }
  const eku = node.keyUsage ?? [];
  const [notBefore, notAfter] = [new Date(node.validFrom), new Date(node.validTo)];
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) return undefined;
  return {
    commonName: subject.find(([k]) => k === 'CN')?.[1] ?? '',
    organizations: subject.filter(([k]) => k === 'O').map(([, v]) => v),
    issuerCommonName: issuer.find(([k]) => k === 'CN')?.[1] ?? '',
    dnsNames,
    ipAddresses,
    usages: [
      ...(eku.includes(EKU_SERVER_AUTH) ? (['server'] as const) : []),
      ...(eku.includes(EKU_CLIENT_AUTH) ? (['client'] as const) : []),
    ],
    isCA: node.ca,
    notBefore,
    notAfter,
    serialNumber: node.serialNumber,
    fingerprint256: node.fingerprint256,
  };
}

function readCertInfoAsn1(pem: string, node: X509Certificate): CertInfo {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    organizations: cert.subjectName.getField('O'),
    issuerCommonName: cert.issuerName.getField('CN')[0] ?? '',
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => canonicalIP(n.value)),
    usages: [
      ...(eku.includes(x509.ExtendedKeyUsage.serverAuth) ? (['server'] as const) : []),
      ...(eku.includes(x509.ExtendedKeyUsage.clientAuth) ? (['client'] as const) : []),
    ],
    isCA: bc?.ca ?? false,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: node.serialNumber,
    fingerprint256: node.fingerprint256,
  };
}

export interface RenewalCheck {
  /** Renew when the certificate would expire within this many days. */
  minRemainingDays: number;
  requiredDNS?: string[];
  requiredIPs?: string[];
  requiredUsages?: CertUsage[];
  /** When given, the certificate must belong to this key (a Secret whose key was replaced alone is broken). */
  keyPem?: string;
  now?: Date;
}

export type RenewalVerdict = { renew: false } | { renew: true; reason: string };

/**
 * Why a CA (certificate and key) must be (re)issued — missing, unreadable, not a CA, fewer than `minRemainingDays`
 * left, or a key that is not its own — or undefined when it still fits. Stable text, no key material.
 */
export function caRenewalProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  check: { minRemainingDays: number; now?: Date },
): string | undefined {
  if (!certPem || !keyPem) return 'missing';
  try {
    if (!certInfo(certPem).isCA) return 'not a CA';
  } catch {
    return 'unreadable';
  }
  const v = needsRenewal(certPem, certPem, { ...check, keyPem });
  return v.renew ? v.reason : undefined;
}

/**
 * Whether a certificate must be (re)issued: missing, unreadable, not signed by the CA, expiring soon,
 * lacking a required SAN or usage, or not matching its key. The reason is stable text for conditions/events.
 */
export function needsRenewal(certPem: string | undefined, caPem: string, check: RenewalCheck): RenewalVerdict {
  if (!certPem || certPem.trim() === '') return { renew: true, reason: 'missing' };
  let info: CertInfo;
  try {
    info = certInfo(certPem);
  } catch {
    return { renew: true, reason: 'unreadable' };
  }
  const signed = memoized('signedBy', [certPem, caPem], () => {
    const [cert, ca] = [parseCert(certPem), parseCert(caPem)];
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  if (!signed) return { renew: true, reason: 'not signed by the CA' };

  const now = (check.now ?? new Date()).getTime();
  if (info.notBefore.getTime() > now) return { renew: true, reason: 'not valid yet' };
  const remainingDays = (info.notAfter.getTime() - now) / DAY_MS;
  if (remainingDays < check.minRemainingDays) {
    return { renew: true, reason: remainingDays <= 0 ? 'expired' : `expires in ${remainingDays.toFixed(1)} days` };
  }
  const missingDNS = (check.requiredDNS ?? []).filter((d) => !info.dnsNames.includes(d));
  if (missingDNS.length) return { renew: true, reason: `missing DNS SANs ${missingDNS.join(', ')}` };
  const missingIPs = (check.requiredIPs ?? []).filter((ip) => !info.ipAddresses.includes(canonicalIP(ip)));
  if (missingIPs.length) return { renew: true, reason: `missing IP SANs ${missingIPs.join(', ')}` };
  const missingUsages = (check.requiredUsages ?? []).filter((u) => !info.usages.includes(u));
  if (missingUsages.length) return { renew: true, reason: `missing usages ${missingUsages.join(', ')}` };
  if (check.keyPem !== undefined && !keyMatchesCert(check.keyPem, certPem)) {
    return { renew: true, reason: 'key does not match the certificate' };
  }
  return { renew: false };
}

/** Whether `keyPem` is the private key of `certPem`. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  return memoized('keyMatchesCert', [keyPem, certPem], () => {
    try {
      // OpenSSL's X509_check_private_key: no public key derived and exported twice to compare.
      return parseCert(certPem).checkPrivateKey(createPrivateKey(keyPem));
    } catch {
      return false;
    }
  });
}
