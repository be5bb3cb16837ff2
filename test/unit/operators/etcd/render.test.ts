// Golden-file tests of the etcd renderers: whole objects, stable across runs. Regenerate with
// UPDATE_GOLDEN=1 after an intended change, and review the diff.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { EtcdCluster } from '../../../../src/api';
import { memberPeerURL } from '../../../../src/operators/etcd/names';
import {
  etcdArgs,
  renderCASecret,
  renderClientService,
  renderMemberClaim,
  renderMemberPod,
  renderMemberSecret,
  renderPeerService,
  secretHash,
} from '../../../../src/operators/etcd/render';

const GOLDEN = path.join(__dirname, 'golden');

function golden(name: string, obj: unknown): void {
  const file = path.join(GOLDEN, `${name}.yaml`);
  const text = stringify(obj, { sortMapEntries: false });
  if (process.env.UPDATE_GOLDEN || !fs.existsSync(file)) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
    if (!process.env.UPDATE_GOLDEN) throw new Error(`golden file ${file} was missing and has been written; review it and run again`);
  }
  assert.equal(text, fs.readFileSync(file, 'utf8'), `${name} differs from ${file} (UPDATE_GOLDEN=1 to accept)`);
}

const cluster: EtcdCluster = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'main', namespace: 'tenants', uid: '0f6c2a1e-1111-2222-3333-444455556666', generation: 2 },
  spec: { replicas: 3, version: '3.5.35', quotaBackendBytes: 4294967296, storage: { size: '8Gi', storageClassName: 'fast' } },
};
const ref = { name: 'main', namespace: 'tenants' };
const FAKE = (what: string) => `-----BEGIN ${what}-----\nZmFrZQ==\n-----END ${what}-----\n`;
const files = {
  'ca.crt': FAKE('CERTIFICATE'),
  'server.crt': FAKE('CERTIFICATE'),
  'server.key': FAKE('PRIVATE KEY'),
  'peer.crt': FAKE('CERTIFICATE'),
  'peer.key': FAKE('PRIVATE KEY'),
};

