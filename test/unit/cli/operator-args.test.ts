// `kokpit operator` flags that need no cluster: --controllers picks operators by name, and refuses what it does not know.
import assert from 'node:assert/strict';
import { parseOperatorArgs } from '../../../src/cli/commands/operator';
import { UsageError } from '../../../src/cli/command';

describe('kokpit operator: --controllers', () => {
  it('defaults to all four operators, and keeps their order whatever the order given', () => {
    assert.deepEqual(parseOperatorArgs([]).controllers, ['etcd', 'cluster', 'machine', 'rollout']);
    assert.deepEqual(parseOperatorArgs(['--controllers', 'rollout,cluster']).controllers, ['cluster', 'rollout']);
  });

  it('refuses an unknown or empty name with the list of valid ones', () => {
    assert.throws(
      () => parseOperatorArgs(['--controllers', 'cluster,etcdd']),
      (e: Error) =>
        e instanceof UsageError &&
        /--controllers: unknown etcdd; a comma-separated list of etcd, cluster, machine, rollout/.test(e.message),
    );
    assert.throws(() => parseOperatorArgs(['--controllers', 'cluster,']), UsageError);
  });
});

describe('kokpit operator: --concurrent-cluster-syncs', () => {
  it('is the operator default unless given, and an integer from 1 to 100', () => {
    assert.equal(parseOperatorArgs([]).clusterWorkers, undefined);
    assert.equal(parseOperatorArgs(['--concurrent-cluster-syncs', '16']).clusterWorkers, 16);
    for (const bad of ['0', '1.5', 'many', '101'])
      assert.throws(
        () => parseOperatorArgs(['--concurrent-cluster-syncs', bad]),
        (e: Error) => e instanceof UsageError && /--concurrent-cluster-syncs must be an integer from 1 to 100/.test(e.message),
      );
  });
});
