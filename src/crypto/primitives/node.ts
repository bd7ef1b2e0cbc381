/**
 * Primitives backed by node:crypto (OpenSSL): X25519 about 15x and Ed25519
 * about 10x faster than pure JS on the same machine. XChaCha20-Poly1305 is
 * HChaCha20 (@noble) followed by OpenSSL's ChaCha20-Poly1305, and ML-KEM-768
 * comes from @noble because Node 22 has none. Node only: browsers use
 * ./webcrypto.ts or ./noble.ts. Every output is copied into a plain
 * Uint8Array so that results compare equal to the @noble ones and never alias
 * Node's buffer pool.
 *
 * Speed notes (measured here): importing a raw X25519 private key costs about
 * as much as the DH itself, because OpenSSL derives the public key on import.
 * The key object made for a private key is therefore remembered, keyed by
 * the very Uint8Array that holds the key (a WeakMap: it lives exactly as long
 * as the caller keeps that array), so generating a key pair and using it at
 * once imports it only once. Public Ed25519 keys, which are public data and
 * are verified again and again (identities, prekeys), have a small LRU of key
 * objects. Keys are exported as JWK, which is much cheaper than DER.
 */
import { createCipheriv, createHash, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hash, randomFillSync, sign, verify, type KeyObject } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { Bytes } from '../bytes.ts';
import { passesSignaturePolicy } from './ed25519-policy.ts';
import { assertAeadSizes, assertHkdfLength, ED25519_PKCS8_PREFIX, settle, X25519_PKCS8_PREFIX, type Primitives } from './types.ts';

// "expand 32-byte k" as little-endian words.
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);
const SHA256_BYTES = 32;
/** Public Ed25519 key objects kept (public data; bounds memory). */
const ED25519_PUBLIC_KEY_CACHE_SIZE = 256;
/** Bytes drawn from the OS at a time by {@link nodeRandomBytes}. */
const RANDOM_POOL_BYTES = 4096;

const privateKeyObjects = new WeakMap<Bytes, KeyObject>();
const ed25519PublicKeyObjects = new Map<string, KeyObject>();

function importPrivate(prefix: Bytes, key: Bytes): KeyObject {
  const cached = privateKeyObjects.get(key);
  if (cached) return cached;
  if (key.length !== 32) throw new RangeError(`expected a 32-byte key, got ${key.length}`);
  const der = Buffer.allocUnsafe(prefix.length + 32);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  const object = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  privateKeyObjects.set(key, object);
  return object;
}

