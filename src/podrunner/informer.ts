// A small list+watch cache over RawKube: lists, then watches from the list's resourceVersion, and
// relists after any error or an expired resourceVersion (410), with backoff. Handlers get the key of
// what changed; they read the cache (level-triggered), so a missed event never leaves stale state.
import { KubeError, type RawKube, type WatchHandle } from './kubeclient';

export interface InformerOptions {
  /** Collection path, e.g. `/api/v1/pods`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  onChange: (key: string, obj: any | undefined) => void;
  /** After each (re)list: the cache is complete. */
  onSync?: () => void;
  log: (msg: string) => void;
}

export const keyOf = (obj: any) => (obj.metadata?.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata?.name);

export class Informer {
  readonly cache = new Map<string, any>();
  private stopped = false;
  private watch: WatchHandle | undefined;
  private synced = false;
  private firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly kube: RawKube,
    private readonly opts: InformerOptions,
  ) {
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
  }

  start(): Promise<void> {
    this.loop = this.run();
    return this.firstSync;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(): any[] {
    return [...this.cache.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.abort();
    this.wake?.();
    await this.loop;
  }

  private query() {
    return { fieldSelector: this.opts.fieldSelector, labelSelector: this.opts.labelSelector };
  }

  private async run(): Promise<void> {
    let backoffMs = 200;
    while (!this.stopped) {
      try {
        const list = await this.kube.get(this.opts.path, this.query());
        const seen = new Set<string>();
        for (const item of list.items ?? []) {
          const key = keyOf(item);
          seen.add(key);
          const prev = this.cache.get(key);
          this.cache.set(key, item);
          if (prev?.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.opts.onChange(key, item);
        }
        for (const key of [...this.cache.keys()]) {
          if (!seen.has(key)) {
            this.cache.delete(key);
            this.opts.onChange(key, undefined);
          }
        }
        this.synced = true;
        this.resolveFirstSync();
        this.opts.onSync?.();
        let rv: string = list.metadata?.resourceVersion;
        backoffMs = 200;
        // Watch until the server ends the stream, then resume from the last seen resourceVersion.
        while (!this.stopped) {
          let expired = false;
          this.watch = this.kube.watch(this.opts.path, { ...this.query(), resourceVersion: rv, timeoutSeconds: 300 }, (ev) => {
            if (ev.type === 'ERROR') {
              expired = ev.object?.code === 410;
              if (!expired) this.opts.log(`watch ${this.opts.path}: ${ev.object?.message ?? 'error event'}`);
              this.watch?.abort();
              return;
            }
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') return;
            const key = keyOf(ev.object);
            if (ev.type === 'DELETED') this.cache.delete(key);
            else this.cache.set(key, ev.object);
            this.opts.onChange(key, ev.type === 'DELETED' ? undefined : ev.object);
          });
          await this.watch.done;
          if (expired) break; // relist
        }
      } catch (e) {
        if (this.stopped) break;
        const msg = e instanceof Error ? e.message : String(e);
        if (!(e instanceof KubeError && e.statusCode === 410)) this.opts.log(`list/watch ${this.opts.path} failed, retrying in ${backoffMs} ms: ${msg}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, backoffMs);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }
}
