// The etcd operator's calls to its members (health, membership, alarms, defragment, snapshots). How a
// member is reached (MemberResolver: pod IP or a port-forward) and the client itself are the kit's
// (kit/etcd-access.ts), shared with the cluster operator.
//
// The client is the npm `etcd3` package (gRPC, the same API etcdctl uses): one long-lived HTTP/2
// connection per member instead of one etcdctl process per call (this runs every few seconds per
// member on small machines), a streamed maintenance snapshot hashed and written off the event loop, and gRPC's
// target-name override for the certificate check. Restores still use etcdutl: they have no API.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { GRPCUnavailableError, type Etcd3 } from 'etcd3';
import { etcdClient, type ClientTLS, type MemberResolver } from '../../kit/etcd-access';
import type { ClusterRef } from './names';
import type { EtcdMemberFacts, MemberHealth } from './plan';
import { SnapshotSink } from './snapshot-sink';
import { streamSnapshot } from './snapshot-stream';

export { podIPResolver, type ClientTLS, type MemberEndpoint, type MemberResolver } from '../../kit/etcd-access';

export interface SnapshotResult {
  file: string;
  size: number;
  sha256: string;
  revision: number;
}

const CALL_TIMEOUT_MS = 3000;
const deadline = (ms = CALL_TIMEOUT_MS) => ({ deadline: new Date(Date.now() + ms) });

/** etcd3 returns 64-bit IDs as decimal strings; status and humans use hex. */
export const idToHex = (id: string) => BigInt(id).toString(16);
export const hexToId = (hex: string) => BigInt(`0x${hex}`).toString(10);

/** Connections to the members of one cluster, keyed by member and address (a new pod IP is a new client). */
export class EtcdMembers {
  private readonly clients = new Map<string, { key: string; client: Etcd3 }>();

  constructor(
    private readonly cluster: ClusterRef,
    private readonly resolver: MemberResolver,
    private tls: ClientTLS,
  ) {}

  setTLS(tls: ClientTLS): void {
    if (tls.caPem === this.tls.caPem && tls.certPem === this.tls.certPem && tls.keyPem === this.tls.keyPem) return;
    this.tls = tls;
    this.close();
  }

  /** The client of `member`, or undefined when it cannot be dialed now. */
  client(member: string, pod: V1Pod | undefined): Etcd3 | undefined {
    const ep = this.resolver.resolve(this.cluster, member, pod);
    if (!ep) return undefined;
    const key = `${ep.address}|${ep.serverName}`;
    const existing = this.clients.get(member);
    if (existing?.key === key) return existing.client;
    existing?.client.close();
    const client = etcdClient(ep, this.tls);
    this.clients.set(member, { key, client });
    return client;
  }

