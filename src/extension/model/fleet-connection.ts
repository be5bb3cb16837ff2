// One connected meta cluster as the Fleet view sees it: watch streams of kokpit's kinds feed the pure FleetModel,
// and the ids of nodes that changed are handed on in batches (per-node debouncing: many events for one node
// inside the window become one refresh). No vscode here; the kube side comes in through `ObjectStream`s.
import type { KubernetesObject } from '@kubernetes/client-node';
import { OCM_KINDS, type OcmKind } from '../../api/ocm';
import { FleetModel, type FleetNode } from '../../fleet/model';
import { OCM_FLEET_KINDS } from '../../fleet/ocm';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './logger';

/** The kinds the Fleet view shows, as the API serves them. */
export const FLEET_KINDS = [
  { kind: 'EtcdCluster', plural: 'etcdclusters' },
  { kind: 'BusinessCluster', plural: 'businessclusters' },
  { kind: 'Machine', plural: 'machines' },
  { kind: 'MachineSet', plural: 'machinesets' },
  { kind: 'KubernetesVersion', plural: 'kubernetesversions' },
  { kind: 'Addon', plural: 'addons' },
  { kind: 'FleetRollout', plural: 'fleetrollouts' },
] as const;
/** Open Cluster Management's kinds the Fleet view shows (issue 18), watched only when the meta cluster serves them. */
export const OCM_FLEET_STREAMS: readonly OcmKind[] = OCM_KINDS.filter((k) => OCM_FLEET_KINDS.includes(k.kind));
export type FleetKind = (typeof FLEET_KINDS)[number] | OcmKind;

export type StreamEvent = 'add' | 'update' | 'delete';

/** A list+watch of one kind (an Informer in production, a scripted stream in tests). */
export interface ObjectStream {
  onEvent(handler: (obj: KubernetesObject, event: StreamEvent) => void): void;
  /** Resolves once the first list is in. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FleetConnectionOptions {
  /** Shown as the root node: the kubeconfig context. */
  name: string;
  streams: (kind: FleetKind) => ObjectStream;
  clock: Clock;
  logger: Logger;
  /** Window in which changes to the same nodes are coalesced (default 100 ms). */
  debounceMs?: number;
  /** Deadline for the first list of every kind (default 15 s). */
  syncTimeoutMs?: number;
  /** Whether the meta cluster serves OCM_FLEET_STREAMS (the OCM hub is installed); absent: it does not. */
  ocmServed?: () => Promise<boolean>;
  /**
   * While OCM is not served, how often to ask again (default 15 s; one discovery request each time): a hub installed
   * after connecting (`kokpit up --with-ocm`, the Fleet view's action) then shows without a Refresh.
   */
  ocmPollMs?: number;
}

type ModelObject = Parameters<FleetModel['upsert']>[0];

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

const refKey = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

