/**
 * Primitives backed by libsodium (sodium-native's prebuilt binding), the
 * fastest on Node: X25519 without OpenSSL's key-import cost (35 µs a DH,
 * 13 µs a key pair here), Ed25519 verification in ~42 µs, XChaCha20-Poly1305
 * and SHA-2 in one native call each (under 1 µs for a message). HMAC and
 * HKDF are built from libsodium's SHA-256 (RFC 2104 / RFC 5869). ML-KEM is
 * supplied separately (./kem-liboqs.ts or @noble).
 *
 * Node only, and optional: {@link loadSodiumPrimitives} resolves to undefined
 * when the binding cannot be loaded, and callers keep ./node.ts.
 */
import { createHash, hash } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type * as SodiumNative from 'sodium-native';
import type { Bytes } from '../bytes.ts';
import { passesSignaturePolicy } from './ed25519-policy.ts';
import { assertAeadSizes, assertHkdfLength, settle, type Primitives } from './types.ts';

type Sodium = typeof SodiumNative;

const SHA256_BYTES = 32;
const SHA256_BLOCK_BYTES = 64;
/**
 * From this input size SHA-256 goes to node:crypto (OpenSSL, with the CPU's
 * SHA extensions: 1.8 GB/s on a 256 KiB file chunk against libsodium's
 * 0.3 GB/s); below it libsodium is faster (no OpenSSL call overhead).
 */
const SHA256_OPENSSL_MIN_BYTES = 512;
const SHA512_BYTES = 64;
const ED25519_SECRET_KEY_BYTES = 64;
const AEAD_TAG_BYTES = 16;
const BYTES_PER_KIB = 1024;
const IPAD = 0x36;
const OPAD = 0x5c;


