// The manager's HTTP endpoints, as controller-runtime serves them: `/metrics` (Prometheus text) on the
// metrics address, `/healthz` and `/readyz` on the probe address (they may be one address). Plain node:http:
// three fixed routes need no framework. Served securely (`--metrics-secure`, kubebuilder's default), `/metrics` is
// HTTPS and answers only a bearer token allowed to `get /metrics` (./metrics-auth.ts).
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { MetricsAuthorizer } from './metrics-auth';

export interface EndpointsOptions {
  /** `host:port` (`:8080` = every interface, port 0 = any free port); undefined = not served. */
  metricsAddress?: string;
  probeAddress?: string;
  metrics: () => Promise<string>;
  /** Serve the metrics address over HTTPS with this certificate, and admit only what `authorize` allows. */
  secureMetrics?: { certPem: string; keyPem: string; authorize: MetricsAuthorizer };
  /** Alive: the process answers. Ready: its caches are synced (or it waits for the lease as a standby). */
  ready: () => boolean;
}

export interface Endpoints {
  /** Where each is served (`http://127.0.0.1:PORT`), once listening. */
  metricsURL?: string;
  probeURL?: string;
  close(): Promise<void>;
}

/** `:8080`, `127.0.0.1:0`, `[::1]:9090` → host and port; "0" alone means off (controller-runtime's convention). */
export function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  if (!m || Number(m[3]) > 65535)
    throw new Error(`bind address ${address} is not host:port (e.g. :8080, 127.0.0.1:0, or 0 to turn it off)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

export async function serveEndpoints(o: EndpointsOptions): Promise<Endpoints> {
  const servers: http.Server[] = [];
  const routes = new Map<string, Set<string>>();
  const add = (address: string | undefined, paths: string[]) => {
    if (!address) return;
    const parsed = parseBindAddress(address);
    if (!parsed) return;
    // One server per address; two "any free port" requests are two servers (two ports).
    const key = parsed.port === 0 ? `${parsed.host}:0#${routes.size}` : `${parsed.host}:${parsed.port}`;
    routes.set(key, new Set([...(routes.get(key) ?? []), ...paths]));
  };
  add(o.metricsAddress, ['/metrics']);
  add(o.probeAddress, ['/healthz', '/readyz']);
  const urls: Record<string, string> = {};
  for (const [key, paths] of routes) {
    const { host, port } = parseBindAddress(key.split('#')[0])!;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void handle(o, paths, req, res);
    const tls = paths.has('/metrics') ? o.secureMetrics : undefined;
    const server = tls ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
    const a = server.address() as AddressInfo;
    const shown = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address.includes(':') ? `[${a.address}]` : a.address;
    for (const p of paths) urls[p] = `${tls ? 'https' : 'http'}://${shown}:${a.port}`;
  }
  return {
    metricsURL: urls['/metrics'],
    probeURL: urls['/healthz'],
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}

async function handle(o: EndpointsOptions, paths: Set<string>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' || !paths.has(path)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (path === '/readyz') {
    const ready = o.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'caches not synced\n');
  } else {
    if (o.secureMetrics) {
      const verdict = await o.secureMetrics.authorize(req.headers.authorization);
      if (!verdict.allowed) {
        res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(`${verdict.reason}\n`);
        return;
      }
    }
    try {
      const text = await o.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
