// Name resolution without DNS and without touching system files: every pod gets its own hosts file,
// bind-mounted over /etc/hosts in the pod's mount namespace. It lists the names Kubernetes DNS would
// answer (`<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc[.<domain>]`, and `<hostname>.<svc>…` for pods of
// headless Services) with the addresses of the pods this runner runs. There is no kube-proxy: a
// Service name resolves to its ready endpoints' pod IPs, not to a ClusterIP.
import * as fs from 'node:fs';

export interface HostsPod {
  namespace: string;
  name: string;
  ip: string;
  ready: boolean;
  labels: Record<string, string>;
  /** spec.hostname (or the pod name). */
  hostname: string;
  /** Whether spec.hostname was set: only then does a headless Service publish a per-pod name. */
  explicitHostname: boolean;
  subdomain?: string;
  hostAliases?: Array<{ ip: string; hostnames: string[] }>;
}

export interface HostsService {
  namespace: string;
  name: string;
  /** Undefined or empty: endpoints come from EndpointSlices (a Service without selector). */
  selector?: Record<string, string>;
  headless: boolean;
  publishNotReadyAddresses: boolean;
}

export interface HostsEndpoint {
  namespace: string;
  serviceName: string;
  ip: string;
  ready: boolean;
  hostname?: string;
}

export interface HostsWorld {
  pods: readonly HostsPod[];
  services: readonly HostsService[];
  /** Endpoints of selector-less Services (from EndpointSlices). */
  endpoints: readonly HostsEndpoint[];
  clusterDomain: string;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Names of `<relative>` under namespace `ns`, as seen from a pod in `fromNs` (short names only in-namespace). */
function namesOf(relative: string, ns: string, fromNs: string, domain: string): string[] {
  const names = [`${relative}.${ns}`, `${relative}.${ns}.svc`, `${relative}.${ns}.svc.${domain}`];
  return ns === fromNs ? [relative, ...names] : names;
}

interface Record_ {
  ip: string;
  names: string[];
}

function serviceRecords(world: HostsWorld, fromNs: string): Record_[] {
  const records: Record_[] = [];
  const services = [...world.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const svc of services) {
    let endpoints: Array<{ ip: string; hostname?: string }>;
    if (svc.selector && Object.keys(svc.selector).length) {
      endpoints = world.pods
        .filter((p) => p.namespace === svc.namespace && matches(svc.selector!, p.labels))
        .filter((p) => p.ready || svc.publishNotReadyAddresses)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => ({ ip: p.ip, hostname: p.explicitHostname && p.subdomain === svc.name ? p.hostname : undefined }));
    } else {
      endpoints = world.endpoints
        .filter((e) => e.namespace === svc.namespace && e.serviceName === svc.name)
        .filter((e) => e.ready || svc.publishNotReadyAddresses)
        .sort((a, b) => a.ip.localeCompare(b.ip));
    }
    const seen = new Set<string>();
    for (const ep of endpoints) {
      if (!seen.has(ep.ip)) records.push({ ip: ep.ip, names: namesOf(svc.name, svc.namespace, fromNs, world.clusterDomain) });
      seen.add(ep.ip);
      if (svc.headless && ep.hostname) {
        records.push({ ip: ep.ip, names: namesOf(`${ep.hostname}.${svc.name}`, svc.namespace, fromNs, world.clusterDomain) });
      }
    }
  }
  return records;
}

/** The hosts file of one pod: localhost, the pod's own names, host aliases, then Service names. */
export function renderHostsFile(world: HostsWorld, pod: HostsPod, header = ''): string {
  const lines: string[] = [];
  if (header) lines.push(...header.split('\n').map((l) => `# ${l}`));
  lines.push('127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback');
  // Like the kubelet: the pod's FQDN (when it has a subdomain) and its short hostname.
  const own = pod.subdomain
    ? [`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${world.clusterDomain}`, pod.hostname]
    : [pod.hostname];
  lines.push(`${pod.ip}\t${own.join(' ')}`);
  for (const alias of pod.hostAliases ?? []) lines.push(`${alias.ip}\t${alias.hostnames.join(' ')}`);
  for (const r of serviceRecords(world, pod.namespace)) lines.push(`${r.ip}\t${r.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * Writes the file in place (same inode): a bind mount pins the inode it was made from, so a
 * rename-into-place would leave running pods looking at the old file. Returns whether it changed.
 */
export function writeInPlace(file: string, content: string): boolean {
  try {
    if (fs.readFileSync(file, 'utf8') === content) return false;
  } catch {
    /* not there yet */
  }
  fs.writeFileSync(file, content, { mode: 0o644 });
  return true;
}
