// Real crashes: the manager runs as its own process (`kokpit operator`, the sources under test), and the test
// SIGKILLs it the moment a named write shows up outside it — in the meta API server's audit log, or in the
// watch of a business cluster's etcd (its API server runs without an audit policy). Nothing in the shipped
// product knows about the points: each is a predicate on a write event, and the kill lands wherever the
// process is when the event is read (the write itself is done; what came after it in the same pass is not).
// A restarted manager must then converge to what a run without a crash makes; the checks are the tests'.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { AuditEvent } from './audit-writes';

const BIN = path.resolve('bin/kokpit.js');

/** One write, as the API server's audit log or an etcd watch saw it. */
export interface WriteEvent {
  /** Where it was seen: `meta` (audit log) or the label of an etcd watch (`business`). */
  source: string;
  /** create, update, patch, delete (an etcd put is create when the key is new, else update). */
  verb: string;
  /** Plural resource, `/subresource` appended (`businessclusters/status`). */
  resource: string;
  namespace?: string;
  name?: string;
  /** Only the audit log knows who wrote. */
  userAgent?: string;
  /** The response code (audit log only): 201 tells a creating server-side apply PATCH from one that changed an object. */
  code?: number;
  /** When this process read it. */
  seenAt: number;
}

export interface CrashPoint {
  /** `cluster/pki:first`: operator / step, `:first` = its first write (before the rest), `:last` = after its writes. */
  name: string;
  what: string;
  source: string;
  match: (e: WriteEvent) => boolean;
}

export interface PointFilter {
  source?: string;
  verbs?: string[];
  resource: string;
  namespace?: string;
  /** Exact name, or a prefix when it ends with `*`. */
  name?: string;
  userAgent?: string;
}

/** A point from a filter; every given field must match. */
export function point(name: string, what: string, f: PointFilter): CrashPoint {
  const source = f.source ?? 'meta';
  const nameOk = (n?: string) => f.name === undefined || (f.name.endsWith('*') ? (n ?? '').startsWith(f.name.slice(0, -1)) : n === f.name);
  return {
    name,
    what,
    source,
    match: (e) =>
      e.source === source &&
      (!f.verbs || f.verbs.includes(e.verb)) &&
      e.resource === f.resource &&
      (f.namespace === undefined || e.namespace === f.namespace) &&
      nameOk(e.name) &&
      (f.userAgent === undefined || e.userAgent === f.userAgent),
  };
}

/** Creating writes: server-side apply creates with a PATCH, so both count. */
export const CREATES = ['create', 'patch'];

// --- choosing points -------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a printed seed replays the same pick. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's seed: KOKPIT_TEST_SEED replays one, else a new one; printed either way. */
export function testSeed(log: (l: string) => void): number {
  const given = process.env.KOKPIT_TEST_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`KOKPIT_TEST_SEED=${given} is not an integer`);
  log(`seed ${seed} (KOKPIT_TEST_SEED=${seed} replays this run)`);
  return seed;
}

/**
 * Which points this run crashes at, kept in table order (the table is in pass order, so one creation
 * reaches them one after another): KOKPIT_CRASH_POINTS=a,b names them (`random:N` = N picked by the
 * seed); unset, every point of the table.
 */
export function choosePoints(table: CrashPoint[], seed: number, log: (l: string) => void): CrashPoint[] {
  const spec = (process.env.KOKPIT_CRASH_POINTS ?? '').trim();
  let chosen: CrashPoint[];
  const random = /^random:(\d+)$/.exec(spec);
  if (!spec) chosen = table;
  else if (random) {
    const rnd = seededRandom(seed);
    const pool = [...table];
    const picked = new Set<CrashPoint>();
    while (picked.size < Math.min(Number(random[1]), table.length)) picked.add(pool.splice(Math.floor(rnd() * pool.length), 1)[0]);
    chosen = table.filter((p) => picked.has(p));
  } else {
    const names = spec.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !table.some((p) => p.name === n));
    if (unknown.length) throw new Error(`unknown crash point(s) ${unknown.join(', ')}; known: ${table.map((p) => p.name).join(', ')}`);
    chosen = table.filter((p) => names.includes(p.name));
  }
  log(
    `crash points (${chosen.length} of ${table.length}; KOKPIT_CRASH_POINTS=a,b or random:N to choose): ` +
      chosen.map((p) => p.name).join(', '),
  );
  return chosen;
}

