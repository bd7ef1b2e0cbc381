/**
 * Builds ratchet messages the honest code never would: a sender's next
 * message with chosen header fields, encrypted under the right keys. Used to
 * prove that every header field is authenticated and checked.
 */
import { Writer, type Bytes } from '../../src/crypto/bytes.ts';
import { WIRE_NONCE_BYTES } from '../../src/crypto/constants.ts';
import { aeadNonce } from '../../src/crypto/ratchet.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/crypto/envelope.ts';
import { chainStep, messageKeyV2 } from '../../src/crypto/kdf.ts';
import { pad } from '../../src/crypto/padding.ts';
import { concatBytes } from '../../src/crypto/bytes.ts';
import type { Party } from './parties.ts';

/** Header fields to put in a forged message (defaults: what the sender would send). */
export interface HeaderOverride {
  ratchetKey?: Bytes;
  previousCount?: number;
  counter?: number;
  /** The PQ epoch the header names. */
  epoch?: number;
}



/**
 * The sender's next message with `override` applied to the header, the
 * header encrypted under the sender's real header key and the body under the
 * message key of the sender's real next counter. Does not change the sender.
 */
export function forgeMessage(sender: Party, plaintext: string, override: HeaderOverride): Uint8Array {
  const session = sender.record!.sessions[0]!;
  const s = session.ratchet;
  const p = sender.ctx.primitives;
  const header = new Writer()
    .fixed(override.ratchetKey ?? s.sendingRatchetKey.publicKey, 32)
    .u32(override.previousCount ?? s.previousSendCount)
    .u32(override.counter ?? s.sendCount)
    .u32(override.epoch ?? s.pq.sendEpoch)
    .u8(0)
    .u8(0)
    .finish();
  const nonce = sender.ctx.randomBytes(WIRE_NONCE_BYTES);
  const headerCiphertext = p.aeadSeal(s.sendingHeaderKey!, aeadNonce(nonce), header, s.associatedData);
  const seed = chainStep(p, s.sendingChainKey!).messageKeySeed;
  const epochKey = s.pq.keys.find((k) => k.epoch === s.pq.sendEpoch)!.key;
  const bodyCiphertext = p.aeadSeal(
    messageKeyV2(p, seed, epochKey),
    aeadNonce(nonce),
    pad(new TextEncoder().encode(plaintext)),
    concatBytes(s.associatedData, nonce, headerCiphertext),
  );
  const message = { nonce, headerCiphertext, bodyCiphertext };
  return encodeEnvelope(session.pendingPrekey ? { type: 'prekey', prekey: session.pendingPrekey, message } : { type: 'message', message });
}

/** Returns a copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= 1 << bit;
  return out;
}

/**
 * Re-encrypts the header of `envelope` under the sender's header key with one
 * field changed, keeping the nonce and the original body: what an attacker
 * who learned the header key (but no message key) could do.
 */
export function rewriteHeader(sender: Party, envelope: Uint8Array, field: 'ratchetKey' | 'previousCount' | 'counter' | 'epoch', bit = 0): Uint8Array {
  const s = sender.record!.sessions[0]!.ratchet;
  const p = sender.ctx.primitives;
  const decoded = decodeEnvelope(envelope);
  const plain = p.aeadOpen(s.sendingHeaderKey!, aeadNonce(decoded.message.nonce), decoded.message.headerCiphertext, s.associatedData);
  if (!plain) throw new Error('rewriteHeader: not the sender\'s current header key');
  const offset = { ratchetKey: 0, previousCount: 35, counter: 39, epoch: 43 }[field];
  const changed = flipBit(plain, offset, bit);
  const headerCiphertext = p.aeadSeal(s.sendingHeaderKey!, aeadNonce(decoded.message.nonce), changed, s.associatedData);
  const message = { ...decoded.message, headerCiphertext };
  return encodeEnvelope(decoded.type === 'prekey' ? { type: 'prekey', prekey: decoded.prekey, message } : { type: 'message', message });
}
