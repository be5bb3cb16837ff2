// The create-only apply the kit's Applier sends for a cache miss (ApplyOptions.onlyIfAbsent), on a real API server:
// it creates an object that is not there, as a server-side apply of kokpit's field manager (so later applies prune
// as usual), and is refused with 409 when an object is there; the Applier then reads it and applies over it as before.
// Counted by the API server's audit log, not by the applier.
import * as assert from 'node:assert/strict';
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { Applier, type ObjectCache } from '../../../src/kit';
import { applyObject, FIELD_MANAGER, isConflict, makeObjectApi } from '../../../src/kube';
import { AuditWrites } from '../../support/audit-writes';

const NS = 'absent';
const cm = (name: string, v: string) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v } }) as KubernetesObject & { data: { v: string } };

describe('kit: the create-only apply of a cache miss (real API server)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async function () {
    this.timeout(180_000);
    cp = await startControlPlane({ audit: 'all' });
    await cp
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: NS } } });
  });
  after(async () => cp?.stop());

  it('creates what is absent (one PATCH, an Apply entry of kokpit), is refused with 409 by what is present', async () => {
    const objects = makeObjectApi(cp.kubeConfig());
    const created = await applyObject(objects, cm('a', 'one'), { onlyIfAbsent: true });
    assert.deepEqual(
      created.metadata?.managedFields?.map((f) => [f.manager, f.operation]),
      [[FIELD_MANAGER, 'Apply']],
    );
    await assert.rejects(applyObject(objects, cm('a', 'two'), { onlyIfAbsent: true }), (e) => isConflict(e));
  });

  it('the Applier: a miss created with one request; an unlabelled object refused, then read and applied over', async () => {
    const audit = new AuditWrites(cp);
    const from = await audit.mark();
    // A cache that watches ConfigMaps and holds none (the label-selected cache of a new cluster's objects).
    const cache: ObjectCache = { watches: (r) => r.kind === 'ConfigMap', get: () => undefined };
    const applier = new Applier(makeObjectApi(cp.kubeConfig()), cache);
    await applier.ensure(cm('fresh', 'one'));
    await makeObjectApi(cp.kubeConfig()).create(cm('theirs', 'old'));
    const over = await applier.ensure(cm('theirs', 'new'));
    assert.equal((over as ReturnType<typeof cm>).data.v, 'new');
    const requests = (await audit.requestsSince(from, {})).filter((e) => e.objectRef?.namespace === NS);
    assert.deepEqual(
      requests.map((e) => `${e.verb} ${e.objectRef?.name} ${e.responseStatus?.code}`),
      ['patch fresh 201', 'create theirs 201', 'patch theirs 409', 'get theirs 200', 'patch theirs 200'],
    );
  });
});
