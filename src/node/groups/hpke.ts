/**
 * HPKE (RFC 9180), base mode, single shot: what MLS uses to encrypt path
 * secrets and Welcome secrets to a node's public key. Two KEMs:
 * DHKEM(X25519, HKDF-SHA256) for the classical reference suite and X-Wing
 * (ML-KEM-768 + X25519) for the post-quantum one; HKDF over the suite's
 * hash and AES-GCM.
 *
 * Sotto's own rather than @hpke/core: every operation runs on Sotto's native
 * primitives (an X-Wing encapsulation costs ~0.15 ms here instead of ~2 ms in
 * pure JavaScript, and a commit to a blank tree of 1,000 members makes 999 of
 * them), and every random byte comes from the injected RNG, so group tests
 * are deterministic. It is checked against @hpke/core and
 * @hpke/hybridkem-x-wing in both directions and, for the X25519 suite,
 * against the mlswg vectors (test/node/groups-hpke.test.ts,
 * groups-mls-vectors.test.ts).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { concatBytes, utf8, type Bytes } from '../../crypto/bytes.ts';
import type { Primitives } from '../../crypto/primitives/types.ts';
import { hkdfExpand, hkdfExtract, type HashFunction } from './hkdf.ts';
import { xwing, XWING_CIPHERTEXT_BYTES, XWING_ENCAPSULATION_RANDOMNESS_BYTES, XWING_PRIVATE_KEY_BYTES, XWING_PUBLIC_KEY_BYTES } from './xwing.ts';

/** A key as ts-mls holds it: opaque to the library, raw bytes inside. */
export interface HpkeKey {
  readonly type: 'private' | 'public';
  readonly key: Bytes;
}

/** A KEM as HPKE uses it. */
export interface HpkeKem {
  readonly id: number;
  readonly privateKeyBytes: number;
  readonly publicKeyBytes: number;
  readonly encBytes: number;
  publicKey(privateKey: Bytes): Promise<Bytes>;
  derivePrivateKey(ikm: Bytes): Bytes;
  encapsulate(publicKey: Bytes, randomBytes: (n: number) => Bytes): Promise<{ sharedSecret: Bytes; enc: Bytes }>;
  decapsulate(enc: Bytes, privateKey: Bytes): Promise<Bytes>;
}

/** An AEAD: AES-128-GCM or AES-256-GCM. */
export interface HpkeAead {
  readonly id: number;
  readonly keyBytes: number;
  readonly nonceBytes: number;
}

/** HPKE KEM ids (RFC 9180 §7.1; X-Wing's from its draft). */
export const KEM_DHKEM_X25519_SHA256 = 0x0020;
export const KEM_XWING = 0x647a;
/** HPKE KDF ids. */
export const KDF_HKDF_SHA256 = 0x0001;
export const KDF_HKDF_SHA512 = 0x0003;
/** HPKE AEAD ids. */
export const AEAD_AES128GCM: HpkeAead = { id: 0x0001, keyBytes: 16, nonceBytes: 12 };
export const AEAD_AES256GCM: HpkeAead = { id: 0x0002, keyBytes: 32, nonceBytes: 12 };

const X25519_BYTES = 32;
const HPKE_VERSION_LABEL = utf8('HPKE-v1');
const MODE_BASE = 0x00;

