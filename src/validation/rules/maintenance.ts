// Maintenance windows: their rules (what the schema cannot say: the cron schedule, the time zone) and when they
// are open. Pure and clock-free: callers pass the instant. croner (the maintained cron library the etcd backups
// use too) finds the openings in the window's time zone, so a local 02:00 stays 02:00 across DST changes.
import { Cron } from 'croner';
import type { MaintenanceWindow } from '../../api';
import { formatPath, type PathSegment } from '../types';
import { arr, obj, valueAt, type RuleContext } from './context';
import { durationMs, type SpecProblem } from './rollout';

const MINUTE = 60_000;
const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** The cron pattern of a window's openings: its own schedule, or `MM HH * * days` from start and days. */
export function windowPattern(w: Pick<MaintenanceWindow, 'days' | 'start' | 'schedule'>): string {
  if (w.schedule !== undefined) return w.schedule.trim();
  const m = CLOCK.exec(w.start ?? '');
  return `${Number(m?.[2] ?? 0)} ${Number(m?.[1] ?? 0)} * * ${w.days?.length ? w.days.join(',') : '*'}`;
}

function timeZoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as "UTC" or "Europe/Berlin"`;
  }
}

function cronOf(w: MaintenanceWindow): Cron {
  // paused, no callback: a pattern to evaluate, never a timer; domAndDow false: "day-of-month OR day-of-week", as cron.
  return new Cron(windowPattern(w), { timezone: w.timeZone ?? 'UTC', paused: true, mode: '5-part', domAndDow: false });
}

/** Every problem of one window, each at its field (`at` is the window's path). Fields of the wrong type are the
 *  schema's to report; this checks what it cannot: one way of saying the start, the cron schedule, the zone. */
export function windowProblems(w: Record<string, unknown>, at: PathSegment[]): SpecProblem[] {
  const out: SpecProblem[] = [];
  const report = (f: string, code: string, message: string) => {
    const path = [...at, f];
    out.push({ path, code, message: `${formatPath(path)} ${message}` });
  };
  if ((w.start === undefined) === (w.schedule === undefined)) report('start', 'window-start', 'or schedule: set exactly one of them');
  if (w.days !== undefined && w.start === undefined) report('days', 'window-days', 'go with start; a schedule names its own days');
  if (typeof w.schedule === 'string') {
    const why = cronProblem(w.schedule);
    if (why) report('schedule', 'window-cron', `${JSON.stringify(w.schedule)} is not a cron schedule: ${why}`);
  }
  if (typeof w.duration === 'string' && !durationMs(w.duration))
    report('duration', 'window-duration', `must be longer than 0, such as "4h" or "90m", got ${JSON.stringify(w.duration)}`);
  const tz = typeof w.timeZone === 'string' ? timeZoneProblem(w.timeZone) : undefined;
  if (tz) report('timeZone', 'window-timezone', tz);
  return out;
}

function cronProblem(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/).length;
  if (fields !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields}`;
  try {
    new Cron(schedule.trim(), { timezone: 'UTC', paused: true, mode: '5-part' });
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, '');
  }
}

/** The editor's and `kokpit validate`'s rule for spec.maintenance.windows of a BusinessCluster. */
export function checkMaintenanceWindows(ctx: RuleContext, path: readonly PathSegment[]): void {
  arr(valueAt(ctx.value, path))?.forEach((w, i) => {
    const window = obj(w);
    if (window) for (const p of windowProblems(window, [...path, i])) ctx.report(p.path, 'value', 'error', p.code, p.message);
  });
}

export type WindowState = { open: true; closesAt: Date } | { open: false; nextStart?: Date } | { open: false; invalid: string };

/**
 * Whether any window is open at `now` (opened at or before it, closing after it), and if not, when the next one
 * opens. No windows means always open. A window whose last opening is longer ago than its duration is closed.
 */
export function windowState(windows: MaintenanceWindow[] | undefined, now: Date): WindowState {
  if (!windows?.length) return { open: true, closesAt: new Date(8.64e15) };
  const problems = windows.flatMap((w, i) => windowProblems(w, ['spec', 'maintenance', 'windows', i]));
  if (problems.length) return { open: false, invalid: problems.map((p) => p.message).join('; ') };
  const minute = Math.floor(now.getTime() / MINUTE) * MINUTE;
  let closesAt: number | undefined;
  let nextStart: number | undefined;
  for (const w of windows) {
    const cron = cronOf(w);
    const length = durationMs(w.duration)!;
    // The latest opening at or before now (1 ms past the minute counts an opening in this very minute).
    const last = cron.previousRuns(1, new Date(minute + 1))[0]?.getTime();
    if (last !== undefined && last + length > now.getTime()) closesAt = Math.max(closesAt ?? 0, last + length);
    const next = cron.nextRun(new Date(minute))?.getTime();
    if (next !== undefined) nextStart = Math.min(nextStart ?? Infinity, next);
  }
  if (closesAt !== undefined) return { open: true, closesAt: new Date(closesAt) };
  return nextStart !== undefined ? { open: false, nextStart: new Date(nextStart) } : { open: false };
}
