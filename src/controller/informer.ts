// A watch-backed cache that never gives up. client-node's ListWatch relists on 410 Gone but stops for
// good on any other error; this wrapper restarts it with exponential backoff and maps events to keys.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type ListPromise } from '@kubernetes/client-node';
import { briefError, type Logger, silentLogger } from './reconciler';

export type EventKind = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject> {
  /** Watch path, e.g. `/apis/kokpit.dev/v1alpha1/businessclusters`. */
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  fieldSelector?: string;
  log?: Logger;
  backoff?: { baseMs: number; maxMs: number };
}

export class Informer<T extends KubernetesObject> {
  private lw: ListWatch<T> | undefined;
  /**
   * The ListWatch whose cache get/list answer from: the current one once its first list is in, the one it
   * replaces until then. A restarted ListWatch starts empty, and a pass reading it mid-relist would see a fleet
   * with clusters missing (a FleetRollout planned then put them in its last wave as newcomers).
   */
  private served: ListWatch<T> | undefined;
  private readonly handlers: Array<(obj: T, kind: EventKind) => void> = [];
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: InformerOptions<T>,
  ) {
    this.log = opts.log ?? silentLogger;
  }

  onEvent(handler: (obj: T, kind: EventKind) => void): void {
    this.handlers.push(handler);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts watching; resolves once the first list has filled the cache. */
  async start(): Promise<void> {
    this.stopped = false;
    this.run();
    if (!this.synced) await new Promise<void>((r) => this.syncWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.lw?.stop();
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.served?.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.served?.list(namespace) ?? [];
  }

  /**
   * `carried`: the cache of the ListWatch this one replaces. A restarted ListWatch starts empty and its
   * first list only says "add", so objects deleted while the watch was down would stay in every
   * consumer's view forever; they get a "delete" once the new list is in.
   */
  private run(carried?: readonly T[]): void {
    if (this.stopped) return;
    let listedOnce = false;
    // ListWatch fills its cache synchronously right after the list promise resolves, so a list that
    // succeeded means the cache is complete by the next macrotask: that is our "synced" signal.
    const list: ListPromise<T> = async () => {
      const result = await this.opts.list();
      setImmediate(() => {
        this.served = lw;
        if (!listedOnce && carried) {
          for (const obj of carried) {
            if (!lw.get(obj.metadata?.name ?? '', obj.metadata?.namespace)) this.handlers.forEach((h) => h(obj, 'delete'));
          }
        }
        listedOnce = true;
        this.listed();
      });
      return result;
    };
    const lw = new ListWatch<T>(this.opts.path, new Watch(this.kc), list, false, this.opts.labelSelector, this.opts.fieldSelector);
    this.lw = lw;
    for (const kind of ['add', 'update', 'delete'] as const) lw.on(kind, (obj) => this.handlers.forEach((h) => h(obj, kind)));
    // A ListWatch reports its own stop (an aborted request) as an error too: only the current one restarts.
    lw.on('error', (err) => {
      if (lw === this.lw) this.restart(err, listedOnce ? lw.list() : carried);
    });
    lw.start().catch((err) => this.log.warn(`watch ${this.opts.path} start failed: ${describe(err)}`));
  }

  /** After a failed watch: a new ListWatch, with exponential backoff. */
  private restart(err: unknown, carried: readonly T[] | undefined): void {
    if (this.stopped) return;
    const delay = Math.min(this.opts.backoff?.maxMs ?? 30_000, (this.opts.backoff?.baseMs ?? 500) * 2 ** this.failures++);
    this.log.warn(`watch ${this.opts.path} failed: ${describe(err)}; restarting in ${delay} ms`);
    this.retryTimer = setTimeout(() => this.run(carried), delay);
    this.retryTimer.unref?.();
  }

  private listed(): void {
    this.failures = 0;
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
  }
}

const describe = briefError;