function i2osp2(n: number): Bytes {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function labeledExtract(hash: HashFunction, suiteId: Bytes, salt: Bytes, label: string, ikm: Bytes): Bytes {
  return hkdfExtract(hash, salt, concatBytes(HPKE_VERSION_LABEL, suiteId, utf8(label), ikm));
}

function labeledExpand(hash: HashFunction, suiteId: Bytes, prk: Bytes, label: string, info: Bytes, length: number): Bytes {
  return hkdfExpand(hash, prk, concatBytes(i2osp2(length), HPKE_VERSION_LABEL, suiteId, utf8(label), info), length);
}

/** DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1. */
export function dhkemX25519(primitives: Primitives, sha256: HashFunction): HpkeKem {
  const suiteId = concatBytes(utf8('KEM'), i2osp2(KEM_DHKEM_X25519_SHA256));
  const extractAndExpand = (dh: Bytes, kemContext: Bytes): Bytes =>
    labeledExpand(sha256, suiteId, labeledExtract(sha256, suiteId, new Uint8Array(0), 'eae_prk', dh), 'shared_secret', kemContext, X25519_BYTES);
  const checkLength = (what: string, bytes: Bytes): void => {
    if (bytes.length !== X25519_BYTES) throw new RangeError(`dhkem-x25519: expected a ${X25519_BYTES}-byte ${what}, got ${bytes.length}`);
  };
  return {
    id: KEM_DHKEM_X25519_SHA256,
    privateKeyBytes: X25519_BYTES,
    publicKeyBytes: X25519_BYTES,
    encBytes: X25519_BYTES,
    publicKey: (privateKey) => primitives.x25519PublicKey(privateKey),
    derivePrivateKey: (ikm) => labeledExpand(sha256, suiteId, labeledExtract(sha256, suiteId, new Uint8Array(0), 'dkp_prk', ikm), 'sk', new Uint8Array(0), X25519_BYTES),
    async encapsulate(publicKey, randomBytes) {
      checkLength('public key', publicKey);
      const ephemeral = randomBytes(X25519_BYTES);
      const enc = await primitives.x25519PublicKey(ephemeral);
      const dh = await primitives.x25519(ephemeral, publicKey);
      return { sharedSecret: extractAndExpand(dh, concatBytes(enc, publicKey)), enc };
    },
    async decapsulate(enc, privateKey) {
      checkLength('encapsulation', enc);
      const dh = await primitives.x25519(privateKey, enc);
      return extractAndExpand(dh, concatBytes(enc, await primitives.x25519PublicKey(privateKey)));
    },
  };
}

/** X-Wing as an HPKE KEM (its draft, "Use in HPKE"). */
export function xwingKem(primitives: Primitives): HpkeKem {
  const kem = xwing(primitives);
  return {
    id: KEM_XWING,
    privateKeyBytes: XWING_PRIVATE_KEY_BYTES,
    publicKeyBytes: XWING_PUBLIC_KEY_BYTES,
    encBytes: XWING_CIPHERTEXT_BYTES,
    publicKey: (privateKey) => kem.publicKey(privateKey),
    derivePrivateKey: (ikm) => kem.derivePrivateKey(ikm),
    async encapsulate(publicKey, randomBytes) {
      const { sharedSecret, cipherText } = await kem.encapsulate(publicKey, randomBytes(XWING_ENCAPSULATION_RANDOMNESS_BYTES));
      return { sharedSecret, enc: cipherText };
    },
    decapsulate: (enc, privateKey) => kem.decapsulate(enc, privateKey),
  };
}

/** AES-GCM encryption (ciphertext || 16-byte tag). */
export function aeadSeal(key: Bytes, nonce: Bytes, aad: Bytes, plaintext: Bytes): Bytes {
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/** AES-GCM decryption; `undefined` when authentication fails. */
export function aeadOpen(key: Bytes, nonce: Bytes, aad: Bytes, ciphertext: Bytes): Bytes | undefined {
  try {
    return gcm(key, nonce, aad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
}

/** The secrets of one HPKE context (base mode, sequence number 0: single shot). */
interface HpkeContext {
  readonly key: Bytes;
  readonly nonce: Bytes;
  readonly exporterSecret: Bytes;
}

/** HPKE base mode over one KEM, KDF hash and AEAD. */
export interface HpkeSuite {
  readonly kem: HpkeKem;
  readonly aead: HpkeAead;
  /** Encrypts `plaintext` to `publicKey`: the KEM's encapsulation and the AEAD ciphertext. */
  seal(publicKey: Bytes, info: Bytes, aad: Bytes, plaintext: Bytes): Promise<{ enc: Bytes; ct: Bytes }>;
  /** Decrypts; `undefined` when authentication fails. */
  open(privateKey: Bytes, enc: Bytes, info: Bytes, aad: Bytes, ciphertext: Bytes): Promise<Bytes | undefined>;
  /** A sender's exported secret (RFC 9180 §5.3) and the encapsulation that lets the recipient derive it. */
  exportSecret(publicKey: Bytes, info: Bytes, exporterContext: Bytes, length: number): Promise<{ enc: Bytes; secret: Bytes }>;
  /** The recipient's side of {@link HpkeSuite.exportSecret}. */
  importSecret(privateKey: Bytes, enc: Bytes, info: Bytes, exporterContext: Bytes, length: number): Promise<Bytes>;
}

/** HPKE base mode with `kem`, HKDF over `hash` (`kdfId`), `aead`, drawing randomness from `randomBytes`. */
export function hpkeSuite(kem: HpkeKem, hash: HashFunction, kdfId: number, aead: HpkeAead, randomBytes: (n: number) => Bytes): HpkeSuite {
  const suiteId = concatBytes(utf8('HPKE'), i2osp2(kem.id), i2osp2(kdfId), i2osp2(aead.id));
  const empty = new Uint8Array(0);
  const keySchedule = (sharedSecret: Bytes, info: Bytes): HpkeContext => {
    const pskIdHash = labeledExtract(hash, suiteId, empty, 'psk_id_hash', empty);
    const infoHash = labeledExtract(hash, suiteId, empty, 'info_hash', info);
    const context = concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
    const secret = labeledExtract(hash, suiteId, sharedSecret, 'secret', empty);
    return {
      key: labeledExpand(hash, suiteId, secret, 'key', context, aead.keyBytes),
      nonce: labeledExpand(hash, suiteId, secret, 'base_nonce', context, aead.nonceBytes),
      exporterSecret: labeledExpand(hash, suiteId, secret, 'exp', context, hash.outputBytes),
    };
  };
  const exportFrom = (context: HpkeContext, exporterContext: Bytes, length: number): Bytes =>
    labeledExpand(hash, suiteId, context.exporterSecret, 'sec', exporterContext, length);
  return {
    kem,
    aead,
    async seal(publicKey, info, aad, plaintext) {
      const { sharedSecret, enc } = await kem.encapsulate(publicKey, randomBytes);
      const context = keySchedule(sharedSecret, info);
      return { enc, ct: aeadSeal(context.key, context.nonce, aad, plaintext) };
    },
    async open(privateKey, enc, info, aad, ciphertext) {
      if (enc.length !== kem.encBytes) return undefined;
      const context = keySchedule(await kem.decapsulate(enc, privateKey), info);
      return aeadOpen(context.key, context.nonce, aad, ciphertext);
    },
    async exportSecret(publicKey, info, exporterContext, length) {
      const { sharedSecret, enc } = await kem.encapsulate(publicKey, randomBytes);
      return { enc, secret: exportFrom(keySchedule(sharedSecret, info), exporterContext, length) };
    },
    async importSecret(privateKey, enc, info, exporterContext, length) {
      if (enc.length !== kem.encBytes) throw new RangeError(`hpke: expected a ${kem.encBytes}-byte encapsulation, got ${enc.length}`);
      return exportFrom(keySchedule(await kem.decapsulate(enc, privateKey), info), exporterContext, length);
    },
  };
}