  /** Forget members that are gone. */
  retain(members: Iterable<string>): void {
    const keep = new Set(members);
    for (const [name, c] of this.clients) {
      if (keep.has(name)) continue;
      c.client.close();
      this.clients.delete(name);
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  async health(member: string, pod: V1Pod | undefined): Promise<MemberHealth & { id?: string }> {
    await this.resolver.prepare?.(this.cluster, member, pod);
    const c = this.client(member, pod);
    const down = (error: string): MemberHealth => ({
      healthy: false,
      isLeader: false,
      isLearner: false,
      raftIndex: 0,
      raftAppliedIndex: 0,
      dbSize: 0,
      dbSizeInUse: 0,
      version: '',
      error,
    });
    if (!c) return down(pod ? 'pod has no IP yet' : 'no pod');
    try {
      const s = await c.maintenance.status(deadline());
      const id = s.header.member_id;
      const hasLeader = s.leader !== '0' && s.leader !== '';
      return {
        id: idToHex(id),
        // `errors` carries raised alarms (NOSPACE): the member still serves reads and needs recovery,
        // not replacement, so alarms are reported but do not make it unhealthy.
        healthy: hasLeader,
        isLeader: hasLeader && s.leader === id,
        isLearner: s.isLearner,
        raftIndex: Number(s.raftIndex),
        raftAppliedIndex: Number(s.raftAppliedIndex),
        dbSize: Number(s.dbSize),
        dbSizeInUse: Number(s.dbSizeInUse),
        version: s.version,
        error: !hasLeader ? 'no leader' : s.errors.length ? s.errors.join('; ') : undefined,
      };
    } catch (e) {
      // Not connected (UNAVAILABLE): the client is forgotten, so the next call dials at once and a member that
      // is starting answers as soon as it listens, not when this client's reconnect backoff (up to 2 s) ends.
      // A slow answer (deadline) keeps it: a defragment may be running on that connection.
      if (e instanceof GRPCUnavailableError) this.forget(member);
      return down(shortError(e));
    }
  }

  /** Closes the client of `member` (the next call makes a new one). */
  forget(member: string): void {
    this.clients.get(member)?.client.close();
    this.clients.delete(member);
  }

  async memberList(via: string, pod: V1Pod | undefined): Promise<EtcdMemberFacts[]> {
    const c = this.mustClient(via, pod);
    const r = await c.cluster.memberList({ linearizable: true }, deadline());
    return r.members.map((m) => ({
      id: idToHex(m.ID),
      name: m.name ?? '',
      peerURLs: m.peerURLs ?? [],
      clientURLs: m.clientURLs ?? [],
      isLearner: !!m.isLearner,
    }));
  }

  async alarms(via: string, pod: V1Pod | undefined): Promise<string[]> {
    const c = this.mustClient(via, pod);
    const r = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' }, deadline());
    // etcd3 names the enum `Nospace`; etcd and its docs say NOSPACE.
    return (r.alarms ?? []).map((a) => `${String(a.alarm).toUpperCase()}:${idToHex(String(a.memberID))}`);
  }

  async addLearner(via: string, pod: V1Pod | undefined, peerURL: string): Promise<string> {
    const c = this.mustClient(via, pod);
    const r = await c.cluster.memberAdd({ peerURLs: [peerURL], isLearner: true }, deadline(10_000));
    return idToHex(r.member.ID);
  }

  async promote(via: string, pod: V1Pod | undefined, idHex: string): Promise<void> {
    await this.mustClient(via, pod).cluster.memberPromote({ ID: hexToId(idHex) }, deadline(10_000));
  }

  async remove(via: string, pod: V1Pod | undefined, idHex: string): Promise<void> {
    await this.mustClient(via, pod).cluster.memberRemove({ ID: hexToId(idHex) }, deadline(10_000));
  }

  async defragment(member: string, pod: V1Pod | undefined): Promise<void> {
    await this.mustClient(member, pod).maintenance.defragment(deadline(120_000));
  }

  /** Compacts the keyspace up to the current revision (physical: waits until it is applied). */
  async compactToCurrent(via: string, pod: V1Pod | undefined): Promise<number> {
    const c = this.mustClient(via, pod);
    const r = await c.kv.range({ key: Buffer.from([0]), limit: 1 }, deadline());
    const rev = r.header.revision;
    await c.kv.compact({ revision: rev, physical: true }, deadline(60_000));
    return Number(rev);
  }

  async disarmAll(via: string, pod: V1Pod | undefined): Promise<void> {
    const c = this.mustClient(via, pod);
    const r = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' }, deadline());
    for (const a of r.alarms ?? []) {
      await c.maintenance.alarm({ action: 'Deactivate', memberID: a.memberID, alarm: a.alarm }, deadline());
    }
  }

  /**
   * Streams a snapshot of `member`'s backend into `file`, as etcdctl's `snapshot save` does: chunk by chunk
   * over node:http2 (snapshot-stream.ts: a third of grpc-js's CPU), never the whole database in memory (the
   * stream waits while the disk is behind), hashed and written by a worker thread
   * (snapshot-sink.ts), into `file.partial` (0600), fsynced, then renamed, so a file at the final path is
   * always complete and durable.
   */
  async snapshot(member: string, pod: V1Pod | undefined, file: string, timeoutMs = 600_000): Promise<SnapshotResult> {
    await this.resolver.prepare?.(this.cluster, member, pod);
    const ep = this.resolver.resolve(this.cluster, member, pod);
    if (!ep) throw new Error(`etcd member ${member} cannot be reached (no pod IP)`);
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.partial`;
    const sink = new SnapshotSink(partial);
    let size = 0;
    try {
      await streamSnapshot(
        ep,
        this.tls,
        (bytes) => {
          size += bytes.length;
          return sink.push(bytes);
        },
        timeoutMs,
      );
      const sha256 = await sink.end();
      await fsp.rename(partial, file);
      // etcd 3.5 puts no revision on a snapshot; the backup reconciler reads it from the file (etcdutl).
      return { file, size, sha256, revision: 0 };
    } catch (e) {
      await sink.abort();
      await fsp.rm(partial, { force: true });
      throw e;
    }
  }

  private mustClient(member: string, pod: V1Pod | undefined): Etcd3 {
    const c = this.client(member, pod);
    if (!c) throw new Error(`etcd member ${member} cannot be reached (no pod IP)`);
    return c;
  }
}

export function shortError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
