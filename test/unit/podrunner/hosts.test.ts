import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderHostsFile, writeInPlace, type HostsPod, type HostsWorld } from '../../../src/podrunner/hosts';

function pod(name: string, ip: string, extra: Partial<HostsPod> = {}): HostsPod {
  return { namespace: 'default', name, ip, ready: true, labels: { app: 'etcd' }, hostname: name, explicitHostname: false, ...extra };
}

const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('podrunner hosts file', () => {
  const peers = [0, 1, 2].map((i) =>
    pod(`etcd-${i}`, `127.0.0.${10 + i}`, { hostname: `etcd-${i}`, explicitHostname: true, subdomain: 'etcd-peers', ready: i !== 2 }),
  );
  const world: HostsWorld = {
    clusterDomain: 'cluster.local',
    pods: [...peers, pod('web', '127.0.0.20', { namespace: 'other', labels: { app: 'web' } })],
    services: [
      { namespace: 'default', name: 'etcd-peers', selector: { app: 'etcd' }, headless: true, publishNotReadyAddresses: true },
      { namespace: 'default', name: 'etcd', selector: { app: 'etcd' }, headless: false, publishNotReadyAddresses: false },
      { namespace: 'other', name: 'web', selector: { app: 'web' }, headless: false, publishNotReadyAddresses: false },
      { namespace: 'other', name: 'external', headless: false, publishNotReadyAddresses: false },
    ],
    endpoints: [
      { namespace: 'other', serviceName: 'external', ip: '127.0.0.1', ready: true },
      { namespace: 'other', serviceName: 'external', ip: '127.0.0.2', ready: false },
    ],
  };

  it('lists the pod itself, localhost and its FQDN', () => {
    const text = renderHostsFile(world, peers[0], 'managed by test');
    assert.match(text, /^# managed by test\n/);
    const l = lines(text);
    assert.equal(l[0], '127.0.0.1\tlocalhost');
    assert.equal(l[2], '127.0.0.10\tetcd-0.etcd-peers.default.svc.cluster.local etcd-0');
  });

  it('resolves headless per-pod names, including not-ready pods when the Service publishes them', () => {
    const l = lines(renderHostsFile(world, peers[0]));
    assert.ok(
      l.includes(
        '127.0.0.12\tetcd-2.etcd-peers etcd-2.etcd-peers.default etcd-2.etcd-peers.default.svc etcd-2.etcd-peers.default.svc.cluster.local',
      ),
    );
    assert.ok(l.includes('127.0.0.11\tetcd-peers etcd-peers.default etcd-peers.default.svc etcd-peers.default.svc.cluster.local'));
  });

  it('maps a Service name to ready endpoints only', () => {
    const l = lines(renderHostsFile(world, peers[0]));
    const etcdSvc = l.filter((x) => x.endsWith('\tetcd etcd.default etcd.default.svc etcd.default.svc.cluster.local'));
    assert.deepEqual(
      etcdSvc.map((x) => x.split('\t')[0]),
      ['127.0.0.10', '127.0.0.11'],
    );
  });

  it('gives short names only within the namespace', () => {
    const fromDefault = lines(renderHostsFile(world, peers[0]));
    assert.ok(fromDefault.includes('127.0.0.20\tweb.other web.other.svc web.other.svc.cluster.local'));
    const fromOther = lines(renderHostsFile(world, world.pods[3]));
    assert.ok(fromOther.includes('127.0.0.20\tweb web.other web.other.svc web.other.svc.cluster.local'));
    assert.ok(!fromOther.some((x) => x.split('\t')[1].split(' ').includes('etcd')));
  });

  it('uses EndpointSlices for Services without a selector', () => {
    const l = lines(renderHostsFile(world, world.pods[3]));
    assert.ok(l.includes('127.0.0.1\texternal external.other external.other.svc external.other.svc.cluster.local'));
    assert.ok(!l.some((x) => x.startsWith('127.0.0.2\t')));
  });

  it('writes in place, keeping the inode a bind mount refers to', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-hosts-'));
    try {
      const f = path.join(dir, 'hosts');
      assert.equal(writeInPlace(f, 'a\n'), true);
      const ino = fs.statSync(f).ino;
      assert.equal(writeInPlace(f, 'a\n'), false);
      assert.equal(writeInPlace(f, 'b\n'), true);
      assert.equal(fs.statSync(f).ino, ino);
      assert.equal(fs.readFileSync(f, 'utf8'), 'b\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
