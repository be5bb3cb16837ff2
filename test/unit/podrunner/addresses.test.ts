import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressPool, defaultLockDir, listeningIPv4s } from '../../../src/podrunner/addresses';

describe('podrunner AddressPool', () => {
  let dir: string;
  let locks: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-addr-'));
    locks = path.join(dir, 'locks');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hands out distinct loopback addresses and keeps them per pod', () => {
    const pool = AddressPool.open(path.join(dir, 'a'), locks);
    const a = pool.allocate('default/etcd-0');
    const b = pool.allocate('default/etcd-1');
    assert.match(a, /^127\.0\.0\.\d+$/);
    assert.notEqual(a, b);
    assert.notEqual(a, '127.0.0.1');
    assert.equal(pool.allocate('default/etcd-0'), a);
    pool.release('default/etcd-0');
    const c = pool.allocate('default/web');
    assert.notEqual(c, a, 'a released address stays reserved for its pod while others are free');
    assert.equal(pool.allocate('default/etcd-0'), a);
    pool.close();
  });

  it('the netns network hands out 198.18.<block>.2–249 and ignores what listens on the host', () => {
    const busy = () => new Set(['198.18.0.2']);
    const pool = AddressPool.open(path.join(dir, 'n'), locks, busy, 'netns');
    const ips = Array.from({ length: 248 }, (_, i) => pool.allocate(`ns/p${i}`));
    assert.equal(ips[0], `198.18.${pool.block}.2`, "the host's listeners are not in the namespace");
    assert.equal(ips.at(-1), `198.18.${pool.block}.249`, '.250–.254 are the relay’s, on the bridge');
    assert.throws(() => pool.allocate('ns/one-more'), /pod address block 198\.18\.\d+\.0\/24 is exhausted/);
    pool.close();
    // Switching networks: assignments of the other range are dropped, not handed out.
    const loop = AddressPool.open(path.join(dir, 'n'), locks);
    assert.match(loop.allocate('ns/p0'), /^127\.0\.\d+\.\d+$/);
    loop.close();
  });

  it('persists assignments across a restart', () => {
    fs.mkdirSync(path.join(dir, 'a'));
    const p1 = AddressPool.open(path.join(dir, 'a'), locks);
    const ip = p1.allocate('ns/p');
    p1.close();
    const p2 = AddressPool.open(path.join(dir, 'a'), locks);
    assert.equal(p2.block, p1.block);
    assert.equal(p2.allocate('ns/p'), ip);
    p2.close();
  });

  it('gives concurrent runners different blocks', () => {
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    const p1 = AddressPool.open(path.join(dir, 'a'), locks);
    const p2 = AddressPool.open(path.join(dir, 'b'), locks);
    assert.equal(p1.block, 0);
    assert.equal(p2.block, 1);
    assert.match(p2.allocate('x/y'), /^127\.0\.1\.\d+$/);
    p1.close();
    p2.close();
  });

  it('takes over a block whose holder died', () => {
    fs.mkdirSync(locks, { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(locks, '0'), JSON.stringify({ pid: 2 ** 22 + 12345, owner: '/elsewhere' }));
    const p = AddressPool.open(path.join(dir, 'a'), locks);
    assert.equal(p.block, 0);
    p.close();
  });
  it(
    'the lock directory is private: created 0700 whatever the umask; one another user could write to (or a symlink) is refused, ' +
      'its lock files never read',
    () => {
      fs.mkdirSync(path.join(dir, 'a'));
      const old = process.umask(0);
      try {
        AddressPool.open(path.join(dir, 'a'), locks).close();
      } finally {
        process.umask(old);
      }
      assert.equal(fs.statSync(locks).mode & 0o7777, 0o700);
      // What the runner used to make (0o1777 in intent): anyone may pre-create lock files there.
      const shared = path.join(dir, 'shared');
      fs.mkdirSync(shared);
      fs.chmodSync(shared, 0o1777);
      fs.writeFileSync(path.join(shared, '0'), JSON.stringify({ pid: process.ppid, owner: 'someone else' }));
      assert.throws(() => AddressPool.open(path.join(dir, 'a'), shared), /mode 1777: others may use it/);
      fs.symlinkSync(locks, path.join(dir, 'link'));
      assert.throws(() => AddressPool.open(path.join(dir, 'a'), path.join(dir, 'link')), /not a directory/);
    },
  );

  it('the default lock directory is per user, directly in the tmp dir', () => {
    assert.equal(defaultLockDir(), path.join(os.tmpdir(), `kokpit-loopback-blocks-${process.getuid!()}`));
  });
});

describe('podrunner listening addresses', () => {
  it('parses LISTEN sockets from /proc/net/tcp format', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-tcp-'));
    const file = path.join(dir, 'tcp');
    fs.writeFileSync(
      file,
      [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 0700007F:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
        '   1: 0900007F:094B 0100007F:1234 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
      ].join('\n'),
    );
    try {
      assert.deepEqual([...listeningIPv4s(file)], ['127.0.0.7']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never hands out an address something already listens on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-addr-'));
    try {
      const busy = new Set(['127.0.0.2', '127.0.0.3']);
      const pool = AddressPool.open(path.join(dir, 'a'), path.join(dir, 'locks'), () => busy);
      assert.equal(pool.block, 0);
      assert.equal(pool.allocate('default/a'), '127.0.0.4');
      busy.add('127.0.0.4');
      pool.release('default/a');
      // Its old address is taken by an outsider now: the pod gets another one.
      assert.equal(pool.allocate('default/a'), '127.0.0.5');
      pool.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
