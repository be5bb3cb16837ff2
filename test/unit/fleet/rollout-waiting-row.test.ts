// A FleetRollout row waiting for its cluster to be Ready (spec.notReadyGrace) in the Fleet tree: the row says it waits
// and its tooltip gives the message (why, and when it is skipped unless Ready); the cluster's node says so too.
import assert from 'node:assert/strict';
import type { FleetRollout, RolloutClusterStatus } from '../../../src/api';
import { FleetModel } from '../../../src/fleet/model';
import { businessCluster } from '../../support/objects';

const ROOT = 'meta:meta';
const RID = `${ROOT}/FleetRollout/to-1-33`;
const WAITING = 'WaitingForReady: AddonsNotReady: coredns: 0/1 replicas available (skipped at 2026-01-01T00:02:10Z unless Ready)';

function rollout(rows: RolloutClusterStatus[]): FleetRollout {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'FleetRollout',
    metadata: { name: 'to-1-33', generation: 1 },
    spec: {
      target: { kubernetesVersion: 'v1.33.13' },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '0s' }],
      maxFailures: 0,
      progressDeadline: '30m',
      notReadyGrace: '2m',
      paused: false,
    },
    status: { phase: 'Progressing', currentWave: 'all', clusters: rows },
  };
}

describe('FleetModel: a rollout row waiting for Ready', () => {
  it('the row says it waits for Ready and its tooltip is the message; a plain Pending row stays plain', () => {
    const m = new FleetModel('meta');
    m.upsert(
      rollout([
        { namespace: 'default', name: 'a', wave: 'all', state: 'Pending', waitingSince: '2026-01-01T00:00:10Z', message: WAITING },
        { namespace: 'default', name: 'b', wave: 'all', state: 'Upgrading', from: 'v1.32.0', to: 'v1.33.13' },
        { namespace: 'default', name: 'c', wave: 'all', state: 'Pending' },
      ]),
    );
    assert.deepEqual(
      m.children(`${RID}/wave/all`).map((n) => [n.label, n.description, n.status]),
      [
        ['default/a', 'Pending · waiting for Ready', 'unknown'],
        ['default/b', 'Upgrading · v1.32.0 → v1.33.13', 'progress'],
        ['default/c', 'Pending', 'unknown'],
      ],
    );
    assert.equal(m.get(`${RID}/wave/all/cluster/default/a`)?.tooltip, WAITING);
    for (const n of ['a', 'c']) m.upsert(businessCluster(n));
    assert.match(m.get(`${ROOT}/BusinessCluster/default/a`)?.description ?? '', /→ v1\.33\.13 \(all, waiting for Ready\)/);
    assert.match(m.get(`${ROOT}/BusinessCluster/default/c`)?.description ?? '', /→ v1\.33\.13 \(all, pending\)/);
  });
});