describe('etcd renderers', () => {
  it('renders the seed pod of a new cluster', () => {
    const pod = renderMemberPod(cluster, {
      member: 'main-0',
      version: 'v3.5.35',
      initialCluster: [{ name: 'main-0', peerURL: memberPeerURL(ref, 'main-0') }],
      state: 'new',
      secretHash: secretHash(files),
    });
    golden('seed-pod', pod);
  });

  it('renders a joining member with the whole member list and state existing', () => {
    const args = etcdArgs(cluster, {
      member: 'main-3',
      version: '3.5.35',
      initialCluster: ['main-0', 'main-1', 'main-3'].map((name) => ({ name, peerURL: memberPeerURL(ref, name) })),
      state: 'existing',
      secretHash: 'x',
    });
    assert.ok(args.includes('--initial-cluster-state=existing'));
    assert.ok(
      args.includes(
        '--initial-cluster=main-0=https://main-0.main-peers.tenants.svc:2380,' +
          'main-1=https://main-1.main-peers.tenants.svc:2380,main-3=https://main-3.main-peers.tenants.svc:2380',
      ),
    );
    assert.ok(args.includes('--quota-backend-bytes=4294967296'));
    assert.ok(!args.some((a) => a.startsWith('--unsafe-no-fsync')), 'fsync stays on unless asked');
  });

  it('checks a member for corruption against its peers at start, except the lone member of a one-member cluster', () => {
    const check = '--experimental-initial-corrupt-check=true';
    const seed = { name: 'main-0', peerURL: memberPeerURL(ref, 'main-0') };
    const inputs = { member: 'main-0', version: '3.5.35', initialCluster: [seed], state: 'new' as const, secretHash: 'x' };
    const one: EtcdCluster = { ...cluster, spec: { ...cluster.spec, replicas: 1 } };
    assert.ok(!etcdArgs(one, inputs).includes(check), 'no peer to compare with: no hash of the whole keyspace');
    assert.ok(etcdArgs(cluster, inputs).includes(check), 'the seed of a 3-member cluster will have peers when it restarts');
    const joining = { ...inputs, member: 'main-1', state: 'existing' as const, initialCluster: [seed, { ...seed, name: 'main-1' }] };
    assert.ok(etcdArgs(one, joining).includes(check), 'a member joining peers (a one-member cluster scaled up) checks');
  });

  it('renders the restore init container only for a restored seed', () => {
    const pod = renderMemberPod(cluster, {
      member: 'main-0',
      version: '3.5.35',
      initialCluster: [{ name: 'main-0', peerURL: memberPeerURL(ref, 'main-0') }],
      state: 'new',
      secretHash: 'abc',
      restore: { hostDir: '/backups/tenants/old', file: 'snap-1.db' },
    });
    golden('restore-seed-pod', pod);
    const [sh, flag, script, arg0, snapshot, ...flags] = pod.spec!.initContainers![0].command!;
    assert.deepEqual([sh, flag, arg0], ['/bin/sh', '-ec', 'restore']);
    assert.match(script, /if \[ -d \/var\/lib\/etcd\/data\/member \]/, 'never restores over existing data');
    assert.match(script, /exec etcdutl snapshot restore "\$@"$/);
    assert.equal(snapshot, '/var/lib/etcd-restore/snap-1.db');
    assert.ok(flags.includes('--name=main-0') && flags.includes('--data-dir=/var/lib/etcd/data'), flags.join(' '));
  });

  it(
    'the restore script is a constant: the snapshot name reaches etcdutl as an argument, and a name the backup reconciler ' +
      'never writes is refused',
    () => {
      const inputs = (file: string) => ({
        member: 'main-0',
        version: '3.5.35',
        initialCluster: [{ name: 'main-0', peerURL: memberPeerURL(ref, 'main-0') }],
        state: 'new' as const,
        secretHash: 'abc',
        restore: { hostDir: '/backups/tenants/old', file },
      });
      const scripts = ['snap-1.db', 'other-backup-0a1b2c3d.db'].map(
        (f) => renderMemberPod(cluster, inputs(f)).spec!.initContainers![0].command![2],
      );
      assert.equal(scripts[0], scripts[1], 'nothing of the backup in the shell text');
      for (const hostile of ['x;reboot;.db', 'a b.db', '$(id).db', '../../etc/passwd', '`id`.db', 'x.db\nrm -rf /']) {
        assert.throws(() => renderMemberPod(cluster, inputs(hostile)), /refusing to restore from snapshot file name/, hostile);
      }
    },
  );

  it('renders Services, claim and Secrets', () => {
    golden('peer-service', renderPeerService(cluster));
    golden('client-service', renderClientService(cluster));
    golden('member-claim', renderMemberClaim(cluster, 'main-1'));
    golden('member-secret', renderMemberSecret(cluster, 'main-1', files));
    golden('ca-secret', renderCASecret(cluster, { certPem: FAKE('CERTIFICATE'), keyPem: FAKE('PRIVATE KEY') }));
  });

  it('is deterministic and hashes Secret contents, not key order', () => {
    const a = renderMemberPod(cluster, { member: 'main-1', version: '3.5.35', initialCluster: [], state: 'existing', secretHash: 'h' });
    const b = renderMemberPod(cluster, { member: 'main-1', version: '3.5.35', initialCluster: [], state: 'existing', secretHash: 'h' });
    assert.deepEqual(a, b);
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    assert.equal(secretHash(files), secretHash(reversed));
    assert.notEqual(secretHash(files), secretHash({ ...files, 'server.crt': FAKE('OTHER') }));
  });

  it('gives every owned object a controller owner reference to the cluster', () => {
    for (const o of [renderPeerService(cluster), renderMemberClaim(cluster, 'main-0'), renderMemberSecret(cluster, 'main-0', files)]) {
      assert.deepEqual(o.metadata!.ownerReferences, [
        {
          apiVersion: 'kokpit.dev/v1alpha1',
          kind: 'EtcdCluster',
          name: 'main',
          uid: cluster.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });
});
