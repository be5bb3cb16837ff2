// A rollout whose target leaves the catalog's usable states after it began (issue 17, catalog states): the clusters
// not started yet are skipped with the reason (a retry puts them back), the ones in flight carry on and are still
// held to their deadline; nothing new starts.
import * as assert from 'node:assert/strict';
import type { FleetRolloutSpec, RolloutClusterStatus } from '../../../../src/api';
import { advance, type ClusterFacts } from '../../../../src/operators/rollout/render/plan';

const TO = 'v1.33.13';
const NOW = new Date('2026-01-06T12:00:00Z');
const WHY = 'spec.target.kubernetesVersion v1.33.13 is Deprecated; use one of v1.33.14';
const spec: FleetRolloutSpec = {
  target: { kubernetesVersion: TO },
  clusters: { selector: { matchLabels: { env: 'prod' } } },
  waves: [
    { name: 'one', clusters: 1, maxConcurrency: 1, soak: '0s' },
    { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '0s' },
  ],
  maxFailures: 0,
  progressDeadline: '10m',
  paused: false,
};
const fact = (name: string, version: string, specVersion = version): ClusterFacts => ({
  namespace: 'ns',
  name,
  labels: { env: 'prod' },
  specVersion,
  statusVersion: version,
  ready: version === specVersion,
  paused: false,
});
const rows: RolloutClusterStatus[] = [
  { namespace: 'ns', name: 'a', wave: 'one', state: 'Upgrading', from: 'v1.32.0', to: TO, startedAt: '2026-01-06T11:58:00Z' },
  { namespace: 'ns', name: 'b', wave: 'rest', state: 'Pending' },
  { namespace: 'ns', name: 'c', wave: 'rest', state: 'Pending' },
];
const facts = (a: ClusterFacts) => new Map([a, fact('b', 'v1.32.0'), fact('c', 'v1.32.0')].map((f) => [`ns/${f.name}`, f]));
const brief = (rs: RolloutClusterStatus[]) => rs.map((r) => `${r.name}:${r.state}${r.state === 'Skipped' ? ` (${r.message})` : ''}`);

describe('rollout operator: a target withdrawn from the catalog mid-rollout', () => {
  it('pending clusters are skipped with the reason; the one in flight carries on and finishes', () => {
    const inFlight = advance({
      spec,
      target: TO,
      rows,
      facts: facts(fact('a', 'v1.32.0', TO)),
      now: NOW,
      paused: false,
      targetUnusable: WHY,
    });
    assert.deepEqual(brief(inFlight.rows), ['a:Upgrading', `b:Skipped (TargetNotUsable: ${WHY})`, `c:Skipped (TargetNotUsable: ${WHY})`]);
    assert.deepEqual(
      inFlight.inFlight.map((r) => r.name),
      ['a'],
      'a keeps its spec.version and is still followed',
    );
    const done = advance({
      spec,
      target: TO,
      rows: inFlight.rows,
      facts: facts(fact('a', TO)),
      now: NOW,
      paused: false,
      targetUnusable: WHY,
    });
    assert.deepEqual(brief(done.rows).slice(0, 1), ['a:Succeeded']);
    assert.equal(done.currentWave, undefined, 'nothing is left to start');
  });

  it('without the flag the same pass starts the next wave (the control)', () => {
    const next = advance({ spec, target: TO, rows, facts: facts(fact('a', TO)), now: NOW, paused: false });
    assert.deepEqual(brief(next.rows), ['a:Succeeded', 'b:Upgrading', 'c:Upgrading']);
  });

  it('an in-flight cluster is still held to its deadline', () => {
    const late = advance({
      spec,
      target: TO,
      rows,
      facts: facts(fact('a', 'v1.32.0', TO)),
      now: new Date('2026-01-06T12:10:00Z'),
      paused: false,
      targetUnusable: WHY,
    });
    assert.equal(late.rows[0].state, 'Failed');
    assert.match(late.rows[0].message!, /^ProgressDeadlineExceeded/);
  });
});
