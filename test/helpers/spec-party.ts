/**
 * Parties built only from what docs/PROTOCOL.md §12a says: the generator
 * (ChaCha20 keystream keyed by SHA-256 of a label, through OpenSSL), one
 * shared clock, an identity and prekeys with two one-time prekeys and two
 * one-time ML-KEM prekeys, drawn in the spec's order. Each party logs its
 * draws, so a test can hold them against the draw order the spec gives
 * (test/helpers/spec-draws.ts). Used by the tests that generate and
 * regenerate the golden vectors.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { createPrekeyState, type PrekeyState } from '../../src/crypto/prekeys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { decryptMessage, encryptMessage, type SessionRecord } from '../../src/crypto/session.ts';

/** §12a: 2026-11-24T00:00:00Z, the vectors' clock start. */
export const VECTOR_CLOCK_START = Date.UTC(2026, 10, 24);

/** §12a: one-time prekeys of each kind (X25519 and ML-KEM) every party makes. */
export const VECTOR_ONE_TIME_PREKEYS = 2;

/** §12a, `pqSteps`: the ping-pong runs until each side has named this PQ epoch. */
export const PQ_STEPS_EPOCH = 3;

/** §12a, `pqSteps`: a bound on its messages (a ping-pong names epoch 3 after about 100). */
const PQ_STEPS_MAX_MESSAGES = 200;

/** §12a: the keystream of ChaCha20 (key SHA-256(UTF-8 label), nonce 0, block counter from 0), read continuously. */
export function specGenerator(label: string): (length: number) => Uint8Array {
  const key = createHash('sha256').update(label, 'utf8').digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return (length) => new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** Bytes `[offset..offset + length)` of the §12a stream of `label`, from a generator of its own. */
export function specStream(label: string, offset: number, length: number): Bytes {
  return specGenerator(label)(offset + length).subarray(offset);
}

/** A clock shared by the parties of one vector. */
export interface VectorClock {
  now: number;
}

/** A party of a vector: its context, identity, prekeys, its record for the other party, and the lengths of its draws in order. */
export interface SpecParty {
  readonly label: string;
  readonly ctx: CryptoContext;
  readonly identity: IdentityKeyPair;
  prekeys: PrekeyState;
  record: SessionRecord | undefined;
  readonly draws: number[];
}

/** §12a's set-up of one party: identity, then prekeys with two one-time prekeys and two one-time ML-KEM prekeys. */
export async function specParty(label: string, clock: VectorClock, primitives: Primitives = nodePrimitives): Promise<SpecParty> {
  const generator = specGenerator(label);
  const draws: number[] = [];
  const randomBytes = (length: number): Uint8Array => {
    draws.push(length);
    return generator(length);
  };
  const ctx: CryptoContext = { primitives, randomBytes, now: () => clock.now };
  const identity = await generateIdentity(ctx);
  const prekeys = await createPrekeyState(ctx, identity, { oneTimePrekeys: VECTOR_ONE_TIME_PREKEYS, oneTimeKemPrekeys: VECTOR_ONE_TIME_PREKEYS });
  return { label, ctx, identity, prekeys, record: undefined, draws };
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

/** The PQ epoch the party's messages name now (§7a `sendEpoch` of its active session). */
export function sendEpochOf(party: SpecParty): number {
  if (!party.record) throw new Error(`${party.label} has no session`);
  return party.record.sessions[0]!.ratchet.pq.sendEpoch;
}

/** One message of a vector conversation: who sent which text, the PQ epoch its header names, and its envelope (hex). */
export interface VectorMessage {
  readonly from: 'alice' | 'bob';
  readonly plaintext: string;
  readonly epoch: number;
  readonly envelope: string;
}

/**
 * §12a `pqSteps`: strict ping-pong of short texts (`ping 0`, `pong 1`, …),
 * Alice first, each delivered at once, until the last message of each side
 * names `epoch`. Returns every message.
 */
export async function pingPongUntilEpoch(alice: SpecParty, bob: SpecParty, epoch: number): Promise<VectorMessage[]> {
  const messages: VectorMessage[] = [];
  const named = { alice: -1, bob: -1 };
  for (let i = 0; named.alice < epoch || named.bob < epoch; i++) {
    if (i === PQ_STEPS_MAX_MESSAGES) throw new Error(`no PQ epoch ${epoch} after ${i} messages`);
    const from = i % 2 === 0 ? 'alice' : 'bob';
    const [sender, receiver] = from === 'alice' ? [alice, bob] : [bob, alice];
    const plaintext = `${from === 'alice' ? 'ping' : 'pong'} ${i}`;
    const envelope = specSend(sender, plaintext);
    named[from] = sendEpochOf(sender);
    const received = await specReceive(receiver, envelope);
    if (received !== plaintext) throw new Error(`${receiver.label} read ${received} for ${plaintext}`);
    messages.push({ from, plaintext, epoch: named[from], envelope: toHex(envelope) });
  }
  return messages;
}
