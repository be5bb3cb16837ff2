// The newest Event about each BusinessCluster, for the dashboard's "Last event" column. The Fleet tree's watches
// carry the clusters' conditions only; while the dashboard is open, one informer lists and watches core/v1 Events
// of every namespace with `involvedObject.kind=BusinessCluster` (the API server filters, so a busy meta cluster's
// pod events never reach the editor). Events come from the operators (`kubectl describe` shows the same).
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../controller/informer';
import type { Logger } from '../controller/reconciler';

export const CLUSTER_EVENTS_SELECTOR = 'involvedObject.kind=BusinessCluster';

export interface ClusterEvent {
  /** The cluster's row id, `namespace/name`. */
  id: string;
  /** The Event's own `namespace/name`, so its deletion (events expire after an hour) is recognised. */
  event: string;
  type: string;
  reason: string;
  message: string;
  /** ISO time of the last occurrence. */
  time: string;
}

/** A BusinessCluster's Event as the dashboard uses it; undefined for anything else or an Event without a time. */
export function clusterEventOf(ev: CoreV1Event): ClusterEvent | undefined {
  const o = ev.involvedObject;
  if (o?.kind !== 'BusinessCluster' || !o.name) return undefined;
  // Lists give Dates (the typed client), watch events give strings: both normalised to ISO.
  const when = ev.series?.lastObservedTime ?? ev.lastTimestamp ?? ev.eventTime ?? ev.firstTimestamp ?? ev.metadata?.creationTimestamp;
  const t = when === undefined ? NaN : new Date(when as string | Date).getTime();
  if (Number.isNaN(t)) return undefined;
  const namespace = o.namespace ?? ev.metadata?.namespace ?? 'default';
  return {
    id: `${namespace}/${o.name}`,
    event: `${ev.metadata?.namespace ?? namespace}/${ev.metadata?.name ?? ''}`,
    type: ev.type ?? 'Normal',
    reason: ev.reason ?? '',
    message: ev.message ?? '',
    time: new Date(t).toISOString(),
  };
}

/** Lists and watches the BusinessClusters' Events until stopped; a failed watch restarts with backoff. */
export class ClusterEventsWatch {
  private informer: Informer<CoreV1Event> | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly onEvent: (ev: ClusterEvent, removed: boolean) => void,
    private readonly log?: Logger,
  ) {}

  /** Resolves once the first list is in (never rejects: a refused list is logged and retried). */
  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const informer = new Informer<CoreV1Event>(this.kc, {
      path: '/api/v1/events',
      list: () => core.listEventForAllNamespaces({ fieldSelector: CLUSTER_EVENTS_SELECTOR }),
      fieldSelector: CLUSTER_EVENTS_SELECTOR,
      log: this.log,
    });
    informer.onEvent((obj, kind) => {
      const ev = clusterEventOf(obj);
      if (ev) this.onEvent(ev, kind === 'delete');
    });
    this.informer = informer;
    await informer.start();
  }

  async stop(): Promise<void> {
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop();
  }
}
