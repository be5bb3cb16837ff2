// Waiting on signals with deadlines (never fixed sleeps), and the small HTTPS probe used for /readyz.
import * as https from 'node:https';
import * as net from 'node:net';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each attempt; a returned string aborts the wait with that message (e.g. "etcd exited"). */
  abortIf?: () => string | undefined;
}

/**
 * Poll `probe` until it returns a value other than undefined, or throw when the deadline passes.
 * The error carries the last reason the probe gave (a thrown error's message, or `lastReason`).
 */
export async function waitFor<T>(
  what: string,
  probe: (state: { lastReason?: string }) => Promise<T | undefined>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  const state: { lastReason?: string } = {};
  for (;;) {
    const abort = opts.abortIf?.();
    if (abort) throw new Error(`${what}: ${abort}`);
    try {
      const v = await probe(state);
      if (v !== undefined) return v;
    } catch (e) {
      state.lastReason = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${(opts.timeoutMs / 1000).toFixed(0)}s waiting for ${what}` +
          (state.lastReason ? ` (last: ${state.lastReason})` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
  }
}

export interface TlsMaterial {
  caPem: string;
  certPem?: string;
  keyPem?: string;
}

/** GET over HTTPS with client certificate; resolves status and body (at most 64 KiB kept). */
export function httpsGet(url: string, tls: TlsMaterial, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return httpsRequest(url, tls, { timeoutMs });
}

/** An HTTPS request with client certificate; resolves status and body (at most 64 KiB kept). */
export function httpsRequest(
  url: string,
  tls: TlsMaterial,
  opts: { method?: string; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(opts.body);
    }
    const req = https.request(
      url,
      { method: opts.method ?? 'GET', headers, ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, timeout: timeoutMs, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 65536) body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
    req.end(opts.body);
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
