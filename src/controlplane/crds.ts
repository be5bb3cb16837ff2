// Installing kokpit's generated CRDs into a cluster and waiting until the apiserver serves them.
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FIELD_MANAGER, loadKubeConfig, makeClients, toKubeApiError, type LoadKubeConfigOptions } from '../kube';
import { waitFor } from './wait';

/** Every CRD document in the YAML files of `crdDir` (sorted by file name for a stable order). */
export function readCRDs(crdDir: string): V1CustomResourceDefinition[] {
  const files = fs
    .readdirSync(crdDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const crds: V1CustomResourceDefinition[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(crdDir, f), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0].message}`);
      const obj = doc.toJS() as V1CustomResourceDefinition | null;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
    }
  }
  return crds;
}

function condition(crd: V1CustomResourceDefinition, type: string) {
  return crd.status?.conditions?.find((c) => c.type === type);
}

/**
 * Apply every CRD in `crdDir` (server-side apply) and wait until each is Established.
 * Returns the CRD names. A CRD whose names conflict fails with the apiserver's NamesAccepted message.
 */
export async function installCRDs(
  kubeconfig: KubeConfig | LoadKubeConfigOptions,
  crdDir = path.resolve('config/crd'),
  opts: { timeoutMs?: number } = {},
): Promise<string[]> {
  const kc = 'makeApiClient' in kubeconfig ? kubeconfig : loadKubeConfig(kubeconfig);
  const crds = readCRDs(crdDir);
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${crdDir}`);
  return applyCRDs(kc, crds, opts);
}

/** Server-side apply of these CRDs, then wait until each is Established (installCRDs without the files). */
export async function applyCRDs(kc: KubeConfig, crds: V1CustomResourceDefinition[], opts: { timeoutMs?: number } = {}): Promise<string[]> {
  const { apiextensions } = makeClients(kc);
  await Promise.all(crds.map((crd) => applyRawCRD(kc, crd)));
  const names = crds.map((c) => c.metadata!.name!);
  await Promise.all(
    names.map((name) =>
      waitFor(
        `CRD ${name} Established`,
        async (state) => {
          let crd: V1CustomResourceDefinition;
          try {
            crd = await apiextensions.readCustomResourceDefinition({ name });
          } catch (e) {
            throw toKubeApiError(e, `read CRD ${name}`);
          }
          const names = condition(crd, 'NamesAccepted');
          if (names?.status === 'False') throw new Error(`CRD ${name} names not accepted: ${names.message}`);
          if (condition(crd, 'Established')?.status === 'True') return true;
          state.lastReason = `conditions: ${JSON.stringify(crd.status?.conditions ?? [])}`;
          return undefined;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100 },
      ),
    ),
  );
  return names;
}

/**
 * Server-side apply of a CRD as plain JSON. client-node's dynamic client serializes through its typed
 * V1CustomResourceDefinition model, whose property names differ from the wire names for `enum`,
 * `default`, `$ref` and every `x-kubernetes-*` extension: sent through it, a CRD silently loses its enums,
 * CEL rules and list types.
 */
async function applyRawCRD(kc: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
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
