/**
 * /sotto/group/1.0.0 (docs/PROTOCOL.md §24a): a member hands a group frame
 * straight to another member who is online. One stream per frame: DELIVER,
 * then the receiver's ACK once what the frame changed is on disk (the
 * statuses of /sotto/msg). The frame authenticates itself (MLS); the
 * receiver serves only peers that are members of the frame's group.
 *
 *   DELIVER  u8 version || u8 1 || group frame
 *   ACK      u8 version || u8 2 || u8 status (1 stored, 2 duplicate, 3 rejected, 4 retry, 5 refused)
 *
 * A frame larger than GROUP_CHUNK_BYTES goes as its chunks (./chunks.ts),
 * one DELIVER each, in order, on the one stream; the ACK answers the whole.
 */
import { Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION, GROUP_CHUNKED_RECEIVE_TIMEOUT_MS, GROUP_DIRECT_TIMEOUT_MS, GROUP_FANOUT_CONCURRENCY, GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES } from '../constants.ts';
import type { FramedStream, Network } from '../transport/network.ts';
import type { AckStatus } from '../messaging/wire.ts';
import { decodeGroupChunk, isGroupChunk, joinGroupChunks, splitGroupFrame, type GroupChunk } from './chunks.ts';

const DELIVER = 1;
const ACK = 2;
const STATUSES: readonly AckStatus[] = ['stored', 'duplicate', 'rejected', 'retry', 'refused'];

/** A decoded /sotto/group frame. */
export type GroupStreamFrame = { readonly type: 'deliver'; readonly frame: Bytes } | { readonly type: 'ack'; readonly status: AckStatus };

export function encodeGroupDeliver(frame: Bytes): Bytes {
  return new Writer(2 + frame.length).u8(FRAME_VERSION).u8(DELIVER).fixed(frame, frame.length).finish();
}

export function encodeGroupAck(status: AckStatus): Bytes {
  return Uint8Array.of(FRAME_VERSION, ACK, STATUSES.indexOf(status) + 1);
}

/** Decodes a /sotto/group frame from untrusted bytes. Throws DecodeError or VersionTooOld/New. */
export function decodeGroupStreamFrame(bytes: Bytes): GroupStreamFrame {
  const r = new Reader(bytes, 'group stream frame');
  readVersion(r, 'group stream frame', FRAME_VERSION);
  const type = r.u8('type');
  if (type === DELIVER) {
    if (r.remaining === 0) throw new DecodeError('group stream frame', 'empty frame');
    return { type: 'deliver', frame: r.rest() };
  }
  if (type === ACK) {
    const status = STATUSES[r.u8('status') - 1];
    r.end();
    if (!status) throw new DecodeError('group stream frame', 'unknown ack status');
    return { type: 'ack', status };
  }
  throw new DecodeError('group stream frame', `unknown type ${type}`);
}

/**
 * Hands `frame` to `peerId` (as chunks when it is large) and resolves to
 * its ack; throws when the peer cannot be reached or answers wrong.
 */
export async function deliverToMember(network: Network, peerId: string, frame: Bytes, sha256: (data: Bytes) => Bytes): Promise<AckStatus> {
  const parts = splitGroupFrame(sha256, frame);
  const signal = AbortSignal.timeout(parts.length === 1 ? GROUP_DIRECT_TIMEOUT_MS : GROUP_CHUNKED_RECEIVE_TIMEOUT_MS);
  const stream = await network.open(peerId, GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES, { signal });
  try {
    await stream.writeMany(parts.map(encodeGroupDeliver), { signal });
    const answer = decodeGroupStreamFrame(await stream.read({ signal }));
    if (answer.type !== 'ack') throw new DecodeError('group stream frame', 'expected an ack');
    return answer.status;
  } finally {
    await stream.close().catch(() => {});
  }
}

/**
 * Reads what a /sotto/group stream delivers: one frame, or all chunks of
 * one (after the first, each of the same frame and the next index), joined
 * and checked against their digest. `admitChunked` is asked before a
 * chunked frame is read on (false: the caller answers `retry`, and
 * undefined is returned). Throws DecodeError, VersionTooOld/New, or the
 * stream's errors (a timeout: GROUP_DIRECT_TIMEOUT_MS for the first
 * frame, GROUP_CHUNKED_RECEIVE_TIMEOUT_MS for all chunks).
 */
export async function readGroupDelivery(stream: FramedStream, sha256: (data: Bytes) => Bytes, admitChunked: () => boolean): Promise<Bytes | undefined> {
  const first = decodeGroupStreamFrame(await stream.read({ signal: AbortSignal.timeout(GROUP_DIRECT_TIMEOUT_MS) }));
  if (first.type !== 'deliver') throw new DecodeError('group stream frame', 'expected a delivery');
  if (!isGroupChunk(first.frame)) return first.frame;
  const head = decodeGroupChunk(first.frame);
  if (head.index !== 0) throw new DecodeError('group stream frame', 'chunks must start at index 0');
  if (!admitChunked()) return undefined;
  const signal = AbortSignal.timeout(GROUP_CHUNKED_RECEIVE_TIMEOUT_MS);
  const chunks: GroupChunk[] = [head];
  while (chunks.length < head.count) {
    const next = decodeGroupStreamFrame(await stream.read({ signal }));
    if (next.type !== 'deliver') throw new DecodeError('group stream frame', 'expected a delivery');
    const chunk = decodeGroupChunk(next.frame);
    if (chunk.index !== chunks.length) throw new DecodeError('group stream frame', `chunk ${chunk.index} where ${chunks.length} was due`);
    chunks.push(chunk);
  }
  return joinGroupChunks(sha256, chunks);
}

/**
 * Hands `frame` to each of `peerIds`, up to GROUP_FANOUT_CONCURRENCY at
 * once (direct fan-out), and resolves to each member's ack, or the error
 * that kept it from answering.
 */
export async function fanOut(network: Network, peerIds: readonly string[], frame: Bytes, sha256: (data: Bytes) => Bytes): Promise<Map<string, AckStatus | Error>> {
  const out = new Map<string, AckStatus | Error>();
  for (let i = 0; i < peerIds.length; i += GROUP_FANOUT_CONCURRENCY) {
    await Promise.all(
      peerIds.slice(i, i + GROUP_FANOUT_CONCURRENCY).map(async (peerId) => {
        try {
          out.set(peerId, await deliverToMember(network, peerId, frame, sha256));
        } catch (err) {
          out.set(peerId, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
  }
  return out;
}