export class FleetConnection {
  readonly model: FleetModel;
  private readonly streams: ObjectStream[] = [];
  private readonly objects = new Map<string, KubernetesObject>();
  private readonly listeners = new Set<(ids: string[]) => void>();
  private readonly objectListeners = new Set<(ref: ObjectRef) => void>();
  private pending = new Set<string>();
  private timer: TimerHandle | undefined;
  private ocmTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: FleetConnectionOptions) {
    this.model = new FleetModel(opts.name);
  }

  /** Starts every watch; resolves when all first lists are in, rejects after the sync deadline. */
  async start(): Promise<void> {
    const timeoutMs = this.opts.syncTimeoutMs ?? 15_000;
    let handle: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      handle = this.opts.clock.setTimeout(
        () => reject(new Error(`the watches did not list every kind within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.startStreams(), deadline]);
    } finally {
      if (handle) this.opts.clock.clearTimeout(handle);
    }
  }

  /** One stream per kind (OCM's too when served, else a look again later), then their first lists. */
  private async startStreams(): Promise<void> {
    const ocm = await this.ocmServed();
    if (this.stopped) return; // the deadline passed and the connection was torn down meanwhile
    if (ocm) this.model.showOcm();
    else this.lookForOcmLater();
    const streams = [...FLEET_KINDS, ...(ocm ? OCM_FLEET_STREAMS : [])].map((kind) => this.addStream(kind));
    await Promise.all(streams.map((s) => s.start()));
  }

  private addStream(kind: FleetKind): ObjectStream {
    const stream = this.opts.streams(kind);
    stream.onEvent((obj, event) => this.apply(obj, event));
    this.streams.push(stream);
    return stream;
  }

  private lookForOcmLater(): void {
    if (!this.opts.ocmServed || this.stopped) return;
    this.ocmTimer = this.opts.clock.setTimeout(() => void this.lookForOcm(), this.opts.ocmPollMs ?? 15_000);
  }

  /** OCM installed since the connection started: its group, then its watches (their first lists fill the tree). */
  private async lookForOcm(): Promise<void> {
    this.ocmTimer = undefined;
    let served = false;
    try {
      served = await this.opts.ocmServed!();
    } catch (e) {
      this.opts.logger.debug(
        `fleet: cannot tell whether Open Cluster Management is installed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (this.stopped) return;
    if (!served) return this.lookForOcmLater();
    this.opts.logger.info('fleet: Open Cluster Management is installed now: watching its kinds');
    this.queue(this.model.showOcm());
    const streams = OCM_FLEET_STREAMS.map((kind) => this.addStream(kind));
    await Promise.all(streams.map((s) => s.start())).catch((e: unknown) =>
      this.opts.logger.warn(`fleet: watching Open Cluster Management's kinds: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** A meta cluster without OCM (or a failed discovery) shows no OCM nodes and watches none of its kinds. */
  private async ocmServed(): Promise<boolean> {
    try {
      return (await this.opts.ocmServed?.()) ?? false;
    } catch (e) {
      this.opts.logger.warn(
        `fleet: cannot tell whether Open Cluster Management is installed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    if (this.ocmTimer) this.opts.clock.clearTimeout(this.ocmTimer);
    this.ocmTimer = undefined;
    this.timer = undefined;
    this.pending.clear();
    await Promise.all(this.streams.map((s) => s.stop()));
  }

  /** Batches of node ids whose rendering changed (parents included when children were added or removed). */
  onDidChange(listener: (ids: string[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Fires (undebounced) whenever one object changes, e.g. to refresh an open YAML view of it. */
  onDidChangeObject(listener: (ref: ObjectRef) => void): { dispose(): void } {
    this.objectListeners.add(listener);
    return { dispose: () => void this.objectListeners.delete(listener) };
  }

  /** The object as last seen by the watch. */
  object(ref: ObjectRef): KubernetesObject | undefined {
    return this.objects.get(refKey(ref));
  }

  /** Every watched object of one kind. */
  objectsOfKind(kind: string): KubernetesObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }

  /** Every watched object with a node in the tree, for quick picks. */
  objectNodes(): FleetNode[] {
    const out: FleetNode[] = [];
    const walk = (id: string) => {
      const node = this.model.get(id);
      if (!node) return;
      if (node.ref) out.push(node);
      node.children.forEach(walk);
    };
    walk(this.model.rootId);
    return out;
  }

  private apply(obj: KubernetesObject, event: StreamEvent): void {
    if (this.stopped || !obj.kind || !obj.metadata?.name) return;
    const ref = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    let changed: string[];
    try {
      if (event === 'delete') {
        this.objects.delete(refKey(ref));
        changed = this.model.remove(ref);
      } else {
        this.objects.set(refKey(ref), obj);
        changed = this.model.upsert(obj as ModelObject);
      }
    } catch (e) {
      // An object the model cannot render (e.g. a stored object older than the schema) must not stop the watch.
      const what = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
      this.opts.logger.warn(`fleet: cannot show ${what}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    for (const l of this.objectListeners) l(ref);
    this.queue(changed);
  }

  /** Node ids to hand on with the next batch. */
  private queue(changed: string[]): void {
    if (changed.length === 0) return;
    for (const id of changed) this.pending.add(id);
    this.timer ??= this.opts.clock.setTimeout(() => this.flush(), this.opts.debounceMs ?? 100);
  }

  private flush(): void {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending = new Set();
    if (ids.length === 0 || this.stopped) return;
    for (const l of this.listeners) l(ids);
  }
}
