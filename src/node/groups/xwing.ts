/**
 * X-Wing (draft-connolly-cfrg-xwing-kem): ML-KEM-768 and X25519 combined,
 * secure if either holds. The private key is a 32-byte seed; SHAKE256 expands
 * it to the ML-KEM seed (d || z) and the X25519 private key. The shared secret
 * is SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel).
 *
 * Built on Sotto's primitives (liboqs and libsodium in Node, @noble in
 * browsers); randomness is passed in, so tests are deterministic. Matches
 * @hpke/hybridkem-x-wing byte for byte (test/node/groups-hpke.test.ts).
 */
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, type Bytes } from '../../crypto/bytes.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';

/** Bytes of an X-Wing private key (the seed). */
export const XWING_PRIVATE_KEY_BYTES = 32;
/** Bytes of an X-Wing public key: ML-KEM-768 (1,184) then X25519 (32). */
export const XWING_PUBLIC_KEY_BYTES = 1216;
/** Bytes of an X-Wing ciphertext: ML-KEM-768 (1,088) then X25519 (32). */
export const XWING_CIPHERTEXT_BYTES = 1120;
/** Randomness one encapsulation draws: 32 for ML-KEM, 32 for the X25519 ephemeral key. */
export const XWING_ENCAPSULATION_RANDOMNESS_BYTES = 64;

const MLKEM_PUBLIC_KEY_BYTES = 1184;
const MLKEM_CIPHERTEXT_BYTES = 1088;
const MLKEM_SEED_BYTES = 64;
const X25519_BYTES = 32;
/** "\./" "/^\" */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);

/** The keys a private seed expands to. */
interface ExpandedKey {
  readonly mlkemSecretKey: Bytes;
  readonly x25519PrivateKey: Bytes;
  readonly publicKey: Bytes;
}

function combine(ssM: Bytes, ssX: Bytes, ctX: Bytes, pkX: Bytes): Bytes {
  return sha3_256(concatBytes(ssM, ssX, ctX, pkX, XWING_LABEL));
}

/** The X-Wing operations over one set of primitives. */
export interface XWing {
  /** Public key of a 32-byte private seed. */
  publicKey(privateKey: Bytes): Promise<Bytes>;
  /** HPKE DeriveKeyPair: the private seed is SHAKE256(ikm, 32). */
  derivePrivateKey(ikm: Bytes): Bytes;
  /** Encapsulates to `publicKey` with 64 bytes of randomness: the shared secret and the ciphertext. */
  encapsulate(publicKey: Bytes, randomness: Bytes): Promise<{ sharedSecret: Bytes; cipherText: Bytes }>;
  /** Decapsulates (ML-KEM's implicit rejection: a wrong ciphertext gives an unrelated secret). */
  decapsulate(cipherText: Bytes, privateKey: Bytes): Promise<Bytes>;
}

/** X-Wing over `primitives`. Throws RangeError for keys or ciphertexts of the wrong length. */
export function xwing(primitives: Primitives): XWing {
  const expand = async (privateKey: Bytes): Promise<ExpandedKey> => {
    if (privateKey.length !== XWING_PRIVATE_KEY_BYTES) throw new RangeError(`x-wing: expected a ${XWING_PRIVATE_KEY_BYTES}-byte private key, got ${privateKey.length}`);
    const expanded = shake256(privateKey, { dkLen: MLKEM_SEED_BYTES + X25519_BYTES });
    const mlkem = primitives.kemKeygen(expanded.subarray(0, MLKEM_SEED_BYTES));
    const x25519PrivateKey = expanded.slice(MLKEM_SEED_BYTES);
    const pkX = await primitives.x25519PublicKey(x25519PrivateKey);
    return { mlkemSecretKey: mlkem.secretKey, x25519PrivateKey, publicKey: concatBytes(mlkem.publicKey, pkX) };
  };
  return {
    publicKey: async (privateKey) => (await expand(privateKey)).publicKey,
    derivePrivateKey: (ikm) => shake256(ikm, { dkLen: XWING_PRIVATE_KEY_BYTES }),
    async encapsulate(publicKey, randomness) {
      if (publicKey.length !== XWING_PUBLIC_KEY_BYTES) throw new RangeError(`x-wing: expected a ${XWING_PUBLIC_KEY_BYTES}-byte public key, got ${publicKey.length}`);
      if (randomness.length !== XWING_ENCAPSULATION_RANDOMNESS_BYTES) throw new RangeError('x-wing: expected 64 bytes of randomness');
      const pkM = publicKey.subarray(0, MLKEM_PUBLIC_KEY_BYTES);
      const pkX = publicKey.subarray(MLKEM_PUBLIC_KEY_BYTES);
      const ekX = randomness.subarray(X25519_BYTES);
      const ctX = await primitives.x25519PublicKey(ekX);
      const ssX = await primitives.x25519(ekX, pkX);
      const { cipherText: ctM, sharedSecret: ssM } = primitives.kemEncapsulate(pkM, randomness.subarray(0, X25519_BYTES));
      return { sharedSecret: combine(ssM, ssX, ctX, pkX), cipherText: concatBytes(ctM, ctX) };
    },
    async decapsulate(cipherText, privateKey) {
      if (cipherText.length !== XWING_CIPHERTEXT_BYTES) throw new RangeError(`x-wing: expected a ${XWING_CIPHERTEXT_BYTES}-byte ciphertext, got ${cipherText.length}`);
      const key = await expand(privateKey);
      const ctX = cipherText.subarray(MLKEM_CIPHERTEXT_BYTES);
      const ssM = primitives.kemDecapsulate(cipherText.subarray(0, MLKEM_CIPHERTEXT_BYTES), key.mlkemSecretKey);
      const ssX = await primitives.x25519(key.x25519PrivateKey, ctX);
      return combine(ssM, ssX, ctX, key.publicKey.subarray(MLKEM_PUBLIC_KEY_BYTES));
    },
  };
}
