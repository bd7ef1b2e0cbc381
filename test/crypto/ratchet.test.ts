/**
 * The Double Ratchet scenarios of SECURITY-CHECKLIST.md, items 1-19.
 * Every rejection asserts the typed error and that the persisted state
 * (session record and prekeys) is byte-identical afterwards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/crypto/bytes.ts';
import {
  MAX_PREVIOUS_RECEIVING_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS_PER_CHAIN,
  MAX_SKIPPED_KEYS_TOTAL,
  SKIPPED_KEY_MAX_AGE_MS,
} from '../../src/crypto/constants.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/crypto/envelope.ts';
import { chainStep, messageKeyMaterial, nextChainKey } from '../../src/crypto/kdf.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { skippedKeyCount, type RatchetState } from '../../src/crypto/ratchet.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { assertRejected, snapshot } from '../helpers/assertions.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { flipBit, forgeMessage, rewriteHeader } from '../helpers/forge.ts';
import { establishedPair, makeParty, pair, Party } from '../helpers/parties.ts';
import { spyPrimitives } from '../helpers/spy.ts';

function active(party: Party): RatchetState {
  return party.record!.sessions[0]!.ratchet;
}

/** Advances the sender's chain by `n` messages that are never sent (as if lost). */
function loseMessages(party: Party, n: number): void {
  const record = party.record!;
  const session = record.sessions[0]!;
  let ck = session.ratchet.sendingChainKey!;
  for (let i = 0; i < n; i++) ck = nextChainKey(party.ctx.primitives, ck);
  const ratchet = { ...session.ratchet, sendingChainKey: ck, sendCount: session.ratchet.sendCount + n };
  party.record = { sessions: [{ ...session, ratchet }, ...record.sessions.slice(1)] };
}

describe('ratchet: delivery', () => {
  test('1. a long conversation over many DH rounds decrypts, and no message key is used twice', async () => {
    const clock = testClock();
    const spies = [spyPrimitives(nodePrimitives), spyPrimitives(nodePrimitives)];
    const alice = await makeParty('alice', { ctx: testContext('long:alice', { clock, primitives: spies[0]!.primitives }) });
    const bob = await makeParty('bob', { ctx: testContext('long:bob', { clock, primitives: spies[1]!.primitives }) });
    const { issueBundle } = await import('../../src/crypto/prekeys.ts');
    const { startSession } = await import('../../src/crypto/session.ts');
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
    bob.prekeys = issued.state;
    alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);

    let messages = 0;
    let dhRounds = 0;
    for (let round = 0; round < 60; round++) {
      const [from, to] = round % 2 === 0 ? [alice, bob] : [bob, alice];
      const burst = 1 + (round % 4);
      const before = to.record ? active(to).dhSteps : -1;
      for (let i = 0; i < burst; i++) {
        const text = `${from.name} round ${round} message ${i}`;
        assert.equal(await to.receive(from.send(text)), text);
        messages++;
      }
      if (active(to).dhSteps > before) dhRounds++;
    }
    assert.equal(dhRounds, 60, 'every change of direction is a DH ratchet step');
    const all = [...spies[0]!.log.messageKeys, ...spies[1]!.log.messageKeys];
    const counts = new Map<string, number>();
    for (const k of all) counts.set(k, (counts.get(k) ?? 0) + 1);
    assert.equal(counts.size, messages, 'one distinct message key per message');
    assert.ok([...counts.values()].every((n) => n === 2), 'each key derived exactly once by the sender and once by the receiver');
  });

  test('2. out of order within one chain (3, 1, 2) decrypts and leaves no skipped keys', async () => {
    const { alice, bob } = await establishedPair();
    const m = [alice.send('one'), alice.send('two'), alice.send('three')];
    assert.equal(await bob.receive(m[2]!), 'three');
    assert.equal(skippedKeyCount(active(bob)), 2);
    assert.equal(await bob.receive(m[0]!), 'one');
    assert.equal(await bob.receive(m[1]!), 'two');
    assert.equal(skippedKeyCount(active(bob)), 0);
    assert.equal(active(bob).skipped.length, 0);
  });

  test('3. an old-chain message after new-chain ones decrypts through the previous-chain length', async () => {
    const { alice, bob } = await establishedPair();
    const old = [alice.send('a1'), alice.send('a2'), alice.send('a3')];
    assert.equal(await bob.receive(old[0]!), 'a1');
    assert.equal(await alice.receive(bob.send('b1')), 'b1');
    const fresh = alice.send('a4 on a new chain');
    assert.equal(await bob.receive(fresh), 'a4 on a new chain');
    // a2 and a3 were never seen on the old chain: pn told Bob to keep their keys.
    assert.equal(skippedKeyCount(active(bob)), 2);
    assert.equal(await bob.receive(old[2]!), 'a3');
    assert.equal(await bob.receive(old[1]!), 'a2');
    assert.equal(skippedKeyCount(active(bob)), 0);
  });

  test('4. an exact replay of a decrypted message is rejected as a duplicate', async () => {
    const { alice, bob } = await establishedPair();
    const m = alice.send('once');
    assert.equal(await bob.receive(m), 'once');
    const err = await assertRejected(bob, m, 'DuplicateMessageError');
    assert.equal((err as unknown as { counter: number }).counter, 0);
    // Also a replay of a message that was decrypted from a stored skipped key.
    const [x, y] = [alice.send('x'), alice.send('y')];
    await bob.receive(y);
    await bob.receive(x);
    await assertRejected(bob, x, 'DuplicateMessageError');
  });
});

