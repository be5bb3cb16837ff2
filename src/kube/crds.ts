// Server-side apply of a CustomResourceDefinition as plain JSON, for every layer that installs CRDs (the test
// control plane, the OCM hub and the CRDs OCM's agent needs in each business cluster).
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './objects';
import { rawRequest } from './raw';

/**
 * Server-side apply of a CRD as plain JSON. client-node's dynamic client serializes through its typed
 * V1CustomResourceDefinition model, whose property names differ from the wire names for `enum`,
 * `default`, `$ref` and every `x-kubernetes-*` extension: sent through it, a CRD silently loses its enums,
 * CEL rules and list types.
 */
export async function applyRawCRD(kc: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata!.name!;
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true' });
  const { status, text } = await rawRequest(kc, {
    method: 'PATCH',
    path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?${query}`,
    headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json' },
    body: JSON.stringify(crd),
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
