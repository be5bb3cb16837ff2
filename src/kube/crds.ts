// Server-side apply of a CustomResourceDefinition as plain JSON, for every layer that installs CRDs (the test
// control plane, the OCM hub and the CRDs OCM's agent needs in each business cluster).
import * as https from 'node:https';
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './objects';

/**
 * Server-side apply of a CRD as plain JSON. client-node's dynamic client serializes through its typed
 * V1CustomResourceDefinition model, whose property names differ from the wire names for `enum`,
 * `default`, `$ref` and every `x-kubernetes-*` extension: sent through it, a CRD silently loses its enums,
 * CEL rules and list types.
 */
export async function applyRawCRD(kc: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const name = crd.metadata!.name!;
  const url = new URL(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, server);
  url.searchParams.set('fieldManager', FIELD_MANAGER);
  url.searchParams.set('force', 'true');
  const body = JSON.stringify(crd);
  const opts: https.RequestOptions = {
    method: 'PATCH',
    headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
    agent: false,
    timeout: 30_000,
  };
  await kc.applyToHTTPSOptions(opts);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
  if (status < 200 || status >= 300) {
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not a Status */
    }
    throw new Error(`apply CustomResourceDefinition ${name}: HTTP ${status}: ${message}`);
  }
}
