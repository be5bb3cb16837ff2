// Maintenance windows (issue 17): when a window is open and when the next opens, on a fixed clock (time zones and
// a daylight-saving change included); the precise errors of a bad window; and how a rollout pass holds Pending
// clusters to their windows while the clusters it already started carry on.
import * as assert from 'node:assert/strict';
import type { FleetRolloutSpec, MaintenanceWindow, RolloutClusterStatus } from '../../../../src/api';
import { advance, type ClusterFacts } from '../../../../src/operators/rollout/render/plan';
import { validateText } from '../../../../src/validation';
import { windowProblems, windowState } from '../../../../src/validation/rules/maintenance';

const W = (over: Partial<MaintenanceWindow>): MaintenanceWindow => ({ duration: '4h', timeZone: 'UTC', ...over });
const at = (iso: string) => new Date(iso);
const state = (ws: MaintenanceWindow[], now: string) => {
  const s = windowState(ws, at(now));
  if ('invalid' in s) return `invalid: ${s.invalid}`;
  return s.open ? `open until ${s.closesAt.toISOString()}` : `closed, next ${s.nextStart?.toISOString() ?? 'never'}`;
};

describe('maintenance windows: open or not, on a fixed clock', () => {
  // 2026-01-06 is a Tuesday.
  const tue = [W({ days: ['Tue'], start: '02:00' })];

  it('no windows: always open', () => {
    assert.equal(windowState(undefined, at('2026-01-06T12:00:00Z')).open, true);
    assert.equal(windowState([], at('2026-01-06T12:00:00Z')).open, true);
  });

  it('days and start: open from the start for the duration, then closed until the next opening', () => {
    assert.equal(state(tue, '2026-01-05T23:00:00Z'), 'closed, next 2026-01-06T02:00:00.000Z');
    assert.equal(state(tue, '2026-01-06T02:00:00Z'), 'open until 2026-01-06T06:00:00.000Z');
    assert.equal(state(tue, '2026-01-06T05:59:59Z'), 'open until 2026-01-06T06:00:00.000Z');
    assert.equal(state(tue, '2026-01-06T06:00:00Z'), 'closed, next 2026-01-13T02:00:00.000Z');
  });

  it('a window that spans midnight is open after midnight', () => {
    const nightly = [W({ start: '22:00' })];
    assert.equal(state(nightly, '2026-01-07T01:30:00Z'), 'open until 2026-01-07T02:00:00.000Z');
    assert.equal(state(nightly, '2026-01-07T02:00:00Z'), 'closed, next 2026-01-07T22:00:00.000Z');
  });

  it('the start is local time in the time zone, across a daylight-saving change', () => {
    const berlin = [W({ days: ['Sun'], start: '03:30', duration: '1h', timeZone: 'Europe/Berlin' })];
    // 2026-03-29: CET → CEST. The Sunday before (CET, +1) opens at 02:30Z; that day (CEST, +2) at 01:30Z.
    assert.equal(state(berlin, '2026-03-21T12:00:00Z'), 'closed, next 2026-03-22T02:30:00.000Z');
    assert.equal(state(berlin, '2026-03-23T12:00:00Z'), 'closed, next 2026-03-29T01:30:00.000Z');
    assert.equal(state(berlin, '2026-03-29T02:00:00Z'), 'open until 2026-03-29T02:30:00.000Z');
  });

  it('a cron schedule; of several windows the earliest next opening and the latest close count', () => {
    const ws = [W({ schedule: '30 1 * * 1-5', duration: '1h' }), W({ schedule: '0 0 * * 6', duration: '2h' })];
    assert.equal(state(ws, '2026-01-09T03:00:00Z'), 'closed, next 2026-01-10T00:00:00.000Z'); // Friday after its window
    assert.equal(state(ws, '2026-01-10T01:00:00Z'), 'open until 2026-01-10T02:00:00.000Z');
    assert.equal(state(ws, '2026-01-10T02:30:00Z'), 'closed, next 2026-01-12T01:30:00.000Z');
    const overlapping = [W({ start: '01:00', duration: '2h' }), W({ start: '02:00', duration: '3h' })];
    assert.equal(state(overlapping, '2026-01-10T02:30:00Z'), 'open until 2026-01-10T05:00:00.000Z');
  });
});

