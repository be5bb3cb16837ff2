// The kube side of "Inside a business cluster": the admin kubeconfig read from the meta cluster, and one paged
// list + watch per expanded list. No vscode; the Fleet view's adapter starts and stops these.
import { AppsV1Api, CoreV1Api, KubeConfig, Watch, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import type { BusinessCluster } from '../api';
import { toKubeApiError } from '../kube/errors';
import { KUBECONFIG_KEY } from '../operators/cluster/names';
import { adminKubeconfigSecret, controlPlanePodSelectors, ListState, listErrorMessage, listPath, type InsideList } from './inside';

/** Objects per page: a large cluster lists lazily, "Load more…" asks for the next page. */
export const DEFAULT_PAGE_SIZE = 100;

/** The business cluster's admin kubeconfig, from the Secret its status names (read through the meta cluster). */
export async function businessKubeConfig(meta: KubeConfig, bc: BusinessCluster): Promise<KubeConfig> {
  const ref = adminKubeconfigSecret(bc);
  const what = `${bc.metadata.namespace}/${bc.metadata.name}`;
  if (!ref) throw new Error(`${what} has no admin kubeconfig yet (status.kubeconfigSecretName is unset)`);
  let secret;
  try {
    secret = await meta.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: ref.namespace, name: ref.name });
  } catch (e) {
    throw new Error(`reading Secret ${ref.namespace}/${ref.name}: ${toKubeApiError(e).message}`, { cause: e });
  }
  const data = secret.data?.[KUBECONFIG_KEY];
  if (!data) throw new Error(`Secret ${ref.namespace}/${ref.name} has no key "${KUBECONFIG_KEY}"`);
  const kc = new KubeConfig();
  kc.loadFromString(Buffer.from(data, 'base64').toString('utf8'));
  return kc;
}

type Page = { items: KubernetesObject[]; metadata?: { _continue?: string; resourceVersion?: string } };

/** One page of a list through the typed clients (they deserialize the list's metadata for us). */
function listPage(kc: KubeConfig, list: InsideList, limit: number, token: string | undefined): Promise<Page> {
  const core = kc.makeApiClient(CoreV1Api);
  const q = { limit, _continue: token };
  const namespace = list.namespace ?? '';
  switch (list.kind) {
    case 'nodes':
      return core.listNode(q);
    case 'namespaces':
      return core.listNamespace(q);
    case 'pods':
      return core.listNamespacedPod({ namespace, ...q });
    case 'services':
      return core.listNamespacedService({ namespace, ...q });
    case 'events':
      return core.listNamespacedEvent({ namespace, ...q });
    case 'deployments':
      return kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace, ...q });
  }
}

export interface ListWatchOptions {
  list: InsideList;
  /** Called after every change of `state` (a page, an event, an error). */
  onChange: () => void;
  pageSize?: number;
  /** Wait before relisting after a watch ended on its own (default 1 s). */
  rewatchDelayMs?: number;
}

/**
 * A paged list and a watch from the first page's resourceVersion, so objects appear, change and go without a
 * refresh. The watch covers the whole collection, so an object beyond the loaded pages may show up early; the
 * next page then merges by name. A watch that ends (timeout, 410 Gone) relists from the first page.
 */
export class ListWatch {
  readonly state = new ListState();
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Bumped on every (re)start, so a stale list or watch callback is ignored. */
  private generation = 0;

  constructor(
    private readonly kc: () => Promise<KubeConfig>,
    private readonly opts: ListWatchOptions,
  ) {}

  /** Lists the first page and starts the watch; an error is the list's state, never thrown. */
  async start(): Promise<void> {
    const generation = ++this.generation;
    this.abort?.abort();
    this.abort = undefined;
    try {
      const kc = await this.kc();
      const page = await listPage(kc, this.opts.list, this.opts.pageSize ?? DEFAULT_PAGE_SIZE, undefined);
      if (generation !== this.generation || this.stopped) return;
      this.state.reset();
      this.state.page(page.items as never, page.metadata?._continue);
      this.opts.onChange();
      await this.watch(kc, generation, page.metadata?.resourceVersion);
    } catch (e) {
      if (generation !== this.generation || this.stopped) return;
      const err = toKubeApiError(e);
      this.state.failed(listErrorMessage(err.statusCode, err.message));
      this.opts.onChange();
    }
  }

  /** The next page, or a fresh start when the list had failed (a retry). */
  async loadMore(): Promise<void> {
    if (this.state.error !== undefined || !this.state.loaded) return this.start();
    const token = this.state.continueToken;
    if (!token) return;
    const generation = this.generation;
    try {
      const page = await listPage(await this.kc(), this.opts.list, this.opts.pageSize ?? DEFAULT_PAGE_SIZE, token);
      if (generation !== this.generation || this.stopped) return;
      this.state.page(page.items as never, page.metadata?._continue);
    } catch (e) {
      // An expired token (410) means the snapshot is gone: start over from the first page.
      if (generation === this.generation && !this.stopped) return this.start();
      throw e;
    }
    this.opts.onChange();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
    this.abort = undefined;
  }

  private async watch(kc: KubeConfig, generation: number, resourceVersion: string | undefined): Promise<void> {
    this.abort = await new Watch(kc).watch(
      listPath(this.opts.list),
      { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (type: string, obj: KubernetesObject) => {
        if (generation !== this.generation) return;
        if (this.state.apply(type, obj)) this.opts.onChange();
      },
      () => {
        if (generation !== this.generation || this.stopped) return;
        this.timer = setTimeout(() => void this.start(), this.opts.rewatchDelayMs ?? 1000);
      },
    );
  }
}

/** A business cluster's control-plane pods in the meta cluster (apiserver, controller-manager, scheduler, etcd). */
export async function listControlPlanePods(meta: KubeConfig, bc: BusinessCluster): Promise<V1Pod[]> {
  const { namespace, labelSelectors } = controlPlanePodSelectors(bc);
  const core = meta.makeApiClient(CoreV1Api);
  const pods: V1Pod[] = [];
  for (const labelSelector of labelSelectors) pods.push(...(await core.listNamespacedPod({ namespace, labelSelector })).items);
  return pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
