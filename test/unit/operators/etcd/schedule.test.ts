// Scheduled backups as decisions: which slot is due with an injected clock, and what retention prunes.
import * as assert from 'node:assert/strict';
import { parseCron } from '../../../../src/operators/etcd/cron';
import { type ScheduledBackupFacts, decideSchedule, planRetention, scheduledBackupName } from '../../../../src/operators/etcd/schedule';

const t = (iso: string) => Date.parse(iso);
const hourly = parseCron('0 * * * *');
const base = { schedule: hourly, createdAt: t('2026-05-01T09:20:00Z'), inFlight: false, canSnapshot: true };

describe('etcd backups: schedule decisions', () => {
  it('takes nothing before the first slot after creation, and requeues at that slot', () => {
    const d = decideSchedule({ ...base, now: t('2026-05-01T09:45:00Z') });
    assert.equal(d.take, undefined);
    assert.equal(d.next, t('2026-05-01T10:00:00Z'));
    assert.equal(d.requeueAfterMs, 15 * 60_000);
  });

  it('takes the slot once it is due, and not again once it is recorded as taken', () => {
    const now = t('2026-05-01T10:00:05Z');
    assert.equal(decideSchedule({ ...base, now }).take, t('2026-05-01T10:00:00Z'));
    const again = decideSchedule({ ...base, now, lastScheduleTime: t('2026-05-01T10:00:00Z') });
    assert.equal(again.take, undefined);
    assert.equal(again.requeueAfterMs, 60 * 60_000 - 5000);
  });

  it('collapses missed slots into the newest one (operator down for hours)', () => {
    const d = decideSchedule({ ...base, now: t('2026-05-01T15:30:00Z'), lastScheduleTime: t('2026-05-01T10:00:00Z') });
    assert.equal(d.take, t('2026-05-01T15:00:00Z'));
    assert.equal(d.next, t('2026-05-01T16:00:00Z'));
  });

  it('waits while the previous scheduled backup runs or the cluster has no quorum, keeping the slot owed', () => {
    const now = t('2026-05-01T11:00:30Z');
    const running = decideSchedule({ ...base, now, lastScheduleTime: t('2026-05-01T10:00:00Z'), inFlight: true });
    assert.equal(running.take, undefined);
    assert.match(running.blocked ?? '', /still running/);
    const noQuorum = decideSchedule({ ...base, now, lastScheduleTime: t('2026-05-01T10:00:00Z'), canSnapshot: false });
    assert.match(noQuorum.blocked ?? '', /no quorum/);
    // Later, free again: the owed slot is taken.
    assert.equal(
      decideSchedule({ ...base, now: now + 120_000, lastScheduleTime: t('2026-05-01T10:00:00Z') }).take,
      t('2026-05-01T11:00:00Z'),
    );
  });

  it('a schedule that never fires again asks for no requeue', () => {
    const d = decideSchedule({ ...base, schedule: parseCron('0 0 30 2 *'), now: t('2026-05-01T10:00:00Z') });
    assert.deepEqual(d, { next: undefined, requeueAfterMs: undefined });
  });
});

describe('etcd backups: retention', () => {
  const b = (name: string, hour: number, phase: ScheduledBackupFacts['phase']): ScheduledBackupFacts => ({
    name,
    scheduledTime: t(`2026-05-01T${String(hour).padStart(2, '0')}:00:00Z`),
    phase,
  });

  it('keeps the newest `retain` completed backups and prunes older ones, oldest first', () => {
    const r = planRetention([b('b3', 3, 'Completed'), b('b1', 1, 'Completed'), b('b4', 4, 'Completed'), b('b2', 2, 'Completed')], 2);
    assert.equal(r.newest?.name, 'b4');
    assert.deepEqual(
      r.prune.map((x) => x.name),
      ['b1', 'b2'],
    );
  });

  it('prunes failed backups older than the newest completed one, never running ones', () => {
    const r = planRetention(
      [b('f1', 1, 'Failed'), b('c2', 2, 'Completed'), b('r3', 3, 'Running'), b('f4', 4, 'Failed'), b('p0', 0, 'Pending')],
      2,
    );
    assert.equal(r.newest?.name, 'c2');
    assert.deepEqual(r.prune, []);
    assert.deepEqual(
      r.pruneFailed.map((x) => x.name),
      ['f1'],
    );
  });

  it('a schedule that keeps failing keeps only the `retain` newest failures', () => {
    const r = planRetention([b('f1', 1, 'Failed'), b('f2', 2, 'Failed'), b('f3', 3, 'Failed'), b('f4', 4, 'Failed')], 2);
    assert.equal(r.newest, undefined);
    assert.deepEqual(
      r.pruneFailed.map((x) => x.name),
      ['f1', 'f2'],
    );
  });

  it('prunes nothing without a completed backup, or within retain', () => {
    assert.deepEqual(planRetention([b('r1', 1, 'Running'), b('f0', 0, 'Failed')], 1), { newest: undefined, prune: [], pruneFailed: [] });
    assert.deepEqual(planRetention([b('c1', 1, 'Completed'), b('c2', 2, 'Completed')], 2).prune, []);
  });

  it('names one backup per slot, within a 63-character label', () => {
    assert.equal(scheduledBackupName('alpha', t('2026-05-01T06:30:00Z')), 'alpha-20260501-0630');
    const long = scheduledBackupName('a'.repeat(60), t('2026-05-01T06:30:00Z'));
    assert.ok(long.length <= 63 && long.endsWith('-20260501-0630'), long);
    assert.match(scheduledBackupName(`${'a'.repeat(48)}-bbbbbb`, 0), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
