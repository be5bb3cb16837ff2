// core/v1 Events for lifecycle transitions, as `kubectl describe` shows them. The same (object, reason,
// message) bumps `count` on one Event instead of creating another, as the kubelet's recorder does; the
// name is derived from those three, so an operator restart keeps counting on the same Event.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Logger } from '../controller/reconciler';
import { describeKubeError, isConflict, isNotFound } from '../kube';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

export interface EventRecorder {
  /** Never throws: an Event that cannot be written is logged, the reconcile goes on. */
  record(obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export const noEvents: EventRecorder = { record: async () => undefined };

export function eventNameOf(obj: EventTarget, reason: string, message: string): string {
  const h = createHash('sha256')
    .update(`${obj.metadata.uid ?? obj.metadata.name}\n${reason}\n${message}`)
    .digest('hex')
    .slice(0, 12);
  return `${obj.metadata.name}.${h}`;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async record(obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const name = eventNameOf(obj, reason, message);
    const now = this.now();
    try {
      try {
        await this.core.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name, namespace },
            involvedObject: {
              apiVersion: obj.apiVersion,
              kind: obj.kind,
              name: obj.metadata.name,
              namespace: obj.metadata.namespace,
              uid: obj.metadata.uid,
            },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component: this.component },
            reportingComponent: `kokpit.dev/${this.component}`,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
        return;
      } catch (e) {
        if (!isConflict(e) && (e as { code?: number }).code !== 409) throw e;
      }
      const existing: CoreV1Event = await this.core.readNamespacedEvent({ name, namespace });
      await this.core.patchNamespacedEvent(
        { name, namespace, body: { count: (existing.count ?? 1) + 1, lastTimestamp: now } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (e) {
      if (!isNotFound(e))
        this.log.warn(`recording event ${reason} for ${obj.kind} ${namespace}/${obj.metadata.name}: ${describeKubeError(e)}`);
    }
  }
}
