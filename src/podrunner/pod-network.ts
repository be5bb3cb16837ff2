// The `netns` pod network: pods get addresses Kubernetes accepts (198.18.<block>.2–249, RFC 2544's benchmarking
// range, which no real network routes) instead of 127.x loopback addresses, which the endpoint controllers reject
// ("may not be in the loopback range"). So Services get endpoints, and the API server reaches webhooks and
// aggregated APIs behind them (with --enable-aggregator-routing: it dials the endpoints, there is no kube-proxy).
//
// How, as a CNI bridge plugin lays it out: every pod gets a network namespace of its own (its own ports, as in
// Kubernetes), joined by a veth pair to a bridge `br0` in the runner's own namespace; that namespace is joined to the
// host by another veth, `kokpit<block>` (198.18.<block>.1/24) on the host side, in the bridge too. So the host and
// every pod share one segment, 198.18.<block>.0/24: host processes (the API server, the operators, the NodePort proxy,
// probes) reach pod IPs, and pods each other, with no routing or forwarding; there is no default route anywhere in
// it, so nothing a pod sends can leave the machine. Each namespace is held by a `sleep` child of the runner with a
// parent-death signal, so a SIGKILLed runner leaks nothing: a namespace goes with its last process, a veth with it.
// A pod's own loopback is its own, so what it reaches on the host's loopback (the meta API server, a node port) goes
// through a relay: one process in the bridge namespace listens on the bridge's addresses (198.18.<block>.254 for the
// first host address relayed, .253 for the next, down to .250) and hands
// each connection over a Unix socket (sockets in the file system cross network namespaces) to the runner, which
// connects to the address on the host; in each pod namespace a DNAT rule sends that host address and port to the
// relay (route_localnet, and SNAT to the pod's address for the way back). Pods keep using the same URLs and
// certificates.
//
// Written by hand: no library creates network namespaces, and `ip`, `nsenter` and `iptables` are the maintained
// tools for it; the relay is 20 lines of `net`. Needs root (CAP_NET_ADMIN). The `loopback` network (addresses.ts)
// stays the default without root and needs no privileges.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '../controlplane/wait';

export type PodNetworkMode = 'loopback' | 'netns';

/** The pod address range of a block in the netns network. */
export const netnsPrefix = (block: number) => `198.18.${block}.`;
/** How many host addresses the relay can stand in for: 198.18.<block>.250–254, above the pods' range (addresses.ts). */
export const RELAY_ADDRESSES = 5;
/** Pod IPs of the netns network (any block): .2–.249; .1 is the host's, .250–.254 the relay's. */
export const isNetnsPodIP = (ip: string | undefined) => !!ip && /^198\.18\.\d{1,3}\.\d{1,3}$/.test(ip);

export interface NetnsPodNetwork {
  /** The bridge namespace (the runner's own). */
  readonly netnsPath: string;
  /** The host side's interface. */
  readonly hostInterface: string;
  /** A namespace of the pod's own, `ip` on the bridge and the relayed addresses routed to the relay; resolves with its path. */
  addPod(key: string, ip: string): Promise<string>;
  /** The pod is gone: its namespace goes with its last process. */
  removePod(key: string): void;
  /** `host:port` on the host, reached from every pod at the same address through the relay (idempotent); resolves once it listens. */
  relay(host: string, port: number): Promise<void>;
  close(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Routes of the host that cover any part of `cidr` (besides the default route): the range is someone's network then. */
export function overlappingRoutes(routes: Array<{ dst: string; dev?: string }>, cidr: string, ownDevice: string): string[] {
  const [base, bits] = cidr.split('/');
  const lo = toInt(base);
  const hi = lo + 2 ** (32 - Number(bits)) - 1;
  return routes
    .filter((r) => r.dst !== 'default' && r.dev !== ownDevice)
    .filter((r) => {
      const [b, n] = r.dst.split('/');
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(b)) return false;
      const rlo = toInt(b);
      const rhi = rlo + 2 ** (32 - Number(n ?? 32)) - 1;
      return rlo <= hi && lo <= rhi;
    })
    .map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
}

// The relay in the bridge namespace: reads "host port address" lines on stdin, listens on that bridge address and
// port, and pipes each connection to <dir>/<host>_<port>.sock. Prints "listening host port" (or "failed …") per line, for
// the runner to wait on.
const RELAY_JS = `
const net = require('node:net'), path = require('node:path'), dir = process.argv[1];
let buf = '';
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [host, port, listenOn] = buf.slice(0, i).trim().split(' '); buf = buf.slice(i + 1);
    const server = net.createServer((c) => {
      const u = net.connect(path.join(dir, host + '_' + port + '.sock'));
      c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
    });
    server.on('error', (e) => console.log('failed ' + host + ' ' + port + ' ' + e.message));
    server.listen(Number(port), listenOn, () => console.log('listening ' + host + ' ' + port));
  }
});
process.stdin.on('end', () => process.exit(0));
`;

const HAS_SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => fs.existsSync(p));
const dieWithUs = (file: string, args: string[]): [string, string[]] =>
  HAS_SETPRIV ? ['setpriv', ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args];

