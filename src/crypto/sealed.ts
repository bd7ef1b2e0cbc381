/**
 * Sealed mail: an envelope wrapped for one recipient so that the peers that
 * store it (mailboxes) see neither who sent it nor any field of the ratchet
 * envelope (a PREKEY envelope carries the sender's identity in clear).
 *
 *   sealed = u8 version (1) || ephemeral X25519 key E (32) || nonce (24)
 *            || XChaCha20-Poly1305(k, nonce, inner, ad)
 *   k      = HKDF(ikm = X25519(e, IKdh_B), salt = E || IKdh_B, info = "sotto/v1/sealed", 32)
 *   ad     = version || E || IKdh_B
 *   inner  = u8 sender length || sender (the UTF-8 of the sender's peer id text) || envelope
 *
 * The sender's peer id inside is a claim: the ratchet proves it, because
 * only the holder of that identity's session (or, for a first message, its
 * X25519 identity key) produces an envelope that decrypts under it.
 * The sealing uses X25519 only: the content inside stays post-quantum
 * protected by the session; what a future quantum attacker could learn from
 * recorded mail is who sent it.
 */
import { concatBytes, Reader, Writer, type Bytes } from './bytes.ts';
import { AEAD_TAG_BYTES, NONCE_BYTES, SYMMETRIC_KEY_BYTES, WIRE_VERSION, X25519_KEY_BYTES } from './constants.ts';
import type { CryptoContext } from './context.ts';
import { AuthenticationError, DecodeError } from './errors.ts';
import type { IdentityKeyPair } from './identity.ts';
import { dh, generateX25519KeyPair } from './keys.ts';
import { readVersion } from './version.ts';

/** HKDF info of the sealing key. */
export const LABEL_SEALED = 'sotto/v1/sealed';
/** Longest sender id carried inside (a peer id's text is 52 bytes). */
export const MAX_SEALED_SENDER_BYTES = 64;
/** Fixed overhead of a sealed envelope besides the sender id and the envelope. */
export const SEALED_OVERHEAD_BYTES = 1 + X25519_KEY_BYTES + NONCE_BYTES + AEAD_TAG_BYTES + 1;

const encoder = new TextEncoder();

function sealingKey(ctx: CryptoContext, shared: Bytes, ephemeral: Bytes, recipientDhKey: Bytes): Bytes {
  return ctx.primitives.hkdfSha256(shared, concatBytes(ephemeral, recipientDhKey), encoder.encode(LABEL_SEALED), SYMMETRIC_KEY_BYTES);
}

/**
 * Seals `envelope` from `sender` for the holder of `recipientDhKey` (the
 * recipient's X25519 identity key, from its verified identity). Throws
 * InvalidPublicKeyError for a bad key and RangeError for a sender id over
 * MAX_SEALED_SENDER_BYTES.
 */
export async function seal(ctx: CryptoContext, recipientDhKey: Bytes, sender: Bytes, envelope: Bytes): Promise<Bytes> {
  if (sender.length === 0 || sender.length > MAX_SEALED_SENDER_BYTES) throw new RangeError(`seal: sender id of ${sender.length} bytes`);
  const ephemeral = await generateX25519KeyPair(ctx);
  const shared = await dh(ctx, ephemeral.privateKey, recipientDhKey, 'recipient identity X25519 key');
  const key = sealingKey(ctx, shared, ephemeral.publicKey, recipientDhKey);
  const nonce = ctx.randomBytes(NONCE_BYTES);
  const inner = new Writer(1 + sender.length + envelope.length).u8(sender.length).fixed(sender, sender.length).fixed(envelope, envelope.length).finish();
  const ad = concatBytes(Uint8Array.of(WIRE_VERSION), ephemeral.publicKey, recipientDhKey);
  const ciphertext = ctx.primitives.aeadSeal(key, nonce, inner, ad);
  return new Writer(1 + X25519_KEY_BYTES + NONCE_BYTES + ciphertext.length).u8(WIRE_VERSION).fixed(ephemeral.publicKey, X25519_KEY_BYTES).fixed(nonce, NONCE_BYTES).fixed(ciphertext, ciphertext.length).finish();
}

/**
 * Opens sealed mail addressed to `identity`. Throws DecodeError (malformed),
 * VersionTooOldError / VersionTooNewError, InvalidPublicKeyError (a bad
 * ephemeral key) or AuthenticationError (not for us, or tampered).
 */
export async function openSealed(ctx: CryptoContext, identity: IdentityKeyPair, sealed: Bytes): Promise<{ sender: Bytes; envelope: Bytes }> {
  const what = 'sealed envelope';
  const r = new Reader(sealed, what);
  readVersion(r, what, WIRE_VERSION);
  const ephemeral = r.fixed(X25519_KEY_BYTES, 'ephemeral key');
  const nonce = r.fixed(NONCE_BYTES, 'nonce');
  const ciphertext = r.rest();
  if (ciphertext.length < AEAD_TAG_BYTES + 2) throw new DecodeError(what, 'too short');
  const shared = await dh(ctx, identity.dhPrivateKey, ephemeral, 'ephemeral key');
  const key = sealingKey(ctx, shared, ephemeral, identity.public.dhKey);
  const ad = concatBytes(Uint8Array.of(WIRE_VERSION), ephemeral, identity.public.dhKey);
  const inner = ctx.primitives.aeadOpen(key, nonce, ciphertext, ad);
  if (!inner) throw new AuthenticationError(what);
  const ir = new Reader(inner, what);
  const senderLength = ir.u8('sender length');
  if (senderLength === 0 || senderLength > MAX_SEALED_SENDER_BYTES) throw new DecodeError(what, `sender length ${senderLength}`);
  const sender = ir.fixed(senderLength, 'sender');
  const envelope = ir.rest();
  if (envelope.length === 0) throw new DecodeError(what, 'no envelope');
  return { sender, envelope };
}
