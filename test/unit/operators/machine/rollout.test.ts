// MachineSet phase planning: scaling, phase targets, maxUnavailable, pauses and the health gate.
import * as assert from 'node:assert/strict';
import { parseDuration, phaseTargets, planRollout, type MachineFacts } from '../../../../src/operators/machine/rollout';

const m = (index: number, hash: string, ready = true, failed = false): MachineFacts => ({
  name: `set-${index}`,
  index,
  hash,
  ready,
  failed,
});
const now = new Date('2026-01-01T00:00:00Z');
const spec = (replicas: number, phases?: Array<{ percent: number; pause?: string }>, maxUnavailable = 1) => ({
  replicas,
  rollout: { maxUnavailable, phases },
});

describe('machine operator: rollout planning', () => {
  it('phase targets are cumulative, at least one machine, never above replicas', () => {
    assert.deepEqual(phaseTargets(4, [{ percent: 25 }, { percent: 100 }]), [1, 4]);
    assert.deepEqual(phaseTargets(20, [{ percent: 1 }, { percent: 50 }, { percent: 100 }]), [1, 10, 20]);
    assert.deepEqual(phaseTargets(3, [{ percent: 10 }, { percent: 10 }]), [1, 1]);
    assert.deepEqual(phaseTargets(5, undefined), [5]);
    assert.deepEqual(phaseTargets(0, [{ percent: 50 }]), [0]);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration(undefined), 0);
  });

  it('creates missing machines and deletes the highest numbers on scale down', () => {
    const up = planRollout(spec(3), 'h', [m(1, 'h')], {}, now);
    assert.deepEqual(up.create, [0, 2]);
    assert.deepEqual(up.update, []);
    const down = planRollout(spec(2), 'h', [m(0, 'h'), m(1, 'h'), m(2, 'h'), m(5, 'h')], {}, now);
    assert.deepEqual(down.delete, ['set-5', 'set-2']);
    assert.deepEqual(down.create, []);
  });

  it('rolls phase 0 (25 % of 4 = 1 machine) first, then the rest one at a time', () => {
    const phases = [{ percent: 25 }, { percent: 100 }];
    const start = planRollout(spec(4, phases), 'new', [m(0, 'old'), m(1, 'old'), m(2, 'old'), m(3, 'old')], {}, now);
    assert.equal(start.currentPhase, 0);
    assert.deepEqual(start.update, ['set-0']);
    assert.equal(start.rollingOut, true);

    // set-0 updated but not ready yet: nothing more in phase 0.
    const waiting = planRollout(
      spec(4, phases),
      'new',
      [m(0, 'new', false), m(1, 'old'), m(2, 'old'), m(3, 'old')],
      { currentPhase: 0 },
      now,
    );
    assert.equal(waiting.currentPhase, 0);
    assert.deepEqual(waiting.update, []);

    const phase1 = planRollout(spec(4, phases), 'new', [m(0, 'new'), m(1, 'old'), m(2, 'old'), m(3, 'old')], { currentPhase: 0 }, now);
    assert.equal(phase1.currentPhase, 1);
    assert.deepEqual(phase1.update, ['set-1']);
    assert.equal(phase1.counts.updated, 1);

    const done = planRollout(spec(4, phases), 'new', [m(0, 'new'), m(1, 'new'), m(2, 'new'), m(3, 'new')], { currentPhase: 1 }, now);
    assert.equal(done.rollingOut, false);
    assert.equal(done.currentPhase, 1);
    assert.equal(done.counts.updated, 4);
  });

  it('never has more than maxUnavailable machines down', () => {
    const plan = planRollout(
      spec(6, [{ percent: 100 }], 2),
      'new',
      [0, 1, 2, 3, 4, 5].map((i) => m(i, 'old')),
      {},
      now,
    );
    assert.deepEqual(plan.update, ['set-0', 'set-1']);
    const oneDown = planRollout(
      spec(6, [{ percent: 100 }], 2),
      'new',
      [m(0, 'new', false), ...[1, 2, 3, 4, 5].map((i) => m(i, 'old'))],
      {},
      now,
    );
    assert.deepEqual(oneDown.update, ['set-1']);
  });

  it('updates an outdated machine that is already down without using the availability budget', () => {
    const plan = planRollout(spec(3, [{ percent: 100 }], 1), 'new', [m(0, 'old'), m(1, 'old', false), m(2, 'old')], {}, now);
    assert.deepEqual(plan.update, ['set-1']);
  });

  it('pauses after a phase, then goes on', () => {
    const phases = [{ percent: 25, pause: '10m' }, { percent: 100 }];
    const machines = [m(0, 'new'), m(1, 'old'), m(2, 'old'), m(3, 'old')];
    const paused = planRollout(spec(4, phases), 'new', machines, { currentPhase: 0 }, now);
    assert.equal(paused.paused, true);
    assert.equal(paused.currentPhase, 0);
    assert.deepEqual(paused.update, []);
    assert.equal(paused.requeueAfterMs, 600_000);
    const later = new Date(now.getTime() + 601_000);
    const resumed = planRollout(spec(4, phases), 'new', machines, { currentPhase: 0, pausedSince: now }, later);
    assert.equal(resumed.paused, false);
    assert.equal(resumed.currentPhase, 1);
    assert.deepEqual(resumed.update, ['set-1']);
    // Once in phase 1 the pause is behind us.
    assert.equal(planRollout(spec(4, phases), 'new', machines, { currentPhase: 1 }, now).paused, false);
  });

  it('stops a phase whose health gate fails', () => {
    const plan = planRollout(
      spec(4, [{ percent: 50 }, { percent: 100 }]),
      'new',
      [m(0, 'new', false, true), m(1, 'old'), m(2, 'old'), m(3, 'old')],
      {},
      now,
    );
    assert.equal(plan.healthGateFailed, true);
    assert.deepEqual(plan.update, []);
    assert.match(plan.message, /set-0 Failed/);
  });

  it('holds when the last phase is below 100 %', () => {
    const plan = planRollout(spec(4, [{ percent: 50 }]), 'new', [m(0, 'new'), m(1, 'new'), m(2, 'old'), m(3, 'old')], {}, now);
    assert.deepEqual(plan.update, []);
    assert.match(plan.message, /held at phase 0/);
  });
});
