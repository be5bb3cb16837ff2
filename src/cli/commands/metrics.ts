// `kokpit metrics`: the running manager's metrics, read from its /metrics (the host manager of a local
// environment records where it serves them; --url reads any manager, e.g. through `kubectl port-forward`).
// A summary table by default, the Prometheus text with --raw (parsed by src/kube/prometheus-text.ts).
// A manager serving metrics securely (HTTPS, a bearer token allowed to `get /metrics`) is read with --token-file
// and --certificate-authority (or --insecure-skip-tls-verify for its self-signed certificate).
import * as fs from 'node:fs';
import * as https from 'node:https';
import { environmentName, parseFlags, str } from '../args';
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
      { name: 'name', value: true },
      { name: 'url', value: true },
      { name: 'raw' },
      { name: 'token-file', value: true },
      { name: 'certificate-authority', value: true },
      { name: 'insecure-skip-tls-verify' },
    ]);
    if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
    let url = str(p, 'url');
    if (!url) {
      const name = environmentName(p);
      const env = readEnvironment(name);
      if (!env?.metricsURL) {
        io.err(
          `kokpit metrics: no running local environment "${name}" with a manager serving metrics; ` +
            `start one (kokpit up) or pass --url http://HOST:PORT`,
        );
        return EXIT.FAILED;
      }
      url = env.metricsURL;
    }
    let text: string;
    try {
      text = await scrape(`${url.replace(/\/(metrics)?$/, '')}/metrics`, {
        token: str(p, 'token-file') && fs.readFileSync(str(p, 'token-file')!, 'utf8').trim(),
        ca: str(p, 'certificate-authority') && fs.readFileSync(str(p, 'certificate-authority')!, 'utf8'),
        insecure: !!p.flags['insecure-skip-tls-verify'],
      });
    } catch (e) {
      io.err(`kokpit metrics: cannot read ${url}/metrics: ${(e as Error).message}`);
      return EXIT.FAILED;
    }
    io.out(p.flags.raw ? text : summarize(parsePrometheusText(text)));
    return EXIT.OK;
  },
};

/** GET the metrics text; HTTPS through node:https (fetch cannot take a CA or skip verification). */
function scrape(url: string, o: { token?: string; ca?: string; insecure: boolean }): Promise<string> {
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  if (!url.startsWith('https:'))
    return fetch(url, { headers, signal: AbortSignal.timeout(10_000) }).then(async (res) => {
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
      return res.text();
    });
  return new Promise((resolve, reject) => {
    const req = https.get(url, { headers, ca: o.ca, rejectUnauthorized: !o.insecure, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
  });
}
