/**
 * The primitive operations Sotto's protocol is built from, behind one
 * interface so that each runtime can supply its fastest correct
 * implementation: `nodePrimitives` (node:crypto) in Node, `noblePrimitives`
 * (@noble, pure JS) anywhere. Tests prove the implementations agree byte for
 * byte and against Wycheproof.
 *
 * Asymmetric operations return promises so that an implementation backed by
 * WebCrypto (asynchronous only) fits; symmetric ones are synchronous.
 * Implementations perform the raw operation only: key validation policy
 * (canonical encodings, low-order points, all-zero outputs) lives in
 * ../keys.ts and applies the same way whatever the implementation.
 */
import type { Bytes } from '../bytes.ts';

/** An ML-KEM-768 key pair. */
export interface KemKeyPair {
  readonly publicKey: Bytes;
  readonly secretKey: Bytes;
}

/** The primitives a Sotto crypto context needs. */
/** An incremental SHA-256: `update` any number of times, then `digest` once. */
export interface Sha256Hasher {
  update(data: Bytes): void;
  digest(): Bytes;
}

export interface Primitives {
  /** Short name for reports ("node", "noble"). */
  readonly name: string;
  /** X25519 public key of a 32-byte private key (clamped per RFC 7748). */
  x25519PublicKey(privateKey: Bytes): Promise<Bytes>;
  /** Raw X25519: 32-byte output; may throw on an all-zero result. */
  x25519(privateKey: Bytes, publicKey: Bytes): Promise<Bytes>;
  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(seed: Bytes): Promise<Bytes>;
  /** RFC 8032 Ed25519 signature (deterministic). */
  ed25519Sign(seed: Bytes, message: Bytes): Promise<Bytes>;
  /** Ed25519 verification under Sotto's one policy (./ed25519-policy.ts): cofactorless, canonical, no small-order keys. */
  ed25519Verify(signature: Bytes, message: Bytes, publicKey: Bytes): Promise<boolean>;
  hmacSha256(key: Bytes, data: Bytes): Bytes;
  /** HKDF-SHA256 (RFC 5869); an empty salt means 32 zero bytes; RangeError unless 1 <= length <= 8160. */
  hkdfSha256(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Bytes;
  sha256(data: Bytes): Bytes;
  /** A SHA-256 fed piece by piece (a file's digest), equal to sha256 of the pieces joined. */
  sha256Hasher(): Sha256Hasher;
  sha512(data: Bytes): Bytes;
  /** XChaCha20-Poly1305 encryption: ciphertext || 16-byte tag. */
  aeadSeal(key: Bytes, nonce: Bytes, plaintext: Bytes, associatedData: Bytes): Bytes;
  /** XChaCha20-Poly1305 decryption; `undefined` when authentication fails; RangeError for a wrong key or nonce size. */
  aeadOpen(key: Bytes, nonce: Bytes, ciphertext: Bytes, associatedData: Bytes): Bytes | undefined;
  /** ML-KEM-768 key generation from a 64-byte seed (d || z, FIPS 203). */
  kemKeygen(seed: Bytes): KemKeyPair;
  /** ML-KEM-768 encapsulation with explicit 32-byte randomness; throws on a malformed key. */
  kemEncapsulate(publicKey: Bytes, randomness: Bytes): { cipherText: Bytes; sharedSecret: Bytes };
  /** ML-KEM-768 decapsulation (implicit rejection: a wrong ciphertext yields an unrelated secret). */
  kemDecapsulate(cipherText: Bytes, secretKey: Bytes): Bytes;
  /**
   * Native Argon2id, where there is one: undefined when it cannot take these
   * parameters (the caller then uses the portable one, ../argon2.ts).
   */
  argon2id?(password: Bytes, salt: Bytes, params: Argon2Params): Promise<Bytes | undefined>;
}

/** Argon2id parameters: passes, memory in KiB, lanes, output bytes. */
export interface Argon2Params {
  readonly t: number;
  readonly m: number;
  readonly p: number;
  readonly dkLen: number;
}

/** Largest HKDF-SHA256 output (255 blocks of 32 bytes, RFC 5869). */
export const HKDF_SHA256_MAX_OUTPUT = 255 * 32;

/** Throws RangeError unless 1 <= length <= HKDF_SHA256_MAX_OUTPUT (the same for every implementation). */
export function assertHkdfLength(length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_OUTPUT) {
    throw new RangeError(`hkdf: output length ${length} outside 1..${HKDF_SHA256_MAX_OUTPUT}`);
  }
}

/** Throws RangeError unless the key is 32 bytes and the nonce 24 (a programming error, not a forgery). */
export function assertAeadSizes(key: Bytes, nonce: Bytes): void {
  if (key.length !== 32) throw new RangeError(`aead: expected a 32-byte key, got ${key.length}`);
  if (nonce.length !== 24) throw new RangeError(`aead: expected a 24-byte nonce, got ${nonce.length}`);
}

/** Runs a synchronous primitive as a promise, so that a throw becomes a rejection. */
export async function settle<T>(run: () => T): Promise<T> {
  return run();
}

/** DER prefix that wraps a raw 32-byte X25519 private key as PKCS#8 (RFC 8410). */
export const X25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
/** DER prefix that wraps a raw 32-byte Ed25519 seed as PKCS#8 (RFC 8410). */
export const ED25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
