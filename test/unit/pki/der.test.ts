// The certificates src/pki/der.ts builds by hand, read back by three independent parsers: node:crypto, the OpenSSL
// command line (strict X.509 verification, its text form) and @peculiar/x509 (the library that built them before).
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import { certInfo, createCA, issueCert, keyMatchesCert, needsRenewal } from '../../../src/pki';
import { ipBytes, namedBits, oid, time, unsignedInteger } from '../../../src/pki/der';
import { toPem } from '../../../src/pki/keys';

(x509.cryptoProvider as unknown as { set(provider: unknown): void }).set(webcrypto);

function openssl(args: string[], files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-der-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('pki: certificates built as DER by hand (src/pki/der.ts)', () => {
  it('encodes the primitives as DER requires', () => {
    assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.equal(oid('2.5.29.19').toString('hex'), '0603551d13');
    assert.equal(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex'), '02017f');
    assert.equal(unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080', 'a set top bit gets a 0x00');
    assert.equal(unsignedInteger(Buffer.from([0, 0])).toString('hex'), '020100');
    assert.equal(namedBits(0x80).toString('hex'), '03020780', 'digitalSignature: 7 unused bits');
    assert.equal(namedBits(0x86).toString('hex'), '03020186', 'CA usages: 1 unused bit');
    assert.equal(namedBits(0xa0).toString('hex'), '030205a0');
    assert.equal(time(new Date('2036-02-03T04:05:06.789Z')).toString('ascii', 2), '360203040506Z', 'UTCTime to 2049');
    assert.equal(time(new Date('2050-01-01T00:00:00Z')).toString('ascii', 2), '20500101000000Z', 'GeneralizedTime from 2050');
    assert.equal(ipBytes('::1', 6).toString('hex'), '00000000000000000000000000000001');
    assert.equal(ipBytes('fd00:10::a', 6).toString('hex'), ['fd00', '0010', '0000', '0000', '0000', '0000', '0000', '000a'].join(''));
    assert.equal(ipBytes('::ffff:10.0.0.1', 6).toString('hex'), '00000000000000000000ffff0a000001');
    assert.equal(ipBytes('10.96.0.1', 4).toString('hex'), '0a600001');
  });

  it('a CA and a leaf: OpenSSL verifies the chain strictly and prints the extensions kubeadm gives them', async () => {
    const ca = await createCA('kokpit-ca', { validDays: 3650, organizations: ['kokpit'] });
    const leaf = await issueCert(ca, {
      commonName: 'kube-apiserver',
      organizations: ['system:masters'],
      dnsNames: ['kubernetes.default.svc', 'localhost'],
      ipAddresses: ['10.96.0.1', 'fd00::1'],
      usages: ['server', 'client'],
      validDays: 365,
    });
    const out = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], {
      'ca.pem': ca.certPem,
      'leaf.pem': leaf.certPem,
    });
    assert.match(out, /leaf\.pem: OK/);
    openssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'leaf.pem'], {
      'ca.pem': ca.certPem,
      'leaf.pem': leaf.certPem,
    });
    const text = openssl(['x509', '-noout', '-text', '-in', 'leaf.pem'], { 'leaf.pem': leaf.certPem });
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Issuer: O *= *kokpit, CN *= *kokpit-ca/);
    assert.match(text, /Subject: O *= *system:masters, CN *= *kube-apiserver/);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /DNS:kubernetes\.default\.svc, DNS:localhost, IP Address:10\.96\.0\.1, IP Address:FD00:0:0:0:0:0:0:1/);
    const caText = openssl(['x509', '-noout', '-text', '-in', 'ca.pem'], { 'ca.pem': ca.certPem });
    assert.match(caText, /X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
    assert.match(caText, /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    // The leaf's authority key identifier is the CA's subject key identifier.
    const ski = /X509v3 Subject Key Identifier: \n\s+([0-9A-F:]+)/.exec(caText)![1];
    assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${ski}`));
  });

  it('node:crypto and @peculiar/x509 read the same fields; the key is the certificate’s; renewal checks pass', async () => {
    const now = new Date('2031-05-06T07:08:09Z');
    const ca = await createCA('ca', { validDays: 3650, now });
    const leaf = await issueCert(ca, {
      commonName: 'system:node:worker-0',
      organizations: ['system:nodes', 'kokpit'],
      ipAddresses: ['127.0.0.1'],
      usages: ['client'],
      validDays: 30,
      now,
    });
    const node = new X509Certificate(leaf.certPem);
    assert.equal(node.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(node.verify(new X509Certificate(ca.certPem).publicKey), true);
    assert.equal(node.checkPrivateKey(createPrivateKey(leaf.keyPem)), true);
    const p = new x509.X509Certificate(leaf.certPem);
    assert.deepEqual(p.subjectName.getField('O'), ['system:nodes', 'kokpit']);
    assert.equal(p.subjectName.getField('CN')[0], 'system:node:worker-0');
    assert.equal(p.notAfter.getTime(), Math.floor((now.getTime() + 30 * 86_400_000) / 1000) * 1000);
    assert.deepEqual([...p.getExtension(x509.ExtendedKeyUsageExtension)!.usages].map(String), [x509.ExtendedKeyUsage.clientAuth]);
    assert.equal(p.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    assert.equal(await p.verify({ publicKey: new x509.X509Certificate(ca.certPem).publicKey, signatureOnly: true }), true);
    const info = certInfo(leaf.certPem);
    assert.deepEqual(
      [info.commonName, info.organizations, info.ipAddresses, info.usages],
      ['system:node:worker-0', ['system:nodes', 'kokpit'], ['127.0.0.1'], ['client']],
    );
    assert.equal(keyMatchesCert(leaf.keyPem, leaf.certPem), true);
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { minRemainingDays: 1, keyPem: leaf.keyPem, now }), { renew: false });
    // A key of another certificate is still told apart (the remembered answer is per key and certificate).
    const other = await issueCert(ca, { commonName: 'x', usages: ['client'], validDays: 1, now });
    assert.equal(keyMatchesCert(other.keyPem, leaf.certPem), false);
    assert.deepEqual(needsRenewal(leaf.certPem, other.certPem, { minRemainingDays: 1, now }), {
      renew: true,
      reason: 'not signed by the CA',
    });
  });

  it('signs under a CA @peculiar/x509 made (an existing cluster’s) and under an RSA CA; issuer bytes are the CA’s subject', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const name = 'C=DE, O=Some Org + OU=unit, CN=old-ca';
    const old = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys: keys as webcrypto.CryptoKeyPair,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    const oldCA = {
      certPem: old.toString('pem') + '\n',
      keyPem: toPem('PRIVATE KEY', Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))),
    };
    const leaf = await issueCert(oldCA, { commonName: 'etcd-client', usages: ['client'], validDays: 1 });
    const parsed = new x509.X509Certificate(leaf.certPem);
    assert.equal(Buffer.from(parsed.issuerName.toArrayBuffer()).equals(Buffer.from(old.subjectName.toArrayBuffer())), true);
    assert.match(openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem'], { 'ca.pem': oldCA.certPem, 'leaf.pem': leaf.certPem }), /OK/);

    const rsa = await createCA('rsa-ca', { validDays: 10, keyAlgorithm: 'rsa-2048' });
    assert.match(openssl(['x509', '-noout', '-text', '-in', 'ca.pem'], { 'ca.pem': rsa.certPem }), /sha256WithRSAEncryption/);
    const rsaLeaf = await issueCert(rsa, {
      commonName: 'l',
      usages: ['server'],
      dnsNames: ['l.example'],
      validDays: 1,
      keyAlgorithm: 'rsa-2048',
    });
    const text = openssl(['x509', '-noout', '-text', '-in', 'leaf.pem'], { 'leaf.pem': rsaLeaf.certPem });
    assert.match(text, /Key Usage: critical\n\s+Digital Signature, Key Encipherment/);
    assert.match(
      openssl(['verify', '-x509_strict', '-CAfile', 'ca.pem', 'leaf.pem'], { 'ca.pem': rsa.certPem, 'leaf.pem': rsaLeaf.certPem }),
      /OK/,
    );
  });
});
