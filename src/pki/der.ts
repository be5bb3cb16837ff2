// The DER of X.509 certificates, written and read by hand: only the few ASN.1 types a certificate kokpit issues is
// made of (SEQUENCE, SET, INTEGER, OID, strings, times, BIT/OCTET STRING, context tags), and a reader that walks a
// certificate to its issuer-relevant parts (subject, public key, subject key identifier).
//
// Why by hand: @peculiar/x509 (built on asn1js) made each certificate in ~7 ms of CPU, re-parsing its own output; a new
// business cluster has 12, and that was the largest part of the cluster operator's first pass over a fleet (npm run
// bench -- reconcile, --cpu-prof: asn1js and @peculiar 4.0 s of 13.8 s for 60 clusters). node:crypto signs and
// parses but cannot build a certificate, and no maintained library builds one without a general ASN.1 object model.
// The encoder below is what RFC 5280 needs of DER for these fields (definite lengths, minimal integers, DEFAULT
// values omitted); the certificates are checked by node:crypto, OpenSSL and @peculiar/x509 in test/unit/pki/der.test.ts
// and used by real Go servers and clients across the integration tiers.

/** One TLV: tag byte(s), definite length, content. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

export const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
export const octets = (b: Buffer) => tlv(0x04, b);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
export const ia5 = (s: string) => tlv(0x16, Buffer.from(s, 'ascii'));
export const nullValue = () => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean) => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
/** [n] EXPLICIT (constructed context tag around one value). */
export const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
/** [n] IMPLICIT of a primitive type: the value's own content under a context tag. */
export const implicitPrimitive = (n: number, content: Buffer) => tlv(0x80 | n, content);

/** A non-negative INTEGER from big-endian bytes: leading zeros dropped, a 0x00 added when the top bit is set. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v.length === 0) v = Buffer.from([0]);
  if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  if (parts.length < 2 || parts.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const base128 = (v: number) => {
    const b = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  };
  base128(parts[0] * 40 + parts[1]);
  for (const p of parts.slice(2)) base128(p);
  return tlv(0x06, Buffer.from(out));
}

/** A BIT STRING with no unused bits (public keys, signatures). */
export const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/**
 * A named-bit-list BIT STRING (KeyUsage) from its first byte, bit 0 the most significant: DER drops trailing zero
 * bits, so the unused-bits count is the number of trailing zeros.
 */
export function namedBits(firstByte: number): Buffer {
  if (firstByte === 0) return Buffer.from([0x03, 0x01, 0x00]);
  let unused = 0;
  while (((firstByte >> unused) & 1) === 0) unused++;
  return Buffer.from([0x03, 0x02, unused, firstByte]);
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5), to the second, in UTC. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = d.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

/** The 16 bytes of an IPv6 address or the 4 of an IPv4 one, from any text form node:net accepts. */
export function ipBytes(ip: string, version: 4 | 6): Buffer {
  if (version === 4) return Buffer.from(ip.split('.').map(Number));
  // The WHATWG URL parser normalises every IPv6 text (embedded IPv4 too) to hex groups with at most one "::".
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [left, right] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** A TLV found in a buffer: where its header and content start, where it ends. */
export interface Element {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export function readElement(buf: Buffer, at: number): Element {
  if (at + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[at];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in certificates');
  let len = buf[at + 1];
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[contentStart + i];
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > buf.length) throw new Error('DER: truncated');
  return { tag, start: at, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function children(buf: Buffer, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const e = readElement(buf, at);
    out.push(e);
    at = e.end;
  }
  return out;
}

/** The parts of a certificate a certificate it signs needs: its subject (raw DER) and its key identifier. */
export interface IssuerParts {
  subject: Buffer;
  /** The subject key identifier extension's value, when the certificate has one. */
  subjectKeyId?: Buffer;
  /** The subjectPublicKey bits of its SubjectPublicKeyInfo. */
  publicKeyBits: Buffer;
}

const OID_SUBJECT_KEY_ID = oid('2.5.29.14');

export function issuerParts(certDer: Buffer): IssuerParts {
  const cert = readElement(certDer, 0);
  const tbs = children(certDer, cert)[0];
  const fields = children(certDer, tbs);
  // version [0] is present in every v3 certificate; tolerate its absence (v1) all the same.
  const i = fields[0].tag === 0xa0 ? 1 : 0;
  const subject = fields[i + 4];
  const spki = fields[i + 5];
  const publicKeyBits = spkiKeyBits(certDer.subarray(spki.start, spki.end));
  let subjectKeyId: Buffer | undefined;
  const extWrapper = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (extWrapper) {
    const exts = children(certDer, children(certDer, extWrapper)[0]);
    for (const ext of exts) {
      const parts = children(certDer, ext);
      if (!certDer.subarray(parts[0].start, parts[0].end).equals(OID_SUBJECT_KEY_ID)) continue;
      const value = parts[parts.length - 1]; // OCTET STRING holding an OCTET STRING
      const inner = readElement(certDer, value.contentStart);
      subjectKeyId = Buffer.from(certDer.subarray(inner.contentStart, inner.end));
    }
  }
  return { subject: Buffer.from(certDer.subarray(subject.start, subject.end)), subjectKeyId, publicKeyBits };
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo. */
export function spkiKeyBits(spkiDer: Buffer): Buffer {
  const keyBits = children(spkiDer, readElement(spkiDer, 0))[1];
  return spkiDer.subarray(keyBits.contentStart + 1, keyBits.end);
}
