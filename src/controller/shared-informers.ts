// One informer per resource type per process (client-go's SharedInformerFactory): every operator that
// watches BusinessClusters shares one watch and one cache, and each adds its own handlers to it.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, kindInfo } from '../api';
import { makeObjectApi, toKubeApiError } from '../kube';
import { Informer } from './informer';
import { silentLogger, type Logger } from './reconciler';

/** A resource type to watch. */
export interface WatchSpec {
  apiVersion: string;
  kind: string;
  plural: string;
  /** Watch one namespace only (default: all namespaces). */
  namespace?: string;
  labelSelector?: string;
}

function watchPath(spec: WatchSpec): string {
  const base = spec.apiVersion.includes('/') ? `/apis/${spec.apiVersion}` : `/api/${spec.apiVersion}`;
  return spec.namespace ? `${base}/namespaces/${spec.namespace}/${spec.plural}` : `${base}/${spec.plural}`;
}

/** The WatchSpec of a kokpit kind, its plural from the API's kind table. */
export function kokpitWatch(kind: string): WatchSpec {
  const info = kindInfo(kind);
  if (!info?.crd) throw new Error(`${kind} is not a kokpit kind served by the meta cluster`);
  return { apiVersion: API_VERSION, kind, plural: info.plural };
}

export class SharedInformers {
  private readonly informers = new Map<string, { spec: WatchSpec; informer: Informer<KubernetesObject> }>();
  private started = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * The process's informer of a type, made on first request. A second selector on the same type would need a
   * second watch, so it is refused: callers filter a shared, wider watch themselves.
   */
  informer<T extends KubernetesObject = KubernetesObject>(spec: WatchSpec): Informer<T> {
    const id = `${spec.apiVersion}/${spec.kind}/${spec.namespace ?? ''}`;
    const have = this.informers.get(id);
    if (have) {
      if ((have.spec.labelSelector ?? '') !== (spec.labelSelector ?? '')) {
        throw new Error(
          `${id} is watched with selector '${have.spec.labelSelector ?? ''}'; a second watch with ` +
            `'${spec.labelSelector ?? ''}' is not shared`,
        );
      }
      return have.informer as unknown as Informer<T>;
    }
    const objects = makeObjectApi(this.kc);
    const informer = new Informer<KubernetesObject>(this.kc, {
      path: watchPath(spec),
      labelSelector: spec.labelSelector,
      log: this.log,
      list: async () => {
        try {
          const list = (await objects.list(
            spec.apiVersion,
            spec.kind,
            spec.namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            spec.labelSelector,
          )) as KubernetesListObject<KubernetesObject>;
          // The API server leaves apiVersion and kind out of a built-in type's list items (watch events carry them).
          // Without them a cached object read after a (re)start differs from every rendered one, and each pass
          // after a manager restart re-applied all it owns: 15 writes per cluster (npm run bench -- fleet).
          for (const item of list.items) {
            item.apiVersion ??= spec.apiVersion;
            item.kind ??= spec.kind;
          }
          return list;
        } catch (e) {
          throw toKubeApiError(e, `list ${spec.kind}`);
        }
      },
    });
    this.informers.set(id, { spec, informer });
    // Asked for after start (by a reconciler, say): starts on demand.
    if (this.started) void informer.start();
    return informer as unknown as Informer<T>;
  }

  /** The informer of a type if some operator asked for it (never starts a watch of its own). */
  existing<T extends KubernetesObject = KubernetesObject>(spec: WatchSpec): Informer<T> | undefined {
    return this.informers.get(`${spec.apiVersion}/${spec.kind}/${spec.namespace ?? ''}`)?.informer as unknown as Informer<T> | undefined;
  }

  /** The types watched, one entry each. */
  get specs(): WatchSpec[] {
    return [...this.informers.values()].map((i) => i.spec);
  }

  /** Starts every informer asked for so far; resolves once each has filled its cache. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map((i) => i.informer.start()));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.informer.stop()));
  }
}
