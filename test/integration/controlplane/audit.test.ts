// Writes counted by the API server: a control plane started with { audit: true } logs every write with its
// user agent, kokpit's clients identify themselves, and test/support/audit-writes.ts counts them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { applyObject, deleteObject, loadKubeConfig, makeObjectApi, readObject, withUserAgent } from '../../../src/kube';
import { AGENTS, AuditWrites, assertWriteCount, describeWrites } from '../../support/audit-writes';

describe('writes counted by the API server (audit log)', function () {
  let cp: ControlPlane;
  let admin: KubeConfig;
  let audit: AuditWrites;
  const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data,
  });

  before(async function () {
    cp = await startControlPlane({ audit: true, log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    admin = cp.kubeConfig();
    audit = new AuditWrites(cp);
  });
  after(async () => cp?.stop());

  it('logs writes only, to audit.log in the control plane directory', async () => {
    assert.equal(cp.auditLogPath, `${cp.dir}/audit.log`);
    const from = await audit.mark();
    await readObject(makeObjectApi(admin), cm('absent'));
    await admin.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'default' });
    await applyObject(makeObjectApi(admin), cm('by-admin'));
    // The admin's writes only: the API server's own (its identity Lease, renewed every 10 s) may land in the window.
    const writes = await audit.since(from, { user: 'kokpit-admin' });
    assert.deepEqual(
      writes.map((e) => `${e.verb} ${e.objectRef?.resource} ${e.objectRef?.name} ${e.userAgent}`),
      ['patch configmaps by-admin kubernetes-client-javascript/2.0.1'],
    );
    const lines = fs
      .readFileSync(cp.auditLogPath!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { verb: string; level: string });
    assert.ok(
      lines.every((e) => e.level === 'Metadata'),
      'Metadata level: no request or response bodies (Secrets stay out of the log)',
    );
    assert.ok(!lines.some((e) => ['list', 'watch'].includes(e.verb)), 'no reads');
  });

  it('tells a component by its User-Agent, through every client kokpit makes; a no-op apply is still a write', async () => {
    const kc = withUserAgent(admin, AGENTS.cluster);
    const business = loadKubeConfig({ kubeconfigYaml: cp.kubeconfigYaml, userAgent: AGENTS.machine });
    const { writes } = await audit.during({ userAgent: AGENTS.cluster }, async () => {
      await applyObject(makeObjectApi(kc), cm('by-operator'));
      // Unchanged content: the resourceVersion stays, the request is still made and logged.
      const rv = (await readObject(makeObjectApi(kc), cm('by-operator')))!.metadata!.resourceVersion;
      await applyObject(makeObjectApi(kc), cm('by-operator'));
      assert.equal((await readObject(makeObjectApi(kc), cm('by-operator')))!.metadata!.resourceVersion, rv);
      await applyObject(makeObjectApi(kc, { fieldValidation: 'Strict' }), cm('strict'));
      await kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'default', body: cm('typed') });
      await deleteObject(makeObjectApi(kc), cm('typed'));
      await applyObject(makeObjectApi(admin), cm('by-admin', { b: '2' }));
      await applyObject(makeObjectApi(business), cm('by-machine'));
    });
    assert.deepEqual(
      writes.map((e) => `${e.verb} ${e.objectRef?.name}`),
      ['patch by-operator', 'patch by-operator', 'patch strict', 'create typed', 'delete typed'],
      describeWrites(writes),
    );
    assert.ok(writes.every((e) => e.userAgent === 'kokpit-cluster-operator/0.1.0'));
  });

  it('an assertion on the count fails and lists what the API server logged', async () => {
    const { writes } = await audit.during({ userAgent: AGENTS.cluster, namespace: 'default' }, () =>
      applyObject(makeObjectApi(withUserAgent(admin, AGENTS.cluster)), cm('listed')),
    );
    assert.throws(
      () => assertWriteCount(writes, 0, 'steady pass'),
      /steady pass: 1 writes logged by the API server, expected 0:\n {2}patch configmaps default\/listed 201 kokpit-cluster-operator\/0\.1\.0/,
    );
  });
});