/** Builds the libsodium primitives around a loaded binding. */
function sodiumPrimitives(sodium: Sodium): Primitives {
  // Ed25519 secret keys (seed || public key) made for a seed, keyed by the very array
  // that holds the seed, so an identity key signs without re-deriving its public key.
  const secretKeys = new WeakMap<Bytes, Uint8Array>();
  const secretKeyOf = (seed: Bytes): Uint8Array => {
    let sk = secretKeys.get(seed);
    if (!sk) {
      if (seed.length !== 32) throw new RangeError(`expected a 32-byte seed, got ${seed.length}`);
      sk = new Uint8Array(ED25519_SECRET_KEY_BYTES);
      sodium.crypto_sign_seed_keypair(new Uint8Array(32), sk, seed);
      secretKeys.set(seed, sk);
    }
    return sk;
  };
  const sha256 = (data: Bytes): Uint8Array => {
    if (data.length >= SHA256_OPENSSL_MIN_BYTES) return new Uint8Array(hash('sha256', data, 'buffer'));
    const out = new Uint8Array(SHA256_BYTES);
    sodium.crypto_hash_sha256(out, data);
    return out;
  };
  // Scratch space for HMAC's padded blocks, reused across calls (all synchronous):
  // typed arrays above 64 bytes are costly to allocate in V8, and HMAC runs
  // several times per message. Wiped after every use.
  let innerScratch = new Uint8Array(SHA256_BLOCK_BYTES + 256);
  const outerScratch = new Uint8Array(SHA256_BLOCK_BYTES + SHA256_BYTES);
  const hmac = (key: Bytes, data: Bytes): Uint8Array => {
    const k = key.length > SHA256_BLOCK_BYTES ? sha256(key) : key;
    if (innerScratch.length < SHA256_BLOCK_BYTES + data.length) innerScratch = new Uint8Array(SHA256_BLOCK_BYTES + data.length);
    const inner = innerScratch.subarray(0, SHA256_BLOCK_BYTES + data.length);
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
      const b = i < k.length ? k[i]! : 0;
      inner[i] = b ^ IPAD;
      outerScratch[i] = b ^ OPAD;
    }
    inner.set(data, SHA256_BLOCK_BYTES);
    sodium.crypto_hash_sha256(outerScratch.subarray(SHA256_BLOCK_BYTES), inner);
    const out = sha256(outerScratch);
    inner.fill(0);
    outerScratch.fill(0);
    return out;
  };
  const x25519 = (privateKey: Bytes, publicKey: Bytes): Uint8Array => {
    if (privateKey.length !== 32 || publicKey.length !== 32) throw new RangeError('x25519: expected 32-byte keys');
    const out = new Uint8Array(32);
    sodium.crypto_scalarmult(out, privateKey, publicKey);
    return out;
  };
  return {
    name: 'sodium',
    x25519PublicKey: (privateKey) =>
      settle(() => {
        if (privateKey.length !== 32) throw new RangeError(`expected a 32-byte key, got ${privateKey.length}`);
        const out = new Uint8Array(32);
        sodium.crypto_scalarmult_base(out, privateKey);
        return out;
      }),
    x25519: (privateKey, publicKey) => settle(() => x25519(privateKey, publicKey)),
    ed25519PublicKey: (seed) => settle(() => secretKeyOf(seed).slice(32)),
    ed25519Sign: (seed, message) =>
      settle(() => {
        const sig = new Uint8Array(64);
        sodium.crypto_sign_detached(sig, message, secretKeyOf(seed));
        return sig;
      }),
    ed25519Verify: (signature, message, publicKey) =>
      settle(() => {
        if (!passesSignaturePolicy(signature, publicKey)) return false;
        try {
          return sodium.crypto_sign_verify_detached(signature, message, publicKey);
        } catch {
          return false;
        }
      }),
    hmacSha256: hmac,
    hkdfSha256: (ikm, salt, info, length) => {
      assertHkdfLength(length);
      const prk = hmac(salt.length > 0 ? salt : new Uint8Array(SHA256_BYTES), ikm);
      const out = new Uint8Array(length);
      let block: Uint8Array = new Uint8Array(0);
      const input = new Uint8Array(SHA256_BYTES + info.length + 1);
      for (let i = 0, offset = 0; offset < length; i++, offset += SHA256_BYTES) {
        input.set(block, 0);
        input.set(info, block.length);
        input[block.length + info.length] = i + 1;
        block = hmac(prk, input.subarray(0, block.length + info.length + 1));
        out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset);
      }
      return out;
    },
    sha256,
    sha256Hasher: () => {
      const h = createHash('sha256');
      return { update: (data) => void h.update(data), digest: () => new Uint8Array(h.digest()) };
    },
    sha512: (data) => {
      const out = new Uint8Array(SHA512_BYTES);
      sodium.crypto_hash_sha512(out, data);
      return out;
    },
    aeadSeal: (key, nonce, plaintext, ad) => {
      assertAeadSizes(key, nonce);
      const out = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
      return out;
    },
    aeadOpen: (key, nonce, ciphertext, ad) => {
      assertAeadSizes(key, nonce);
      if (ciphertext.length < AEAD_TAG_BYTES) return undefined;
      const out = new Uint8Array(ciphertext.length - AEAD_TAG_BYTES);
      try {
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, nonce, key);
      } catch {
        return undefined;
      }
      return out;
    },
    kemKeygen: (seed) => ml_kem768.keygen(seed),
    kemEncapsulate: (publicKey, randomness) => ml_kem768.encapsulate(publicKey, randomness),
    kemDecapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
    argon2id: async (password, salt, { t, m, p, dkLen }) => {
      const memlimit = m * BYTES_PER_KIB;
      const fits =
        p === 1 &&
        salt.length === sodium.crypto_pwhash_SALTBYTES &&
        password.length <= sodium.crypto_pwhash_PASSWD_MAX &&
        dkLen >= sodium.crypto_pwhash_BYTES_MIN &&
        dkLen <= sodium.crypto_pwhash_BYTES_MAX &&
        t >= sodium.crypto_pwhash_OPSLIMIT_MIN &&
        t <= sodium.crypto_pwhash_OPSLIMIT_MAX &&
        memlimit >= sodium.crypto_pwhash_MEMLIMIT_MIN &&
        memlimit <= sodium.crypto_pwhash_MEMLIMIT_MAX;
      if (!fits) return undefined;
      const out = new Uint8Array(dkLen);
      await sodium.crypto_pwhash_async(out, password, salt, t, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
      return out;
    },
  };
}

/** Loads sodium-native; undefined when its binding is not available on this machine. */
export async function loadSodiumPrimitives(): Promise<Primitives | undefined> {
  try {
    const sodium = (await import('sodium-native')).default as unknown as Sodium;
    return sodiumPrimitives(sodium);
  } catch {
    return undefined;
  }
}
