/**
 * Message padding (ISO/IEC 7816-4): append 0x80, then zeros up to a multiple
 * of PADDING_BLOCK_BYTES. Hides exact message lengths from peers that relay
 * or store ciphertext. Removed only after the message authenticated.
 */
import type { Bytes } from './bytes.ts';
import { PADDING_BLOCK_BYTES } from './constants.ts';
import { DecodeError } from './errors.ts';

/** Pads a plaintext; the result is a positive multiple of PADDING_BLOCK_BYTES. */
export function pad(plaintext: Bytes): Bytes {
  const length = Math.ceil((plaintext.length + 1) / PADDING_BLOCK_BYTES) * PADDING_BLOCK_BYTES;
  const out = new Uint8Array(length);
  out.set(plaintext, 0);
  out[plaintext.length] = 0x80;
  return out;
}

/** Removes padding; throws DecodeError when it is malformed. */
export function unpad(padded: Bytes): Bytes {
  if (padded.length === 0 || padded.length % PADDING_BLOCK_BYTES !== 0) throw new DecodeError('padded plaintext', `length ${padded.length}`);
  let i = padded.length - 1;
  const lowest = padded.length - PADDING_BLOCK_BYTES;
  while (i > lowest && padded[i] === 0) i--;
  if (padded[i] !== 0x80) throw new DecodeError('padded plaintext', 'no padding marker');
  return padded.slice(0, i);
}
