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