/** How long a namespace or a relay listener may take to appear (they take milliseconds), checked every 20 ms. */
const SETUP_WAIT = { timeoutMs: 5000, intervalMs: 20 };

/** Why the netns network cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (process.getuid?.() !== 0) return 'it needs root (CAP_NET_ADMIN) to create network namespaces and veth pairs';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
    ['unshare', 'util-linux'],
    ['iptables', 'iptables'],
  ]) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error) return `\`${tool}\` is not installed (${pkg})`;
  }
  return undefined;
}

/** A new network namespace, held by a `sleep` that dies with this process; resolves once it is there. */
async function holdNamespace(children: Set<ChildProcess>): Promise<{ proc: ChildProcess; path: string }> {
  const [hf, ha] = dieWithUs('unshare', ['--net', '--', 'sleep', 'infinity']);
  const proc = spawn(hf, ha, { stdio: 'ignore' });
  children.add(proc);
  proc.on('error', () => {});
  proc.on('exit', () => children.delete(proc));
  const path = `/proc/${proc.pid}/ns/net`;
  const own = fs.readlinkSync('/proc/self/ns/net');
  // setpriv and unshare exec in place: the pid is the sleep's once unshare has run.
  await waitFor('the pod network namespace', async () => (fs.readlinkSync(path) !== own ? true : undefined), SETUP_WAIT);
  return { proc, path };
}

/** Commands run in a namespace with one `nsenter` and a shell (each stops the script when it fails). */
const inNamespace = (nsPath: string, script: string[]) => run('nsenter', [`--net=${nsPath}`, '--', '/bin/sh', '-ec', script.join('\n')]);