describe('maintenance windows: precise errors', () => {
  const messages = (w: Record<string, unknown>) => windowProblems(w, ['spec', 'maintenance', 'windows', 0]).map((p) => p.message);

  it('a cron schedule that does not parse names the field and why', () => {
    assert.deepEqual(messages({ schedule: '0 25 * * *', duration: '1h' }), [
      'spec.maintenance.windows[0].schedule "0 25 * * *" is not a cron schedule: Invalid value for hour: 25',
    ]);
    assert.deepEqual(messages({ schedule: '0 2 * *', duration: '1h' }), [
      'spec.maintenance.windows[0].schedule "0 2 * *" is not a cron schedule: ' +
        'expected 5 fields (minute hour day-of-month month day-of-week), got 4',
    ]);
  });

  it('start and schedule together or neither, days without start, a zero duration, an unknown time zone', () => {
    assert.deepEqual(messages({ start: '02:00', schedule: '0 2 * * *', duration: '1h' }), [
      'spec.maintenance.windows[0].start or schedule: set exactly one of them',
    ]);
    assert.deepEqual(messages({ days: ['Mon'], schedule: '0 2 * * *', duration: '0s', timeZone: 'Mars/Olympus' }), [
      'spec.maintenance.windows[0].days go with start; a schedule names its own days',
      'spec.maintenance.windows[0].duration must be longer than 0, such as "4h" or "90m", got "0s"',
      'spec.maintenance.windows[0].timeZone unknown time zone "Mars/Olympus"; use an IANA name such as "UTC" or "Europe/Berlin"',
    ]);
    assert.deepEqual(messages({ start: '02:00', duration: '1h', timeZone: 'Europe/Berlin' }), []);
  });

  it('the validator (editor, kokpit validate) reports them at the field', () => {
    const text =
      'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: dev\nspec:\n  version: v1.32.13\n' +
      '  etcd:\n    managed:\n      replicas: 1\n  maintenance:\n    windows:\n      - schedule: "0 2 * * Tux"\n        duration: 2h\n';
    const found = validateText(text).filter((d) => d.code.startsWith('window-'));
    assert.deepEqual(
      found.map((d) => `${d.line} ${d.code} ${d.path}`),
      ['12 window-cron spec.maintenance.windows[0].schedule'],
    );
    assert.match(found[0].message, /"0 2 \* \* Tux" is not a cron schedule: .*Tux/);
  });

  it('an invalid window is reported as such by windowState (the rollout skips the cluster with it)', () => {
    const s = windowState([W({ schedule: '61 * * * *' })], at('2026-01-06T00:00:00Z'));
    assert.ok('invalid' in s && /windows\[0\]\.schedule .*minute/.test(s.invalid), JSON.stringify(s));
  });
});

