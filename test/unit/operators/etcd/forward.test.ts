// The forwarding member resolver: one loopback listener per member pod, bytes carried by the tunnel,
// replaced with the pod, closed on close. A local TCP echo server stands in for the member's port.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { ForwardingResolver, type Tunnel, directTunnel } from '../../../../src/operators/etcd/forward';

const cluster = { name: 'e', namespace: 'ns' };
const pod = (uid: string, phase = 'Running'): V1Pod => ({ metadata: { name: 'e-0', uid }, status: { phase, podIP: '127.0.0.1' } });

async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function roundTrip(address: string, text: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port: Number(port) }, () => s.write(text));
    s.on('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('etcd member access through local forwards', () => {
  it('opens one loopback listener per member pod, carries bytes through the tunnel, and names the member for TLS', async () => {
    const echo = await echoServer();
    const targets: string[] = [];
    // The member's client port is 2379; the tunnel under test sends it to the echo server instead.
    const tunnel: Tunnel = (t, socket) => {
      targets.push(`${t.namespace}/${t.pod}:${t.port}`);
      return directTunnel({ ...t, port: echo.port }, socket);
    };
    const r = new ForwardingResolver(tunnel);
    try {
      assert.equal(r.resolve(cluster, 'e-0', pod('u1', 'Pending')), undefined, 'no forward to a pod that does not run');
      assert.equal(r.resolve(cluster, 'e-0', undefined), undefined);
      await r.prepare(cluster, 'e-0', pod('u1'));
      const ep = r.resolve(cluster, 'e-0', pod('u1'))!;
      assert.match(ep.address, /^127\.0\.0\.1:\d+$/);
      assert.equal(ep.serverName, 'e-0.e-peers.ns.svc');
      assert.equal(await roundTrip(ep.address, 'hello'), 'hello');
      assert.deepEqual(targets, ['ns/e-0:2379']);
      assert.equal(r.resolve(cluster, 'e-0', pod('u1'))!.address, ep.address, 'the same listener while the pod stays');

      // A new pod (new UID) gets a new listener; the old port is closed.
      await r.prepare(cluster, 'e-0', pod('u2'));
      const ep2 = r.resolve(cluster, 'e-0', pod('u2'))!;
      assert.notEqual(ep2.address, ep.address);
      await assert.rejects(roundTrip(ep.address, 'x'), /ECONNREFUSED/);
      assert.equal(await roundTrip(ep2.address, 'again'), 'again');
      r.close();
      await assert.rejects(roundTrip(ep2.address, 'x'), /ECONNREFUSED/);
      assert.equal(r.ports().size, 0);
    } finally {
      r.close();
      await echo.close();
    }
  });

  it('a tunnel that fails closes the local connection and says why', async () => {
    const lines: string[] = [];
    const r = new ForwardingResolver(
      async () => {
        throw new Error('pods "e-0" is forbidden');
      },
      (l) => lines.push(l),
    );
    try {
      await r.prepare(cluster, 'e-0', pod('u1'));
      const ep = r.resolve(cluster, 'e-0', pod('u1'))!;
      const [host, port] = ep.address.split(':');
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ host, port: Number(port) });
        s.on('close', () => resolve());
        s.on('error', () => {});
        setTimeout(() => reject(new Error('connection not closed')), 5000).unref();
      });
      assert.deepEqual(lines, ['forward to ns/e-0: pods "e-0" is forbidden']);
    } finally {
      r.close();
    }
  });
});