/* eslint-disable-next-line max-lines-per-function -- the namespaces, veths and the relay are made in order and undone together */
export async function openNetnsPodNetwork(opts: { block: number; log: (line: string) => void }): Promise<NetnsPodNetwork> {
  const why = netnsUnavailable();
  if (why) throw new Error(`the netns pod network is not available: ${why}; use the loopback pod network`);
  const prefix = netnsPrefix(opts.block);
  const bridgeIP = `${prefix}254`;
  const hostInterface = `kokpit${opts.block}`;
  // A namespace left by a runner whose pods outlived it would still hold this interface: take it over.
  spawnSync('ip', ['link', 'del', hostInterface], { encoding: 'utf8' });
  const routes = JSON.parse(run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'])) as Array<{ dst: string; dev?: string }>;
  const taken = overlappingRoutes(routes, `${prefix}0/24`, hostInterface);
  if (taken.length) throw new Error(`the netns pod network's range ${prefix}0/24 is routed on this machine already (${taken.join(', ')})`);

  const children = new Set<ChildProcess>();
  let socketDir: string | undefined;
  const servers: net.Server[] = [];
  const kill = () => children.forEach((c) => c.kill('SIGKILL'));
  try {
    const bridge = await holdNamespace(children);
    run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', String(bridge.proc.pid)]);
    run('ip', ['addr', 'add', `${prefix}1/24`, 'dev', hostInterface]);
    run('ip', ['link', 'set', hostInterface, 'up']);
    inNamespace(bridge.path, [
      'ip link set lo up',
      'ip link add br0 type bridge',
      'ip link set uplink master br0',
      'ip link set uplink up',
      `ip addr add ${bridgeIP}/24 dev br0`,
      'ip link set br0 up',
    ]);
    // Before any pod IP is dialled: the host must send the range into the bridge, never to its default route.
    const via = run('ip', ['-4', 'route', 'get', `${prefix}2`]);
    if (!new RegExp(`\\bdev ${hostInterface}\\b`).test(via)) throw new Error(`${prefix}2 is not routed to ${hostInterface}: ${via.trim()}`);

    // Short (a Unix socket's path has 108 bytes) and private: only the runner and the relay connect.
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-relay-'));
    const sockets = socketDir;
    const [rf, ra] = dieWithUs('nsenter', [`--net=${bridge.path}`, '--', process.execPath, '-e', RELAY_JS, sockets]);
    const relay = spawn(rf, ra, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(relay);
    relay.on('error', () => {});
    let relayOut = '';
    relay.stdout!.on('data', (d: Buffer) => (relayOut += d.toString()));
    relay.stderr!.on('data', (d: Buffer) => (relayOut += d.toString()));
    const relayed = new Map<string, { host: string; port: number }>();
    const pods = new Map<string, { proc: ChildProcess; path: string }>();
    let closing = false;
    let vethSeq = 0;
    relay.on('exit', (code, signal) => {
      if (!closing) opts.log(`pod network: the relay exited (${signal ?? code}): ${relayOut.trim()}`);
    });
    // The relay's address for each host address (127.0.0.1, the node's 127.0.<block>.1, …): the bridge's own (.254),
    // then .253 and down, so the same port on two of them maps to two listeners. The pod range ends below (addresses.ts).
    const listenIPs = new Map<string, string>();
    const listenOf = (host: string) => {
      let ip = listenIPs.get(host);
      if (!ip) {
        if (listenIPs.size >= RELAY_ADDRESSES)
          throw new Error(
            `pod network: at most ${RELAY_ADDRESSES} host addresses are relayed (${[...listenIPs.keys()].join(', ')}), not ${host}`,
          );
        ip = `${prefix}${254 - listenIPs.size}`;
        if (ip !== bridgeIP) inNamespace(bridge.path, [`ip addr add ${ip}/24 dev br0`]);
        listenIPs.set(host, ip);
      }
      return ip;
    };
    // Output to a relayed host address goes to the relay; from the pod's address, so the answer finds its way back.
    const dnat = (r: { host: string; port: number }) =>
      `iptables -t nat -A OUTPUT -d ${r.host}/32 -p tcp --dport ${r.port} -j DNAT --to-destination ${listenOf(r.host)}:${r.port}`;
    opts.log(
      `pod network: bridge ${bridge.path}, ${hostInterface} ${prefix}1/24 ↔ br0 ${bridgeIP}, pods ${prefix}2–249 each in its own namespace`,
    );
    return {
      netnsPath: bridge.path,
      hostInterface,
      async addPod(key, ip) {
        const existing = pods.get(key);
        if (existing) return existing.path;
        const pod = await holdNamespace(children);
        try {
          const veth = `kp${opts.block}x${++vethSeq}`;
          inNamespace(bridge.path, [
            `ip link add ${veth} type veth peer name eth0 netns ${pod.proc.pid}`,
            `ip link set ${veth} master br0 up`,
          ]);
          inNamespace(pod.path, [
            'ip link set lo up',
            'ip link set eth0 up',
            `ip addr add ${ip}/24 dev eth0`,
            'echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet',
            `iptables -t nat -A POSTROUTING -s 127.0.0.0/8 -o eth0 -j SNAT --to-source ${ip}`,
            ...[...relayed.values()].map(dnat),
          ]);
        } catch (e) {
          pod.proc.kill('SIGKILL');
          throw e;
        }
        pods.set(key, pod);
        return pod.path;
      },
      removePod(key) {
        pods.get(key)?.proc.kill('SIGKILL');
        pods.delete(key);
      },
      async relay(host, port) {
        const key = `${host}_${port}`;
        if (!relayed.has(key)) {
          relayed.set(key, { host, port });
          const sock = path.join(sockets, `${key}.sock`);
          fs.rmSync(sock, { force: true });
          const server = net.createServer((c) => {
            const u = net.connect(port, host);
            c.pipe(u).pipe(c);
            c.on('error', () => u.destroy());
            u.on('error', () => c.destroy());
          });
          await new Promise<void>((resolve, reject) => server.once('error', reject).listen(sock, resolve));
          servers.push(server);
          relay.stdin!.write(`${host} ${port} ${listenOf(host)}\n`);
          for (const [podKey, pod] of pods)
            try {
              inNamespace(pod.path, [dnat({ host, port })]);
            } catch (e) {
              opts.log(`pod network: relaying ${host}:${port} for pod ${podKey}: ${(e as Error).message}`);
            }
        }
        const failed = new RegExp(`^failed ${host} ${port} (.*)$`, 'm');
        await waitFor(
          `the pod network's relay to listen for ${host}:${port}`,
          async (st) => {
            st.lastReason = relayOut.trim() || 'no output';
            return relayOut.includes(`listening ${host} ${port}\n`) ? true : undefined;
          },
          {
            ...SETUP_WAIT,
            abortIf: () => {
              const f = failed.exec(relayOut);
              return f ? `the relay cannot listen on ${listenOf(host)}:${port}: ${f[1]}` : undefined;
            },
          },
        );
      },
      async close() {
        closing = true;
        relay.stdin!.end();
        kill();
        await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
        spawnSync('ip', ['link', 'del', hostInterface], { encoding: 'utf8' });
        fs.rmSync(sockets, { recursive: true, force: true });
        if (/failed/.test(relayOut)) opts.log(`pod network relay: ${relayOut.trim()}`);
      },
    };
  } catch (e) {
    kill();
    spawnSync('ip', ['link', 'del', hostInterface], { encoding: 'utf8' });
    if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
    throw e;
  }
}
