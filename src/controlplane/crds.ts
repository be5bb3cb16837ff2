// Installing kokpit's generated CRDs into a cluster and waiting until the apiserver serves them.
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyRawCRD, loadKubeConfig, makeClients, toKubeApiError, type LoadKubeConfigOptions } from '../kube';
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
