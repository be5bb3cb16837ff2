// A value from a manager's Prometheus endpoint (`kokpit operator --metrics-bind-address`): tests use the
// reconcile and work-queue counters to know that a pass they asked for has run and the queue is empty.

/** A counter or gauge from the manager's /metrics, summed over the series whose labels include `labels`. */
export async function metricValue(url: string, metric: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
