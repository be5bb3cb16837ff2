import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { buildKubeconfig, kubeconfigParts } from '../../../src/pki';

const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('pki: buildKubeconfig', () => {
  it('inlines CA and client certificate as *-data', () => {
    const yaml = buildKubeconfig({
      clusterName: 'meta',
      server: 'https://127.0.0.1:6443',
      caPem: 'CA PEM\n',
      user: 'kubernetes-admin',
      clientCertPem: 'CERT\n',
      clientKeyPem: 'KEY\n',
      namespace: 'kokpit-system',
    });
    const doc = parse(yaml);
    assert.equal(doc['current-context'], 'kubernetes-admin@meta');
    assert.equal(doc.clusters[0].name, 'meta');
    assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    assert.equal(unb64(doc.clusters[0].cluster['certificate-authority-data']), 'CA PEM\n');
    assert.equal(unb64(doc.users[0].user['client-certificate-data']), 'CERT\n');
    assert.equal(unb64(doc.users[0].user['client-key-data']), 'KEY\n');
    assert.equal(doc.users[0].user.token, undefined);
    assert.deepEqual(doc.contexts[0].context, { cluster: 'meta', user: 'kubernetes-admin', namespace: 'kokpit-system' });
  });

  it('supports a bearer token instead of a certificate', () => {
    const doc = parse(
      buildKubeconfig({ clusterName: 'c', server: 'https://h:1', caPem: 'CA', user: 'sa', token: 'abc', contextName: 'ctx' }),
    );
    assert.deepEqual(doc.users[0].user, { token: 'abc' });
    assert.equal(doc['current-context'], 'ctx');
    assert.equal(doc.contexts[0].context.namespace, undefined);
  });

  it('refuses a non-https server', () => {
    assert.throws(() => buildKubeconfig({ clusterName: 'c', server: 'http://h:1', caPem: 'CA', user: 'u', token: 't' }), /https:\/\//);
  });

  it('kubeconfigParts reads back what it inlined; a token kubeconfig has no certificate; not YAML throws', () => {
    const opts = { clusterName: 'c', server: 'https://h:1', caPem: 'CA\n', user: 'u' };
    assert.deepEqual(kubeconfigParts(buildKubeconfig({ ...opts, clientCertPem: 'CERT\n', clientKeyPem: 'KEY\n' })), {
      server: 'https://h:1',
      caPem: 'CA\n',
      clientCertPem: 'CERT\n',
      clientKeyPem: 'KEY\n',
    });
    const token = kubeconfigParts(buildKubeconfig({ ...opts, token: 't' }));
    assert.equal(token.clientCertPem, undefined);
    assert.equal(token.caPem, 'CA\n');
    assert.throws(() => kubeconfigParts('a: [b'));
  });
});