describe('ratchet: skipped keys and limits', () => {
  test('5. a late message whose skipped key was evicted, or expired, is rejected', async () => {
    const { alice, bob, clock } = await establishedPair();
    const first = alice.send('first');
    loseMessages(alice, MAX_SKIPPED_KEYS_PER_CHAIN);
    await bob.receive(alice.send('far ahead'));
    // Counters 1..2000 are kept; counter 0 fell out of the per-chain cap.
    assert.equal(skippedKeyCount(active(bob)), MAX_SKIPPED_KEYS_PER_CHAIN);
    await assertRejected(bob, first, 'DuplicateMessageError');

    const { alice: a2, bob: b2 } = await establishedPair({ clock });
    const late = a2.send('late');
    await b2.receive(a2.send('early'));
    assert.equal(skippedKeyCount(active(b2)), 1);
    clock.advance(SKIPPED_KEY_MAX_AGE_MS + 1);
    await assertRejected(b2, late, 'DuplicateMessageError');
  });

  test('6. a gap of exactly MAX_SKIP is accepted; MAX_SKIP + 1 is rejected and stores no keys', async () => {
    // Within the current chain.
    {
      const { alice, bob } = await establishedPair();
      await bob.receive(alice.send('start of chain'));
      const saved = alice.record;
      loseMessages(alice, MAX_SKIP + 1);
      const tooFar = alice.send('too far');
      await assertRejected(bob, tooFar, 'TooManySkippedMessagesError');
      assert.equal(skippedKeyCount(active(bob)), 0);
      alice.record = saved;
      loseMessages(alice, MAX_SKIP);
      assert.equal(await bob.receive(alice.send('exactly at the limit')), 'exactly at the limit');
      assert.equal(skippedKeyCount(active(bob)), MAX_SKIPPED_KEYS_PER_CHAIN);
    }
    // At the start of a new chain (the DH-step path).
    {
      const { alice, bob } = await establishedPair();
      const saved = alice.record;
      loseMessages(alice, MAX_SKIP + 1);
      const err = await assertRejected(bob, alice.send('too far'), 'TooManySkippedMessagesError');
      assert.deepEqual([(err as unknown as { requested: number }).requested, (err as unknown as { limit: number }).limit], [MAX_SKIP + 1, MAX_SKIP]);
      alice.record = saved;
      loseMessages(alice, MAX_SKIP);
      assert.equal(await bob.receive(alice.send('limit')), 'limit');
    }
  });

  test('7. a previous-chain gap (pn - Nr) above the limit is rejected before any DH step', async () => {
    const spy = spyPrimitives(nodePrimitives);
    const clock = testClock();
    const { issueBundle } = await import('../../src/crypto/prekeys.ts');
    const { startSession } = await import('../../src/crypto/session.ts');
    const alice = await makeParty('alice', { clock });
    const bob = await makeParty('bob', { ctx: testContext('pn:bob', { clock, primitives: spy.primitives }) });
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
    bob.prekeys = issued.state;
    alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
    await bob.receive(alice.send('a0'));
    // Alice's chain "sent" MAX_SKIP + 1 more messages that Bob never got...
    loseMessages(alice, MAX_SKIP + 1);
    // ...then Alice ratchets on Bob's reply and writes on a new chain with pn = MAX_SKIP + 2.
    await alice.receive(bob.send('b0'));
    const next = alice.send('a on the next chain');
    const callsBefore = spy.log.x25519Calls;
    const err = await assertRejected(bob, next, 'TooManySkippedMessagesError');
    assert.equal((err as unknown as { requested: number }).requested, MAX_SKIP + 1);
    assert.equal(spy.log.x25519Calls, callsBefore, 'no X25519 operation ran before the rejection');
  });

  test('8. more skipped keys than the store cap: the oldest are evicted and storage stays bounded', async () => {
    const { alice, bob } = await establishedPair();
    const chains = Math.ceil(MAX_SKIPPED_KEYS_TOTAL / MAX_SKIPPED_KEYS_PER_CHAIN) + 1;
    for (let c = 0; c < chains; c++) {
      loseMessages(alice, MAX_SKIPPED_KEYS_PER_CHAIN);
      await bob.receive(alice.send(`chain ${c}`));
      await alice.receive(bob.send(`reply ${c}`));
    }
    const state = active(bob);
    assert.equal(skippedKeyCount(state), MAX_SKIPPED_KEYS_TOTAL);
    assert.ok(state.skipped.every((chain) => chain.keys.length <= MAX_SKIPPED_KEYS_PER_CHAIN));
    // The oldest chain lost its oldest keys: it keeps only its newest counters.
    const fullChains = Math.floor(MAX_SKIPPED_KEYS_TOTAL / MAX_SKIPPED_KEYS_PER_CHAIN);
    assert.equal(state.skipped.length, fullChains + 1, 'the oldest chain was evicted entirely');
    const oldest = state.skipped[0]!;
    const kept = MAX_SKIPPED_KEYS_TOTAL - fullChains * MAX_SKIPPED_KEYS_PER_CHAIN;
    assert.equal(oldest.keys.length, kept);
    assert.equal(oldest.keys[0]!.counter, MAX_SKIPPED_KEYS_PER_CHAIN - kept);
    assert.ok(encodeSessionRecord(bob.record!).length < 80 * MAX_SKIPPED_KEYS_TOTAL + 4096, 'stored record bounded');
  });

  test('9a. skipped keys expire by time (test clock)', async () => {
    const { alice, bob, clock } = await establishedPair();
    const late = alice.send('late');
    await bob.receive(alice.send('early'));
    clock.advance(SKIPPED_KEY_MAX_AGE_MS);
    const lateCopy = late.slice();
    // At exactly the maximum age the key is still there...
    assert.equal(await bob.receive(lateCopy), 'late');
    // ...one millisecond later it is gone.
    const late2 = alice.send('late 2');
    await bob.receive(alice.send('early 2'));
    assert.equal(skippedKeyCount(active(bob)), 1);
    clock.advance(SKIPPED_KEY_MAX_AGE_MS + 1);
    await bob.receive(alice.send('now'));
    assert.equal(skippedKeyCount(active(bob)), 0, 'expired keys are swept on the next decrypt');
    await assertRejected(bob, late2, 'DuplicateMessageError');
  });

  test('9b. skipped keys expire by number of DH steps', async () => {
    for (const steps of [MAX_PREVIOUS_RECEIVING_CHAINS, MAX_PREVIOUS_RECEIVING_CHAINS + 1]) {
      const { alice, bob } = await establishedPair();
      const late = alice.send('late');
      await bob.receive(alice.send('on time'));
      for (let i = 0; i < steps; i++) {
        await alice.receive(bob.send(`b${i}`));
        await bob.receive(alice.send(`a${i}`));
      }
      if (steps === MAX_PREVIOUS_RECEIVING_CHAINS) {
        assert.equal(await bob.receive(late), 'late', `kept after ${steps} DH steps`);
      } else {
        assert.equal(skippedKeyCount(active(bob)), 0, `dropped after ${steps} DH steps`);
        await assertRejected(bob, late, 'HeaderDecryptError');
      }
    }
  });
  test('9c. the prune right after a DH step bounds a state to MAX_PREVIOUS_RECEIVING_CHAINS + 1 chains, which the record decoder accepts', async () => {
    const { alice, bob } = await establishedPair();
    const counts: number[] = [];
    for (let i = 0; i < MAX_PREVIOUS_RECEIVING_CHAINS + 4; i++) {
      await alice.receive(bob.send(`b${i}`));
      alice.send(`lost ${i}`); // never delivered: leaves a skipped key in each of Bob's chains
      await bob.receive(alice.send(`a${i}`));
      counts.push(active(bob).skipped.length);
      const bytes = encodeSessionRecord(bob.record!);
      assert.equal(toHex(encodeSessionRecord(decodeSessionRecord(bytes))), toHex(bytes), `step ${i}: the record decodes`);
    }
    assert.equal(Math.max(...counts), MAX_PREVIOUS_RECEIVING_CHAINS + 1);
    assert.deepEqual(counts.slice(-3), Array(3).fill(MAX_PREVIOUS_RECEIVING_CHAINS + 1), 'at the bound, every new chain pushes the oldest out');
    const steps = active(bob).skipped.map((c) => c.step);
    assert.equal(Math.min(...steps), active(bob).dhSteps - MAX_PREVIOUS_RECEIVING_CHAINS, 'the oldest kept chain is MAX_PREVIOUS_RECEIVING_CHAINS steps back');
    assert.equal(Math.max(...steps), active(bob).dhSteps, 'the newest chain carries the current dhSteps');
  });
});

