// Every generated CRD is accepted by a real kube-apiserver and becomes Established.
import * as assert from 'node:assert/strict';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { KINDS } from '../../../src/api/kinds';
import { httpsRequest, installCRDs, readCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';

describe('generated CRDs on a real kube-apiserver', function () {
  let cp: ControlPlane;
  before(async function () {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
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

  it('serves each schema exactly as generated (enums, defaults, CEL rules and list types intact)', async () => {
    // Read raw: client-node's typed model renames enum/default/x-kubernetes-* and would hide a loss.
    for (const crd of readCRDs('config/crd')) {
      const r = await httpsRequest(
        `${cp.server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata!.name}`,
        cp.adminTLS,
      );
      assert.equal(r.status, 200, r.body);
      const served = JSON.parse(r.body) as typeof crd;
      for (const v of crd.spec.versions) {
        const got = served.spec.versions.find((x) => x.name === v.name);
        assert.deepEqual(got?.schema, v.schema, `${crd.metadata!.name} ${v.name} schema as served`);
      }
    }
  });
});
