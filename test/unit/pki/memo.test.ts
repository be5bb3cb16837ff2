// The PKI answers are remembered by the texts they depend on (src/pki/memo.ts): asked again about the same texts
// they answer as before, about other texts (another CA, another key, a changed certificate) they answer anew.
import assert from 'node:assert/strict';
import { certInfo, createCA, createKeyPair, issueCert, keyMatchesCert, needsRenewal, publicKeyOf } from '../../../src/pki';
import { forget, memoized } from '../../../src/pki/memo';

describe('pki: answers remembered by the texts they depend on', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('computes once per kind and texts; other texts or kinds compute again; a throw is not kept', () => {
    let calls = 0;
    const f = (texts: string[], kind = 'test') => memoized(kind, texts, () => ++calls);
    assert.equal(f(['a', 'b']), 1);
    assert.equal(f(['a', 'b']), 1);
    assert.equal(f(['a', 'c']), 2);
    assert.equal(f(['ab']), 3, 'texts are separated, not concatenated');
    assert.equal(f(['a', 'b'], 'other'), 4);
    assert.throws(() => memoized('throws', ['x'], () => assert.fail('unreadable')));
    assert.equal(
      memoized('throws', ['x'], () => 'read'),
      'read',
    );
  });

  it('a forgotten asynchronous answer is computed again; a CA key that cannot be read fails every issue', async () => {
    let calls = 0;
    const failing = () => memoized('async-fails', ['k'], () => Promise.reject(new Error(`try ${++calls}`)));
    await assert.rejects(failing(), /try 1/);
    forget('async-fails', ['k']);
    await assert.rejects(failing(), /try 2/, 'forgotten: computed again');
    const ca = await createCA('ca-a', { validDays: 3650, now });
    const broken = { certPem: ca.certPem, keyPem: 'not a key' };
    const opts = { commonName: 'x', usages: ['client' as const], validDays: 1, now };
    await assert.rejects(issueCert(broken, opts));
    await assert.rejects(issueCert(broken, opts), 'a throw is not kept as the signer key');
    assert.ok(keyMatchesCert((await issueCert(ca, opts)).keyPem, (await issueCert(ca, opts)).certPem) === false);
  });

  it('a certificate checked against its CA, then against another CA, is not signed by the other', async () => {
    const [ca, other] = await Promise.all([createCA('ca-a', { validDays: 3650, now }), createCA('ca-b', { validDays: 3650, now })]);
    const leaf = await issueCert(ca, { commonName: 'x', organizations: [], usages: ['server'], dnsNames: ['x.test'], validDays: 365, now });
    const check = { minRemainingDays: 30, keyPem: leaf.keyPem, requiredDNS: ['x.test'], now };
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, check), { renew: false });
    assert.deepEqual(needsRenewal(leaf.certPem, other.certPem, check), { renew: true, reason: 'not signed by the CA' });
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, check), { renew: false });
    // The clock is not part of what is remembered: the same certificate near its end is due.
    const late = new Date(now.getTime() + 350 * 24 * 3600 * 1000);
    assert.equal(needsRenewal(leaf.certPem, ca.certPem, { ...check, now: late }).renew, true);
    // Nor are the wanted names.
    assert.deepEqual(needsRenewal(leaf.certPem, ca.certPem, { ...check, requiredDNS: ['y.test'] }), {
      renew: true,
      reason: 'missing DNS SANs y.test',
    });
  });

  it('keys and certificate details: each text its own answer, and a copy callers may change', async () => {
    const ca = await createCA('ca', { validDays: 3650, now });
    const [a, b] = await Promise.all(
      ['a', 'b'].map((cn) => issueCert(ca, { commonName: cn, organizations: [], usages: ['client'], validDays: 365, now })),
    );
    assert.equal(keyMatchesCert(a.keyPem, a.certPem), true);
    assert.equal(keyMatchesCert(b.keyPem, a.certPem), false);
    assert.equal(keyMatchesCert(a.keyPem, a.certPem), true);
    assert.equal(certInfo(a.certPem).commonName, 'a');
    assert.equal(certInfo(b.certPem).commonName, 'b');
    const info = certInfo(a.certPem);
    info.organizations.push('changed');
    info.notAfter.setTime(0);
    assert.deepEqual(certInfo(a.certPem).organizations, []);
    assert.notEqual(certInfo(a.certPem).notAfter.getTime(), 0);
    const [k1, k2] = await Promise.all([createKeyPair('rsa-2048'), createKeyPair('rsa-2048')]);
    assert.equal(publicKeyOf(k1.privateKeyPem).trim(), k1.publicKeyPem.trim());
    assert.equal(publicKeyOf(k2.privateKeyPem).trim(), k2.publicKeyPem.trim());
    assert.notEqual(publicKeyOf(k1.privateKeyPem), publicKeyOf(k2.privateKeyPem));
  });
});
