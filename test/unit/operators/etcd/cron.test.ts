// The cron parser and the fire-time search, checked against a brute-force minute-by-minute scan.
import * as assert from 'node:assert/strict';
import { CronError, cronMatches, nextCronTime, parseCron, previousCronTime } from '../../../../src/operators/etcd/cron';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('etcd backups: cron expressions', () => {
  it('parses lists, ranges, steps, start/step and names: the fire times say which minutes, hours, days and months', () => {
    const times = (expr: string, from: string, n: number) => {
      const s = parseCron(expr);
      const out: string[] = [];
      let at = t(from);
      for (let i = 0; i < n; i++) out.push(iso((at = nextCronTime(s, at)!))!.slice(0, 16));
      return out;
    };
    assert.deepEqual(times('5,10-12,*/20 3 * * *', '2026-03-10T00:00:00Z', 7), [
      '2026-03-10T03:00',
      '2026-03-10T03:05',
      '2026-03-10T03:10',
      '2026-03-10T03:11',
      '2026-03-10T03:12',
      '2026-03-10T03:20',
      '2026-03-10T03:40',
    ]);
    assert.deepEqual(times('0 */6 * * *', '2026-03-10T00:30:00Z', 3), ['2026-03-10T06:00', '2026-03-10T12:00', '2026-03-10T18:00']);
    assert.deepEqual(times('0 0 1-7/3 jan,JUL-sep *', '2026-06-30T00:00:00Z', 4), [
      '2026-07-01T00:00',
      '2026-07-04T00:00',
      '2026-07-07T00:00',
      '2026-08-01T00:00',
    ]);
    assert.deepEqual(times('5/15 0 * * *', '2026-03-10T00:00:00Z', 4), [
      '2026-03-10T00:05',
      '2026-03-10T00:20',
      '2026-03-10T00:35',
      '2026-03-10T00:50',
    ]);
    assert.deepEqual(times('0 0 * * 7', '2026-03-10T00:00:00Z', 1), ['2026-03-15T00:00'], '7 is Sunday');
    assert.deepEqual(times('0 0 * * mon-fri', '2026-03-13T00:00:00Z', 2), ['2026-03-16T00:00', '2026-03-17T00:00'], 'Friday → Monday');
  });

  it('expands macros', () => {
    const start = t('2026-03-10T10:30:00Z');
    assert.equal(iso(nextCronTime(parseCron('@hourly'), start)), '2026-03-10T11:00:00.000Z');
    assert.equal(iso(nextCronTime(parseCron('@daily'), start)), '2026-03-11T00:00:00.000Z');
    assert.equal(iso(nextCronTime(parseCron('@weekly'), start)), '2026-03-15T00:00:00.000Z'); // a Sunday
    assert.equal(iso(nextCronTime(parseCron('@monthly'), start)), '2026-04-01T00:00:00.000Z');
    assert.equal(iso(nextCronTime(parseCron('@yearly'), start)), '2027-01-01T00:00:00.000Z');
  });

  it('refuses bad expressions with the field at fault', () => {
    // croner's own messages: each names the field or the entry at fault.
    const bad: Array<[string, RegExp]> = [
      ['* * * *', /expected 5 fields/],
      ['60 * * * *', /Invalid value for minute: 60/],
      ['* 24 * * *', /Invalid value for hour: 24/],
      ['* * 0 * *', /Invalid value for day/],
      ['* * * 13 *', /Invalid value for month/],
      ['* * * * 8', /Invalid value for dayOfWeek: 8/],
      ['*/0 * * * *', /illegal stepping: 0/],
      ['10-5 * * * *', /From value is larger than to value: '10-5'/],
      ['a * * * *', /entry 1 \(a\) contains illegal characters/],
      ['* * * foo *', /entry 4 \(foo\) contains illegal characters/],
      ['1,,2 * * * *', /minute \(\) is empty/],
      ['@every 5m', /invalid configuration format/],
    ];
    for (const [expr, msg] of bad)
      assert.throws(
        () => parseCron(expr),
        (e: unknown) => e instanceof CronError && msg.test(e.message),
        expr,
      );
  });

  it('matches day-of-month OR day-of-week when both are restricted, AND when one is *', () => {
    const either = parseCron('0 0 13 * fri'); // the 13th, and every Friday
    assert.equal(cronMatches(either, t('2026-03-13T00:00:00Z')), true); // Friday the 13th
    assert.equal(cronMatches(either, t('2026-04-13T00:00:00Z')), true); // a Monday, the 13th
    assert.equal(cronMatches(either, t('2026-04-17T00:00:00Z')), true); // a Friday
    assert.equal(cronMatches(either, t('2026-04-14T00:00:00Z')), false);
    const fridays = parseCron('0 0 * * fri');
    assert.equal(cronMatches(fridays, t('2026-04-13T00:00:00Z')), false);
    assert.equal(cronMatches(fridays, t('2026-04-17T00:00:00Z')), true);
    // A stepped * is a restriction (robfig/cron, which CronJobs use): OR applies.
    const stepped = parseCron('0 0 */10 * mon');
    assert.equal(cronMatches(stepped, t('2026-04-13T00:00:00Z')), true); // Monday, not 1/11/21/31
  });

  it('next and previous fire times agree with a minute-by-minute scan', function () {
    this.timeout(120_000); // ~1.1 million match() calls
    const exprs = [
      '*/7 * * * *',
      '0 */6 * * *',
      '30 2 * * 1-5',
      '15 10 1,15 * *',
      '0 0 13 * fri',
      '59 23 31 * *',
      '0 12 29 2 *',
      '5/15 3-4 * jan,jun sun',
      '@hourly',
    ];
    // Deterministic pseudo-random start points over a few years (leap day included).
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const scanNext = (s: ReturnType<typeof parseCron>, from: number, limit: number) => {
      for (let m = Math.floor(from / 60000) * 60000 + 60000; m <= from + limit; m += 60000) if (cronMatches(s, m)) return m;
      return undefined;
    };
    const scanPrev = (s: ReturnType<typeof parseCron>, from: number, limit: number) => {
      for (let m = Math.floor(from / 60000) * 60000; m >= from - limit; m -= 60000) if (cronMatches(s, m)) return m;
      return undefined;
    };
    const window = 40 * 86400_000;
    let checked = 0;
    for (const e of exprs) {
      const s = parseCron(e);
      for (let k = 0; k < 12; k++) {
        const from = t('2026-01-01T00:00:00Z') + Math.floor(rand() * 3 * 365 * 86400_000) + Math.floor(rand() * 60_000);
        const want = scanNext(s, from, window);
        if (want !== undefined) assert.equal(iso(nextCronTime(s, from)), iso(want), `next ${e} after ${iso(from)}`);
        const wantPrev = scanPrev(s, from, window);
        if (wantPrev !== undefined) assert.equal(iso(previousCronTime(s, from)), iso(wantPrev), `previous ${e} at ${iso(from)}`);
        checked += Number(want !== undefined) + Number(wantPrev !== undefined);
      }
    }
    assert.ok(checked > 150, `only ${checked} comparisons`);
  });

  it('next is strictly after, previous is at or before; never-firing expressions give undefined', () => {
    const s = parseCron('0 * * * *');
    assert.equal(iso(nextCronTime(s, t('2026-05-01T10:00:00Z'))), '2026-05-01T11:00:00.000Z');
    assert.equal(iso(previousCronTime(s, t('2026-05-01T10:00:00Z'))), '2026-05-01T10:00:00.000Z');
    assert.equal(iso(previousCronTime(s, t('2026-05-01T10:59:59.999Z'))), '2026-05-01T10:00:00.000Z');
    assert.equal(iso(nextCronTime(parseCron('0 0 29 2 *'), t('2026-03-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
    assert.equal(nextCronTime(parseCron('0 0 30 2 *'), t('2026-01-01T00:00:00Z')), undefined);
    assert.equal(previousCronTime(parseCron('0 0 31 4 *'), t('2026-01-01T00:00:00Z')), undefined);
  });
});
