// The snapshot stream's parser (gRPC messages of SnapshotResponse, read without grpc-js): the blob bytes
// come out exactly, in order, however the HTTP/2 frames cut the messages, and other fields are skipped.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SnapshotResponseParser } from '../../../../src/operators/etcd/snapshot-stream';

const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const bytesField = (field: number, b: Buffer) => Buffer.concat([tag(field, 2), varint(b.length), b]);
const grpcMessage = (body: Buffer) => {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
};

/** SnapshotResponse as etcd encodes it: header (1, a message), remaining_bytes (2), blob (3), version (4, 3.6+). */
function response(blob: Buffer, remaining: number, extra = false): Buffer {
  const header = Buffer.concat([tag(1, 0), varint(2 ** 52 + 12345), tag(3, 0), varint(123456)]);
  return grpcMessage(
    Buffer.concat([
      ...(extra ? [bytesField(1, header)] : []),
      tag(2, 0),
      varint(remaining),
      ...(blob.length ? [bytesField(3, blob)] : []),
      ...(extra ? [bytesField(4, Buffer.from('3.6.0')), tag(9, 1), Buffer.alloc(8), tag(10, 5), Buffer.alloc(4)] : []),
    ]),
  );
}

function parse(stream: Buffer, cut: (left: number) => number): Buffer {
  const out: Buffer[] = [];
  const p = new SnapshotResponseParser((b) => out.push(Buffer.from(b)));
  for (let i = 0; i < stream.length;) {
    const n = Math.max(1, Math.min(cut(stream.length - i), stream.length - i));
    p.push(stream.subarray(i, i + n));
    i += n;
  }
  p.end();
  return Buffer.concat(out);
}

describe('etcd snapshot stream parser', () => {
  const blobs = [randomBytes(32 * 1024), randomBytes(32 * 1024), randomBytes(200), Buffer.alloc(0), randomBytes(32)];
  const want = Buffer.concat(blobs);
  const total = want.length;
  let left = total;
  const stream = Buffer.concat([
    grpcMessage(Buffer.alloc(0)), // an empty message is allowed
    ...blobs.map((b, i) => response(b, (left -= b.length), i % 2 === 0)),
  ]);

  it('hands on the blob bytes exactly, in one piece, byte by byte, and in random frame sizes', () => {
    assert.ok(parse(stream, () => stream.length).equals(want));
    assert.ok(parse(stream, () => 1).equals(want));
    for (let i = 0; i < 20; i++) assert.ok(parse(stream, () => 1 + Math.floor(Math.random() * 40_000)).equals(want));
  });

  it('refuses a compressed message, a field running past its message, and a stream ending inside a message', () => {
    const compressed = Buffer.from(response(randomBytes(10), 0));
    compressed[0] = 1;
    assert.throws(() => new SnapshotResponseParser(() => {}).push(compressed), /compressed/);
    const body = bytesField(3, randomBytes(10));
    assert.throws(() => new SnapshotResponseParser(() => {}).push(grpcMessage(body.subarray(0, body.length - 3))), /past its message/);
    const p = new SnapshotResponseParser(() => {});
    p.push(stream.subarray(0, stream.length - 7));
    assert.throws(() => p.end(), /inside a message/);
  });
});
