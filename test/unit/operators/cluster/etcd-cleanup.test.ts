// The pure parts of removing a deleted BusinessCluster's keys from a shared etcd: which range, and which
// servers to try in which order (the integration test shared-etcd-cleanup.test.ts runs it against real members).
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { podIPResolver, type MemberResolver } from '../../../../src/kit/etcd-access';
import { createCA, issueCert } from '../../../../src/pki';
import { cleanupTargets, deleteEtcdPrefix, prefixRange, reachSharedEtcd } from '../../../../src/operators/cluster/etcd-cleanup';

const ref = { name: 'e1', namespace: 'work' };
const pod = (name: string, ip?: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, namespace: 'work', ...extra },
  status: ip ? { podIP: ip, phase: 'Running' } : { phase: 'Pending' },
});
const inRange = (r: { key: Buffer; range_end: Buffer }, k: string) =>
  Buffer.compare(Buffer.from(k), r.key) >= 0 && Buffer.compare(Buffer.from(k), r.range_end) < 0;
const tls = { caPem: '', certPem: '', keyPem: '' };

describe('shared etcd cleanup', () => {
  it('the range is exactly the directory prefix/: nothing of a sibling whose name starts the same', () => {
    const r = prefixRange('/kokpit/ns/a');
    assert.equal(r.key.toString(), '/kokpit/ns/a/');
    assert.equal(r.range_end.toString(), '/kokpit/ns/a0');
    assert.deepEqual(prefixRange('/kokpit/ns/a//'), r, 'trailing slashes do not change the range');
    assert.ok(inRange(r, '/kokpit/ns/a/pods/default/x'));
    for (const k of ['/kokpit/ns/ab/x', '/kokpit/ns/a-b/x', '/kokpit/ns/a', '/kokpit/ns/a0', '/registry/pods/x'])
      assert.ok(!inRange(r, k), `${k} is outside`);
  });

  it('refuses the root and /registry, also spelled with extra slashes, before dialing anything', async () => {
    for (const p of ['', '/', '//', '/registry', '/registry/']) {
      assert.throws(() => prefixRange(p), /refusing to delete etcd prefix/);
      await assert.rejects(deleteEtcdPrefix([{ address: '127.0.0.1:1' }], p, tls), /refusing to delete etcd prefix/);
    }
  });

  it("targets: running members through the resolver in member order, verified against the member's name; then the client endpoint", () => {
    const pods = [
      pod('e1-10', '127.0.0.12'),
      pod('e1-2', 'fd00::2'),
      pod('e1-0'),
      pod('e1-1', '127.0.0.3', { deletionTimestamp: new Date() }),
    ];
    assert.deepEqual(cleanupTargets(ref, pods, podIPResolver, 'https://e1-client.work.svc:2379,https://[fd00::9]:2379, https://10.0.0.1'), [
      { address: '[fd00::2]:2379', serverName: 'e1-2.e1-peers.work.svc' },
      { address: '127.0.0.12:2379', serverName: 'e1-10.e1-peers.work.svc' },
      { address: 'e1-client.work.svc:2379' },
      { address: '[fd00::9]:2379' },
      { address: '10.0.0.1:2379' },
    ]);
    assert.deepEqual(cleanupTargets(ref, [], podIPResolver, 'https://127.1.0.1:41234'), [{ address: '127.1.0.1:41234' }]);
  });

  it('prepares each member (a port-forward opens its listener) before asking where to dial it', async () => {
    const prepared: string[] = [];
    const forwards: MemberResolver = {
      prepare: async (c, member) => void prepared.push(`${c.namespace}/${member}`),
      resolve: (c, member) =>
        prepared.includes(`${c.namespace}/${member}`) ? { address: '127.0.0.1:5000', serverName: member } : undefined,
    };
    const targets = await reachSharedEtcd(ref, [pod('e1-0', '10.1.0.5')], forwards, 'https://e1-client.work.svc:2379');
    assert.deepEqual(prepared, ['work/e1-0']);
    assert.deepEqual(targets[0], { address: '127.0.0.1:5000', serverName: 'e1-0' });
  });

  it('tries every target and names each one that failed', async () => {
    // A port nothing listens on: refused at once.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const ca = await createCA('etcd-ca', { validDays: 1 });
    const client = await issueCert(ca, { commonName: 'cleanup', usages: ['client'], validDays: 1 });
    const tls = { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem };
    await assert.rejects(
      deleteEtcdPrefix(
        [{ address: `127.0.0.1:${port}`, serverName: 'e1-0.e1-peers.work.svc' }, { address: `127.0.0.1:${port}` }],
        '/kokpit/work/a',
        tls,
        3000,
      ),
      (e: Error) => {
        const at = `127\\.0\\.0\\.1:${port}`;
        assert.match(
          e.message,
          new RegExp(
            `^deleting /kokpit/work/a from etcd failed: ${at} \\(e1-0\\.e1-peers\\.work\\.svc\\): 14 UNAVAILABLE.*; ${at}: 14 UNAVAILABLE`,
          ),
        );
        return true;
      },
    );
    await assert.rejects(deleteEtcdPrefix([], '/kokpit/work/a', tls), /no member or endpoint to reach/);
  });
});
