/**
 * Parties built only from what docs/PROTOCOL.md §12a says: the generator
 * (ChaCha20 keystream keyed by SHA-256 of a label, through OpenSSL), one
 * shared clock, an identity and prekeys with two one-time prekeys, drawn in
 * the spec's order. Used by the tests that regenerate the golden vectors.
 */
import { createCipheriv, createHash } from 'node:crypto';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { createPrekeyState, type PrekeyState } from '../../src/crypto/prekeys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { decryptMessage, encryptMessage, type SessionRecord } from '../../src/crypto/session.ts';

/** §12a: 2026-11-24T00:00:00Z, the vectors' clock start. */
export const VECTOR_CLOCK_START = Date.UTC(2026, 10, 24);

/** §12a: the keystream of ChaCha20 (key SHA-256(UTF-8 label), nonce 0, block counter from 0), read continuously. */
export function specGenerator(label: string): (length: number) => Uint8Array {
  const key = createHash('sha256').update(label, 'utf8').digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return (length) => new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** A clock shared by the parties of one vector. */
export interface VectorClock {
  now: number;
}

/** A party of a vector: its context, identity, prekeys and its record for the other party. */
export interface SpecParty {
  readonly ctx: CryptoContext;
  readonly identity: IdentityKeyPair;
  prekeys: PrekeyState;
  record: SessionRecord | undefined;
}

/** §12a's set-up of one party: identity, then prekeys with two one-time prekeys. */
export async function specParty(label: string, clock: VectorClock, primitives: Primitives = nodePrimitives): Promise<SpecParty> {
  const ctx: CryptoContext = { primitives, randomBytes: specGenerator(label), now: () => clock.now };
  const identity = await generateIdentity(ctx);
  const prekeys = await createPrekeyState(ctx, identity, { oneTimePrekeys: 2 });
  return { ctx, identity, prekeys, record: undefined };
}

/** Encrypts `text` on the party's record and keeps the new record. */
export function specSend(party: SpecParty, text: string): Uint8Array {
  const out = encryptMessage(party.ctx, party.record, new TextEncoder().encode(text));
  party.record = out.record;
  return out.envelope;
}

/** Decrypts and keeps the new record (and prekeys); returns the text. */
export async function specReceive(party: SpecParty, envelope: Uint8Array): Promise<string> {
  const out = await decryptMessage(party.ctx, { identity: party.identity, prekeys: party.prekeys, record: party.record }, envelope);
  party.record = out.record;
  if (out.prekeys) party.prekeys = out.prekeys;
  return new TextDecoder().decode(out.plaintext);
}
