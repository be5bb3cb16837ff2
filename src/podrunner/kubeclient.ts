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