function importPublic(curve: 'X25519' | 'Ed25519', key: Bytes): KeyObject {
  if (key.length !== 32) throw new RangeError(`expected a 32-byte key, got ${key.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: Buffer.from(key.buffer, key.byteOffset, 32).toString('base64url') }, format: 'jwk' });
}

function ed25519PublicKeyObject(key: Bytes): KeyObject {
  const id = Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex');
  let object = ed25519PublicKeyObjects.get(id);
  if (object) {
    ed25519PublicKeyObjects.delete(id);
  } else {
    object = importPublic('Ed25519', key);
    if (ed25519PublicKeyObjects.size >= ED25519_PUBLIC_KEY_CACHE_SIZE) ed25519PublicKeyObjects.delete(ed25519PublicKeyObjects.keys().next().value!);
  }
  ed25519PublicKeyObjects.set(id, object);
  return object;
}

function rawPublic(privateKey: KeyObject): Bytes {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}

function hmac(key: Bytes, ...parts: Bytes[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** HKDF-SHA256 (RFC 5869) from HMAC calls: cheaper than hkdfSync for the short outputs Sotto uses. */
function hkdf(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Bytes {
  assertHkdfLength(length);
  const prk = hmac(salt.length > 0 ? salt : new Uint8Array(SHA256_BYTES), ikm);
  const out = new Uint8Array(length);
  let block: Uint8Array = new Uint8Array(0);
  for (let i = 0, offset = 0; offset < length; i++, offset += SHA256_BYTES) {
    block = hmac(prk, block, info, Uint8Array.of(i + 1));
    out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset);
  }
  return out;
}

function littleEndianWords(bytes: Bytes, count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
  return out;
}

/** XChaCha20 = ChaCha20 keyed with HChaCha20(key, nonce[0:16]), nonce 0^4 || nonce[16:24]. */
function xchachaSubkey(key: Bytes, nonce: Bytes): { subkey: Buffer; iv: Buffer } {
  assertAeadSizes(key, nonce);
  const out = new Uint32Array(8);
  hchacha(SIGMA, littleEndianWords(key, 8), littleEndianWords(nonce, 4), out);
  const subkey = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i]!, 4 * i);
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey, iv };
}

/** OS randomness not handed out yet; every byte is handed out once, then zeroed in the pool. */
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * Cryptographically secure random bytes from the OS (randomFillSync), drawn
 * RANDOM_POOL_BYTES at a time and handed out as fresh copies: a `randomBytes`
 * for a Node {@link CryptoContext}.
 */
export function nodeRandomBytes(length: number): Uint8Array {
  if (length > RANDOM_POOL_BYTES) return new Uint8Array(randomFillSync(Buffer.alloc(length)));
  if (poolOffset + length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    poolOffset = 0;
  }
  const out = new Uint8Array(pool.subarray(poolOffset, poolOffset + length));
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}


/** The node:crypto implementation of {@link Primitives}. */
export const nodePrimitives: Primitives = {
  name: 'node',
  x25519PublicKey: (key) => settle(() => rawPublic(importPrivate(X25519_PKCS8_PREFIX, key))),
  x25519: (priv, pub) => settle(() => new Uint8Array(diffieHellman({ privateKey: importPrivate(X25519_PKCS8_PREFIX, priv), publicKey: importPublic('X25519', pub) }))),
  ed25519PublicKey: (seed) => settle(() => rawPublic(importPrivate(ED25519_PKCS8_PREFIX, seed))),
  ed25519Sign: (seed, message) => settle(() => new Uint8Array(sign(null, message, importPrivate(ED25519_PKCS8_PREFIX, seed)))),
  ed25519Verify: (signature, message, pub) =>
    settle(() => {
      // OpenSSL verifies cofactorlessly; the shared policy adds the key checks it lacks.
      if (!passesSignaturePolicy(signature, pub)) return false;
      try {
        return verify(null, message, ed25519PublicKeyObject(pub), signature);
      } catch {
        return false;
      }
    }),
  hmacSha256: (key, data) => new Uint8Array(hmac(key, data)),
  hkdfSha256: hkdf,
  sha256: (data) => new Uint8Array(hash('sha256', data, 'buffer')),
  sha256Hasher: () => {
    const h = createHash('sha256');
    return { update: (data) => void h.update(data), digest: () => new Uint8Array(h.digest()) };
  },
  sha512: (data) => new Uint8Array(hash('sha512', data, 'buffer')),
  aeadSeal: (key, nonce, plaintext, ad) => {
    const { subkey, iv } = xchachaSubkey(key, nonce);
    const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: 16 });
    cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    cipher.final();
    const out = new Uint8Array(body.length + 16);
    out.set(body, 0);
    out.set(cipher.getAuthTag(), body.length);
    return out;
  },
  aeadOpen: (key, nonce, ciphertext, ad) => {
    const { subkey, iv } = xchachaSubkey(key, nonce);
    if (ciphertext.length < 16) return undefined;
    const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: 16 });
    decipher.setAAD(ad, { plaintextLength: ciphertext.length - 16 });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const body = decipher.update(ciphertext.subarray(0, ciphertext.length - 16));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return new Uint8Array(body);
  },
  kemKeygen: (seed) => ml_kem768.keygen(seed),
  kemEncapsulate: (pub, randomness) => ml_kem768.encapsulate(pub, randomness),
  kemDecapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
};
