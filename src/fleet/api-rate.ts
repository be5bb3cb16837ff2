// The API request rate of each business cluster, for the dashboard's sparkline: its kube-apiserver's
// `apiserver_request_total` (every request it served, all verbs and codes), read from `/metrics` with the
// cluster's admin kubeconfig, and the rate between two reads. Only while the dashboard is open and only for the
// rows the webview shows: a kube-apiserver's `/metrics` is large (hundreds of KiB), so a fleet of 1,000 is never
// scraped at once. Each read is itself one request (counted in the rate: one per interval, ~0.03/s).
import type { KubeConfig } from '@kubernetes/client-node';
import type { BusinessCluster } from '../api';
import { toKubeApiError } from '../kube/errors';
import { parsePrometheusText, sumSamples } from '../kube/prometheus-text';
import { rawRequest } from '../kube/raw';
import { businessKubeConfig } from './inside-watch';

export const API_REQUESTS_METRIC = 'apiserver_request_total';
/** How often a shown cluster is read (the sparkline spans an hour: 120 points). */
export const API_RATE_INTERVAL_MS = 30_000;
const READ_TIMEOUT_MS = 5_000;

/** The total of `apiserver_request_total` in a `/metrics` text (only its lines are parsed). */
export function apiRequestsTotal(metricsText: string): number {
  const lines = metricsText.split('\n').filter((l) => l.startsWith(API_REQUESTS_METRIC));
  const samples = parsePrometheusText(lines.join('\n'));
  if (!samples.some((s) => s.name === API_REQUESTS_METRIC)) throw new Error(`/metrics has no ${API_REQUESTS_METRIC}`);
  return sumSamples(samples, API_REQUESTS_METRIC);
}

/** Reads a cluster's counter (the kubeconfig is read once per cluster and kept while the sampler runs). */
export function metricsReader(meta: KubeConfig): { read(bc: BusinessCluster): Promise<number> } {
  const kubeconfigs = new Map<string, Promise<KubeConfig>>();
  return {
    async read(bc) {
      const k = `${bc.metadata.uid ?? ''}/${bc.status?.kubeconfigSecretName ?? ''}`;
      if (!kubeconfigs.has(k)) kubeconfigs.set(k, businessKubeConfig(meta, bc));
      let res;
      try {
        res = await rawRequest(await kubeconfigs.get(k)!, { path: '/metrics', timeoutMs: READ_TIMEOUT_MS });
      } catch (e) {
        kubeconfigs.delete(k); // a Secret rewritten since (new certificates) is read again next time
        throw new Error(`GET /metrics: ${toKubeApiError(e).message}`, { cause: e });
      }
      if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
      return apiRequestsTotal(res.text);
    },
  };
}

export interface ApiRateSamplerOptions {
  /** The clusters to read now (the dashboard's shown rows), by `namespace/name`. */
  clusters(): Array<{ id: string; bc: BusinessCluster }>;
  read(bc: BusinessCluster): Promise<number>;
  /** A read's result: the counter's value at `t`, or why it could not be read. */
  onSample(id: string, t: number, total: number | Error): void;
  intervalMs?: number;
  /** Reads in flight at once. */
  concurrency?: number;
  now?: () => number;
}

/** Reads the shown clusters' counters every interval once started; a round never overlaps the one before. */
export class ApiRateSampler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly o: ApiRateSamplerOptions) {}

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.loop();
  }

  /** For good: a round in flight reports nothing more. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One read of every shown cluster, `concurrency` at a time. */
  async round(): Promise<void> {
    const queue = [...this.o.clusters()];
    const now = this.o.now ?? Date.now;
    const worker = async () => {
      for (let next = queue.shift(); next && !this.stopped; next = queue.shift()) {
        const { id, bc } = next;
        const total = await this.o.read(bc).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        if (!this.stopped) this.o.onSample(id, now(), total);
      }
    };
    await Promise.all(Array.from({ length: this.o.concurrency ?? 4 }, worker));
  }

  private async loop(): Promise<void> {
    await this.round();
    if (!this.stopped) this.timer = setTimeout(() => void this.loop(), this.o.intervalMs ?? API_RATE_INTERVAL_MS);
  }
}
