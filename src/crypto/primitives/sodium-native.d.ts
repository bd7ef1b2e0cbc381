/**
 * The part of sodium-native (libsodium bindings) that Sotto uses. The package
 * ships no type declarations; these follow its README. Every function throws
 * when libsodium returns an error.
 */
declare module 'sodium-native' {
  export function crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  export function crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  export function crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  export function crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  export function crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  export function crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
  export function crypto_hash_sha512(out: Uint8Array, input: Uint8Array): void;
  export function crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  export function crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  /** Argon2 (alg crypto_pwhash_ALG_ARGON2ID13: Argon2id v1.3, one lane) on libuv's thread pool; memlimit in bytes. */
  export function crypto_pwhash_async(out: Uint8Array, passwd: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number, alg: number): Promise<void>;
  export const crypto_pwhash_ALG_ARGON2ID13: number;
  export const crypto_pwhash_SALTBYTES: number;
  export const crypto_pwhash_PASSWD_MAX: number;
  export const crypto_pwhash_BYTES_MIN: number;
  export const crypto_pwhash_BYTES_MAX: number;
  export const crypto_pwhash_OPSLIMIT_MIN: number;
  export const crypto_pwhash_OPSLIMIT_MAX: number;
  export const crypto_pwhash_MEMLIMIT_MIN: number;
  export const crypto_pwhash_MEMLIMIT_MAX: number;
}
