/**
 * Pure-JavaScript primitives from @noble: the same everywhere (Node,
 * browsers, workers). Slower than node:crypto for X25519 and Ed25519, which is
 * why Node uses ./node.ts; both are checked against each other and Wycheproof.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { verifyCofactorless } from './ed25519-policy.ts';
import { assertAeadSizes, assertHkdfLength, settle, type Primitives } from './types.ts';

/** Runs `f` and returns its result as a promise, turning a throw into a rejection. */

/** The @noble implementation of {@link Primitives}. */
export const noblePrimitives: Primitives = {
  name: 'noble',
  x25519PublicKey: (privateKey) => settle(() => x25519.getPublicKey(privateKey)),
  x25519: (privateKey, publicKey) => settle(() => x25519.getSharedSecret(privateKey, publicKey)),
  ed25519PublicKey: (seed) => settle(() => ed25519.getPublicKey(seed)),
  ed25519Sign: (seed, message) => settle(() => ed25519.sign(message, seed)),
  ed25519Verify: (signature, message, publicKey) => settle(() => verifyCofactorless(signature, message, publicKey)),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256: (ikm, salt, info, length) => {
    assertHkdfLength(length);
    return hkdf(sha256, ikm, salt, info, length);
  },
  sha256: (data) => sha256(data),
  sha256Hasher: () => {
    const h = sha256.create();
    return { update: (data) => void h.update(data), digest: () => h.digest() };
  },
  sha512: (data) => sha512(data),
  aeadSeal: (key, nonce, plaintext, ad) => {
    assertAeadSizes(key, nonce);
    return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
  },
  aeadOpen: (key, nonce, ciphertext, ad) => {
    assertAeadSizes(key, nonce);
    try {
      return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
  kemKeygen: (seed) => ml_kem768.keygen(seed),
  kemEncapsulate: (publicKey, randomness) => ml_kem768.encapsulate(publicKey, randomness),
  kemDecapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
};
