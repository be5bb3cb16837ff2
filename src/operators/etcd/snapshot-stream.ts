// etcd's Maintenance/Snapshot read as plain gRPC over node:http2, its `blob` bytes handed on straight from
// the HTTP/2 frames. Every other call goes through the etcd3 client (grpc-js); this one stream does not:
// measured on a 120 MiB database, grpc-js (message reassembly by copy, a protobuf object per 32 KiB
// message, object streams) spent 480–940 ms of CPU receiving it, the same bytes over node:http2 160–330 ms,
// and on a shared 2-core machine that CPU is the snapshot's time (etcdctl, in Go, is the floor).
//
// The wire format (gRPC over HTTP/2): the request is one empty message; the response is a sequence of
// messages, each a 5-byte prefix (compressed flag, big-endian length) and a SnapshotResponse:
// `header` (1, message), `remaining_bytes` (2, varint), `blob` (3, bytes), `version` (4, string, 3.6+).
// The status is `grpc-status`/`grpc-message` in the trailers (or in the headers of a trailers-only answer).
import * as http2 from 'node:http2';
import type { ClientTLS, MemberEndpoint } from '../../kit/etcd-access';

const SNAPSHOT_PATH = '/etcdserverpb.Maintenance/Snapshot';
const BLOB_FIELD = 3;
/** HTTP/2 windows: etcd sends while this much is unread (Node's default 64 KiB made etcd wait on every round trip). */
const WINDOW_BYTES = 4 * 1024 * 1024;

type State = 'prefix' | 'tag' | 'len' | 'varint' | 'skip' | 'blob';

/** Incremental parser of the response body: push() the bytes as they come, `onBlob` gets the snapshot's bytes. */
export class SnapshotResponseParser {
  private state: State = 'prefix';
  private head: number[] = [];
  /** Bytes left in the current message. */
  private msgLeft = 0;
  /** Bytes left to skip or hand on in the current field. */
  private n = 0;
  private field = 0;
  private v = 0;
  private shift = 0;

  constructor(private readonly onBlob: (bytes: Buffer) => void) {}

  push(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'prefix') {
        this.head.push(buf[i++]);
        if (this.head.length === 5) this.startMessage();
      } else if (this.state === 'skip' || this.state === 'blob') {
        const take = Math.min(this.n, buf.length - i);
        if (this.state === 'blob') this.onBlob(buf.subarray(i, i + take));
        i += take;
        this.n -= take;
        this.msgLeft -= take;
        if (this.n === 0) this.fieldDone();
      } else {
        this.varintByte(buf[i++]);
      }
    }
  }

  /** Throws unless the body ended between messages. */
  end(): void {
    if (this.state !== 'prefix' || this.head.length) throw new Error('etcd snapshot stream ended inside a message');
  }

  private startMessage(): void {
    const [flag, a, b, c, d] = this.head;
    this.head = [];
    if (flag !== 0) throw new Error('etcd snapshot: compressed gRPC message (compression was not offered)');
    this.msgLeft = a * 2 ** 24 + (b << 16) + (c << 8) + d;
    this.state = this.msgLeft ? 'tag' : 'prefix';
  }

  private varintByte(byte: number): void {
    if (this.msgLeft-- <= 0) throw new Error('etcd snapshot: varint runs past its message');
    this.v += (byte & 0x7f) * 2 ** this.shift;
    this.shift += 7;
    if (byte & 0x80) {
      if (this.shift > 63) throw new Error('etcd snapshot: varint too long');
      return;
    }
    const v = this.v;
    this.v = 0;
    this.shift = 0;
    if (this.state === 'tag') {
      this.field = Math.floor(v / 8);
      const wireType = v % 8;
      if ((wireType === 0 || wireType === 2) && this.msgLeft === 0) throw new Error('etcd snapshot: message ends after a field tag');
      if (wireType === 0) this.state = 'varint';
      else if (wireType === 2) this.state = 'len';
      else if (wireType === 1 || wireType === 5) this.startBytes('skip', wireType === 1 ? 8 : 4);
      else throw new Error(`etcd snapshot: unexpected protobuf wire type ${wireType}`);
    } else if (this.state === 'len') {
      this.startBytes(this.field === BLOB_FIELD ? 'blob' : 'skip', v);
    } else {
      this.fieldDone(); // a varint field's value (remaining_bytes): nothing to keep
    }
  }

  private startBytes(state: 'skip' | 'blob', n: number): void {
    if (n > this.msgLeft) throw new Error('etcd snapshot: field runs past its message');
    this.state = state;
    this.n = n;
    if (n === 0) this.fieldDone();
  }

  private fieldDone(): void {
    this.state = this.msgLeft === 0 ? 'prefix' : 'tag';
  }
}

/**
 * Reads a snapshot from the member at `ep`, its certificate verified against `ep.serverName`; each piece of
 * the snapshot goes to `sink` in order (awaited: the stream is not read while the sink is behind, and
 * HTTP/2 flow control then stops etcd). Resolves when etcd reports success.
 */
export async function streamSnapshot(
  ep: MemberEndpoint,
  tls: ClientTLS,
  sink: (bytes: Buffer) => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const session = http2.connect(`https://${ep.address}`, {
    ca: tls.caPem,
    cert: tls.certPem,
    key: tls.keyPem,
    servername: ep.serverName,
    settings: { initialWindowSize: WINDOW_BYTES },
  });
  session.on('error', () => {}); // surfaces through the request below
  session.once('connect', () => session.setLocalWindowSize(WINDOW_BYTES)); // the connection's window; settings set the stream's
  try {
    const req = session.request(
      { ':method': 'POST', ':path': SNAPSHOT_PATH, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${timeoutMs}m` },
      { signal: AbortSignal.timeout(timeoutMs) },
    );
    let status: { code: string; message: string } | undefined;
    let httpStatus: unknown;
    const takeStatus = (h: http2.IncomingHttpHeaders) => {
      httpStatus ??= h[':status'];
      if (h['grpc-status'] !== undefined)
        status = { code: String(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')) };
    };
    req.on('response', takeStatus);
    req.on('trailers', takeStatus);
    req.end(Buffer.alloc(5)); // one empty SnapshotRequest
    const pending: Buffer[] = [];
    const parser = new SnapshotResponseParser((b) => pending.push(b));
    for await (const data of req as AsyncIterable<Buffer>) {
      parser.push(data);
      for (const b of pending.splice(0)) await sink(b);
    }
    if (!status) throw new Error(`etcd snapshot: the stream ended without a gRPC status (HTTP ${String(httpStatus)})`);
    if (status.code !== '0') throw new Error(`etcd snapshot failed: ${status.message || 'no message'} (gRPC status ${status.code})`);
    parser.end();
  } finally {
    session.close();
  }
}
