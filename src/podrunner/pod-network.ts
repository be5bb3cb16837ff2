// The `netns` pod network: pods get addresses Kubernetes accepts (198.18.<block>.2–253, RFC 2544's benchmarking
// range, which no real network routes) instead of 127.x loopback addresses, which the endpoint controllers reject
// ("may not be in the loopback range"). So Services get endpoints, and the API server reaches webhooks and
// aggregated APIs behind them (with --enable-aggregator-routing: it dials the endpoints, there is no kube-proxy).
//
// How: one network namespace per runner, created here and held by a `sleep` child of the runner (PR_SET_PDEATHSIG:
// it dies with the runner, and the namespace and its veth with the last process in it, so a SIGKILLed runner leaks
// nothing). A veth pair joins it to the host: `kokpit<block>` (198.18.<block>.1/24) on the host side, `eth0`
// (198.18.<block>.254/24, and each pod's address as a /32) inside. Host processes (the API server, the operators,
// the NodePort proxy, probes) reach pod IPs over it; the namespace has no default route, so nothing a pod sends
// can leave the machine. Inside, pods see their own loopback, so what they reach on the host's loopback (the
// meta API server, a node port) goes through a relay: a process in the namespace listens on the same address and
// port there and hands each connection over a Unix socket (sockets in the file system cross network namespaces)
// to the runner, which connects to the address on the host. Pods keep using the same URLs and certificates.
//
// Written by hand: no library creates network namespaces, and `ip`/`nsenter` (iproute2, util-linux) are the
// maintained tools for it; the relay is 20 lines of `net`. Needs root (CAP_NET_ADMIN). The `loopback` network
// (addresses.ts) stays the default and needs no privileges.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type PodNetworkMode = 'loopback' | 'netns';

/** The pod address range of a block in the netns network. */
export const netnsPrefix = (block: number) => `198.18.${block}.`;
/** Pod IPs of the netns network (any block). */
export const isNetnsPodIP = (ip: string | undefined) => !!ip && /^198\.18\.\d{1,3}\.\d{1,3}$/.test(ip);

export interface NetnsPodNetwork {
  /** Path to enter with `nsenter --net=`. */
  readonly netnsPath: string;
  /** The host side's interface. */
  readonly hostInterface: string;
  /** Puts a pod's address on the namespace's interface (idempotent). */
  addAddress(ip: string): void;
  /** The relay listens on host:port inside the namespace and connects to it on the host (idempotent); resolves once it listens. */
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

// The relay inside the namespace: reads "host port" lines on stdin, listens there, and pipes each connection to
// <dir>/<host>_<port>.sock. Prints "listening host port" (or "failed …") per line, for the runner to wait on.
const RELAY_JS = `
const net = require('node:net'), path = require('node:path'), dir = process.argv[1];
let buf = '';
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [host, port] = buf.slice(0, i).trim().split(' '); buf = buf.slice(i + 1);
    const server = net.createServer((c) => {
      const u = net.connect(path.join(dir, host + '_' + port + '.sock'));
      c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
    });
    server.on('error', (e) => console.log('failed ' + host + ' ' + port + ' ' + e.message));
    server.listen(Number(port), host, () => console.log('listening ' + host + ' ' + port));
  }
});
process.stdin.on('end', () => process.exit(0));
`;

const HAS_SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => fs.existsSync(p));
const dieWithUs = (file: string, args: string[]): [string, string[]] =>
  HAS_SETPRIV ? ['setpriv', ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args];

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`pod network: ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Why the netns network cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (process.getuid?.() !== 0) return 'it needs root (CAP_NET_ADMIN) to create a network namespace and a veth pair';
  for (const tool of ['ip', 'nsenter', 'unshare']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error) return `\`${tool}\` is not installed (${tool === 'ip' ? 'iproute2' : 'util-linux'})`;
  }
  return undefined;
}

