// One HTTPS request to an API server with a kubeconfig's credentials, for what client-node's typed clients do not
// carry: a CRD as plain JSON (./crds.ts), non-resource paths such as `/metrics` (the Fleet dashboard's API rate).
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface RawRequest {
  method?: string;
  /** The path with its query, e.g. `/metrics`. */
  path: string;
  headers?: Record<string, string | number>;
  body?: string;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  text: string;
}

/** Sends `r` to the kubeconfig's current cluster; rejects only when no response came (refused, timeout). */
export async function rawRequest(kc: KubeConfig, r: RawRequest): Promise<RawResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const timeoutMs = r.timeoutMs ?? 30_000;
  const opts: https.RequestOptions = {
    method: r.method ?? 'GET',
    headers: { ...r.headers, ...(r.body !== undefined ? { 'content-length': Buffer.byteLength(r.body) } : {}) },
    agent: false,
    timeout: timeoutMs,
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = https.request(new URL(r.path, server), opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });
}
