/**
 * Frames of Sotto's network protocols (docs/PROTOCOL.md, "/sotto/msg" and
 * "/sotto/prekeys"). Each starts with the frame version and a type; every
 * decoder checks lengths and throws only DecodeError and version errors.
 *
 * /sotto/msg/1.0.0     DELIVER  u8 version || u8 1 || u32 seq || envelope
 *                      ACK      u8 version || u8 2 || u32 seq || u8 status
 * /sotto/prekeys/1.0.0 REQUEST  u8 version || u8 1
 *                      BUNDLE   u8 version || u8 2 || bundle
 *                      NONE     u8 version || u8 3            (no bundle available)
 */
import { Reader, Writer } from '../crypto/bytes.ts';
import { DecodeError } from '../crypto/errors.ts';
import { MAX_ENVELOPE_BYTES } from '../crypto/envelope.ts';
import { readVersion } from '../crypto/version.ts';
import { FRAME_VERSION } from './constants.ts';

/** How the receiver answers a delivered envelope. */
export type AckStatus = 'stored' | 'duplicate' | 'rejected' | 'retry';
const ACK_CODES: Record<AckStatus, number> = { stored: 1, duplicate: 2, rejected: 3, retry: 4 };

const MSG_DELIVER = 1;
const MSG_ACK = 2;
const PREKEYS_REQUEST = 1;
const PREKEYS_BUNDLE = 2;
const PREKEYS_NONE = 3;

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

/** A decoded /sotto/prekeys frame. */
export type PrekeysFrame = { readonly type: 'request' } | { readonly type: 'bundle'; readonly bundle: Uint8Array } | { readonly type: 'none' };

export function encodePrekeysRequest(): Uint8Array {
  return Uint8Array.of(FRAME_VERSION, PREKEYS_REQUEST);
}

export function encodePrekeysBundle(bundle: Uint8Array): Uint8Array {
  return new Writer(2 + bundle.length).u8(FRAME_VERSION).u8(PREKEYS_BUNDLE).fixed(bundle, bundle.length).finish();
}

export function encodePrekeysNone(): Uint8Array {
  return Uint8Array.of(FRAME_VERSION, PREKEYS_NONE);
}

export function decodePrekeysFrame(bytes: Uint8Array): PrekeysFrame {
  const what = 'prekeys frame';
  const r = new Reader(bytes, what);
  readVersion(r, what, FRAME_VERSION);
  const type = r.u8('type');
  if (type === PREKEYS_REQUEST || type === PREKEYS_NONE) {
    r.end();
    return { type: type === PREKEYS_REQUEST ? 'request' : 'none' };
  }
  if (type === PREKEYS_BUNDLE) {
    if (r.remaining === 0) throw new DecodeError(what, 'empty bundle');
    return { type: 'bundle', bundle: r.rest() };
  }
  throw new DecodeError(what, `unknown type ${type}`);
}
