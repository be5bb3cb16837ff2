// The addon inventory and pruning against a real kube-apiserver standing in for a business cluster (the
// full path through the reconciler and the pod runner is in podrunner.test.ts): addons removed from spec
// and objects gone from a rendering are deleted, a crash between any two phases converges on the next
// pass with no orphans, and a steady pass writes nothing.
import * as assert from 'node:assert/strict';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { listObjects, makeObjectApi, readObject, withUserAgent } from '../../../src/kube';
import {
  decodeInventory,
  INVENTORY_NAME,
  INVENTORY_NAMESPACE,
  syncAddonObjects,
  type AddonRendering,
  type SyncPhase,
} from '../../../src/operators/cluster/addon-inventory';
import { Applier } from '../../../src/kit';
import { ADDON_LABEL } from '../../../src/operators/cluster/render/addons';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { AGENTS, AuditWrites, assertWriteCount } from '../../support/audit-writes';

const labels = (addon: string) => ({ [ADDON_LABEL]: addon, 'app.kubernetes.io/managed-by': 'kokpit' });
const cm = (addon: string, name: string, v = '1'): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'kube-system', labels: labels(addon) },
    data: { v },
  }) as KubernetesObject;
const role = (addon: string, name: string): KubernetesObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: labels(addon) },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
  }) as KubernetesObject;
const ns = (addon: string, name: string): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: labels(addon) } }) as KubernetesObject;

class Crash extends Error {}

