/**
 * /sotto/group/1.0.0 (docs/PROTOCOL.md §24a): a member hands a group frame
 * straight to another member who is online. One stream per frame: DELIVER,
 * then the receiver's ACK once what the frame changed is on disk (the
 * statuses of /sotto/msg). The frame authenticates itself (MLS); the
 * receiver serves only peers that are members of the frame's group.
 *
 *   DELIVER  u8 version || u8 1 || group frame
 *   ACK      u8 version || u8 2 || u8 status (1 stored, 2 duplicate, 3 rejected, 4 retry, 5 refused)
 */
import { Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION, GROUP_DIRECT_TIMEOUT_MS, GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES } from '../constants.ts';
import type { Network } from '../transport/network.ts';
import type { AckStatus } from '../messaging/wire.ts';

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

/** Hands `frame` to `peerId` and resolves to its ack; throws when the peer cannot be reached or answers wrong. */
export async function deliverToMember(network: Network, peerId: string, frame: Bytes): Promise<AckStatus> {
  const signal = AbortSignal.timeout(GROUP_DIRECT_TIMEOUT_MS);
  const stream = await network.open(peerId, GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES, { signal });
  try {
    await stream.write(encodeGroupDeliver(frame), { signal });
    const answer = decodeGroupStreamFrame(await stream.read({ signal }));
    if (answer.type !== 'ack') throw new DecodeError('group stream frame', 'expected an ack');
    return answer.status;
  } finally {
    await stream.close().catch(() => {});
  }
}
