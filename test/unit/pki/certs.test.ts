import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createSign, createVerify } from 'node:crypto';
import { certInfo, createCA, createKeyPair, issueCert, keyMatchesCert, needsRenewal, publicKeyOf } from '../../../src/pki';

const DAY = 24 * 60 * 60 * 1000;

describe('pki: certificates', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('creates a self-signed CA that node:crypto accepts as a CA', async () => {
    const ca = await createCA('kokpit-test-ca', { validDays: 3650, now });
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.checkIssued(cert), true, 'self-issued');
    assert.equal(cert.verify(cert.publicKey), true, 'self-signed');
    assert.equal(createPrivateKey(ca.keyPem).asymmetricKeyType, 'ec');
    const info = certInfo(ca.certPem);
    assert.equal(info.commonName, 'kokpit-test-ca');
    assert.equal(info.isCA, true);
    assert.equal(info.notAfter.getTime(), now.getTime() + 3650 * DAY);
    assert.ok(info.notBefore.getTime() < now.getTime(), 'backdated for clock skew');
  });

  it('issues a server+client leaf with SANs, usages and subject groups, chained to the CA', async () => {
    const ca = await createCA('ca', { validDays: 10 });
    const leaf = await issueCert(ca, {
      commonName: 'kube-apiserver',
      organizations: ['system:masters', 'kokpit'],
      dnsNames: ['localhost', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'],
      usages: ['server', 'client'],
      validDays: 5,
    });
    const cert = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(cert.checkIssued(caCert), true);
    assert.equal(cert.verify(caCert.publicKey), true);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('example.com'), undefined);
    assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);

    const info = certInfo(leaf.certPem);
    assert.equal(info.commonName, 'kube-apiserver');
    assert.deepEqual(info.organizations, ['system:masters', 'kokpit']);
    assert.equal(info.issuerCommonName, 'ca');
    assert.deepEqual(info.dnsNames, ['localhost', 'kubernetes.default.svc']);
    assert.deepEqual(info.ipAddresses, ['127.0.0.1', '::1']);
    assert.deepEqual(info.usages, ['server', 'client']);
    assert.equal(keyMatchesCert(leaf.keyPem, leaf.certPem), true);
    assert.equal(keyMatchesCert(ca.keyPem, leaf.certPem), false);
  });

  it("names that OpenSSL's text form escapes or joins read as issued (read from the ASN.1 instead)", async () => {
    const ca = await createCA('ca, one + two', { validDays: 10 });
    const leaf = await issueCert(ca, {
      commonName: 'user=a+b',
      organizations: ['group, one', 'plain'],
      dnsNames: ['a.example'],
      ipAddresses: ['2001:db8::10'],
      usages: ['client'],
      validDays: 5,
    });
    const info = certInfo(leaf.certPem);
    assert.equal(info.commonName, 'user=a+b');
    assert.deepEqual(info.organizations, ['group, one', 'plain']);
    assert.equal(info.issuerCommonName, 'ca, one + two');
    assert.deepEqual(info.dnsNames, ['a.example']);
    assert.deepEqual(info.ipAddresses, ['2001:db8::10']);
    assert.deepEqual(info.usages, ['client']);
    assert.equal(certInfo(ca.certPem).commonName, 'ca, one + two');
  });

  it('keyMatchesCert: a key of another type or unreadable text is no match', async () => {
    const ca = await createCA('ca', { validDays: 10 });
    const rsa = await createKeyPair('rsa-2048');
    assert.equal(keyMatchesCert(rsa.privateKeyPem, ca.certPem), false);
    assert.equal(keyMatchesCert('not a key', ca.certPem), false);
    assert.equal(keyMatchesCert(ca.keyPem, ca.certPem), true);
  });

  it('a certificate from another CA does not verify against this CA', async () => {
    const ca1 = await createCA('ca', { validDays: 10 });
    const ca2 = await createCA('ca', { validDays: 10 }); // same name on purpose: only the signature differs
    const leaf = await issueCert(ca2, { commonName: 'x', usages: ['client'], validDays: 1 });
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.verify(new X509Certificate(ca1.certPem).publicKey), false);
    assert.deepEqual(needsRenewal(leaf.certPem, ca1.certPem, { minRemainingDays: 0 }), {
      renew: true,
      reason: 'not signed by the CA',
    });
    assert.deepEqual(needsRenewal(leaf.certPem, ca2.certPem, { minRemainingDays: 0 }), { renew: false });
  });

  it('serials differ between two certificates with the same inputs', async () => {
    const ca = await createCA('ca', { validDays: 10, now });
    const a = await issueCert(ca, { commonName: 'x', usages: ['client'], validDays: 1, now });
    const b = await issueCert(ca, { commonName: 'x', usages: ['client'], validDays: 1, now });
    assert.notEqual(certInfo(a.certPem).serialNumber, certInfo(b.certPem).serialNumber);
    assert.deepEqual(
      { ...certInfo(a.certPem), serialNumber: '', fingerprint256: '' },
      { ...certInfo(b.certPem), serialNumber: '', fingerprint256: '' },
    );
  });

  it('RSA keys work for CA and leaf (for CAs brought from elsewhere)', async () => {
    const ca = await createCA('rsa-ca', { validDays: 10, keyAlgorithm: 'rsa-2048' });
    assert.equal(createPrivateKey(ca.keyPem).asymmetricKeyType, 'rsa');
    const leaf = await issueCert(ca, { commonName: 'ec-leaf', usages: ['server'], dnsNames: ['a'], validDays: 1 });
    assert.equal(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey), true);
  });

  it('rejects bad input', async () => {
    const ca = await createCA('ca', { validDays: 10 });
    await assert.rejects(issueCert(ca, { commonName: 'x', usages: [], validDays: 1 }), /at least one usage/);
    await assert.rejects(
      issueCert(ca, { commonName: 'x', usages: ['server'], ipAddresses: ['localhost'], validDays: 1 }),
      /'localhost' is not an IP address/,
    );
    await assert.rejects(createCA('ca', { validDays: 0 }), /validDays must be > 0/);
  });
});

