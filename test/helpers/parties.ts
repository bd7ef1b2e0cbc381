/**
 * Two-party fixtures: identities, prekeys and sessions for Alice and Bob,
 * plus small wrappers that keep each party's state the way an application
 * would (replace it only when a call succeeds).
 */
import { createPrekeyState, issueBundle, type PrekeyState } from '../../src/crypto/prekeys.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { decryptMessage, encryptMessage, startSession, type SessionRecord } from '../../src/crypto/session.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { testClock, testContext, type TestClock } from './context.ts';

const text = new TextEncoder();
const untext = new TextDecoder();

/** One party: its context, identity, prekeys and its record for the other party. */
export class Party {
  record: SessionRecord | undefined;
  constructor(
    readonly name: string,
    readonly ctx: CryptoContext,
    readonly identity: IdentityKeyPair,
    public prekeys: PrekeyState,
  ) {}

  /** Encrypts `message` and commits the new record. */
  send(message: string): Uint8Array {
    const out = encryptMessage(this.ctx, this.record, text.encode(message));
    this.record = out.record;
    return out.envelope;
  }

  /** Decrypts and commits on success; on failure the state stays as it was. */
  async receive(envelope: Uint8Array): Promise<string> {
    const out = await decryptMessage(this.ctx, { identity: this.identity, prekeys: this.prekeys, record: this.record }, envelope);
    this.record = out.record;
    if (out.prekeys) this.prekeys = out.prekeys;
    return untext.decode(out.plaintext);
  }
}

/** Creates a party with `oneTime` one-time X25519 prekeys (3 by default) and `oneTimeKem` one-time ML-KEM prekeys (none by default). */
export async function makeParty(name: string, options: { clock?: TestClock; oneTime?: number; oneTimeKem?: number; ctx?: CryptoContext } = {}): Promise<Party> {
  const ctx = options.ctx ?? testContext(`party:${name}`, { clock: options.clock ?? testClock() });
  const identity = await generateIdentity(ctx);
  const prekeys = await createPrekeyState(ctx, identity, { oneTimePrekeys: options.oneTime ?? 3, oneTimeKemPrekeys: options.oneTimeKem ?? 0 });
  return new Party(name, ctx, identity, prekeys);
}

/** Alice and Bob with a session Alice started from Bob's bundle (with a one-time prekey). */
export async function pair(options: { clock?: TestClock } = {}): Promise<{ alice: Party; bob: Party; clock: TestClock }> {
  const clock = options.clock ?? testClock();
  const alice = await makeParty('alice', { clock });
  const bob = await makeParty('bob', { clock });
  const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
  bob.prekeys = issued.state;
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  return { alice, bob, clock };
}

/** Alice and Bob after one round trip (Bob has answered, so no more PREKEY envelopes). */
export async function establishedPair(options: { clock?: TestClock } = {}): Promise<{ alice: Party; bob: Party; clock: TestClock }> {
  const p = await pair(options);
  await p.bob.receive(p.alice.send('hello'));
  await p.alice.receive(p.bob.send('hi'));
  return p;
}
