// Removing a business cluster's keys from a shared etcd: the one thing owner references can't do.
// Uses etcd's JSON gateway (POST /v3/kv/deleterange) with the cluster's own etcd client certificate.
import * as https from 'node:https';

function post(
  url: string,
  body: unknown,
  tls: { caPem: string; certPem: string; keyPem: string },
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(
      url,
      {
        method: 'POST',
        ca: tls.caPem,
        cert: tls.certPem,
        key: tls.keyPem,
        timeout: timeoutMs,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(`${url}: ${e.code ?? e.message}`)));
    req.end(data);
  });
}

/** The range [`prefix/`, `prefix0`): every key under the directory `prefix`, and nothing of `prefix-other`. */
export function prefixRange(prefix: string): { key: string; range_end: string } {
  const dir = prefix.replace(/\/+$/, '') + '/';
  const end = dir.slice(0, -1) + String.fromCharCode(dir.charCodeAt(dir.length - 1) + 1);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return { key: b64(dir), range_end: b64(end) };
}

/** Deletes every key under `prefix`; tries the servers in order. Returns how many keys were deleted. */
export async function deleteEtcdPrefix(
  servers: string[],
  prefix: string,
  tls: { caPem: string; certPem: string; keyPem: string },
): Promise<number> {
  if (!prefix || prefix === '/' || prefix === '/registry') throw new Error(`refusing to delete etcd prefix "${prefix}"`);
  const errors: string[] = [];
  for (const server of servers) {
    try {
      const r = await post(`${server.replace(/\/$/, '')}/v3/kv/deleterange`, prefixRange(prefix), tls);
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return Number((JSON.parse(r.body) as { deleted?: string }).deleted ?? 0);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new Error(`deleting ${prefix} from etcd failed: ${errors.join('; ')}`);
}
