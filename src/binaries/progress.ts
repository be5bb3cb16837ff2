// Progress of binary builds as a person reads it: which binary, how many of how many, elapsed time and an
// estimate from the last build of the same binary (kept in the cache). On a TTY one live line redrawn every
// second; in logs (not a TTY) one line when a build starts and one when it ends.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BinarySpec } from './catalog';

export type BuildEvent =
  | {
      type: 'plan';
      items: Array<{ component: string; version: string; estimateSeconds?: number }>;
      total: number;
      goVersion: string;
      dir: string;
    }
  | { type: 'start'; index: number; count: number; spec: BinarySpec; estimateSeconds?: number; estimateFrom?: string }
  | { type: 'done'; index: number; count: number; spec: BinarySpec; seconds: number }
  | { type: 'failed'; index: number; count: number; spec: BinarySpec; seconds: number; error: string };

/** `75` → `1m15s`; `3` → `3s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const label = (e: { index: number; count: number; spec: BinarySpec }) => `[${e.index}/${e.count}] ${e.spec.component} ${e.spec.version}`;

function estimateText(estimate: number | undefined, from: string | undefined): string {
  if (estimate === undefined) return 'no earlier build here to estimate from';
  return `~${duration(estimate)}, from ${from ?? 'the last build'}`;
}

/** The line a log gets for an event (also what `onProgress` callers receive). */
export function formatBuildEvent(e: BuildEvent): string {
  switch (e.type) {
    case 'plan': {
      const known = e.items.filter((i) => i.estimateSeconds !== undefined);
      const sum = known.reduce((a, i) => a + (i.estimateSeconds ?? 0), 0);
      const est =
        known.length === e.items.length ? `, ~${duration(sum)} by the last builds` : known.length ? `, at least ~${duration(sum)}` : '';
      return (
        `${e.items.length} of ${e.total} binaries missing; building with ${e.goVersion} into ${e.dir}${est}: ` +
        e.items.map((i) => `${i.component} ${i.version}`).join(', ')
      );
    }
    case 'start':
      return `${label(e)}: building (${estimateText(e.estimateSeconds, e.estimateFrom)})`;
    case 'done':
      return `${label(e)}: built in ${duration(e.seconds)}`;
    case 'failed':
      return `${label(e)}: failed after ${duration(e.seconds)}`;
  }
}

export interface ProgressOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

/**
 * A reporter for `ensureBinaries({ onEvent })`: live line on a TTY, plain lines otherwise. `stop()` clears
 * the live line (call it when the build throws).
 */
export function buildProgressReporter(out: ProgressOutput, prefix = ''): { onEvent: (e: BuildEvent) => void; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let live = false;
  const clear = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (live) out.write('\r\x1b[K');
    live = false;
  };
  const onEvent = (e: BuildEvent) => {
    if (!out.isTTY || e.type !== 'start') {
      clear();
      out.write(`${prefix}${formatBuildEvent(e)}\n`);
      return;
    }
    const t0 = Date.now();
    const draw = () => {
      const elapsed = (Date.now() - t0) / 1000;
      let tail = 'no earlier build to estimate from';
      if (e.estimateSeconds !== undefined) {
        const left = e.estimateSeconds - elapsed;
        tail =
          left > 0
            ? `of ~${duration(e.estimateSeconds)}, ~${duration(left)} left`
            : `longer than the last build (${duration(e.estimateSeconds)})`;
      }
      out.write(`\r\x1b[K${prefix}${label(e)}: building ${duration(elapsed)} ${tail}`);
      live = true;
    };
    clear();
    draw();
    timer = setInterval(draw, 1000);
    timer.unref?.();
  };
  return { onEvent, stop: clear };
}

/** Past build durations, `<cache>/build-times.json`: `{ "<component>@<version>": { seconds, at } }`. */
export class BuildTimes {
  private cache: Record<string, { seconds: number; at: string }> | undefined;

  constructor(private readonly file: string) {}

  /** The file, read once per instance (a plan asks for an estimate per binary). */
  private read(): Record<string, { seconds: number; at: string }> {
    if (this.cache) return this.cache;
    try {
      const j = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      this.cache = j && typeof j === 'object' ? (j as Record<string, { seconds: number; at: string }>) : {};
    } catch {
      this.cache = {};
    }
    return this.cache;
  }

  /** The last build of this binary, else of another version of the same component. */
  estimate(component: string, version: string): { seconds: number; from: string } | undefined {
    const all = this.read();
    const same = all[`${component}@${version}`];
    if (same) return { seconds: same.seconds, from: `the last build (${same.at.slice(0, 10)})` };
    const other = Object.entries(all)
      .filter(([k]) => k.startsWith(`${component}@`))
      .sort((a, b) => b[1].at.localeCompare(a[1].at))[0];
    return other ? { seconds: other[1].seconds, from: `the last build of ${other[0].replace('@', ' ')}` } : undefined;
  }

  record(component: string, version: string, seconds: number): void {
    const all = this.read();
    all[`${component}@${version}`] = { seconds, at: new Date().toISOString() };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(all, null, 1)}\n`);
    fs.renameSync(tmp, this.file);
  }
}