describe('pki: needsRenewal', () => {
  const now = new Date('2030-06-01T00:00:00Z');
  let ca: Awaited<ReturnType<typeof createCA>>;
  let leaf: Awaited<ReturnType<typeof issueCert>>;
  before(async () => {
    ca = await createCA('ca', { validDays: 3650, now });
    leaf = await issueCert(ca, {
      commonName: 'etcd-0',
      dnsNames: ['etcd-0.etcd', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      usages: ['server', 'client'],
      validDays: 90,
      now,
    });
  });

  it('keeps a fitting certificate', () => {
    assert.deepEqual(
      needsRenewal(leaf.certPem, ca.certPem, {
        minRemainingDays: 30,
        requiredDNS: ['localhost'],
        requiredIPs: ['127.0.0.1'],
        requiredUsages: ['server'],
        keyPem: leaf.keyPem,
        now,
      }),
      { renew: false },
    );
  });

  it('renews when missing or unreadable', () => {
    assert.deepEqual(needsRenewal(undefined, ca.certPem, { minRemainingDays: 1 }), { renew: true, reason: 'missing' });
    assert.deepEqual(needsRenewal('', ca.certPem, { minRemainingDays: 1 }), { renew: true, reason: 'missing' });
    assert.deepEqual(needsRenewal('garbage', ca.certPem, { minRemainingDays: 1 }), { renew: true, reason: 'unreadable' });
  });

  it('renews when fewer than minRemainingDays remain, and when expired', () => {
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { minRemainingDays: 30, now: at(59) }), { renew: false });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { minRemainingDays: 30, now: at(61) }), {
      renew: true,
      reason: 'expires in 29.0 days',
    });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { minRemainingDays: 30, now: at(91) }), {
      renew: true,
      reason: 'expired',
    });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { minRemainingDays: 0, now: at(-1) }), {
      renew: true,
      reason: 'not valid yet',
    });
  });

  it('renews when a SAN, usage or the key does not match', async () => {
    const base = { minRemainingDays: 1, now };
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { ...base, requiredDNS: ['etcd-0.etcd', 'etcd-1.etcd'] }), {
      renew: true,
      reason: 'missing DNS SANs etcd-1.etcd',
    });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { ...base, requiredIPs: ['10.0.0.1'] }), {
      renew: true,
      reason: 'missing IP SANs 10.0.0.1',
    });
    const clientOnly = await issueCert(ca, { commonName: 'c', usages: ['client'], validDays: 10, now });
    assert.deepEqual(needsRenewal(clientOnly.certPem, ca.certPem, { ...base, requiredUsages: ['server'] }), {
      renew: true,
      reason: 'missing usages server',
    });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { ...base, keyPem: clientOnly.keyPem }), {
      renew: true,
      reason: 'key does not match the certificate',
    });
  });
});

describe('pki: createKeyPair', () => {
  for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
    it(`${algorithm}: PEM pair that signs and verifies`, async () => {
      const kp = await createKeyPair(algorithm);
      assert.match(kp.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.match(kp.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.equal(publicKeyOf(kp.privateKeyPem), kp.publicKeyPem);
      const sig = createSign('sha256').update('token').sign(kp.privateKeyPem);
      assert.equal(createVerify('sha256').update('token').verify(kp.publicKeyPem, sig), true);
    });
  }
});
