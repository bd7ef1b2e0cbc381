/**
 * A Primitives wrapper that records what the protocol asked of it, so tests
 * can check properties such as "no message key is used twice" or "no DH ran
 * before the rejection".
 */
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { LABEL_MESSAGE_KEY_V2 as LABEL_MESSAGE_KEY } from '../../src/crypto/constants.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';

/** What a spied context has done. */
export interface SpyLog {
  /** Hex of every message key derived (HKDF under the message-key label). */
  messageKeys: string[];
  /** Hex of key || nonce of every AEAD encryption. */
  sealPairs: string[];
  /** Number of X25519 operations (key generation and DH). */
  x25519Calls: number;
}

/** Wraps `base`; the returned log fills as the primitives are used. */
export function spyPrimitives(base: Primitives): { primitives: Primitives; log: SpyLog } {
  const log: SpyLog = { messageKeys: [], sealPairs: [], x25519Calls: 0 };
  const messageLabel = toHex(new TextEncoder().encode(LABEL_MESSAGE_KEY));
  const primitives: Primitives = {
    ...base,
    name: `spy(${base.name})`,
    x25519PublicKey: (k: Bytes) => {
      log.x25519Calls++;
      return base.x25519PublicKey(k);
    },
    x25519: (k: Bytes, p: Bytes) => {
      log.x25519Calls++;
      return base.x25519(k, p);
    },
    hkdfSha256: (ikm, salt, info, length) => {
      const out = base.hkdfSha256(ikm, salt, info, length);
      if (toHex(info) === messageLabel) log.messageKeys.push(toHex(out));
      return out;
    },
    aeadSeal: (key, nonce, pt, ad) => {
      log.sealPairs.push(toHex(key) + toHex(nonce));
      return base.aeadSeal(key, nonce, pt, ad);
    },
  };
  return { primitives, log };
}
