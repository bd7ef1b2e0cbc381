/**
 * Sotto's single Ed25519 verification policy, shared by every primitive
 * implementation so that all peers accept exactly the same signatures:
 *
 * - RFC 8032 cofactorless verification: the encoding of [S]B - [k]A must
 *   equal R byte for byte (so R must be canonical), with S < L;
 * - the public key A must be a canonical encoding (y < p, no "negative zero"
 *   x) and must not be one of the eight points of small order, for which a
 *   signature can be forged for any message; R must not be of small order.
 *
 * OpenSSL (node:crypto, and WebCrypto in Node) and BoringSSL verify
 * cofactorlessly but accept small-order and some non-canonical keys; libsodium
 * verifies cofactorlessly with all of these checks; @noble verifies with the
 * cofactored equation. The checks here, plus a cofactorless verifier on
 * @noble's point arithmetic, make them all agree.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, fromHex, type Bytes } from '../bytes.ts';

// y coordinates (little-endian, sign bit cleared) of the small-order points:
// order 1 (y = 1), order 2 (y = p - 1), order 4 (y = 0), order 8 (two values).
const SMALL_ORDER_Y: readonly Bytes[] = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map(fromHex);

/** True when the 255-bit little-endian y (sign bit masked) is below p = 2^255 - 19. */
export function isCanonicalY(encoded: Bytes): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (encoded[i] !== 0xff) return true;
  return encoded[0]! < 0xed;
}

/** True when the encoding is that of a small-order point, whatever its sign bit. */
export function isSmallOrderEncoding(encoded: Bytes): boolean {
  // A copy, never a view: masking must not touch the caller's bytes (a Node Buffer's slice() is a view).
  const y = new Uint8Array(encoded);
  y[31]! &= 0x7f;
  return SMALL_ORDER_Y.some((bad) => equalBytes(bad, y));
}

/**
 * The checks every implementation runs before its own verification: sizes,
 * a canonical public key that is not of small order, and an R that is not of
 * small order (libsodium rejects those; a mixed-order key could otherwise
 * make such a signature pass a plain cofactorless check).
 */
export function passesSignaturePolicy(signature: Bytes, publicKey: Bytes): boolean {
  return (
    signature.length === 64 &&
    publicKey.length === 32 &&
    isCanonicalY(publicKey) &&
    !isSmallOrderEncoding(publicKey) &&
    !isSmallOrderEncoding(signature.subarray(0, 32))
  );
}

function bytesToNumberLE(bytes: Bytes): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** Cofactorless RFC 8032 verification on @noble's point arithmetic, with the policy above. */
export function verifyCofactorless(signature: Bytes, message: Bytes, publicKey: Bytes): boolean {
  if (!passesSignaturePolicy(signature, publicKey)) return false;
  const L = ed25519.Point.Fn.ORDER;
  const s = bytesToNumberLE(signature.subarray(32));
  if (s >= L) return false;
  let A;
  try {
    A = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  const r = signature.subarray(0, 32);
  const k = bytesToNumberLE(sha512(concatBytes(r, publicKey, message))) % L;
  const expectedR = ed25519.Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  return equalBytes(expectedR.toBytes(), r);
}
