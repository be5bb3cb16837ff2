// A small JSON-over-HTTPS client for the runner. Raw objects on purpose: the informer's watch events are
// plain JSON, and the kubelet-style status patches (strategic merge) and `binding`-free node calls are
// simplest to express as paths and bodies. Credentials come from the kubeconfig via client-node.
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export const isNotFound = (e: unknown) => e instanceof KubeError && e.statusCode === 404;
export const isConflict = (e: unknown) => e instanceof KubeError && e.statusCode === 409;
export const isAlreadyExists = (e: unknown) => e instanceof KubeError && e.statusCode === 409 && e.reason === 'AlreadyExists';

export type ContentType =
  | 'application/json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

export interface RequestOptions {
  body?: unknown;
  contentType?: ContentType;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

export interface WatchHandle {
  done: Promise<void>;
  abort(): void;
}

export class RawKube {
  private constructor(
    readonly kc: KubeConfig,
    private readonly server: URL,
    private readonly tls: https.RequestOptions,
    private readonly agent: https.Agent,
  ) {}

  static async create(kc: KubeConfig): Promise<RawKube> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized });
    return new RawKube(kc, new URL(cluster.server), tls, agent);
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json', ...((this.tls.headers as Record<string, string>) ?? {}) };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, { method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve(parsed as T);
          const reason = parsed?.reason ?? 'Unknown';
          reject(new KubeError(code, reason, `${method} ${url.pathname}: ${code} ${parsed?.message ?? text.slice(0, 200)}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get<T = any>(path: string, query?: RequestOptions['query']) {
    return this.request<T>('GET', path, { query });
  }

  create<T = any>(path: string, body: unknown) {
    return this.request<T>('POST', path, { body });
  }

  put<T = any>(path: string, body: unknown) {
    return this.request<T>('PUT', path, { body });
  }

  patch<T = any>(path: string, body: unknown, contentType: ContentType = 'application/strategic-merge-patch+json') {
    return this.request<T>('PATCH', path, { body, contentType });
  }

  delete<T = any>(path: string, body?: unknown) {
    return this.request<T>('DELETE', path, { body });
  }

  /**
   * Streams a watch (newline-delimited JSON events). `done` settles when the server ends the stream
   * (its timeout) or `abort()` is called, and rejects on connection or HTTP errors.
   */
  watch(path: string, query: RequestOptions['query'], onEvent: (e: WatchEvent) => void): WatchHandle {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries({ ...query, watch: 'true', allowWatchBookmarks: 'true' })) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { Accept: 'application/json', ...((this.tls.headers as Record<string, string>) ?? {}) };
    let req: ReturnType<typeof https.request> | undefined;
    let aborted = false;
    const done = new Promise<void>((resolve, reject) => {
      // Own agent-less connection: a long-lived watch must not hold a keep-alive socket of the pool.
      req = https.request(url, { method: 'GET', headers, ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, rejectUnauthorized: this.tls.rejectUnauthorized, agent: false }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeError(res.statusCode ?? 0, 'Unknown', `watch ${url.pathname}: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`)));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (e) {
              req?.destroy(e instanceof Error ? e : new Error(String(e)));
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (aborted ? resolve() : reject(e)));
      req.end();
    });
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Loads a kubeconfig from a file path, or takes a KubeConfig as is. */
export function loadKubeConfig(kubeconfig: string | KubeConfig): KubeConfig {
  if (kubeconfig instanceof KubeConfig) return kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

