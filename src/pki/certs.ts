// X.509 certificates made in-process: a CA, and leaf certificates it signs.
// Built as DER by ./der (why by hand: its header) and signed by node:crypto, which also reads and verifies them;
// @peculiar/x509 reads the names node:crypto's text forms cannot say unambiguously.
//
// Only keys and serial numbers are random. Everything else follows from the inputs and the clock
// (which callers can pass as `now`), so a reconciler can tell whether a certificate still fits its spec.

// tsyringe (used by @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { type KeyObject, X509Certificate, createHash, createPrivateKey, generateKeyPair, randomBytes, sign, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  bool,
  explicit,
  implicitPrimitive,
  ipBytes,
  issuerParts,
  namedBits,
  nullValue,
  octets,
  oid,
  seq,
  set,
  spkiKeyBits,
  time,
  unsignedInteger,
  utf8,
} from './der';
import { type KeyAlgorithm, toPem } from './keys';
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
  const keys = await newKeyPair(opts.keyAlgorithm);
  const subject = subjectName(commonName, opts.organizations);
  const keyId = keyIdentifier(spkiKeyBits(keys.spki));
  const certPem = signCertificate({
    subject,
    issuer: subject,
    opts,
    spki: keys.spki,
    signer: keys.privateKey,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, namedBits(KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN)),
      extension(OID.subjectKeyId, false, octets(keyId)),
    ],
  });
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  rememberIssued(certPem, keyPem, certPem);
  return { certPem, keyPem };
}

/** A leaf certificate signed by `ca`, with a new key. */
export async function issueCert(ca: CertificateAuthority, opts: IssueCertOptions): Promise<CertKeyPair> {
  if (opts.usages.length === 0) throw new Error(`certificate ${opts.commonName}: at least one usage is required`);
  const ips = (opts.ipAddresses ?? []).map((ip) => {
    const version = isIP(ip);
    if (version === 0) throw new Error(`certificate ${opts.commonName}: '${ip}' is not an IP address`);
    return ipBytes(ip, version as 4 | 6);
  });
  const issuer = memoized('issuerParts', [ca.certPem], () => issuerParts(parseCert(ca.certPem).raw));
  const signer = memoized('signerKey', [ca.keyPem], () => createPrivateKey(ca.keyPem));
  const keys = await newKeyPair(opts.keyAlgorithm);

  const eku = [...(opts.usages.includes('server') ? [OID.serverAuth] : []), ...(opts.usages.includes('client') ? [OID.clientAuth] : [])];
  const sans = [
    ...(opts.dnsNames ?? []).map((d) => implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...ips.map((b) => implicitPrimitive(7, b)),
  ];
  const extensions = [
    // CA:FALSE is BasicConstraints' DEFAULT, so DER leaves it out: an empty SEQUENCE.
    extension(OID.basicConstraints, true, seq()),
    // keyEncipherment only means something for RSA key transport; ECDSA keys only sign.
    extension(OID.keyUsage, true, namedBits(KU_DIGITAL_SIGNATURE | (opts.keyAlgorithm === 'rsa-2048' ? KU_KEY_ENCIPHERMENT : 0))),
    extension(OID.extKeyUsage, false, seq(...eku.map(oid))),
    extension(OID.subjectKeyId, false, octets(keyIdentifier(spkiKeyBits(keys.spki)))),
    extension(OID.authorityKeyId, false, seq(implicitPrimitive(0, issuer.subjectKeyId ?? keyIdentifier(issuer.publicKeyBits)))),
    ...(sans.length > 0 ? [extension(OID.subjectAltName, false, seq(...sans))] : []),
  ];
  const certPem = signCertificate({
    subject: subjectName(opts.commonName, opts.organizations),
    issuer: issuer.subject,
    opts,
    spki: keys.spki,
    signer,
    extensions,
  });
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  rememberIssued(certPem, keyPem, ca.certPem);
  return { certPem, keyPem };
}

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  sha256WithRSA: '1.2.840.113549.1.1.11',
};
// KeyUsage bits, as the first byte of the BIT STRING (bit 0 is the most significant).
const KU_DIGITAL_SIGNATURE = 0x80;
const KU_KEY_ENCIPHERMENT = 0x20;
const KU_KEY_CERT_SIGN = 0x04;
const KU_CRL_SIGN = 0x02;

function subjectName(commonName: string, organizations: string[] = []): Buffer {
  // One RDN per attribute, in the conventional order (O before CN, like kubeadm's certificates).
  const rdn = (type: string, value: string) => set(seq(oid(type), utf8(value)));
  return seq(...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKeyBits: Buffer): Buffer {
  return createHash('sha1').update(publicKeyBits).digest();
}

async function newKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<{ privateKey: KeyObject; spki: Buffer }> {
  const pair = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    if (algorithm === 'rsa-2048') generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
  });
  return { privateKey: pair.privateKey, spki: pair.publicKey.export({ type: 'spki', format: 'der' }) };
}

/** TBSCertificate (v3) signed with SHA-256 by `signer` (ECDSA or RSA PKCS#1 v1.5), as PEM. */
function signCertificate(c: {
  subject: Buffer;
  issuer: Buffer;
  opts: CommonCertOptions;
  spki: Buffer;
  signer: KeyObject;
  extensions: Buffer[];
}): string {
  const type = c.signer.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa') throw new Error(`unsupported key type ${type ?? '(unknown)'}; use ECDSA or RSA`);
  const algorithm = type === 'ec' ? seq(oid(OID.ecdsaWithSHA256)) : seq(oid(OID.sha256WithRSA), nullValue());
  const { notBefore, notAfter } = validity(c.opts);
  const tbs = seq(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(Buffer.from(randomSerial(), 'hex')),
    algorithm,
    c.issuer,
    seq(time(notBefore), time(notAfter)),
    c.subject,
    c.spki,
    explicit(3, seq(...c.extensions)),
  );
  const signature = sign('sha256', tbs, c.signer);
  return toPem('CERTIFICATE', seq(tbs, algorithm, bitString(signature)));
}

/**
 * What the next check of a certificate just made would work out again at some cost (a private-key parse, a
 * signature check): its key is its own and `issuerPem` signed it. Both hold by construction (test/unit/pki/der.test.ts
 * checks them with node:crypto and OpenSSL); a fleet's next pass over its new clusters then parses nothing twice.
 */
function rememberIssued(certPem: string, keyPem: string, issuerPem: string): void {
  memoized('keyMatchesCert', [keyPem, certPem], () => true);
  memoized('signedBy', [certPem, issuerPem], () => true);
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
