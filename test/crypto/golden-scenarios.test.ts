/**
 * Scenario vectors of docs/PROTOCOL.md §12a, beside the golden transcript:
 * skipped keys (out-of-order delivery), a bundle without a one-time prekey,
 * a simultaneous start, sealed mail and the post-quantum ratchet's steps
 * (§7a) over three KEM epochs. Every party is set up as §12a says
 * (test/helpers/spec-party.ts); the clock stays at its start. The bytes are
 * frozen in test/vectors/golden/scenarios-v2.json and every implementation
 * must reproduce them. Regenerate deliberately with `npm run golden:update`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { decodeBundle, encodeBundle } from '../../src/crypto/bundle.ts';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { openSealed, seal } from '../../src/crypto/sealed.ts';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { startSession } from '../../src/crypto/session.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { assertFrozenVectors } from '../helpers/golden.ts';
import { PQ_STEPS_EPOCH, pingPongUntilEpoch, specParty, specReceive, specSend, VECTOR_CLOCK_START, type SpecParty } from '../helpers/spec-party.ts';

const FILE = fileURLToPath(new URL('../vectors/golden/scenarios-v2.json', import.meta.url));

type Hex = string;

function bundleOf(party: SpecParty, oneTime: boolean): Hex {
  const issued = issueBundle(party.ctx, party.identity, party.prekeys, { oneTime });
  party.prekeys = issued.state;
  return toHex(encodeBundle(issued.bundle));
}

async function pairOf(scenario: string, primitives: Primitives, oneTime = true): Promise<{ alice: SpecParty; bob: SpecParty; bobBundle: Hex }> {
  const clock = { now: VECTOR_CLOCK_START };
  const alice = await specParty(`${scenario}:alice`, clock, primitives);
  const bob = await specParty(`${scenario}:bob`, clock, primitives);
  const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys, { oneTime });
  bob.prekeys = issued.state;
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  return { alice, bob, bobBundle: toHex(encodeBundle(issued.bundle)) };
}

const record = (party: SpecParty): Hex => toHex(encodeSessionRecord(party.record!));

/** Alice and Bob exchange one message each; then Alice sends four on one chain and Bob receives them as 3, 0, 2, 1. */
async function skipped(p: Primitives) {
  const { alice, bob, bobBundle } = await pairOf('skipped', p);
  const first = specSend(alice, 'hello');
  assert.equal(await specReceive(bob, first), 'hello');
  const reply = specSend(bob, 'hi');
  assert.equal(await specReceive(alice, reply), 'hi');
  const texts = ['m0', 'm1', 'm2', 'm3'];
  const sent = texts.map((t) => specSend(alice, t));
  const bobRecords: Hex[] = [];
  for (const i of [3, 0, 2, 1]) {
    assert.equal(await specReceive(bob, sent[i]!), texts[i]);
    bobRecords.push(record(bob));
  }
  return { bobBundle, first: toHex(first), reply: toHex(reply), plaintexts: texts, envelopes: sent.map(toHex), deliveryOrder: [3, 0, 2, 1], bobRecordAfterEach: bobRecords };
}

/** A last-resort bundle (no one-time prekey): the first message and both records. */
async function noOneTimePrekey(p: Primitives) {
  const { alice, bob, bobBundle } = await pairOf('no-one-time', p, false);
  const envelope = specSend(alice, 'no one-time prekey');
  assert.equal(await specReceive(bob, envelope), 'no one-time prekey');
  return { bobBundle, plaintext: 'no one-time prekey', envelope: toHex(envelope), aliceRecord: record(alice), bobRecord: record(bob) };
}

/** Both start from the other's bundle and write before hearing from the other; both then converge. */
async function simultaneous(p: Primitives) {
  const clock = { now: VECTOR_CLOCK_START };
  const alice = await specParty('simultaneous:alice', clock, p);
  const bob = await specParty('simultaneous:bob', clock, p);
  const [aliceBundle, bobBundle] = [bundleOf(alice, true), bundleOf(bob, true)];
  alice.record = await startSession(alice.ctx, alice.identity, decodeBundle(fromHex(bobBundle)));
  bob.record = await startSession(bob.ctx, bob.identity, decodeBundle(fromHex(aliceBundle)));
  const a1 = specSend(alice, 'a1');
  const b1 = specSend(bob, 'b1');
  assert.equal(await specReceive(bob, a1), 'a1');
  assert.equal(await specReceive(alice, b1), 'b1');
  const a2 = specSend(alice, 'a2');
  const b2 = specSend(bob, 'b2');
  assert.equal(await specReceive(bob, a2), 'a2');
  assert.equal(await specReceive(alice, b2), 'b2');
  const active = toHex(alice.record!.sessions[0]!.id);
  assert.equal(toHex(bob.record!.sessions[0]!.id), active, 'both sides keep the same active session');
  return { aliceBundle, bobBundle, envelopes: [a1, b1, a2, b2].map(toHex), plaintexts: ['a1', 'b1', 'a2', 'b2'], activeSession: active, aliceRecord: record(alice), bobRecord: record(bob) };
}

/** Alice's first envelope sealed for Bob (§17), the sender being her peer id text. */
async function sealed(p: Primitives) {
  const { alice, bob, bobBundle } = await pairOf('sealed', p);
  const envelope = specSend(alice, 'sealed hello');
  const sender = peerIdOfIdentity(alice.identity.public);
  const bytes = await seal(alice.ctx, bob.identity.public.dhKey, new TextEncoder().encode(sender), envelope);
  const opened = await openSealed(bob.ctx, bob.identity, bytes);
  assert.equal(new TextDecoder().decode(opened.sender), sender);
  assert.equal(toHex(opened.envelope), toHex(envelope));
  return { bobBundle, sender, envelope: toHex(envelope), sealed: toHex(bytes) };
}

/** Strict ping-pong of short texts, Alice first, until each side has sent a message naming PQ epoch 3; every envelope and both records. */
async function pqSteps(p: Primitives) {
  const { alice, bob, bobBundle } = await pairOf('pq-steps', p);
  const messages = await pingPongUntilEpoch(alice, bob, PQ_STEPS_EPOCH);
  return { bobBundle, messages, aliceRecord: record(alice), bobRecord: record(bob) };
}

async function scenarios(p: Primitives) {
  return {
    description:
      'Sotto v2 scenario vectors (docs/PROTOCOL.md §12a): each party set up from the ChaCha20 keystream keyed by SHA-256 of "<scenario>:alice" / "<scenario>:bob", two one-time prekeys and two one-time ML-KEM prekeys each, clock fixed at 2026-11-24T00:00:00Z.',
    skipped: await skipped(p),
    noOneTimePrekey: await noOneTimePrekey(p),
    simultaneous: await simultaneous(p),
    sealed: await sealed(p),
    pqSteps: await pqSteps(p),
  };
}

test('the scenario vectors (skipped keys, no one-time prekey, simultaneous start, sealed mail, PQ ratchet steps) reproduce byte for byte with every implementation', async () => {
  const frozen = await assertFrozenVectors(FILE, scenarios);
  const epochs = frozen.pqSteps.messages.map((m) => m.epoch);
  for (const e of [0, 1, 2, 3]) assert.ok(epochs.includes(e), `a message names epoch ${e}`);
  assert.deepEqual(epochs.slice(-2), [PQ_STEPS_EPOCH, PQ_STEPS_EPOCH], 'the last message of each side names epoch 3');
  assert.deepEqual([...epochs].sort((a, b) => a - b), epochs, 'epochs never go back in a ping-pong');
});
