// Binaries for components that need one at run time (the machine operator's kwok, the etcd operator's
// etcdutl, the pod runner's "images"): found in the cache, or built on demand instead of parking the object.
// One build at a time per process (a cold Kubernetes build saturates 2 cores), concurrent callers of the same
// binary share it, and a failed build is not retried for a while so a reconcile loop cannot rebuild forever.
import { binaryPath, buildTimes, ensureBinaries, isExecutable } from './build';
import { unbuildableReason } from './catalog';
import { duration, formatBuildEvent } from './progress';

export type BinaryState =
  | { state: 'present'; path: string }
  | { state: 'building'; message: string }
  | { state: 'failed'; message: string }
  | { state: 'unbuildable'; message: string }
  | { state: 'missing'; message: string };

export interface BinaryProvider {
  /** The executable when it is there now (no build). */
  find(component: string, version: string): string | undefined;
  /** The executable, built first when missing and buildable. Rejects with the reason otherwise. */
  ensure(component: string, version: string): Promise<string>;
  /** Where a binary stands without waiting: present, building (since when, estimate), failed, unbuildable. */
  state(component: string, version: string): BinaryState;
  /**
   * Like `state`, but a missing buildable binary starts building in the background (its state is then
   * `building`); `settled` hears how that build ended. For callers that retry instead of waiting (reconcilers,
   * the pod runner's sync loop).
   */
  request(component: string, version: string, settled?: (error?: unknown) => void): BinaryState;
}

export interface ProviderOptions {
  log?: (line: string) => void;
  /** How long a failed build is remembered before it is tried again (default 5 min). */
  retryFailedAfterMs?: number;
  /** For tests: the build function. */
  ensure?: typeof ensureBinaries;
}

/* eslint-disable-next-line max-lines-per-function -- the provider's state (builds in flight, failures remembered) is shared by the
   closures of the object it returns */
export function localBinaryProvider(o: ProviderOptions = {}): BinaryProvider {
  const log = o.log ?? (() => {});
  const builds = new Map<string, { promise: Promise<string>; since: number; estimate: string; started: boolean }>();
  const failures = new Map<string, { at: number; message: string }>();
  let queue: Promise<unknown> = Promise.resolve();
  const key = (c: string, v: string) => `${c}@${v}`;
  const retryAfter = o.retryFailedAfterMs ?? 5 * 60_000;

  const find = (component: string, version: string) => {
    const p = binaryPath(component, version);
    return isExecutable(p) ? p : undefined;
  };

  const state = (component: string, version: string): BinaryState => {
    const p = find(component, version);
    if (p) return { state: 'present', path: p };
    const why = unbuildableReason(component, version);
    if (why) return { state: 'unbuildable', message: why };
    const b = builds.get(key(component, version));
    // Stable text (no elapsed time): a status that quotes it is not rewritten every pass during a build.
    if (b && !b.started)
      return {
        state: 'building',
        message: `waiting to build ${component} ${version} from Go modules (one build at a time; queued since ${isoSeconds(b.since)})`,
      };
    if (b)
      return {
        state: 'building',
        message: `building ${component} ${version} from Go modules on demand since ${isoSeconds(b.since)}${b.estimate}`,
      };
    const f = failures.get(key(component, version));
    if (f) return { state: 'failed', message: f.message };
    return { state: 'missing', message: `${component} ${version} is not built yet` };
  };

  const ensure = (component: string, version: string): Promise<string> => {
    const p = find(component, version);
    if (p) return Promise.resolve(p);
    const why = unbuildableReason(component, version);
    if (why) return Promise.reject(new Error(why));
    const k = key(component, version);
    const running = builds.get(k);
    if (running) return running.promise;
    const failed = failures.get(k);
    if (failed && Date.now() - failed.at < retryAfter) return Promise.reject(new Error(failed.message));
    const last = buildTimes().estimate(component, version);
    const entry = {
      since: Date.now(),
      started: false,
      estimate: last ? ` (~${duration(last.seconds)}, from ${last.from})` : '',
      promise: undefined as unknown as Promise<string>,
    };
    const run = async () => {
      entry.since = Date.now();
      entry.started = true;
      log(`building ${component} ${version} on demand (it is not in the binary cache)`);
      await (o.ensure ?? ensureBinaries)({
        requests: [{ component, version }],
        onEvent: (e) => {
          if (e.type !== 'plan') log(formatBuildEvent(e));
        },
      });
      const built = find(component, version);
      if (!built) throw new Error(`the build of ${component} ${version} finished but ${binaryPath(component, version)} is not executable`);
      return built;
    };
    entry.promise = (queue = queue.catch(() => {}).then(run)) as Promise<string>;
    entry.promise
      .then(
        () => failures.delete(k),
        (e: unknown) =>
          failures.set(k, {
            at: Date.now(),
            message: `building ${component} ${version} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
          }),
      )
      .finally(() => builds.delete(k));
    builds.set(k, entry);
    return entry.promise;
  };
  const request = (component: string, version: string, settled?: (error?: unknown) => void): BinaryState => {
    if (state(component, version).state === 'missing') {
      // Started here, awaited by nobody: the caller's next pass finds the binary (or the failure).
      ensure(component, version).then(
        () => settled?.(),
        (e: unknown) => settled?.(e),
      );
    }
    return state(component, version);
  };
  return { find, ensure, state, request };
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

let shared: BinaryProvider | undefined;
/** The process-wide provider (one build queue per process). */
export function defaultBinaryProvider(): BinaryProvider {
  return (shared ??= localBinaryProvider());
}