describe('ratchet: tampering', () => {
  test('10. one flipped bit anywhere in the body is rejected', async () => {
    const { alice, bob } = await establishedPair();
    const m = alice.send('integrity');
    const bodyStart = 2 + 24 + 56;
    for (let i = bodyStart; i < m.length; i++) await assertRejected(bob, flipBit(m, i, i % 8), 'AuthenticationError');
    assert.equal(await bob.receive(m), 'integrity');
  });

  test('11. one flipped bit in any header field, or a re-encrypted header with a changed field, is rejected', async () => {
    const { alice, bob } = await establishedPair();
    await bob.receive(alice.send('open the chain'));
    const m = alice.send('header');
    // Every bit of the nonce and the encrypted header (ratchet key, pn, n, PQ stamp inside).
    for (let i = 2; i < 2 + 16 + 62; i++) {
      for (const bit of [0, 7]) await assertRejected(bob, flipBit(m, i, bit), 'HeaderDecryptError');
    }
    // Someone who knows the header key but no message key still cannot change a field:
    // the body's associated data binds the encrypted header.
    await assertRejected(bob, rewriteHeader(alice, m, 'counter', 1), 'AuthenticationError');
    await assertRejected(bob, rewriteHeader(alice, m, 'counter', 0), 'DuplicateMessageError');
    await assertRejected(bob, rewriteHeader(alice, m, 'previousCount'), 'AuthenticationError');
    await assertRejected(bob, rewriteHeader(alice, m, 'ratchetKey'), 'DecodeError');
    // A PQ epoch Bob does not hold yet.
    await assertRejected(bob, rewriteHeader(alice, m, 'epoch', 3), 'DecodeError');
    assert.equal(await bob.receive(m), 'header');
  });

  test('12. a message for another contact, or with swapped identity keys (wrong AD), is rejected', async () => {
    const { alice, bob } = await establishedPair();
    const carol = await makeParty('carol');
    const { issueBundle } = await import('../../src/crypto/prekeys.ts');
    const { startSession } = await import('../../src/crypto/session.ts');
    const alice2 = new Party('alice', alice.ctx, alice.identity, alice.prekeys);
    const issued = issueBundle(carol.ctx, carol.identity, carol.prekeys);
    carol.prekeys = issued.state;
    alice2.record = await startSession(alice.ctx, alice.identity, issued.bundle);
    await carol.receive(alice2.send('hi carol'));
    await alice2.receive(carol.send('hi alice'));
    // Alice's message to Bob, delivered to Carol's session with Alice.
    await assertRejected(carol, alice.send('for bob only'), 'HeaderDecryptError');

    // Bob's session with the identities swapped in its associated data.
    const m = alice.send('bound to both identities');
    const session = bob.record!.sessions[0]!;
    const ad = session.ratchet.associatedData;
    const label = ad.length - 128;
    const swapped = new Uint8Array(ad.length);
    swapped.set(ad.subarray(0, label));
    swapped.set(ad.subarray(label + 64), label);
    swapped.set(ad.subarray(label, label + 64), label + 64);
    const honest = bob.record;
    bob.record = { sessions: [{ ...session, ratchet: { ...session.ratchet, associatedData: swapped } }] };
    await assertRejected(bob, m, 'HeaderDecryptError');
    bob.record = honest;
    assert.equal(await bob.receive(m), 'bound to both identities');
  });

  test('13. truncated, oversized and garbage frames and unknown versions give typed errors only', async () => {
    const { alice, bob } = await establishedPair();
    const m = alice.send('frame '.repeat(17)); // 102 bytes: a 128-byte padded body
    for (let len = 0; len < m.length; len++) {
      const body = len - (2 + 16 + 62);
      // The body's split into padded text and PQ parts is inside it: any body of the minimum length fails authentication.
      const shapeOk = body >= 80;
      await assertRejected(bob, m.subarray(0, len), shapeOk ? 'AuthenticationError' : 'DecodeError');
    }
    const { MAX_ENVELOPE_BYTES } = await import('../../src/crypto/envelope.ts');
    await assertRejected(bob, new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(1), 'DecodeError');
    await assertRejected(bob, Uint8Array.of(1, ...m.subarray(1)), 'VersionTooOldError');
    await assertRejected(bob, Uint8Array.of(3, ...m.subarray(1)), 'VersionTooNewError');
    await assertRejected(bob, Uint8Array.of(2, 9, ...m.subarray(2)), 'DecodeError');
    const rng = testContext('garbage').randomBytes;
    for (let i = 0; i < 300; i++) {
      const junk = rng(1 + (rng(2)[0]! * 8 + rng(1)[0]!) % 1800);
      if (i % 3 === 0) junk[0] = 2;
      if (i % 3 === 1) junk.set([2, 1]);
      const before = snapshot(bob);
      await bob.receive(junk).then(
        () => assert.fail('garbage decrypted'),
        (err: unknown) => assert.ok(err instanceof Error && ['DecodeError', 'VersionTooOldError', 'VersionTooNewError', 'HeaderDecryptError'].includes(err.name), String(err)),
      );
      assert.equal(snapshot(bob), before);
    }
    assert.equal(await bob.receive(m), 'frame '.repeat(17));
  });

  test('14. a ratchet key that is low-order, all-zero or non-canonical is rejected', async () => {
    const { alice, bob } = await establishedPair();
    const bad = [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
      Uint8Array.from(Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex')),
      Uint8Array.from(Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex')),
      Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 0x80 : 9)),
    ];
    // Alice's next message starts a new chain, so Bob takes the DH-step path with the forged key.
    for (const key of bad) {
      const err = await assertRejected(bob, forgeMessage(alice, 'x', { ratchetKey: key }), 'InvalidPublicKeyError');
      assert.ok(['low-order', 'non-canonical'].includes((err as unknown as { reason: string }).reason));
    }
    assert.equal(await bob.receive(alice.send('honest')), 'honest');
  });

  test('15. a huge counter jump costs bounded time and memory', { timeout: 20_000 }, async () => {
    const { alice, bob } = await establishedPair();
    await bob.receive(alice.send('start'));
    await assertRejected(bob, forgeMessage(alice, 'x', { counter: 0xffff_ffff }), 'TooManySkippedMessagesError');
    loseMessages(alice, MAX_SKIP);
    assert.equal(await bob.receive(alice.send('far')), 'far');
    assert.equal(skippedKeyCount(active(bob)), MAX_SKIPPED_KEYS_PER_CHAIN, 'only the newest keys of the jump are stored');
  });
});

