// The shared header of the addon definitions kokpit ships: only name and spec differ between them.
import { API_VERSION } from '../../api/common';
import type { Addon } from '../../api/kinds';

export const shippedAddon = (name: string, spec: Addon['spec']): Addon => ({
  apiVersion: API_VERSION,
  kind: 'Addon',
  metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kokpit' } },
  spec,
});
