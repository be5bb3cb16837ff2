// The status bar's rollout item (issue 17: "the status bar shows an active rollout's progress"), from plain
// FleetRollout objects: hidden when none is at work, one rollout's own progress (and what holds it), or a count.
import assert from 'node:assert/strict';
import type { FleetRollout, FleetRolloutStatus, RolloutClusterStatus } from '../../../src/api';
import { activeRolloutsStatus, rolloutNode } from '../../../src/fleet/rollouts';

const row = (name: string, state: RolloutClusterStatus['state'], wave = 'rest'): RolloutClusterStatus => ({
  namespace: 'fleet',
  name,
  wave,
  state,
});

function rollout(name: string, status: FleetRolloutStatus): FleetRollout {
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'FleetRollout',
    metadata: { name },
    spec: {
      target: { kubernetesVersion: 'v1.33.13' },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      waves: [{ name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '0s' }],
      maxFailures: 0,
      progressDeadline: '30m',
      paused: false,
    },
    status,
  };
}

const rows = [row('a', 'Succeeded', 'canary'), row('b', 'Upgrading'), row('c', 'Failed'), row('d', 'Pending')];

describe('fleet: the status bar item of active rollouts', () => {
  it('hidden when no rollout is at work (none, finished, failed, or not started)', () => {
    assert.equal(activeRolloutsStatus([]), undefined);
    assert.equal(
      activeRolloutsStatus([
        rollout('done', { phase: 'Succeeded', clusters: [row('a', 'Succeeded')] }),
        rollout('failed', { phase: 'Failed', clusters: [row('a', 'Failed')] }),
        rollout('new', { phase: 'Pending', clusters: [row('a', 'Pending')] }),
      ]),
      undefined,
    );
  });

  it("one rollout: its progress, wave and failures; paused or waiting for a window says so, with the window's time", () => {
    assert.deepEqual(activeRolloutsStatus([rollout('to-133', { phase: 'Progressing', currentWave: 'rest', clusters: rows })]), {
      text: '$(sync~spin) to-133 1/4 · wave rest · 1 failed',
      tooltip: 'FleetRollout to-133 → v1.33.13: Progressing, 1/4 · wave rest · 1 failed',
    });
    assert.equal(
      activeRolloutsStatus([rollout('to-133', { phase: 'Paused', currentWave: 'rest', clusters: rows })])?.text,
      '$(debug-pause) to-133 1/4 · wave rest · paused · 1 failed',
    );
    const waiting = rollout('nightly', {
      phase: 'WaitingForWindow',
      currentWave: 'rest',
      nextWindow: '2026-01-06T22:00:00Z',
      clusters: [row('a', 'Pending')],
    });
    assert.equal(activeRolloutsStatus([waiting])?.text, '$(watch) nightly 0/1 · wave rest · window 2026-01-06T22:00:00Z');
    // The tree's rollout node says when the window opens too.
    assert.match(rolloutNode('id', 'parent', waiting).description ?? '', /next window 2026-01-06T22:00:00Z/);
  });

  it('several: how many and the clusters done over all of them; the tooltip has a line per rollout, by name', () => {
    const s = activeRolloutsStatus([
      rollout('b-rollout', { phase: 'Paused', clusters: [row('x', 'Succeeded'), row('y', 'Pending')] }),
      rollout('a-rollout', { phase: 'Progressing', currentWave: 'rest', clusters: rows }),
      rollout('old', { phase: 'Succeeded', clusters: [row('z', 'Succeeded')] }),
    ]);
    assert.equal(s?.text, '$(sync~spin) 2 rollouts 2/6');
    assert.deepEqual(s?.tooltip.split('\n'), [
      'FleetRollout a-rollout → v1.33.13: Progressing, 1/4 · wave rest · 1 failed',
      'FleetRollout b-rollout → v1.33.13: Paused, 1/2 · paused',
    ]);
  });
});
