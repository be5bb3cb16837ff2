// Five-field cron schedules (minute hour day-of-month month day-of-week) evaluated in UTC, through croner (the
// maintained cron library): lists, ranges, steps, names, 7 as Sunday, the @hourly/@daily/... macros, and
// "day-of-month OR day-of-week" when both are restricted (as Kubernetes CronJobs, robfig/cron). Pure and
// clock-free: callers pass the instant to search from.
import { Cron } from 'croner';

export class CronError extends Error {}

export interface CronSchedule {
  source: string;
  cron: Cron;
}

const MINUTE = 60_000;

export function parseCron(expr: string): CronSchedule {
  const source = expr.trim();
  const fields = source.split(/\s+/).length;
  if (!source.startsWith('@') && fields !== 5)
    throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${fields}`);
  try {
    // paused, no callback: a pattern to evaluate, never a timer. domAndDow false: OR when both day fields are
    // restricted; sloppyRanges: `5/15` (start/step) as robfig/cron and CronJobs accept it.
    return { source, cron: new Cron(source, { timezone: 'UTC', paused: true, domAndDow: false, mode: '5-part', sloppyRanges: true }) };
  } catch (e) {
    throw new CronError((e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, ''));
  }
}

/** Whether the schedule fires in the minute that holds `ms`. */
export function cronMatches(s: CronSchedule, ms: number): boolean {
  return s.cron.match(new Date(Math.floor(ms / MINUTE) * MINUTE));
}

/** The first fire time strictly after `afterMs` (a whole UTC minute), or undefined if it never fires. */
export function nextCronTime(s: CronSchedule, afterMs: number): number | undefined {
  return s.cron.nextRun(new Date(Math.floor(afterMs / MINUTE) * MINUTE))?.getTime();
}

/** The latest fire time at or before `atMs`, or undefined if there is none. */
export function previousCronTime(s: CronSchedule, atMs: number): number | undefined {
  // croner counts a run earlier in the same second as the reference: 1 ms past the minute includes that minute.
  return s.cron.previousRuns(1, new Date(Math.floor(atMs / MINUTE) * MINUTE + 1))[0]?.getTime();
}
