/**
 * HMAC (RFC 2104) and HKDF (RFC 5869) over the hash of an MLS ciphersuite,
 * built from the one-shot hash of Sotto's primitives (libsodium or
 * node:crypto in Node, @noble in browsers) so that the many small
 * derivations of an MLS epoch are synchronous native calls rather than
 * asynchronous WebCrypto round trips.
 */
import { concatBytes, type Bytes } from '../../crypto/bytes.ts';

/** A one-shot hash with its output and block sizes. */
export interface HashFunction {
  readonly digest: (data: Bytes) => Bytes;
  /** Output bytes (32 for SHA-256, 64 for SHA-512). */
  readonly outputBytes: number;
  /** Block bytes (64 for SHA-256, 128 for SHA-512). */
  readonly blockBytes: number;
}

const IPAD = 0x36;
const OPAD = 0x5c;
/** RFC 5869: at most 255 blocks of output. */
const HKDF_MAX_BLOCKS = 255;

/** HMAC of `data` under `key` (RFC 2104). */
export function hmac(hash: HashFunction, key: Bytes, data: Bytes): Bytes {
  const k = key.length > hash.blockBytes ? hash.digest(key) : key;
  const inner = new Uint8Array(hash.blockBytes + data.length);
  const outer = new Uint8Array(hash.blockBytes + hash.outputBytes);
  for (let i = 0; i < hash.blockBytes; i++) {
    const b = i < k.length ? k[i]! : 0;
    inner[i] = b ^ IPAD;
    outer[i] = b ^ OPAD;
  }
  inner.set(data, hash.blockBytes);
  outer.set(hash.digest(inner), hash.blockBytes);
  const mac = hash.digest(outer);
  inner.fill(0);
  outer.fill(0);
  return mac;
}

/** HKDF-Extract: an empty salt means a string of zeros as long as the hash output. */
export function hkdfExtract(hash: HashFunction, salt: Bytes, ikm: Bytes): Bytes {
  return hmac(hash, salt.length > 0 ? salt : new Uint8Array(hash.outputBytes), ikm);
}

/** HKDF-Expand to `length` bytes; RangeError beyond 255 blocks or below 0. */
export function hkdfExpand(hash: HashFunction, prk: Bytes, info: Bytes, length: number): Bytes {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_MAX_BLOCKS * hash.outputBytes) {
    throw new RangeError(`hkdf: output length ${length} outside 0..${HKDF_MAX_BLOCKS * hash.outputBytes}`);
  }
  const out = new Uint8Array(length);
  let block: Bytes = new Uint8Array(0);
  for (let offset = 0, counter = 1; offset < length; counter++) {
    block = hmac(hash, prk, concatBytes(block, info, Uint8Array.of(counter)));
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}
