// `kokpit status` with OCM's hub installed: each business cluster's JOINED and AVAILABLE as the hub reports them on
// its ManagedCluster (found by kokpit's labels), and why when it is not Joined and Available.
import * as assert from 'node:assert/strict';
import { registrationOf } from '../../../src/cli/commands/status';

type Obj = Parameters<typeof registrationOf>[0];
const bc = (name: string, extra: Record<string, unknown> = {}) =>
  ({ metadata: { namespace: 'fleet', name }, spec: { version: 'v1.33.13' }, ...extra }) as Obj;
const mc = (cluster: string, conditions: { type: string; status: string; reason?: string; message?: string }[]) =>
  ({
    metadata: { name: `fleet-${cluster}`, labels: { 'kokpit.dev/namespace': 'fleet', 'kokpit.dev/cluster': cluster } },
    status: { conditions },
  }) as Obj;
const JOINED = { type: 'ManagedClusterJoined', status: 'True', reason: 'ManagedClusterJoined' };

describe('cli: kokpit status shows each business cluster’s Joined/Available from the OCM hub', () => {
  it('Joined and Available: True, True, nothing to explain', () => {
    const managed = [mc('a', [JOINED, { type: 'ManagedClusterConditionAvailable', status: 'True', reason: 'ManagedClusterAvailable' }])];
    assert.deepEqual(registrationOf(bc('a'), managed), { columns: ['True', 'True'], problem: undefined });
  });
  it('a stopped apiserver (False) and a stopped agent (Unknown) say OCM’s reason and message', () => {
    const lost = mc('a', [
      JOINED,
      { type: 'ManagedClusterConditionAvailable', status: 'False', reason: 'ManagedClusterKubeAPIServerUnavailable', message: 'not ok' },
    ]);
    assert.deepEqual(registrationOf(bc('a'), [lost]), {
      columns: ['True', 'False(ManagedClusterKubeAPIServerUnavailable)'],
      problem: 'ManagedCluster fleet-a Available=False ManagedClusterKubeAPIServerUnavailable: not ok',
    });
    const silent = mc('a', [
      JOINED,
      { type: 'ManagedClusterConditionAvailable', status: 'Unknown', reason: 'ManagedClusterLeaseUpdateStopped' },
    ]);
    assert.equal(registrationOf(bc('a'), [silent]).columns[1], 'Unknown(ManagedClusterLeaseUpdateStopped)');
  });
  it('not Joined yet: Joined explains, Available is Unknown until the agent reports', () => {
    const r = registrationOf(bc('a'), [mc('a', [{ type: 'HubAcceptedManagedCluster', status: 'True' }])]);
    assert.deepEqual(r, { columns: ['Unknown', 'Unknown'], problem: 'ManagedCluster fleet-a Joined=Unknown' });
  });
  it('the ManagedCluster is matched by namespace and name labels, not by a name that merely looks right', () => {
    const other = {
      ...mc('a', [JOINED]),
      metadata: { name: 'fleet-a', labels: { 'kokpit.dev/namespace': 'other', 'kokpit.dev/cluster': 'a' } },
    };
    assert.deepEqual(registrationOf(bc('a'), [other as Obj]).columns, ['-', '-']);
  });
  it('no ManagedCluster: the multicluster operator’s condition says why; register: false says so', () => {
    const waiting = bc('a', {
      status: { conditions: [{ type: 'ManagedCluster', status: 'False', reason: 'WaitingForKubeconfig', message: 'waiting' }] },
    });
    assert.deepEqual(registrationOf(waiting, []), { columns: ['-', '-'], problem: 'ManagedCluster False WaitingForKubeconfig: waiting' });
    assert.deepEqual(registrationOf(bc('b', { spec: { multicluster: { register: false } } }), []), { columns: ['not registered', '-'] });
  });
});
