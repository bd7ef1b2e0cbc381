/**
 * X25519 key pairs and Sotto's public-key policy for them.
 *
 * RFC 7748 lets X25519 accept any 32 bytes. Sotto is stricter, the same way
 * for every primitive implementation: a public key must be canonical (high
 * bit clear, u < 2^255 - 19), must not be one of the curve's low-order points,
 * and every DH output must be non-zero. Keys are checked when decoded, before
 * any state changes.
 */
import { equalBytes, fromHex, type Bytes } from './bytes.ts';
import { X25519_KEY_BYTES } from './constants.ts';
import type { CryptoContext } from './context.ts';
import { InvalidPublicKeyError } from './errors.ts';

/** An X25519 key pair. `privateKey` is 32 random bytes (clamped when used). */
export interface X25519KeyPair {
  readonly privateKey: Bytes;
  readonly publicKey: Bytes;
}

// The canonical u-coordinates of points of order 1, 2, 4 and 8 (little-endian).
const LOW_ORDER_POINTS: readonly Bytes[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(fromHex);

/** True when `u` (little-endian, high bit clear) is below p = 2^255 - 19. */
function isCanonicalU(u: Bytes): boolean {
  if (u[31]! & 0x80) return false;
  if (u[31] !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (u[i] !== 0xff) return true;
  return u[0]! < 0xed;
}

/**
 * Checks an X25519 public key received from anyone. Throws
 * {@link InvalidPublicKeyError} naming `what` for a wrong length, a
 * non-canonical encoding or a low-order point.
 */
export function assertValidX25519PublicKey(key: Bytes, what: string): void {
  if (key.length !== X25519_KEY_BYTES) throw new InvalidPublicKeyError(what, 'length');
  if (!isCanonicalU(key)) throw new InvalidPublicKeyError(what, 'non-canonical');
  for (const point of LOW_ORDER_POINTS) {
    if (equalBytes(point, key)) throw new InvalidPublicKeyError(what, 'low-order');
  }
}

/** Generates an X25519 key pair from the context's RNG. */
export async function generateX25519KeyPair(ctx: CryptoContext): Promise<X25519KeyPair> {
  const privateKey = ctx.randomBytes(X25519_KEY_BYTES);
  const publicKey = await ctx.primitives.x25519PublicKey(privateKey);
  return { privateKey, publicKey };
}

/**
 * X25519 with Sotto's policy: validates `publicKey`, then rejects an all-zero
 * output. Throws {@link InvalidPublicKeyError}.
 */
export async function dh(ctx: CryptoContext, privateKey: Bytes, publicKey: Bytes, what: string): Promise<Bytes> {
  assertValidX25519PublicKey(publicKey, what);
  let shared: Bytes;
  try {
    shared = await ctx.primitives.x25519(privateKey, publicKey);
  } catch {
    throw new InvalidPublicKeyError(what, 'zero-shared-secret');
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new InvalidPublicKeyError(what, 'zero-shared-secret');
  return shared;
}
