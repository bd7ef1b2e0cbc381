/**
 * The MLS ciphersuites Sotto's groups run, as ts-mls ciphersuite
 * implementations built on Sotto's primitives and an injected RNG:
 *
 * - {@link GROUP_CIPHERSUITE} `MLS_256_XWING_AES256GCM_SHA512_Ed25519`
 *   (0xF00D, ts-mls's private-use code point): every group. X-Wing protects
 *   path and Welcome secrets against a quantum adversary as PQXDH protects
 *   1:1 sessions.
 * - {@link REFERENCE_CIPHERSUITE} `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`
 *   (0x0001): the classical reference of the benchmark and of the mlswg
 *   test vectors; never used for a group.
 *
 * Hash, HMAC and HKDF are synchronous native calls wrapped in promises (the
 * interface ts-mls asks for); signatures are Ed25519 under Sotto's one
 * verification policy; HPKE is ./hpke.ts.
 */
import { CryptoError, type CiphersuiteImpl, type PrivateKey, type PublicKey } from 'ts-mls';
import { equalBytes, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { hkdfExpand, hkdfExtract, hmac, type HashFunction } from './hkdf.ts';
import {
  AEAD_AES128GCM,
  AEAD_AES256GCM,
  aeadOpen,
  aeadSeal,
  dhkemX25519,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KDF_HKDF_SHA512,
  xwingKem,
  type HpkeKey,
  type HpkeSuite,
} from './hpke.ts';

/** MLS_256_XWING_AES256GCM_SHA512_Ed25519: the ciphersuite of every Sotto group. */
export const GROUP_CIPHERSUITE = 0xf00d;
/** MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519: the classical reference (benchmark, vectors). */
export const REFERENCE_CIPHERSUITE = 0x0001;
/** The ciphersuites this module can build. */
export type GroupCiphersuiteId = typeof GROUP_CIPHERSUITE | typeof REFERENCE_CIPHERSUITE;

const ED25519_SEED_BYTES = 32;

function sha256Of(primitives: Primitives): HashFunction {
  return { digest: (data) => primitives.sha256(data), outputBytes: 32, blockBytes: 64 };
}

function sha512Of(primitives: Primitives): HashFunction {
  return { digest: (data) => primitives.sha512(data), outputBytes: 64, blockBytes: 128 };
}

const asPrivate = (key: Bytes): PrivateKey => ({ type: 'private', key }) as HpkeKey as unknown as PrivateKey;
const asPublic = (key: Bytes): PublicKey => ({ type: 'public', key }) as HpkeKey as unknown as PublicKey;
const rawKey = (key: PrivateKey | PublicKey): Bytes => (key as unknown as HpkeKey).key;

function mlsHpke(suite: HpkeSuite, randomBytes: (n: number) => Bytes): CiphersuiteImpl['hpke'] {
  const { kem, aead } = suite;
  const checked = (what: string, bytes: Bytes, length: number): Bytes => {
    if (bytes.length !== length) throw new CryptoError(`${what} must be ${length} bytes, not ${bytes.length}`);
    return bytes;
  };
  const keyPair = async (privateKey: Bytes): Promise<{ privateKey: PrivateKey; publicKey: PublicKey }> => ({
    privateKey: asPrivate(privateKey),
    publicKey: asPublic(await kem.publicKey(privateKey)),
  });
  const empty = new Uint8Array(0);
  return {
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      const plaintext = await suite.open(rawKey(privateKey), kemOutput, info, aad ?? empty, ciphertext).catch(() => undefined);
      if (plaintext === undefined) throw new CryptoError('HPKE decryption failed');
      return plaintext;
    },
    seal: (publicKey, plaintext, info, aad) => suite.seal(rawKey(publicKey), info, aad ?? empty, plaintext),
    importPrivateKey: async (k) => asPrivate(checked('private key', k, kem.privateKeyBytes)),
    importPublicKey: async (k) => asPublic(checked('public key', k, kem.publicKeyBytes)),
    exportPublicKey: async (k) => rawKey(k),
    exportPrivateKey: async (k) => rawKey(k),
    encryptAead: async (key, nonce, aad, plaintext) => aeadSeal(key, nonce, aad ?? empty, plaintext),
    async decryptAead(key, nonce, aad, ciphertext) {
      const plaintext = aeadOpen(key, nonce, aad ?? empty, ciphertext);
      if (plaintext === undefined) throw new CryptoError('AEAD decryption failed');
      return plaintext;
    },
    exportSecret: (publicKey, exporterContext, length, info) => suite.exportSecret(rawKey(publicKey), info, exporterContext, length),
    importSecret: (privateKey, exporterContext, kemOutput, length, info) =>
      suite.importSecret(rawKey(privateKey), kemOutput, info, exporterContext, length).catch((e: unknown) => {
        throw new CryptoError(`HPKE import failed: ${(e as Error).message}`);
      }),
    deriveKeyPair: (ikm) => keyPair(kem.derivePrivateKey(ikm)),
    generateKeyPair: () => keyPair(kem.derivePrivateKey(randomBytes(kem.privateKeyBytes))),
    keyLength: aead.keyBytes,
    nonceLength: aead.nonceBytes,
  };
}

/**
 * The ts-mls implementation of ciphersuite `id` over `ctx` (its primitives
 * and RNG). RangeError for a ciphersuite Sotto does not run.
 */
export function groupCiphersuite(ctx: Pick<CryptoContext, 'primitives' | 'randomBytes'>, id: GroupCiphersuiteId = GROUP_CIPHERSUITE): CiphersuiteImpl {
  const { primitives, randomBytes } = ctx;
  let hash: HashFunction;
  let suite: HpkeSuite;
  if (id === GROUP_CIPHERSUITE) {
    hash = sha512Of(primitives);
    suite = hpkeSuite(xwingKem(primitives), hash, KDF_HKDF_SHA512, AEAD_AES256GCM, randomBytes);
  } else if (id === REFERENCE_CIPHERSUITE) {
    hash = sha256Of(primitives);
    suite = hpkeSuite(dhkemX25519(primitives, hash), hash, KDF_HKDF_SHA256, AEAD_AES128GCM, randomBytes);
  } else {
    throw new RangeError(`unsupported MLS ciphersuite 0x${(id as number).toString(16)}`);
  }
  const hpke = mlsHpke(suite, randomBytes);
  return {
    id,
    rng: { randomBytes },
    hash: {
      digest: async (data) => hash.digest(data),
      mac: async (key, data) => hmac(hash, key, data),
      verifyMac: async (key, mac, data) => equalBytes(hmac(hash, key, data), mac),
    },
    kdf: {
      extract: async (salt, ikm) => hkdfExtract(hash, salt, ikm),
      expand: async (prk, info, length) => hkdfExpand(hash, prk, info, length),
      size: hash.outputBytes,
    },
    signature: {
      sign: (signKey, message) => primitives.ed25519Sign(signKey, message),
      verify: (publicKey, message, signature) => primitives.ed25519Verify(signature, message, publicKey).catch(() => false),
      async keygen() {
        const signKey = randomBytes(ED25519_SEED_BYTES);
        return { signKey, publicKey: await primitives.ed25519PublicKey(signKey) };
      },
    },
    hpke,
  };
}
