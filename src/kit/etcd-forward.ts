// Reaching members from outside the meta cluster's network (kokpit in VS Code on the host): one local
// listener per member on 127.0.0.1, each accepted connection carried to the member's client port by a
// Tunnel, by default the API server's port-forward. TLS runs end to end through it, still verified
// against the member's DNS name (MemberEndpoint.serverName), so the tunnel sees only ciphertext.
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ETCD_CLIENT_PORT, type ClusterRef, memberHost } from '../api/etcd-names';
import { podIPResolver, type MemberEndpoint, type MemberResolver } from './etcd-access';

export interface TunnelTarget {
  namespace: string;
  pod: string;
  podIP?: string;
  port: number;
}

/** Carries one accepted local connection to `target`; closes (or destroys) the socket when it cannot. */
export type Tunnel = (target: TunnelTarget, socket: net.Socket) => Promise<void>;

/** The API server's pod port-forward (what `kubectl port-forward` uses), one stream per connection. */
export function apiServerTunnel(kc: KubeConfig): Tunnel {
  const pf = new PortForward(kc, true);
  return async (t, socket) => {
    // Data can arrive from the API server after the local side has closed: client-node then writes to an
    // ended socket, which emits 'error' (EPIPE) and, with no listener, ends the whole process (seen in the
    // kind end-to-end run while etcd clients came and went). Such an error only means the connection is over.
    socket.on('error', () => socket.destroy());
    // The kubelet reports a refused target (the member's etcd is down, e.g. restarting) on the stream's error
    // channel and sends nothing else: without closing the socket here, the gRPC client's connection attempt
    // hung with "Waiting for LB pick" until the member was declared dead (kind e2e: 122 s, then replaced).
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        // The stream's first frame is only its port number: empty here.
        if (chunk.length) socket.destroy(new Error(`port-forward to ${t.namespace}/${t.pod}:${t.port}: ${chunk.toString().trim()}`));
        done();
      },
    });
    const ws = await pf.portForward(t.namespace, t.pod, [t.port], socket, errors, socket);
    if (ws && typeof ws === 'object' && 'close' in ws) {
      ws.on('error', () => socket.destroy());
      socket.on('close', () => ws.close());
    }
  };
}

/** A plain TCP connection to the pod IP (tests; or a host that routes pod IPs). */
export const directTunnel: Tunnel = async (t, socket) => {
  if (!t.podIP) throw new Error(`pod ${t.namespace}/${t.pod} has no IP`);
  const upstream = net.connect({ host: t.podIP, port: t.port });
  // Either side going away takes the other with it (a destroyed socket emits no 'end' to pipe on).
  upstream.on('error', () => socket.destroy());
  upstream.on('close', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  socket.pipe(upstream).pipe(socket);
};

interface Listener {
  podUID: string;
  server: net.Server;
  port?: number;
  listening: Promise<void>;
  sockets: Set<net.Socket>;
}

/**
 * A MemberResolver that dials members through local forwards. A member's listener is opened by
 * `prepare` (EtcdMembers calls it before each health check, the first call of every pass) and replaced
 * when the member's pod is (a new pod UID).
 */
export class ForwardingResolver implements MemberResolver {
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly tunnel: Tunnel,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async prepare(cluster: ClusterRef, member: string, pod: V1Pod | undefined): Promise<void> {
    await this.listenerFor(cluster, member, pod)?.listening;
  }

  resolve(cluster: ClusterRef, member: string, pod: V1Pod | undefined): MemberEndpoint | undefined {
    const port = this.listenerFor(cluster, member, pod)?.port;
    return port ? { address: `127.0.0.1:${port}`, serverName: memberHost(cluster, member) } : undefined;
  }

  private listenerFor(cluster: ClusterRef, member: string, pod: V1Pod | undefined): Listener | undefined {
    const uid = pod?.metadata?.uid;
    if (!pod || !uid || pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running') return undefined;
    const key = `${cluster.namespace}/${member}`;
    const l = this.listeners.get(key);
    if (l?.podUID === uid) return l;
    if (l) this.closeListener(key, l);
    return this.open(key, uid, { namespace: cluster.namespace, pod: member, podIP: pod.status?.podIP, port: ETCD_CLIENT_PORT });
  }

  /** Local ports by `namespace/member` (for messages and tests). */
  ports(): Map<string, number | undefined> {
    return new Map([...this.listeners].map(([k, l]) => [k, l.port]));
  }

  close(): void {
    for (const [k, l] of this.listeners) this.closeListener(k, l);
  }

  private open(key: string, podUID: string, target: TunnelTarget): Listener {
    const server = net.createServer();
    const l: Listener = {
      podUID,
      server,
      sockets: new Set(),
      // Loopback only: the forward carries client-certificate TLS, but nothing else should reach it.
      listening: new Promise<void>((resolve) => {
        server.once('error', () => resolve());
        server.listen(0, '127.0.0.1', () => {
          l.port = (server.address() as net.AddressInfo).port;
          resolve();
        });
      }),
    };
    l.server.on('connection', (socket) => {
      l.sockets.add(socket);
      socket.on('close', () => l.sockets.delete(socket));
      this.tunnel(target, socket).catch((e) => {
        this.log(`forward to ${key}: ${e instanceof Error ? e.message : String(e)}`);
        socket.destroy();
      });
    });
    l.server.on('error', (e) => {
      this.log(`forward listener for ${key}: ${e.message}`);
      this.closeListener(key, l);
    });
    this.listeners.set(key, l);
    return l;
  }

  private closeListener(key: string, l: Listener): void {
    if (this.listeners.get(key) === l) this.listeners.delete(key);
    for (const s of l.sockets) s.destroy();
    l.server.close();
  }
}

/**
 * The resolver an operator dials members through: the one it was given, else port-forwards (`access:
 * 'port-forward'`, a host outside the cluster network) or pod IPs. `close` ends the forwards it opened.
 */
export function memberResolverFor(
  kc: KubeConfig,
  o: { resolver?: MemberResolver; access?: 'pod-ip' | 'port-forward' },
  log: (line: string) => void,
): { resolver: MemberResolver; close(): void } {
  if (o.resolver) return { resolver: o.resolver, close: () => {} };
  if (o.access !== 'port-forward') return { resolver: podIPResolver, close: () => {} };
  const forwards = new ForwardingResolver(apiServerTunnel(kc), log);
  return { resolver: forwards, close: () => forwards.close() };
}