describe('addon inventory and pruning on a real apiserver', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let applier: Applier;
  let audit: AuditWrites;

  before(async () => {
    cp = await startControlPlane({ audit: true, log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    kc = cp.kubeConfig();
    audit = new AuditWrites(cp);
    // The cluster operator's client, as its reconciler makes it for a business cluster.
    applier = new Applier(makeObjectApi(withUserAgent(kc, AGENTS.cluster)));
  });
  after(async () => {
    await cp?.stop();
  });

  /** Every object carrying the addon label, as `addon:Kind/name`. */
  const labelled = async () => {
    const out: string[] = [];
    for (const [apiVersion, kind] of [
      ['v1', 'ConfigMap'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
      ['v1', 'Namespace'],
    ]) {
      for (const o of await listObjects(makeObjectApi(kc), apiVersion, kind, { labelSelector: ADDON_LABEL })) {
        if (o.metadata?.deletionTimestamp) continue; // a Namespace being finalized is gone as far as the addon is concerned
        out.push(`${o.metadata!.labels![ADDON_LABEL]}:${kind}/${o.metadata!.name}`);
      }
    }
    return out.sort();
  };
  const stored = async () => {
    const c = await readObject<KubernetesObject & { data?: Record<string, string> }>(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE },
    });
    return Object.fromEntries(Object.entries(decodeInventory(c?.data)).map(([a, es]) => [a, es.map((e) => `${e.kind}/${e.name}`).sort()]));
  };
  /** One sync; returns its writes as the API server logged them. */
  const sync = async (r: AddonRendering[], crashAfter?: SyncPhase) => {
    const { writes } = await audit.during({ userAgent: AGENTS.cluster }, () =>
      syncAddonObjects(applier, r, {
        afterPhase: (p) => {
          if (p === crashAfter) throw new Crash(p);
        },
      }),
    );
    return writes;
  };

  const specV1: AddonRendering[] = [
    { name: 'dns', objects: [cm('dns', 'dns-a'), cm('dns', 'dns-b'), role('dns', 'dns-role')] },
    { name: 'proxy', objects: [cm('proxy', 'proxy-a'), ns('proxy', 'proxy-ns')] },
  ];

  it('records what it applies; a second pass writes nothing', async () => {
    const writes = await sync(specV1);
    assertWriteCount(writes, 6, '1 inventory write (before applying) + 5 objects; the final inventory is already right');
    assert.deepEqual(await labelled(), [
      'dns:ClusterRole/dns-role',
      'dns:ConfigMap/dns-a',
      'dns:ConfigMap/dns-b',
      'proxy:ConfigMap/proxy-a',
      'proxy:Namespace/proxy-ns',
    ]);
    assert.deepEqual(await stored(), {
      dns: ['ClusterRole/dns-role', 'ConfigMap/dns-a', 'ConfigMap/dns-b'],
      proxy: ['ConfigMap/proxy-a', 'Namespace/proxy-ns'],
    });
    assertWriteCount(await sync(specV1), 0, 'the second pass');
  });

  it('an object dropped from a rendering and an addon dropped from spec are deleted; then steady again', async () => {
    const specV2: AddonRendering[] = [{ name: 'dns', objects: [cm('dns', 'dns-a'), role('dns', 'dns-role')] }];
    await sync(specV2);
    assert.deepEqual(await labelled(), ['dns:ClusterRole/dns-role', 'dns:ConfigMap/dns-a']);
    assert.deepEqual(await stored(), { dns: ['ClusterRole/dns-role', 'ConfigMap/dns-a'] });
    assertWriteCount(await sync(specV2), 0, 'the pass after pruning');
  });

  for (const phase of ['recorded', 'applied', 'pruned'] as const) {
    it(`a crash after "${phase}" converges on the next pass: no orphans, nothing missing, then zero writes`, async () => {
      const from: AddonRendering[] = [{ name: 'dns', objects: [cm('dns', 'dns-a'), role('dns', 'dns-role')] }];
      await sync(from);
      // Replace dns by a new addon and change the set at once.
      const to: AddonRendering[] = [
        { name: `metrics-${phase}`, objects: [cm(`metrics-${phase}`, `m-${phase}`), role(`metrics-${phase}`, `m-role-${phase}`)] },
      ];
      await assert.rejects(sync(to, phase), Crash);
      await sync(to);
      assert.deepEqual(await labelled(), [`metrics-${phase}:ClusterRole/m-role-${phase}`, `metrics-${phase}:ConfigMap/m-${phase}`]);
      assert.deepEqual(await stored(), { [`metrics-${phase}`]: [`ClusterRole/m-role-${phase}`, `ConfigMap/m-${phase}`] });
      assertWriteCount(await sync(to), 0, 'the pass after converging');
      await sync([]); // clean slate for the next case
      assert.deepEqual(await labelled(), []);
    });
  }

  it('objects applied just before a crash are recorded: if the spec then drops them, the next pass still deletes them', async () => {
    const fresh: AddonRendering[] = [{ name: 'late', objects: [cm('late', 'late-a'), role('late', 'late-role')] }];
    await assert.rejects(sync(fresh, 'applied'), Crash);
    assert.deepEqual(await labelled(), ['late:ClusterRole/late-role', 'late:ConfigMap/late-a']);
    await sync([]); // the user removed the addon while the operator was down
    assert.deepEqual(await labelled(), [], 'no orphans');
    assert.deepEqual(await stored(), {});
  });

  it('an addon that failed to render keeps its objects; one taken over (kokpit labels removed) is left alone', async () => {
    await sync([
      { name: 'dns', objects: [cm('dns', 'dns-a')] },
      { name: 'proxy', objects: [cm('proxy', 'proxy-a')] },
    ]);
    await sync([{ name: 'dns' }, { name: 'proxy', objects: [cm('proxy', 'proxy-a')] }]);
    assert.deepEqual(await labelled(), ['dns:ConfigMap/dns-a', 'proxy:ConfigMap/proxy-a']);
    // Someone else owns proxy-a now: a plain ConfigMap without our labels.
    const taken = (await readObject(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'proxy-a', namespace: 'kube-system' },
    }))!;
    await makeObjectApi(kc).replace({ ...taken, metadata: { ...taken.metadata, labels: { owner: 'someone' } } });
    await sync([{ name: 'dns', objects: [cm('dns', 'dns-a')] }]);
    assert.ok(
      await readObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'proxy-a', namespace: 'kube-system' } }),
      'taken-over object kept',
    );
    assert.deepEqual(await stored(), { dns: ['ConfigMap/dns-a'] }, 'and forgotten');
  });
});
