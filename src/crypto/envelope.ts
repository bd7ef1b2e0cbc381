/**
 * The wire envelope of an encrypted message (docs/PROTOCOL.md §9), version 2.
 *
 *   MESSAGE (type 1): u8 version || u8 type || nonce (16) || header (62) || body
 *   PREKEY  (type 2): u8 version || u8 type || identity (128) || base key (32)
 *                     || u32 spkId || u32 kemId || u8 hasOpk || [u32 opkId]
 *                     || KEM ciphertext (1088) || nonce (16) || header (62) || body
 *   body = XChaCha20-Poly1305(padded plaintext || PQ parts): a multiple of
 *   64 bytes plus the parts (at most one whole PQ blob) plus a 16-byte tag.
 *
 * The transport frames envelopes, so the body runs to the end. Every length
 * is checked before anything is copied; decoders throw only DecodeError,
 * VersionTooOldError and VersionTooNewError.
 */
import { Reader, Writer, type Bytes } from './bytes.ts';
import {
  AEAD_TAG_BYTES,
  HEADER_CIPHERTEXT_BYTES,
  MAX_PLAINTEXT_BYTES,
  MLKEM768_CIPHERTEXT_BYTES,
  ENVELOPE_VERSION,
  PADDING_BLOCK_BYTES,
  WIRE_NONCE_BYTES,
  X25519_KEY_BYTES,
} from './constants.ts';
import { DecodeError } from './errors.ts';
import { IDENTITY_PUBLIC_BYTES, readIdentityPublic, writeIdentityPublic } from './identity.ts';
import type { PrekeyMessageHeader } from './pqxdh.ts';
import { blobBytes } from './pq-ratchet.ts';
import type { RatchetMessage } from './ratchet.ts';
import { readVersion } from './version.ts';

/** Envelope type byte of a normal ratchet message. */
export const ENVELOPE_TYPE_MESSAGE = 1;
/** Envelope type byte of a message that also carries the session-agreement header. */
export const ENVELOPE_TYPE_PREKEY = 2;

/** Most PQ ratchet bytes one message carries: a whole blob with a ciphertext and a key (§7a). */
const MAX_PQ_PART_BYTES = blobBytes(2);
/** Largest body: the padded maximum plaintext, a whole PQ blob, and the tag. */
export const MAX_BODY_BYTES = Math.ceil((MAX_PLAINTEXT_BYTES + 1) / PADDING_BLOCK_BYTES) * PADDING_BLOCK_BYTES + MAX_PQ_PART_BYTES + AEAD_TAG_BYTES;
const MIN_BODY_BYTES = PADDING_BLOCK_BYTES + AEAD_TAG_BYTES;
const RATCHET_FIXED_BYTES = WIRE_NONCE_BYTES + HEADER_CIPHERTEXT_BYTES;
const PREKEY_HEADER_MAX_BYTES = IDENTITY_PUBLIC_BYTES + X25519_KEY_BYTES + 4 + 4 + 1 + 4 + MLKEM768_CIPHERTEXT_BYTES;
/** Largest envelope of any type; transports may reject larger frames before decoding. */
export const MAX_ENVELOPE_BYTES = 2 + PREKEY_HEADER_MAX_BYTES + RATCHET_FIXED_BYTES + MAX_BODY_BYTES;

/** A decoded envelope. */
export type Envelope =
  | { readonly type: 'message'; readonly message: RatchetMessage }
  | { readonly type: 'prekey'; readonly prekey: PrekeyMessageHeader; readonly message: RatchetMessage };

/** Writes the session-agreement header of a PREKEY envelope. */
export function writePrekeyHeader(w: Writer, h: PrekeyMessageHeader): void {
  writeIdentityPublic(w, h.identity);
  w.fixed(h.baseKey, X25519_KEY_BYTES).u32(h.signedPrekeyId).u32(h.kemPrekeyId);
  if (h.oneTimePrekeyId === undefined) w.u8(0);
  else w.u8(1).u32(h.oneTimePrekeyId);
  w.fixed(h.kemCiphertext, MLKEM768_CIPHERTEXT_BYTES);
}

/** Reads the session-agreement header of a PREKEY envelope. */
export function readPrekeyHeader(r: Reader, what: string): PrekeyMessageHeader {
  const identity = readIdentityPublic(r);
  const baseKey = r.fixed(X25519_KEY_BYTES, 'base key');
  const signedPrekeyId = r.u32('signed prekey id');
  const kemPrekeyId = r.u32('KEM prekey id');
  const hasOneTime = r.u8('one-time prekey flag');
  if (hasOneTime > 1) throw new DecodeError(what, 'one-time prekey flag is not 0 or 1');
  const oneTimePrekeyId = hasOneTime === 1 ? r.u32('one-time prekey id') : undefined;
  const kemCiphertext = r.fixed(MLKEM768_CIPHERTEXT_BYTES, 'KEM ciphertext');
  return { identity, baseKey, signedPrekeyId, kemPrekeyId, oneTimePrekeyId, kemCiphertext };
}

function writeRatchetMessage(w: Writer, m: RatchetMessage): void {
  w.fixed(m.nonce, WIRE_NONCE_BYTES).fixed(m.headerCiphertext, HEADER_CIPHERTEXT_BYTES).fixed(m.bodyCiphertext, m.bodyCiphertext.length);
}

function readRatchetMessage(r: Reader, what: string): RatchetMessage {
  const nonce = r.fixed(WIRE_NONCE_BYTES, 'nonce');
  const headerCiphertext = r.fixed(HEADER_CIPHERTEXT_BYTES, 'header');
  const bodyLength = r.remaining;
  // The PQ parts after the padded body are only known once the header is open (§7a).
  if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES) {
    throw new DecodeError(what, `body length ${bodyLength} is not in ${MIN_BODY_BYTES}..${MAX_BODY_BYTES}`);
  }
  return { nonce, headerCiphertext, bodyCiphertext: r.rest() };
}

/** Encodes an envelope. */
export function encodeEnvelope(envelope: Envelope): Bytes {
  const w = new Writer(2 + RATCHET_FIXED_BYTES + envelope.message.bodyCiphertext.length + (envelope.type === 'prekey' ? PREKEY_HEADER_MAX_BYTES : 0));
  w.u8(ENVELOPE_VERSION);
  if (envelope.type === 'prekey') {
    w.u8(ENVELOPE_TYPE_PREKEY);
    writePrekeyHeader(w, envelope.prekey);
  } else {
    w.u8(ENVELOPE_TYPE_MESSAGE);
  }
  writeRatchetMessage(w, envelope.message);
  return w.finish();
}

/**
 * Decodes an envelope from untrusted bytes. Throws DecodeError (including
 * for input above MAX_ENVELOPE_BYTES, checked first), VersionTooOldError or
 * VersionTooNewError, and nothing else.
 */
export function decodeEnvelope(bytes: Bytes): Envelope {
  const what = 'envelope';
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(what, 'input is not a byte array');
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new DecodeError(what, `${bytes.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`);
  const r = new Reader(bytes, what);
  readVersion(r, what, ENVELOPE_VERSION);
  const type = r.u8('type');
  if (type === ENVELOPE_TYPE_MESSAGE) return { type: 'message', message: readRatchetMessage(r, what) };
  if (type === ENVELOPE_TYPE_PREKEY) {
    const prekey = readPrekeyHeader(r, what);
    return { type: 'prekey', prekey, message: readRatchetMessage(r, what) };
  }
  throw new DecodeError(what, `unknown type ${type}`);
}
