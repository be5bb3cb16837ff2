// Removing a business cluster's keys from a shared etcd: the one thing owner references can't do.
// The members are dialed the way the etcd operator dials them (the kit's MemberResolver: a pod IP, or a
// port-forward when the manager runs on a host that cannot resolve *.svc names), their certificates
// verified against the member's DNS name; the EtcdCluster's client endpoint is the last resort (an etcd
// whose members are not pods here).
import type { V1Pod } from '@kubernetes/client-node';
import { ETCD_CLIENT_PORT, type ClusterRef } from '../../api/etcd-names';
import { etcdClient, type ClientTLS, type MemberResolver } from '../../kit/etcd-access';

/** One etcd server to try: `host:port`, and the name its certificate must carry (default: the host). */
export interface EtcdTarget {
  address: string;
  serverName?: string;
}

const CALL_TIMEOUT_MS = 5000;

/** The directory `prefix/` a cluster's keys live under; refuses the root and Kubernetes' own default. */
function prefixDir(prefix: string): string {
  const dir = prefix.replace(/\/+$/, '');
  if (!dir || dir === '/registry') throw new Error(`refusing to delete etcd prefix "${prefix}"`);
  return `${dir}/`;
}

/** The range [`prefix/`, `prefix0`): every key under the directory `prefix`, and nothing of `prefix-other`. */
export function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const key = Buffer.from(prefixDir(prefix), 'utf8');
  const end = Buffer.from(key);
  end[end.length - 1]++; // '/' + 1 = '0'
  return { key, range_end: end };
}

/**
 * Where to reach the EtcdCluster `ref`: each running member (`pods`, its member pods) as `resolver` says, in
 * name order, then the servers of its client endpoint (`https://a:2379,https://b:2379`). Pure.
 */
export function cleanupTargets(ref: ClusterRef, pods: V1Pod[], resolver: MemberResolver, clientEndpoint: string): EtcdTarget[] {
  const members = [...pods]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '', undefined, { numeric: true }))
    .flatMap((pod) => {
      const ep = pod.metadata?.name ? resolver.resolve(ref, pod.metadata.name, pod) : undefined;
      return ep ? [ep] : [];
    });
  const servers = clientEndpoint
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const u = new URL(s); // an IPv6 hostname keeps its brackets
      return { address: `${u.hostname}:${u.port || ETCD_CLIENT_PORT}` };
    });
  return [...members, ...servers];
}

/** Sets up what the resolver needs (a port-forward's local listener) for each member pod, then `cleanupTargets`. */
export async function reachSharedEtcd(
  ref: ClusterRef,
  pods: V1Pod[],
  resolver: MemberResolver,
  clientEndpoint: string,
): Promise<EtcdTarget[]> {
  for (const pod of pods) if (pod.metadata?.name) await resolver.prepare?.(ref, pod.metadata.name, pod);
  return cleanupTargets(ref, pods, resolver, clientEndpoint);
}

/** Deletes every key under `prefix` through the first target that answers. Returns how many keys were deleted. */
export async function deleteEtcdPrefix(
  targets: EtcdTarget[],
  prefix: string,
  tls: ClientTLS,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<number> {
  const range = prefixRange(prefix);
  const errors: string[] = [];
  for (const target of targets) {
    let client: ReturnType<typeof etcdClient> | undefined;
    try {
      client = etcdClient(target, tls);
      const r = await client.kv.deleteRange(range, { deadline: new Date(Date.now() + timeoutMs) });
      return Number(r.deleted ?? 0);
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      errors.push(`${target.address}${target.serverName ? ` (${target.serverName})` : ''}: ${msg}`);
    } finally {
      client?.close();
    }
  }
  throw new Error(`deleting ${prefix} from etcd failed: ${errors.length ? errors.join('; ') : 'no member or endpoint to reach'}`);
}
