// The catalog a local environment installs offers only what it can run: v1.32.13 (controller-manager and
// scheduler cannot be built here) is Unsupported with the reason, v1.32.0 (buildable whole) is Supported,
// and the cluster operator's CatalogValid quotes the reason.
import assert from 'node:assert/strict';
import type { KubernetesVersion } from '../../../src/api';
import { catalogObjects } from '../../../src/local/sample';
import { checkCatalog } from '../../../src/operators/cluster/versions';
import { FleetModel } from '../../../src/fleet/model';
import { formatObjects } from '../../../src/cli/commands/get';

describe('local environment: the version catalog it installs', () => {
  const versions = catalogObjects().filter((o) => o.kind === 'KubernetesVersion') as unknown as KubernetesVersion[];
  const byName = new Map(versions.map((v) => [v.spec.version, v]));

  it('v1.32.13 Unsupported with the reason, v1.32.0 and v1.33.13 Supported', () => {
    assert.deepEqual(versions.map((v) => `${v.spec.version} ${v.spec.state}`).sort(), [
      'v1.32.0 Supported',
      'v1.32.13 Unsupported',
      'v1.33.13 Supported',
    ]);
    assert.match(
      byName.get('v1.32.13')!.metadata.annotations!['kokpit.dev/state-reason'],
      /^kube-controller-manager and kube-scheduler v1\.32\.13 cannot be built on this machine: the Go module proxy lacks their staging modules at that release$/,
    );
  });

  it('CatalogValid for a v1.32.13 cluster says why, and the Fleet model hands the editor the same catalog', () => {
    const verdict = checkCatalog('v1.32.13', versions);
    assert.equal(verdict.ok, false);
    assert.match(
      !verdict.ok ? verdict.message : '',
      /^version v1\.32\.13 is Unsupported \(kube-controller-manager and kube-scheduler v1\.32\.13 cannot be built.*\); clusters can use Supported or Preview versions: v1\.32\.0, v1\.33\.13$/,
    );
    const m = new FleetModel('meta');
    for (const v of versions) m.upsert(v);
    assert.deepEqual(
      m
        .catalog()
        .map((c) => `${c.version} ${c.state} ${c.reason ? 'why' : '-'}`)
        .sort(),
      ['v1.32.0 Supported why', 'v1.32.13 Unsupported why', 'v1.33.13 Supported -'],
    );
  });

  it('`kokpit get versions -o wide` shows the state and why', () => {
    const table = formatObjects('versions', versions as never, 'wide').split('\n');
    const row = table.find((l) => l.startsWith('v1.32.13'))!;
    assert.match(row, /Unsupported/);
    assert.match(row, /cannot be built on this machine/);
    assert.match(table[0], /STATE.*WHY/);
  });
});
