/**
 * Frames of /sotto/msg/1.0.0 (docs/PROTOCOL.md, "/sotto/msg"). Each starts
 * with the frame version and a type; the decoder checks lengths and throws
 * only DecodeError and version errors.
 *
 *   DELIVER  u8 version || u8 1 || u32 seq || envelope
 *   ACK      u8 version || u8 2 || u32 seq || u8 status
 */
import { Reader, Writer } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { MAX_ENVELOPE_BYTES } from '../../crypto/envelope.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION } from '../constants.ts';

/** How the receiver answers a delivered envelope. */
export type AckStatus = 'stored' | 'duplicate' | 'rejected' | 'retry' | 'refused';
/** 'refused': the receiver does not accept envelopes from this sender (blocked, or its message request is full). */
const ACK_CODES: Record<AckStatus, number> = { stored: 1, duplicate: 2, rejected: 3, retry: 4, refused: 5 };

const MSG_DELIVER = 1;
const MSG_ACK = 2;

/** A decoded /sotto/msg frame. */
export type MsgFrame = { readonly type: 'deliver'; readonly seq: number; readonly envelope: Uint8Array } | { readonly type: 'ack'; readonly seq: number; readonly status: AckStatus };

export function encodeDeliver(seq: number, envelope: Uint8Array): Uint8Array {
  return new Writer(6 + envelope.length).u8(FRAME_VERSION).u8(MSG_DELIVER).u32(seq).fixed(envelope, envelope.length).finish();
}

export function encodeAck(seq: number, status: AckStatus): Uint8Array {
  return new Writer(7).u8(FRAME_VERSION).u8(MSG_ACK).u32(seq).u8(ACK_CODES[status]).finish();
}

export function decodeMsgFrame(bytes: Uint8Array): MsgFrame {
  const what = 'msg frame';
  const r = new Reader(bytes, what);
  readVersion(r, what, FRAME_VERSION);
  const type = r.u8('type');
  const seq = r.u32('seq');
  if (type === MSG_DELIVER) {
    if (r.remaining === 0 || r.remaining > MAX_ENVELOPE_BYTES) throw new DecodeError(what, `envelope of ${r.remaining} bytes`);
    return { type: 'deliver', seq, envelope: r.rest() };
  }
  if (type === MSG_ACK) {
    const code = r.u8('status');
    r.end();
    const status = (Object.keys(ACK_CODES) as AckStatus[]).find((s) => ACK_CODES[s] === code);
    if (!status) throw new DecodeError(what, `unknown ack status ${code}`);
    return { type: 'ack', seq, status };
  }
  throw new DecodeError(what, `unknown type ${type}`);
}