// --- where writes are seen ---------------------------------------------------------------------------------

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Follows an audit log as the API server appends to it (inotify, with a slow poll as a safety net). */
export class AuditTail {
  private offset = 0;
  private partial = '';
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly emit: (e: WriteEvent) => void,
    readonly source = 'meta',
  ) {}

  start(): void {
    this.timer = setInterval(() => this.read(), 50);
    try {
      this.watcher = fs.watch(this.file, () => this.read());
    } catch (e) {
      // A shared machine can run out of inotify instances (EMFILE/ENOSPC): the 50 ms poll alone still sees every line.
      if (!['EMFILE', 'ENOSPC'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    this.read();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }

  /** Reads what was appended since the last read; a line cut in half waits for its end. */
  read(): void {
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    const buf = Buffer.alloc(size - this.offset);
    try {
      fs.readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      fs.closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const a = JSON.parse(line) as AuditEvent;
      const ok = (a.responseStatus?.code ?? 0) < 300;
      if (a.stage !== 'ResponseComplete' || !WRITE_VERBS.has(a.verb) || !ok || !a.objectRef?.resource) continue;
      const r = a.objectRef;
      this.emit({
        source: this.source,
        verb: a.verb,
        resource: `${r.resource}${r.subresource ? `/${r.subresource}` : ''}`,
        namespace: r.namespace,
        name: r.name,
        userAgent: a.userAgent,
        code: a.responseStatus?.code,
        seenAt: Date.now(),
      });
    }
  }
}

/**
 * A business cluster's writes as its etcd stores them: every put and delete under /registry/ from revision 1
 * (so writes made before the watch opened are replayed too). Keys are `/registry/<resource>/<ns>/<name>` or
 * `/registry/<resource>/<name>`; the writer is unknown, so points pick objects only kokpit creates.
 */
export async function watchEtcdWrites(client: Etcd3, source: string, emit: (e: WriteEvent) => void): Promise<Watcher> {
  const toEvent = (kv: IKeyValue, verb: string): WriteEvent => {
    const parts = kv.key.toString('utf8').split('/').slice(2);
    const [resource, a, b] = parts;
    return { source, verb, resource, ...(b !== undefined ? { namespace: a, name: b } : { name: a }), seenAt: Date.now() };
  };
  // Returns once the replay reached the revision current now, so "was it written already?" has its answer.
  const now = Number((await client.get('/registry/').exec()).header.revision);
  let caughtUp!: () => void;
  const replayed = new Promise<void>((resolve) => (caughtUp = resolve));
  const seen = (kv: IKeyValue) => Number(kv.mod_revision) >= now && caughtUp();
  const watcher = await client.watch().prefix('/registry/').startRevision('1').create();
  watcher.on('put', (kv) => {
    emit(toEvent(kv, kv.create_revision === kv.mod_revision ? 'create' : 'update'));
    seen(kv);
  });
  watcher.on('delete', (kv) => {
    emit(toEvent(kv, 'delete'));
    seen(kv);
  });
  await Promise.race([replayed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  return watcher;
}

// --- the manager process -------------------------------------------------------------------------------------

export class ManagerProcess {
  readonly child: ChildProcess;
  private readonly out: string[] = [];
  readonly startedAt = Date.now();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `program`: a test build (a TypeScript file that runs `kokpit operator` with test-only parts) instead of bin/kokpit.js. */
  constructor(kubeconfig: string, args: string[], logFile: string, program?: { file: string; env?: NodeJS.ProcessEnv }) {
    const entry = program ? ['--require', 'tsx/cjs', path.resolve(program.file)] : [BIN];
    this.child = spawn(process.execPath, [...entry, 'operator', '--kubeconfig', kubeconfig, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The sources under test, never a stale dist/ bundle.
      env: { ...process.env, ...program?.env, KOKPIT_FROM_SOURCE: '1' },
    });
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    log.write(`--- manager pid ${this.child.pid} started ${new Date().toISOString()}\n`);
    for (const s of [this.child.stdout!, this.child.stderr!])
      s.on('data', (d: Buffer) => {
        this.out.push(String(d));
        log.write(d);
      });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        log.end(`--- manager pid ${this.child.pid} exited code=${code} signal=${signal}\n`);
        resolve({ code, signal });
      }),
    );
  }

  get output(): string {
    return this.out.join('');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The metrics URL it printed (with --metrics-bind-address), once it did. */
  get metricsURL(): string | undefined {
    return /serving metrics at (http:\/\/\S+)\/metrics/.exec(this.output)?.[1];
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.kill(), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}

export interface CrashOutcome {
  point: CrashPoint;
  /** killed: the manager died right after the point's write; passed: the write happened before it was armed. */
  result: 'killed' | 'passed';
  event?: WriteEvent;
  /** From the manager's start to the point's write. */
  reachedMs?: number;
  /** From reading the event to the process's exit. */
  killMs?: number;
  /** Writes of the same source the manager still got in between the point's write and its death. */
  writesAfter?: WriteEvent[];
}

export interface CrashHarnessOptions {
  kubeconfig: string;
  /** Extra flags for `kokpit operator` (default: --no-leader-elect and a metrics endpoint). */
  managerArgs?: string[];
  dir: string;
  log: (line: string) => void;
  /** Run this test build of the manager instead of bin/kokpit.js (see ManagerProcess). */
  program?: { file: string; env?: NodeJS.ProcessEnv };
}

/** Starts managers, kills them at points, and keeps every write event seen (the checks read them too). */
export class CrashHarness {
  readonly events: WriteEvent[] = [];
  manager?: ManagerProcess;
  private armed?: { point: CrashPoint; hit: (e: WriteEvent) => void };
  private readonly listeners = new Set<(e: WriteEvent) => void>();
  readonly logFile: string;

  constructor(private readonly o: CrashHarnessOptions) {
    this.logFile = path.join(o.dir, 'manager.log');
  }

  /** Sources call this for every write they see; an armed point that matches kills the manager at once. */
  readonly feed = (e: WriteEvent): void => {
    this.events.push(e);
    if (this.armed?.point.match(e)) {
      // Synchronously, before anything else runs: the fewer of its writes the process gets in after this, the better.
      this.manager?.kill();
      const { hit } = this.armed;
      this.armed = undefined;
      hit(e);
    }
    for (const l of this.listeners) l(e);
  };

  startManager(): ManagerProcess {
    if (this.manager?.running) throw new Error('a manager is already running');
    const args = this.o.managerArgs ?? ['--no-leader-elect', '--metrics-bind-address', '127.0.0.1:0'];
    this.manager = new ManagerProcess(this.o.kubeconfig, args, this.logFile, this.o.program);
    return this.manager;
  }

  /**
   * Runs a manager (a new one unless one runs) until `p`'s write, then SIGKILLs it. A point whose write was
   * already seen is not waited for (one creation passes each point once): `passed`, unless `fresh`.
   */
  async crashAt(p: CrashPoint, timeoutMs: number, opts: { fresh?: boolean } = {}): Promise<CrashOutcome> {
    // fresh: only a write from now on counts (a status write, which every pass makes).
    const earlier = opts.fresh ? undefined : this.events.find((e) => p.match(e));
    if (earlier) return { point: p, result: 'passed', event: earlier };
    const hit = new Promise<WriteEvent>((resolve) => (this.armed = { point: p, hit: resolve }));
    const m = this.manager?.running ? this.manager : this.startManager();
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`crash point ${p.name} (${p.what}) not reached in ${timeoutMs} ms`)), timeoutMs);
      void m.exited.then(({ code, signal }) => {
        if (this.armed?.point === p)
          reject(new Error(`the manager exited (code ${code}, signal ${signal}) before ${p.name}:\n${m.output.slice(-3000)}`));
      });
    });
    try {
      const event = await Promise.race([hit, failed]);
      const from = this.events.indexOf(event);
      await m.exited;
      const killMs = Date.now() - event.seenAt;
      // What the process still wrote: events read after the point's, from the same source and its User-Agent.
      const writesAfter = this.events.slice(from + 1).filter((e) => e.source === event.source && e.userAgent === event.userAgent);
      return { point: p, result: 'killed', event, reachedMs: event.seenAt - m.startedAt, killMs, writesAfter };
    } finally {
      clearTimeout(timer);
      if (this.armed?.point === p) this.armed = undefined;
    }
  }

  /** Called with every write seen until the returned function is called. */
  onWrite(fn: (e: WriteEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async stop(): Promise<void> {
    await this.manager?.stop();
  }
}

/** One line per outcome, for the test's log. */
export function describeOutcome(o: CrashOutcome): string {
  if (o.result === 'passed')
    return `${o.point.name}: passed before it was armed (its write came in the same incarnation as an earlier point's)`;
  const after = o.writesAfter?.length ? `, ${o.writesAfter.length} more write(s) of the same writer before it died` : '';
  const e = o.event!;
  const what = `${e.verb} ${e.resource} ${e.namespace ?? ''}/${e.name}`;
  return `${o.point.name}: killed ${o.killMs} ms after ${what} (reached ${o.reachedMs} ms after start${after})`;
}
