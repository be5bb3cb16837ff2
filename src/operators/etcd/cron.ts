// Five-field cron schedules (minute hour day-of-month month day-of-week), evaluated in UTC, with the
// semantics Kubernetes CronJobs have (robfig/cron): lists, ranges, steps, month and weekday names, 7 as
// Sunday, the @hourly/@daily/... macros, and "day-of-month OR day-of-week" when both are restricted.
// Pure and clock-free: callers pass the instant to search from.

export class CronError extends Error {}

export interface CronSchedule {
  source: string;
  minutes: boolean[];
  hours: boolean[];
  daysOfMonth: boolean[];
  months: boolean[];
  daysOfWeek: boolean[];
  /** A field given as a bare `*`: with both day fields restricted, a day matches either of them. */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Offset of names[0] (months start at 1). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is accepted as Sunday and folded onto 0 below.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

function parseNumber(text: string, f: FieldSpec): number {
  const named = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (f.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${f.name}: "${text}" is not a number${f.names ? ' or a name' : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new CronError(`${f.name}: ${n} is outside ${f.min}-${f.max}`);
  return n;
}

/** One field into a bitmap over min..max; `star` when it is a bare `*` (or `*` with step 1). */
function parseField(text: string, f: FieldSpec): { bits: boolean[]; star: boolean } {
  const bits = new Array<boolean>(f.max + 1).fill(false);
  let star = false;
  for (const part of text.split(',')) {
    if (!part) throw new CronError(`${f.name}: empty list item in "${text}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${f.name}: "${part}" has more than one step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${f.name}: step "${stepText}" must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.max;
      if (step === 1) star = true;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) throw new CronError(`${f.name}: bad range "${range}"`);
      lo = parseNumber(a, f);
      hi = parseNumber(b, f);
      if (lo > hi) throw new CronError(`${f.name}: range ${range} runs backwards`);
    } else {
      lo = parseNumber(range, f);
      // `5/15` means 5, 20, 35, 50 (from 5 to the end of the range), as in Vixie cron.
      hi = stepText !== undefined ? f.max : lo;
    }
    for (let v = lo; v <= hi; v += step) bits[v] = true;
  }
  return { bits, star };
}

/** Parses a 5-field cron expression or a macro; throws CronError with the field at fault. */
export function parseCron(expr: string): CronSchedule {
  const source = expr.trim();
  const expanded = source.startsWith('@') ? MACROS[source.toLowerCase()] : source;
  if (!expanded) throw new CronError(`unknown macro "${source}"; one of ${Object.keys(MACROS).join(', ')}`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]));
  const daysOfWeek = dow.bits.slice(0, 7);
  if (dow.bits[7]) daysOfWeek[0] = true;
  return {
    source,
    minutes: minute.bits,
    hours: hour.bits,
    daysOfMonth: dom.bits,
    months: month.bits,
    daysOfWeek,
    dayOfMonthStar: dom.star,
    dayOfWeekStar: dow.star,
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.daysOfMonth[d.getUTCDate()];
  const dow = s.daysOfWeek[d.getUTCDay()];
  if (s.dayOfMonthStar || s.dayOfWeekStar) return dom && dow;
  return dom || dow;
}

/** Whether the schedule fires in the minute that holds `ms`. */
export function cronMatches(s: CronSchedule, ms: number): boolean {
  const d = new Date(ms);
  return s.minutes[d.getUTCMinutes()] && s.hours[d.getUTCHours()] && s.months[d.getUTCMonth() + 1] && dayMatches(s, d);
}

const MINUTE = 60_000;
// Past this many years without a match the expression never fires (`0 0 30 2 *`); leap days need 4+.
const SEARCH_YEARS = 8;

/** The first fire time strictly after `afterMs` (a whole UTC minute), or undefined if it never fires. */
export function nextCronTime(s: CronSchedule, afterMs: number): number | undefined {
  const d = new Date(Math.floor(afterMs / MINUTE) * MINUTE + MINUTE);
  const limit = d.getUTCFullYear() + SEARCH_YEARS;
  while (d.getUTCFullYear() <= limit) {
    if (!s.months[d.getUTCMonth() + 1]) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!s.hours[d.getUTCHours()]) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minutes[d.getUTCMinutes()]) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else {
      return d.getTime();
    }
  }
  return undefined;
}

/** The latest fire time at or before `atMs`, or undefined if there is none in the last years. */
export function previousCronTime(s: CronSchedule, atMs: number): number | undefined {
  const d = new Date(Math.floor(atMs / MINUTE) * MINUTE);
  const limit = d.getUTCFullYear() - SEARCH_YEARS;
  // Each branch steps to the last minute before the unit that cannot match.
  while (d.getUTCFullYear() >= limit) {
    if (!s.months[d.getUTCMonth() + 1]) {
      d.setUTCDate(1);
      d.setUTCHours(0, -1, 0, 0);
    } else if (!dayMatches(s, d)) {
      d.setUTCHours(0, -1, 0, 0);
    } else if (!s.hours[d.getUTCHours()]) {
      d.setUTCMinutes(-1, 0, 0);
    } else if (!s.minutes[d.getUTCMinutes()]) {
      d.setUTCMinutes(d.getUTCMinutes() - 1, 0, 0);
    } else {
      return d.getTime();
    }
  }
  return undefined;
}
