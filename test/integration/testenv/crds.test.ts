// Every generated CRD is accepted by a real kube-apiserver and becomes Established.
import * as assert from 'node:assert/strict';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { KINDS } from '../../../src/api/kinds';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/testenv';

describe('generated CRDs on a real kube-apiserver', function () {
  let cp: ControlPlane;
  before(async function () {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [testenv] ${l}\n`) });
  });
  after(async () => cp?.stop());

  it('serves /version with the real tag', () => {
    assert.match(cp.version, /^v1\.\d+\.\d+$/);
  });

  it('accepts every CRD and establishes it', async () => {
    const names = await installCRDs(cp.kubeConfig());
    const api = cp.kubeConfig().makeApiClient(ApiextensionsV1Api);
    for (const kind of Object.values(KINDS).filter((k) => k.crd)) {
      const name = `${kind.plural}.kokpit.dev`;
      assert.ok(names.includes(name), `${name} installed`);
      const crd = await api.readCustomResourceDefinition({ name });
      assert.equal(crd.status?.conditions?.find((c) => c.type === 'Established')?.status, 'True', name);
      assert.equal(crd.spec.scope, kind.scope);
    }
  });
});
