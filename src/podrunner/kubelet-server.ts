// The pod runner's kubelet endpoint: what kube-apiserver calls for pods/log (`kubectl logs`, the editor's Show Logs).
// GET /containerLogs/{namespace}/{pod}/{container}?follow&previous&tailLines&sinceSeconds&sinceTime&timestamps&limitBytes
// over HTTPS on the node's address, advertised as the Node's daemonEndpoints.kubeletEndpoint.Port. The serving
// certificate is signed by the CA the apiserver's --kubelet-certificate-authority names; a caller must present a client
// certificate from the cluster CA (else 401) whose user is the apiserver's kubelet client (else 403, as the kubelet's
// authorizer answers). Hand-written on node:https: no library serves the kubelet's API (it lives inside the kubelet's
// Go code), and this is one GET; exec, attach and port-forward are not served (404).
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { writeLog, type ContainerLogRun, type LogQuery } from './container-logs';

/** What a kubelet (the pod runner) needs to serve the apiserver: a serving certificate it trusts, and who may call. */
export interface KubeletServingTLS {
  /** The CA that signs client certificates (the apiserver's included). */
  clientCaPem: string;
  /** Users (client certificate CNs) allowed to read logs: the apiserver's kubelet client. */
  allowedUsers: string[];
  /** A serving certificate for a node's name and address, signed by the CA the apiserver's --kubelet-certificate-authority names. */
  issueServing(nodeName: string, ip: string): Promise<{ certPem: string; keyPem: string }>;
}

/** A container's log run, or why there is none (HTTP status and the kubelet's words). */
export type LogLookup = (
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
) => ContainerLogRun | { status: number; message: string };

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

class BadQuery extends Error {}

/** Go's strconv.ParseBool, which the kubelet's query decoding uses. */
function bool(v: string | null, name: string): boolean {
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new BadQuery(`${name}: invalid boolean ${JSON.stringify(v)}`);
}

function int(v: string | null, name: string, min: number): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw new BadQuery(`${name}: invalid integer ${JSON.stringify(v)}`);
  if (n < min) throw new BadQuery(`${name}: must be ${min === 0 ? 'greater than or equal to 0' : 'greater than 0'}`);
  return n;
}

/** The query of a containerLogs request (PodLogOptions as the apiserver sends them). */
export function parseLogQuery(params: URLSearchParams, now = Date.now()): LogQuery & { previous: boolean } {
  const sinceSeconds = int(params.get('sinceSeconds'), 'sinceSeconds', 1);
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw new BadQuery('at most one of sinceTime or sinceSeconds may be specified');
  let sinceMs = sinceSeconds !== undefined ? now - sinceSeconds * 1000 : undefined;
  if (sinceTime) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs)) throw new BadQuery(`sinceTime: invalid time ${JSON.stringify(sinceTime)}`);
  }
  return {
    follow: bool(params.get('follow'), 'follow'),
    previous: bool(params.get('previous'), 'previous'),
    timestamps: bool(params.get('timestamps'), 'timestamps'),
    tailLines: int(params.get('tailLines'), 'tailLines', 0),
    limitBytes: int(params.get('limitBytes'), 'limitBytes', 1),
    sinceMs,
  };
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** Authenticates the client certificate and authorizes its user; false when it answered 401/403. */
function admitted(req: IncomingMessage, res: ServerResponse, allowed: string[], verb: string): boolean {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) {
    fail(res, 401, 'Unauthorized');
    return false;
  }
  const user = String(socket.getPeerCertificate().subject?.CN ?? '');
  if (!allowed.includes(user)) {
    fail(res, 403, `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource=proxy)`);
    return false;
  }
  return true;
}

async function serve(req: IncomingMessage, res: ServerResponse, allowed: string[], lookup: LogLookup): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  if (!admitted(req, res, allowed, req.method === 'GET' ? 'get' : String(req.method).toLowerCase())) return;
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return fail(res, 404, '404 page not found');
  if (req.method !== 'GET') return fail(res, 405, 'Method Not Allowed');
  const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
  let q: ReturnType<typeof parseLogQuery>;
  try {
    q = parseLogQuery(url.searchParams);
  } catch (e) {
    if (e instanceof BadQuery) return fail(res, 400, e.message);
    throw e;
  }
  const run = lookup(namespace, pod, container, q.previous);
  if ('status' in run) return fail(res, run.status, run.message);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
  let closed = false;
  res.on('close', () => (closed = true));
  await writeLog(run, q, res, () => closed);
  res.end();
}

/** Starts the endpoint on `host` (a free port); the caller advertises the port on its Node. */
export async function startKubeletServer(o: {
  host: string;
  nodeName: string;
  tls: KubeletServingTLS;
  lookup: LogLookup;
  log: (msg: string) => void;
}): Promise<KubeletServer> {
  const serving = await o.tls.issueServing(o.nodeName, o.host);
  const server = https.createServer(
    // The handshake admits any client (and none): an unauthenticated request then gets 401 in HTTP, as from the kubelet.
    { cert: serving.certPem, key: serving.keyPem, ca: o.tls.clientCaPem, requestCert: true, rejectUnauthorized: false },
    (req, res) =>
      void serve(req, res, o.tls.allowedUsers, o.lookup).catch((e: Error) => {
        o.log(`kubelet endpoint: ${req.url}: ${e.message}`);
        if (!res.headersSent) fail(res, 500, e.message);
        else res.destroy(e);
      }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log(`kubelet endpoint (container logs) on https://${o.host}:${port}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // followers hold their streams open
      }),
  };
}
