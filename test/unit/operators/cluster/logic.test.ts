// The reconciler's pure decisions: catalog check, version plan (upgrade order, minor chaining, no
// downgrades), condition merging, the "already applied" comparison, and the etcd prefix range.
import * as assert from 'node:assert/strict';
import { kubernetesVersion } from '../../../../src/catalog';
import { containsDesired } from '../../../../src/kit';
import { mergeConditions } from '../../../../src/operators/cluster/conditions';
import { checkCatalog, planVersions } from '../../../../src/operators/cluster/versions';

const catalog = [
  kubernetesVersion('v1.32.13'),
  kubernetesVersion('v1.33.13'),
  kubernetesVersion('v1.34.1', 'Preview'),
  kubernetesVersion('v1.31.9', 'Deprecated'),
];
const rolled = (version: string) => ({ version, rolledOut: true });

describe('cluster operator logic', () => {
  describe('catalog check', () => {
    it('accepts Supported and Preview versions', () => {
      assert.equal(checkCatalog('v1.33.13', catalog).ok, true);
      assert.equal(checkCatalog('v1.34.1', catalog).ok, true);
    });
    it('names the usable versions when the version is unknown or not usable', () => {
      assert.deepEqual(checkCatalog('v1.30.0', catalog), {
        ok: false,
        reason: 'VersionNotInCatalog',
        message: 'version v1.30.0 is not in the version catalog; available: v1.32.13, v1.33.13, v1.34.1 (Preview)',
      });
      assert.deepEqual(checkCatalog('v1.31.9', catalog), {
        ok: false,
        reason: 'VersionNotUsable',
        message: 'version v1.31.9 is Deprecated; clusters can use Supported or Preview versions: v1.32.13, v1.33.13, v1.34.1 (Preview)',
      });
      assert.deepEqual(checkCatalog('v1.31.9', catalog, ['v1.30.5']).ok, false, 'an upgrade to a Deprecated version is refused');
      assert.match(
        (checkCatalog('v1.33.13', []) as { message: string }).message,
        /available: none \(add one with `kokpit versions add -f <file>`\)/,
      );
    });
  });

  describe('a Deprecated version (issue 17, catalog states)', () => {
    it('a cluster that already runs it keeps being reconciled, with a warning that names where to go', () => {
      const v = checkCatalog('v1.31.9', catalog, [undefined, 'v1.31.9']);
      assert.equal(v.ok, true);
      assert.equal(
        (v as { deprecated?: string }).deprecated,
        'v1.31.9 is Deprecated: this cluster keeps being reconciled, but no new cluster or upgrade can use it; ' +
          'move on to one of v1.32.13, v1.33.13, v1.34.1 (Preview)',
      );
      assert.equal((checkCatalog('v1.33.13', catalog, ['v1.33.13']) as { deprecated?: string }).deprecated, undefined);
    });
  });

  describe('version plan', () => {
    it('a new cluster runs the target everywhere', () => {
      assert.deepEqual(planVersions('v1.32.13', { rolledOut: false }, { rolledOut: false }, catalog), {
        ok: true,
        apiServer: 'v1.32.13',
        controllers: 'v1.32.13',
        upgrading: false,
        current: undefined,
      });
    });
    it('upgrades the apiserver first; controllers follow only once it has rolled out', () => {
      const during = planVersions('v1.33.13', rolled('v1.32.13'), rolled('v1.32.13'), catalog);
      assert.deepEqual(during, {
        ok: true,
        apiServer: 'v1.33.13',
        controllers: 'v1.32.13',
        current: 'v1.32.13',
        upgrading: true,
        step: 'kube-apiserver to v1.33.13',
      });
      const apiRolling = planVersions('v1.33.13', { version: 'v1.33.13', rolledOut: false }, rolled('v1.32.13'), catalog);
      assert.equal(apiRolling.ok && apiRolling.controllers, 'v1.32.13');
      const apiDone = planVersions('v1.33.13', rolled('v1.33.13'), rolled('v1.32.13'), catalog);
      assert.deepEqual(apiDone, {
        ok: true,
        apiServer: 'v1.33.13',
        controllers: 'v1.33.13',
        current: undefined,
        upgrading: true,
        step: 'kube-controller-manager and kube-scheduler to v1.33.13',
      });
      const finished = planVersions('v1.33.13', rolled('v1.33.13'), rolled('v1.33.13'), catalog);
      assert.deepEqual(finished, {
        ok: true,
        apiServer: 'v1.33.13',
        controllers: 'v1.33.13',
        current: 'v1.33.13',
        upgrading: false,
        step: undefined,
      });
    });
    it('chains several minors one at a time through the catalog', () => {
      const p = planVersions('v1.34.1', rolled('v1.32.13'), rolled('v1.32.13'), catalog);
      assert.equal(p.ok && p.apiServer, 'v1.33.13');
      // Next pass, apiserver at v1.33: controllers go to v1.33 first; the apiserver holds there until they have.
      const hold = planVersions('v1.34.1', rolled('v1.33.13'), rolled('v1.32.13'), catalog);
      assert.deepEqual(hold.ok && [hold.apiServer, hold.controllers], ['v1.33.13', 'v1.33.13']);
      const next = planVersions('v1.34.1', rolled('v1.33.13'), rolled('v1.33.13'), catalog);
      assert.deepEqual(next.ok && [next.apiServer, next.controllers], ['v1.34.1', 'v1.33.13']);
      const gap = planVersions('v1.34.1', rolled('v1.31.9'), rolled('v1.31.9'), [kubernetesVersion('v1.34.1')]);
      assert.deepEqual(gap, {
        ok: false,
        reason: 'NoIntermediateVersion',
        message: 'upgrading v1.31.9 to v1.34.1 goes one minor at a time, but the catalog has no usable v1.32.x',
      });
    });
    it('refuses downgrades', () => {
      assert.deepEqual(planVersions('v1.32.13', rolled('v1.33.13'), rolled('v1.33.13'), catalog), {
        ok: false,
        reason: 'DowngradeRefused',
        message: 'spec.version v1.32.13 is older than the running v1.33.13; downgrades are not supported',
      });
    });
  });

  describe('conditions', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-02T00:00:00Z');
    it('keeps lastTransitionTime while the status holds, moves it when the status flips', () => {
      const first = mergeConditions(undefined, [{ type: 'EtcdReady', status: 'False', reason: 'EtcdNotAvailable' }], 1, t1);
      const same = mergeConditions(first, [{ type: 'EtcdReady', status: 'False', reason: 'EtcdNotAvailable' }], 2, t2);
      assert.equal(same[0].lastTransitionTime, '2026-01-01T00:00:00Z');
      assert.equal(same[0].observedGeneration, 2);
      const flipped = mergeConditions(same, [{ type: 'EtcdReady', status: 'True', reason: 'EtcdAvailable' }], 2, t2);
      assert.equal(flipped[0].lastTransitionTime, '2026-01-02T00:00:00Z');
    });
    it('keeps one condition per type: the last observation wins', () => {
      const list = mergeConditions(
        undefined,
        [
          { type: 'CatalogValid', status: 'True', reason: 'VersionAvailable' },
          { type: 'CatalogValid', status: 'False', reason: 'DowngradeRefused' },
        ],
        1,
        t1,
      );
      assert.deepEqual(
        list.map((c) => [c.type, c.reason]),
        [['CatalogValid', 'DowngradeRefused']],
      );
    });
    it('orders conditions canonically', () => {
      const list = mergeConditions(
        undefined,
        [
          { type: 'Ready', status: 'False', reason: 'X' },
          { type: 'CatalogValid', status: 'True', reason: 'Y' },
        ],
        1,
        t1,
      );
      assert.deepEqual(
        list.map((c) => c.type),
        ['CatalogValid', 'Ready'],
      );
    });
  });

  describe('already-applied comparison', () => {
    it('ignores fields the server adds, but not a changed or removed list entry', () => {
      const desired = { spec: { ports: [{ port: 6443 }], selector: { a: 'b' } } };
      assert.ok(
        containsDesired(
          { spec: { ports: [{ port: 6443, protocol: 'TCP', nodePort: 31000 }], selector: { a: 'b' }, clusterIP: '10.0.0.1' } },
          desired,
        ),
      );
      assert.ok(!containsDesired({ spec: { ports: [{ port: 6443 }, { port: 80 }], selector: { a: 'b' } } }, desired));
      assert.ok(!containsDesired({ spec: { ports: [{ port: 6444 }], selector: { a: 'b' } } }, desired));
      assert.ok(containsDesired({ spec: {} }, { spec: { resources: {} } }), 'an empty map the server dropped');
      assert.ok(containsDesired({ metadata: { name: 'r' } }, { metadata: { name: 'r' }, rules: [] }), 'an empty list the server dropped');
      assert.ok(!containsDesired({ rules: [{ verbs: ['get'] }] }, { rules: [] }), 'a non-empty live list is not an empty desired one');
    });
  });
});