describe('maintenance windows: a rollout pass', () => {
  const TO = 'v1.33.13';
  const spec = (over: Partial<FleetRolloutSpec> = {}): FleetRolloutSpec => ({
    target: { kubernetesVersion: TO },
    clusters: { selector: { matchLabels: { env: 'prod' } } },
    waves: [{ name: 'all', clusters: '100%', maxConcurrency: 2, soak: '0s' }],
    maxFailures: 0,
    progressDeadline: '30m',
    paused: false,
    ...over,
  });
  const cluster = (name: string, windows?: MaintenanceWindow[], over: Partial<ClusterFacts> = {}): ClusterFacts => ({
    namespace: 'ns',
    name,
    labels: { env: 'prod' },
    specVersion: 'v1.32.0',
    statusVersion: 'v1.32.0',
    ready: true,
    paused: false,
    ...(windows ? { windows } : {}),
    ...over,
  });
  const pending = (...names: string[]): RolloutClusterStatus[] =>
    names.map((name) => ({ namespace: 'ns', name, wave: 'all', state: 'Pending' }));
  const facts = (...cs: ClusterFacts[]) => new Map(cs.map((c) => [`ns/${c.name}`, c]));
  const brief = (rows: RolloutClusterStatus[]) =>
    rows.map((r) => `${r.name}:${r.state}${r.state === 'Pending' && r.message ? ` (${r.message})` : ''}`);
  const nightly = [W({ start: '22:00', duration: '2h' })];

  it('outside its window a cluster waits (with when it opens); inside, it starts; ignoreWindows starts it anyway', () => {
    const input = { spec: spec(), target: TO, rows: pending('a', 'b'), facts: facts(cluster('a', nightly), cluster('b')), paused: false };
    const noon = advance({ ...input, now: at('2026-01-06T12:00:00Z') });
    assert.deepEqual(brief(noon.rows), [
      'a:Pending (WaitingForWindow: its next maintenance window opens at 2026-01-06T22:00:00Z)',
      'b:Upgrading',
    ]);
    assert.equal(noon.waitingForWindow, 1);
    assert.equal(noon.nextWindow?.toISOString(), '2026-01-06T22:00:00.000Z');
    const night = advance({ ...input, now: at('2026-01-06T22:10:00Z') });
    assert.deepEqual(brief(night.rows), ['a:Upgrading', 'b:Upgrading']);
    assert.equal(night.waitingForWindow, 0);
    const forced = advance({ ...input, spec: spec({ ignoreWindows: true }), now: at('2026-01-06T12:00:00Z') });
    assert.deepEqual(brief(forced.rows), ['a:Upgrading', 'b:Upgrading']);
  });

  it('when the window closes, a started cluster finishes; the next one of the wave waits for the next window', () => {
    const one = spec({ waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '0s' }] });
    const fs = facts(cluster('a', nightly), cluster('b', nightly));
    const first = advance({ spec: one, target: TO, rows: pending('a', 'b'), facts: fs, paused: false, now: at('2026-01-06T23:30:00Z') });
    assert.deepEqual(brief(first.rows), ['a:Upgrading', 'b:Pending']);
    // Past midnight the window is closed; a reaches the target and succeeds, b does not start.
    const done = facts(cluster('a', nightly, { specVersion: TO, statusVersion: TO }), cluster('b', nightly));
    const after = advance({ spec: one, target: TO, rows: first.rows, facts: done, paused: false, now: at('2026-01-07T00:30:00Z') });
    assert.deepEqual(brief(after.rows), [
      'a:Succeeded',
      'b:Pending (WaitingForWindow: its next maintenance window opens at 2026-01-07T22:00:00Z)',
    ]);
    assert.equal(after.currentWave, 'all');
    assert.ok(after.requeueAfterMs !== undefined && after.requeueAfterMs <= 30_000, 'a timer looks again before the window opens');
  });

  it('a later wave does not start while a cluster of the current one waits for its window', () => {
    const two = spec({
      waves: [
        { name: 'first', clusters: 1, maxConcurrency: 1, soak: '0s' },
        { name: 'rest', clusters: '100%', maxConcurrency: 1, soak: '0s' },
      ],
    });
    const rows: RolloutClusterStatus[] = [
      { namespace: 'ns', name: 'a', wave: 'first', state: 'Pending' },
      { namespace: 'ns', name: 'b', wave: 'rest', state: 'Pending' },
    ];
    const adv = advance({
      spec: two,
      target: TO,
      rows,
      facts: facts(cluster('a', nightly), cluster('b')),
      paused: false,
      now: at('2026-01-06T12:00:00Z'),
    });
    assert.deepEqual(
      brief(adv.rows).map((s) => s.split(' ')[0]),
      ['a:Pending', 'b:Pending'],
    );
    assert.equal(adv.currentWave, 'first');
  });

  it('an invalid or never-opening window skips the cluster with the reason instead of stalling the rollout', () => {
    const bad = cluster('a', [W({ schedule: '0 2 * * Tux' })]);
    const never = cluster('b', [W({ schedule: '0 0 30 2 *' })]);
    const adv = advance({
      spec: spec(),
      target: TO,
      rows: pending('a', 'b'),
      facts: facts(bad, never),
      paused: false,
      now: at('2026-01-06T12:00:00Z'),
    });
    assert.deepEqual(
      adv.rows.map((r) => `${r.name}:${r.state}:${r.message?.split(':')[0]}`),
      ['a:Skipped:InvalidMaintenanceWindow', 'b:Skipped:NoMaintenanceWindow'],
    );
    assert.match(adv.rows[0].message!, /spec\.maintenance\.windows\[0\]\.schedule "0 2 \* \* Tux" is not a cron schedule/);
  });
});
