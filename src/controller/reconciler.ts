// The level-triggered reconcile contract (after controller-runtime's pkg/reconcile):
// a reconciler gets a key, reads the world, and returns nothing, a requeue delay, or throws.
// No event type ever reaches it.

export interface ReconcileResult {
  /** Look again after this long, even if nothing changes (e.g. waiting for etcd to become Available). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** Aborted on shutdown: long steps should stop at the next safe point. */
  signal: AbortSignal;
  log: Logger;
}

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

/** A spec that no retry can fix (reported on status by the reconciler); the key is not retried until it changes. */
export class TerminalError extends Error {
  constructor(
    message: string,
    readonly reason: string = 'InvalidSpec',
  ) {
    super(message);
    this.name = 'TerminalError';
  }
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const name = obj.metadata?.name ?? '';
  return obj.metadata?.namespace ? `${obj.metadata.namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** One line for an API error: `HTTP 409: <server message>`, never the response headers or body dump. */
export function briefError(e: unknown): string {
  const err = e as { code?: number; statusCode?: number; body?: unknown; message?: string };
  let body = err?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep the text */
    }
  }
  const msg = (body as { message?: string } | undefined)?.message;
  const code = err?.code ?? err?.statusCode;
  if (typeof code === 'number') return `HTTP ${code}${msg ? `: ${msg}` : ''}`;
  return (err?.message ?? String(e)).split('\n')[0];
}

/**
 * `fn`, run for one key at a time: a call for a key whose pass is still running waits for it, then runs. The work
 * queue already runs each key once at a time; this covers callers beside it (tests and commands that call a
 * reconciler directly while its controller runs), whose overlapping pass could otherwise write a status computed from
 * observations older than the one just written. Hand-written: a map of promise chains, no library needed.
 */
export function oneAtATimePerKey<A extends unknown[], R>(
  fn: (key: string, ...rest: A) => Promise<R>,
): (key: string, ...rest: A) => Promise<R> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, ...rest) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(() => fn(key, ...rest));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
