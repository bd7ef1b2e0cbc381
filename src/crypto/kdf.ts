/**
 * The key-derivation chains of the Double Ratchet and of session agreement,
 * with the label (HKDF info) as a parameter so that the same code runs with
 * libsignal's labels against its published vectors.
 *
 * - KDF_CK (symmetric-key ratchet): message-key seed = HMAC-SHA256(ck, 0x01),
 *   next chain key = HMAC-SHA256(ck, 0x02).
 * - Message keys: HKDF-SHA256(ikm = seed, salt = none, info = label).
 * - KDF_RK (root-key ratchet, header-encryption variant):
 *   HKDF-SHA256(ikm = DH output, salt = root key, info = label, 96 bytes) →
 *   root key || chain key || next header key.
 * - Session agreement: HKDF-SHA256(ikm = 0xFF*32 || DH1 || … || KEM secret,
 *   salt = none, info = label).
 */
import { concatBytes, utf8, type Bytes } from './bytes.ts';
import { LABEL_MESSAGE_KEY, LABEL_MESSAGE_KEY_V2, LABEL_PQ_EPOCH, LABEL_RATCHET, PQXDH_PREFIX, SYMMETRIC_KEY_BYTES } from './constants.ts';
import type { Primitives } from './primitives/types.ts';

/** Encoded labels, computed once: encoding on every message would cost more than the hash. */
const encodedLabels = new Map<string, Bytes>();
function labelBytes(label: string): Bytes {
  let bytes = encodedLabels.get(label);
  if (!bytes) {
    bytes = utf8(label);
    encodedLabels.set(label, bytes);
  }
  return bytes;
}

const MESSAGE_KEY_SEED_INPUT = Uint8Array.of(0x01);
const CHAIN_KEY_INPUT = Uint8Array.of(0x02);
const EMPTY = new Uint8Array(0);

/** One step of a message chain: the message-key seed and the next chain key. */
export interface ChainStep {
  readonly messageKeySeed: Bytes;
  readonly nextChainKey: Bytes;
}

/** KDF_CK: advances a chain key by one message. */
export function chainStep(p: Primitives, chainKey: Bytes): ChainStep {
  return { messageKeySeed: p.hmacSha256(chainKey, MESSAGE_KEY_SEED_INPUT), nextChainKey: p.hmacSha256(chainKey, CHAIN_KEY_INPUT) };
}

/** Advances a chain key without deriving its message key (used for keys that would be evicted at once). */
export function nextChainKey(p: Primitives, chainKey: Bytes): Bytes {
  return p.hmacSha256(chainKey, CHAIN_KEY_INPUT);
}

/**
 * Expands a message-key seed. Sotto uses 32 bytes under LABEL_MESSAGE_KEY as
 * the AEAD key; libsignal uses 80 bytes under "WhisperMessageKeys".
 */
export function messageKeyMaterial(p: Primitives, seed: Bytes, label: string = LABEL_MESSAGE_KEY, length: number = SYMMETRIC_KEY_BYTES): Bytes {
  return p.hkdfSha256(seed, EMPTY, labelBytes(label), length);
}

/**
 * A v2 message key (§7a): the message-key seed expanded under the PQ epoch
 * key the message names, HKDF(ikm = seed, salt = epoch key, info =
 * "sotto/v2/message-key", 32).
 */
export function messageKeyV2(p: Primitives, seed: Bytes, epochKey: Bytes): Bytes {
  return p.hkdfSha256(seed, epochKey, labelBytes(LABEL_MESSAGE_KEY_V2), SYMMETRIC_KEY_BYTES);
}

/**
 * The next PQ epoch key (§7a): HKDF(ikm = KEM shared secret (empty for the
 * first epoch, which carries only a key), salt = previous epoch key, info =
 * "sotto/v2/pq-epoch", 32).
 */
export function nextEpochKey(p: Primitives, previous: Bytes, sharedSecret: Bytes): Bytes {
  return p.hkdfSha256(sharedSecret, previous, labelBytes(LABEL_PQ_EPOCH), SYMMETRIC_KEY_BYTES);
}

/** Output of KDF_RK in the header-encryption variant. */
export interface RootStep {
  readonly rootKey: Bytes;
  readonly chainKey: Bytes;
  readonly nextHeaderKey: Bytes;
}

/** KDF_RK: mixes a DH output into the root key. */
export function rootStep(p: Primitives, rootKey: Bytes, dhOutput: Bytes, label: string = LABEL_RATCHET): RootStep {
  const okm = p.hkdfSha256(dhOutput, rootKey, labelBytes(label), 3 * SYMMETRIC_KEY_BYTES);
  return {
    rootKey: okm.slice(0, 32),
    chainKey: okm.slice(32, 64),
    nextHeaderKey: okm.slice(64, 96),
  };
}

/**
 * The session-agreement KDF: HKDF over 0xFF*32 || DH outputs (in protocol
 * order) || KEM shared secret, info = label || `binding` (v2: the digests
 * of the KEM key and ciphertext, §6). Sotto always passes a KEM secret; it is
 * optional here only so that libsignal's classical X3DH vectors can be run.
 */
export function agreementKdf(p: Primitives, label: string, dhOutputs: readonly Bytes[], kemSecret: Bytes | undefined, length: number, binding: Bytes = EMPTY): Bytes {
  const ikm = concatBytes(PQXDH_PREFIX, ...dhOutputs, ...(kemSecret ? [kemSecret] : []));
  return p.hkdfSha256(ikm, EMPTY, binding.length === 0 ? labelBytes(label) : concatBytes(labelBytes(label), binding), length);
}