/* eslint-disable-next-line max-lines-per-function -- the namespace, its veth and its relay are made in order and undone together */
export async function openNetnsPodNetwork(opts: { block: number; log: (line: string) => void }): Promise<NetnsPodNetwork> {
  const why = netnsUnavailable();
  if (why) throw new Error(`the netns pod network is not available: ${why}; use the loopback pod network`);
  const prefix = netnsPrefix(opts.block);
  const hostInterface = `kokpit${opts.block}`;
  // A namespace left by a runner whose pods outlived it would still hold this interface: take it over.
  spawnSync('ip', ['link', 'del', hostInterface], { encoding: 'utf8' });
  const routes = JSON.parse(run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'])) as Array<{ dst: string; dev?: string }>;
  const taken = overlappingRoutes(routes, `${prefix}0/24`, hostInterface);
  if (taken.length) throw new Error(`the netns pod network's range ${prefix}0/24 is routed on this machine already (${taken.join(', ')})`);

  const children: ChildProcess[] = [];
  let socketDir: string | undefined;
  const servers: net.Server[] = [];
  const kill = () => children.forEach((c) => c.kill('SIGKILL'));
  try {
    const [hf, ha] = dieWithUs('unshare', ['--net', '--', 'sleep', 'infinity']);
    const holder = spawn(hf, ha, { stdio: 'ignore' });
    children.push(holder);
    holder.on('error', () => {});
    const netnsPath = `/proc/${holder.pid}/ns/net`;
    const own = fs.readlinkSync('/proc/self/ns/net');
    // setpriv and unshare exec in place: the pid is the sleep's once unshare has run.
    await until('no network namespace', () => {
      try {
        return fs.readlinkSync(netnsPath) !== own ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const inNs = (...args: string[]) => run('nsenter', [`--net=${netnsPath}`, '--', ...args]);
    run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(holder.pid)]);
    run('ip', ['addr', 'add', `${prefix}1/24`, 'dev', hostInterface]);
    run('ip', ['link', 'set', hostInterface, 'up']);
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs('ip', 'link', 'set', 'eth0', 'up');
    inNs('ip', 'addr', 'add', `${prefix}254/24`, 'dev', 'eth0');
    // Before any pod IP is dialled: the host must send the range into the namespace, never to its default route.
    const via = run('ip', ['-4', 'route', 'get', `${prefix}2`]);
    if (!new RegExp(`\\bdev ${hostInterface}\\b`).test(via)) throw new Error(`${prefix}2 is not routed to ${hostInterface}: ${via.trim()}`);

    // Short (a Unix socket's path has 108 bytes) and private: only the runner and the relay connect.
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-relay-'));
    const sockets = socketDir;
    const [rf, ra] = dieWithUs('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '-e', RELAY_JS, sockets]);
    const relay = spawn(rf, ra, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(relay);
    relay.on('error', () => {});
    let relayOut = '';
    relay.stdout!.on('data', (d: Buffer) => (relayOut += d.toString()));
    relay.stderr!.on('data', (d: Buffer) => (relayOut += d.toString()));
    const relayed = new Set<string>();
    let closing = false;
    opts.log(`pod network: namespace ${netnsPath}, ${hostInterface} ${prefix}1/24 ↔ eth0, pods ${prefix}2–253`);
    relay.on('exit', (code, signal) => {
      if (!closing) opts.log(`pod network: the relay exited (${signal ?? code}): ${relayOut.trim()}`);
    });
    return {
      netnsPath,
      hostInterface,
      addAddress(ip) {
        const r = spawnSync('nsenter', [`--net=${netnsPath}`, '--', 'ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0'], { encoding: 'utf8' });
        if (r.status !== 0 && !/File exists/.test(r.stderr)) throw new Error(`pod network: adding ${ip}: ${r.stderr.trim()}`);
      },
      async relay(host, port) {
        const key = `${host}_${port}`;
        if (!relayed.has(key)) {
          relayed.add(key);
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
          relay.stdin!.write(`${host} ${port}\n`);
        }
        const failed = new RegExp(`^failed ${host} ${port} (.*)$`, 'm');
        await until(`the relay does not listen on ${host}:${port} (${relayOut.trim() || 'no output'})`, () => {
          const f = failed.exec(relayOut);
          if (f) throw new Error(`pod network: the relay cannot listen on ${host}:${port} in the namespace: ${f[1]}`);
          return relayOut.includes(`listening ${host} ${port}\n`) ? true : undefined;
        });
      },
      async close() {
        closing = true;
        relay.stdin!.end();
        kill();
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
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
