// Reaching an EtcdCluster's members, for every operator that talks to one: the etcd operator (health,
// membership, snapshots) and the cluster operator (a deleted BusinessCluster's keys in a shared etcd).
// The operator may run on a host outside the meta cluster's network (VS Code, `kokpit up`) or inside it;
// what differs is only how a member's client port is dialed. A MemberResolver says which address to dial
// for a member and which name its certificate carries, so TLS is verified against the member's real DNS
// name whatever address carries the bytes (pod IP, a forwarded port, a local process in tests).
//
// The client is the npm `etcd3` package (gRPC, the same API etcdctl uses), with gRPC's target-name
// override for the certificate check above. Not exported from the kit's index: only these two operators
// need gRPC loaded.
import type { V1Pod } from '@kubernetes/client-node';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { ETCD_CLIENT_PORT, memberHost, type ClusterRef } from '../api/etcd-names';

export interface MemberEndpoint {
  /** `host:port` the operator can dial. */
  address: string;
  /** The name to verify the member's server certificate against. */
  serverName: string;
}

export interface MemberResolver {
  /** Where to dial `member`, whose pod is `pod` (undefined: not reachable now). */
  resolve(cluster: ClusterRef, member: string, pod: V1Pod | undefined): MemberEndpoint | undefined;
  /** Sets up what `resolve` needs for this member (a local forward); awaited before dialing it. */
  prepare?(cluster: ClusterRef, member: string, pod: V1Pod | undefined): Promise<void>;
}

/** In-network access (and the process pod runner, whose pod IPs are loopback addresses): the pod IP. */
export const podIPResolver: MemberResolver = {
  resolve(cluster, member, pod) {
    const ip = pod?.status?.podIP;
    if (!ip || pod?.metadata?.deletionTimestamp) return undefined;
    return { address: `${ip.includes(':') ? `[${ip}]` : ip}:${ETCD_CLIENT_PORT}`, serverName: memberHost(cluster, member) };
  },
};

export interface ClientTLS {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let clientSeq = 0;

/**
 * A client of one etcd server at `address` (`host:port`), its certificate verified against `serverName` when
 * given (else against the host dialed). `grpcOptions` adds to the defaults (e.g. a wider flow-control window).
 */
export function etcdClient(
  target: { address: string; serverName?: string },
  tls: ClientTLS,
  grpcOptions: Record<string, string | number> = {},
): Etcd3 {
  const name = target.serverName ? { 'grpc.ssl_target_name_override': target.serverName, 'grpc.default_authority': target.serverName } : {};
  return new Etcd3({
    hosts: `https://${target.address}`,
    credentials: {
      rootCertificate: Buffer.from(tls.caPem),
      privateKey: Buffer.from(tls.keyPem),
      certChain: Buffer.from(tls.certPem),
    },
    grpcOptions: {
      ...name,
      // A member that went away should fail calls fast, not after minutes of reconnect backoff.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
      // Its own connection: grpc-js otherwise shares one (and its reconnect backoff) among equal clients, so a
      // client made after closing one that failed would still wait out up to 2 s before dialing a member
      // that has just started. Its service channels (KV, Maintenance, Cluster) still share it.
      'kokpit.client': ++clientSeq,
      ...grpcOptions,
    },
    // Our reconcilers retry at the level of a whole pass; no hidden retries or breakers below it.
    faultHandling: { host: () => noop, global: noop },
  });
}
