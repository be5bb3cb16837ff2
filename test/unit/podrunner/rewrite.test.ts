import assert from 'node:assert/strict';
import { probeHost, rewriteValue } from '../../../src/podrunner/rewrite';

describe('podrunner rewriteValue', () => {
  const ctx = {
    podIP: '127.0.0.7',
    mounts: [
      { mountPath: '/var/lib/etcd', hostPath: '/state/pods/default_etcd-0/volumes/data' },
      { mountPath: '/etc/etcd/pki/', hostPath: '/state/pods/default_etcd-0/volumes/certs' },
      { mountPath: '/etc/etcd', hostPath: '/state/pods/default_etcd-0/volumes/config' },
    ],
  };

  it('maps mount paths and their sub-paths to host paths', () => {
    const r = rewriteValue('--data-dir=/var/lib/etcd', ctx);
    assert.equal(r.value, '--data-dir=/state/pods/default_etcd-0/volumes/data');
    assert.deepEqual(r.changes, ['mount path /var/lib/etcd → /state/pods/default_etcd-0/volumes/data']);
    assert.equal(
      rewriteValue('--cert-file=/etc/etcd/pki/server.crt', ctx).value,
      '--cert-file=/state/pods/default_etcd-0/volumes/certs/server.crt',
    );
    assert.equal(
      rewriteValue('--config-file=/etc/etcd/etcd.yaml', ctx).value,
      '--config-file=/state/pods/default_etcd-0/volumes/config/etcd.yaml',
    );
    assert.equal(rewriteValue('/var/lib/etcd/member', ctx).value, '/state/pods/default_etcd-0/volumes/data/member');
  });

  it('does not touch paths that merely share a prefix', () => {
    const r = rewriteValue('--data-dir=/var/lib/etcd2 --x=/opt/var/lib/etcd', ctx);
    assert.equal(r.value, '--data-dir=/var/lib/etcd2 --x=/opt/var/lib/etcd');
    assert.deepEqual(r.changes, []);
  });

  it('rewrites every path in a list', () => {
    const r = rewriteValue('a=/etc/etcd/a,b=/etc/etcd/pki/b', ctx);
    assert.equal(r.value, 'a=/state/pods/default_etcd-0/volumes/config/a,b=/state/pods/default_etcd-0/volumes/certs/b');
    assert.equal(r.changes.length, 2);
  });

  it('binds wildcard and loopback addresses to the pod IP', () => {
    assert.equal(rewriteValue('--listen-client-urls=http://0.0.0.0:2379', ctx).value, '--listen-client-urls=http://127.0.0.7:2379');
    assert.equal(rewriteValue('--bind-address=0.0.0.0', ctx).value, '--bind-address=127.0.0.7');
    assert.equal(rewriteValue('https://127.0.0.1:2379,https://localhost:2381', ctx).value, 'https://127.0.0.7:2379,https://127.0.0.7:2381');
  });

  it("gives a bind address without a host (controller-runtime's `:8443`) the pod IP", () => {
    const r = rewriteValue('--metrics-bind-address=:8443', ctx);
    assert.equal(r.value, '--metrics-bind-address=127.0.0.7:8443');
    assert.deepEqual(r.changes, ['address :8443 → 127.0.0.7:8443']);
    assert.equal(rewriteValue(':8081', ctx).value, '127.0.0.7:8081');
  });

  it('leaves other addresses, CIDRs and host names alone', () => {
    for (const v of [
      '10.0.0.0',
      '--allowed=0.0.0.0/0',
      '127.0.0.10:80',
      'localhost',
      'http://localhostx:1',
      '110.0.0.0.1',
      'a:80',
      '--x=y:80',
    ]) {
      const r = rewriteValue(v, ctx);
      assert.equal(r.value, v, v);
      assert.deepEqual(r.changes, []);
    }
  });

  it('probe hosts default to the pod IP', () => {
    assert.equal(probeHost(undefined, '127.0.0.7'), '127.0.0.7');
    assert.equal(probeHost('127.0.0.1', '127.0.0.7'), '127.0.0.7');
    assert.equal(probeHost('example.test', '127.0.0.7'), 'example.test');
  });
});
