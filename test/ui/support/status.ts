// A kokpit object's status written the way its controller would, for the UI tests whose reconcilers are off or stopped.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

/** Replaces a kokpit.dev/v1alpha1 object's status through the /status subresource. */
export async function setStatus(
  kc: KubeConfig,
  namespace: string,
  plural: string,
  name: string,
  status: Record<string, unknown>,
): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const key = { group: 'kokpit.dev', version: 'v1alpha1', namespace, plural, name };
  const current = (await api.getNamespacedCustomObject(key)) as object;
  await api.replaceNamespacedCustomObjectStatus({ ...key, body: { ...current, status } });
}
