// `kokpit metrics`: the running manager's metrics, read from its /metrics (the host manager of a local
// environment records where it serves them; --url reads any manager, e.g. through `kubectl port-forward`).
// A summary table by default, the Prometheus text with --raw (parsed by src/kube/prometheus-text.ts).
// A manager serving metrics securely (HTTPS, a bearer token allowed to `get /metrics`) is read with --token-file
// and --certificate-authority (or --insecure-skip-tls-verify for its self-signed certificate).
// Without --url and without a host manager in the local environment, the manager pod holding the meta cluster's Lease
// is read (src/local/manager-metrics.ts: its pod IP in the sandbox, else the API server's port-forward; the token
// from --token-file, --service-account, the caller's kubeconfig, or a ServiceAccount bound to kokpit-metrics-reader).
import * as fs from 'node:fs';
import { environmentName, META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { readLeaderMetrics, scrape } from '../../local/manager-metrics';
import { readEnvironment } from '../../local/state';
import { EXIT, UsageError, type Command } from '../command';
import { table } from './get';
import { parsePrometheusText, sumSamples as sum, type Sample } from '../../kube/prometheus-text';

/** The summary `kokpit metrics` prints: the controllers, the lease, the fleet. */
export function summarize(samples: Sample[]): string {
  const controllers = [
    ...new Set(samples.filter((s) => s.name === 'controller_runtime_reconcile_total').map((s) => s.labels.controller)),
  ].sort();
  const rows = controllers.map((c) => {
    const count = sum(samples, 'controller_runtime_reconcile_time_seconds_count', { controller: c });
    const seconds = sum(samples, 'controller_runtime_reconcile_time_seconds_sum', { controller: c });
    return [
      c,
      String(sum(samples, 'controller_runtime_reconcile_total', { controller: c })),
      String(sum(samples, 'controller_runtime_reconcile_errors_total', { controller: c })),
      count ? `${Math.round((seconds / count) * 1000)} ms` : '-',
      String(sum(samples, 'workqueue_depth', { name: c })),
      String(sum(samples, 'workqueue_retries_total', { name: c })),
    ];
  });
  const lines = [table(['CONTROLLER', 'RECONCILES', 'ERRORS', 'AVG', 'QUEUE', 'RETRIES'], rows), ''];
  for (const s of samples.filter((x) => x.name === 'leader_election_master_status'))
    lines.push(`lease ${s.labels.name}: ${s.value === 1 ? 'held by this manager' : 'standby'}`);
  const clusters = samples.filter((s) => s.name === 'kokpit_business_clusters' && s.value > 0);
  const clusterKinds = clusters.map((s) => `${s.value} ${s.labels.phase} ${s.labels.version}`).join(', ');
  lines.push(`business clusters: ${clusters.reduce((n, s) => n + s.value, 0)}${clusters.length ? ` (${clusterKinds})` : ''}`);
  const machines = samples.filter((s) => s.name === 'kokpit_machines' && s.value > 0);
  const machineKinds = machines.map((s) => `${s.value} ${s.labels.phase}`).join(', ');
  lines.push(`machines: ${machines.reduce((n, s) => n + s.value, 0)}${machines.length ? ` (${machineKinds})` : ''}`);
  const members = samples.filter((s) => s.name === 'kokpit_etcd_member_healthy');
  lines.push(`etcd members: ${members.filter((s) => s.value === 1).length}/${members.length} healthy`);
  return lines.join('\n');
}

export const metricsCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'url', value: true },
      { name: 'raw' },
      { name: 'namespace', short: 'n', value: true },
      { name: 'token-file', value: true },
      { name: 'service-account', value: true },
      { name: 'certificate-authority', value: true },
      { name: 'insecure-skip-tls-verify' },
    ]);
    if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
    const ca = str(p, 'certificate-authority') && fs.readFileSync(str(p, 'certificate-authority')!, 'utf8');
    let url = str(p, 'url');
    // A host manager records where it serves; --kubeconfig/--context mean a cluster's manager pods.
    if (!url && !str(p, 'kubeconfig') && !str(p, 'context')) url = readEnvironment(environmentName(p))?.metricsURL;
    let text: string;
    if (url) {
      try {
        text = await scrape(`${url.replace(/\/(metrics)?$/, '')}/metrics`, {
          token: str(p, 'token-file') && fs.readFileSync(str(p, 'token-file')!, 'utf8').trim(),
          ca,
          insecure: !!p.flags['insecure-skip-tls-verify'],
        });
      } catch (e) {
        io.err(`kokpit metrics: cannot read ${url}/metrics: ${(e as Error).message}`);
        return EXIT.FAILED;
      }
    } else {
      const { kc, source } = metaCluster(p);
      try {
        const r = await readLeaderMetrics(kc, {
          namespace: str(p, 'namespace'),
          tokenFile: str(p, 'token-file'),
          serviceAccount: str(p, 'service-account'),
          ca,
          insecure: p.flags['insecure-skip-tls-verify'] === true || !ca,
        });
        text = r.text;
        if (!p.flags.raw) io.out(`manager pod ${r.pod} (the lease holder), read through ${r.via} as ${r.who}\n`);
      } catch (e) {
        io.err(`kokpit metrics: ${(e as Error).message} (meta cluster: ${source})`);
        return EXIT.FAILED;
      }
    }
    io.out(p.flags.raw ? text : summarize(parsePrometheusText(text)));
    return EXIT.OK;
  },
};