describe('ratchet: compromise and state handling', () => {
  test('16. post-compromise security: a copy of Alice\'s state is useless after one DH round trip', async () => {
    const { alice, bob } = await establishedPair();
    const eve = new Party('eve', testContext('eve'), alice.identity, alice.prekeys);
    eve.record = decodeSessionRecord(encodeSessionRecord(alice.record!));
    // Until Alice's ratchet key is replaced and used, Eve reads what Bob sends to Alice.
    const b1 = bob.send('b1');
    assert.equal(await eve.receive(b1.slice()), 'b1');
    assert.equal(await alice.receive(b1), 'b1');
    assert.equal(await bob.receive(alice.send('a1')), 'a1');
    const b2 = bob.send('b2');
    assert.equal(await eve.receive(b2.slice()), 'b2', 'still on a chain Eve can compute (Alice\'s compromised key)');
    assert.equal(await alice.receive(b2), 'b2');
    // One DH round trip: Alice's fresh key (made on receiving b2) reaches Bob, Bob ratchets.
    assert.equal(await bob.receive(alice.send('a2 with a fresh key')), 'a2 with a fresh key');
    // Header keys run one step ahead of chain keys, so Eve can still open b3's header,
    // but not its body; one step later she cannot open the header either.
    const b3 = bob.send('b3 after healing');
    await assertRejected(eve, b3.slice(), 'AuthenticationError');
    assert.equal(await alice.receive(b3), 'b3 after healing');
    assert.equal(await bob.receive(alice.send('a3')), 'a3');
    const b4 = bob.send('b4');
    await assertRejected(eve, b4.slice(), 'HeaderDecryptError');
    assert.equal(await alice.receive(b4), 'b4');
  });

  test('17. forward secrecy: after decrypting a message the stored state cannot re-derive its key', async () => {
    const spy = spyPrimitives(nodePrimitives);
    const { alice, bob } = await establishedPair();
    const aliceSpied = new Party('alice', { ...alice.ctx, primitives: spy.primitives }, alice.identity, alice.prekeys);
    aliceSpied.record = alice.record;
    const m = aliceSpied.send('forward secret');
    const messageKey = spy.log.messageKeys.at(-1)!;
    assert.equal(await bob.receive(m), 'forward secret');
    const stored = toHex(encodeSessionRecord(bob.record!));
    assert.ok(!stored.includes(messageKey), 'the message key is not stored');
    const s = active(bob);
    let ck = s.receivingChainKey!;
    for (let i = 0; i < 50; i++) {
      const step = chainStep(nodePrimitives, ck);
      assert.notEqual(toHex(messageKeyMaterial(nodePrimitives, step.messageKeySeed)), messageKey);
      ck = step.nextChainKey;
    }
    for (const chain of s.skipped) for (const k of chain.keys) assert.notEqual(toHex(messageKeyMaterial(nodePrimitives, k.seed)), messageKey);
    await assertRejected(bob, m, 'DuplicateMessageError');
  });

  test('18. a session rolled back to an old saved state never reuses a (key, nonce) pair', async () => {
    const spy = spyPrimitives(nodePrimitives);
    const { alice, bob } = await establishedPair();
    const spied = new Party('alice', { ...alice.ctx, primitives: spy.primitives }, alice.identity, alice.prekeys);
    spied.record = alice.record;
    const saved = spied.record;
    const first = spied.send('first plaintext');
    spied.record = saved; // restored from an old backup
    const second = spied.send('different plaintext');
    assert.equal(spy.log.messageKeys[0], spy.log.messageKeys[1], 'the rollback re-derived the same message key');
    assert.equal(new Set(spy.log.sealPairs).size, spy.log.sealPairs.length, 'but never with the same nonce');
    const e1 = decodeEnvelope(first);
    const e2 = decodeEnvelope(second);
    assert.notDeepEqual(e1.message.nonce, e2.message.nonce);
    // The receiver accepts the first and rejects the second as a duplicate: no mix-up, no reuse.
    assert.equal(await bob.receive(first), 'first plaintext');
    await assertRejected(bob, second, 'DuplicateMessageError');
  });

  test('19. a crash between decrypt and persist: the message decrypts again, or is already delivered', async () => {
    const { alice, bob } = await establishedPair();
    // A store that writes the record and the message in one atomic batch.
    const disk = { record: encodeSessionRecord(bob.record!), messages: [] as string[] };
    const persist = (record: Uint8Array, message: string, crash: boolean): void => {
      const batch = { record, messages: [...disk.messages, message] };
      if (crash) throw new Error('power cut during the batch');
      Object.assign(disk, batch);
    };
    const envelope = alice.send('survives a crash');
    const { decryptMessage } = await import('../../src/crypto/session.ts');
    const load = () => decodeSessionRecord(disk.record);
    const first = await decryptMessage(bob.ctx, { identity: bob.identity, prekeys: bob.prekeys, record: load() }, envelope);
    assert.throws(() => persist(encodeSessionRecord(first.record), new TextDecoder().decode(first.plaintext), true));
    // Restart: nothing was half-applied, so the message decrypts again.
    const again = await decryptMessage(bob.ctx, { identity: bob.identity, prekeys: bob.prekeys, record: load() }, envelope);
    persist(encodeSessionRecord(again.record), new TextDecoder().decode(again.plaintext), false);
    assert.deepEqual(disk.messages, ['survives a crash']);
    // A crash after the batch (before the ack): re-delivery is recognised as already delivered.
    await assert.rejects(decryptMessage(bob.ctx, { identity: bob.identity, prekeys: bob.prekeys, record: load() }, envelope), { name: 'DuplicateMessageError' });
    assert.deepEqual(disk.messages, ['survives a crash']);
  });
});

test('encrypt leaves its input record untouched and a fresh pair works from a PREKEY start', async () => {
  const { alice, bob } = await pair();
  const before = encodeSessionRecord(alice.record!);
  const record = alice.record;
  const env = alice.send('first');
  assert.deepEqual(encodeSessionRecord(record!), before);
  assert.equal(decodeEnvelope(env).type, 'prekey');
  assert.equal(await bob.receive(env), 'first');
  assert.equal(decodeEnvelope(bob.send('reply')).type, 'message');
  assert.equal(encodeEnvelope(decodeEnvelope(env)).length, env.length);
});
