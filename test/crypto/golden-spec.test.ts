/**
 * The version-2 golden transcript and the `pqSteps` scenario checked from
 * docs/PROTOCOL.md §12a alone: the generator is rebuilt from the spec's words
 * in test/helpers/spec-party.ts (ChaCha20 keystream keyed by SHA-256 of the
 * label, through OpenSSL rather than the DRBG of the other helpers), every
 * draw is held against the offset the spec's draw order gives
 * (test/helpers/spec-draws.ts computes it, and each message's PQ stamp, from
 * §6, §7 and §7a without Sotto's ratchet), the wire length of every envelope
 * against that stamp, and the PQ state of the final records against it; the
 * conversations are replayed from the files' own scripts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { decodeBundle, encodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { encodeIdentityPublic } from '../../src/crypto/identity.ts';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { safetyNumber } from '../../src/crypto/safety-number.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { startSession } from '../../src/crypto/session.ts';
import { blobParts, SETUP_DRAWS, SpecDraws, START_DRAWS, type SpecPqState, type SpecStamp } from '../helpers/spec-draws.ts';
import { specGenerator, specParty, specReceive, specSend, specStream, VECTOR_CLOCK_START, type SpecParty, type VectorClock } from '../helpers/spec-party.ts';

type Hex = string;
interface Message {
  from: 'alice' | 'bob';
  plaintext: string;
  epoch?: number;
  envelope: Hex;
}

/** A conversation vector: Bob's bundle, the messages, both records at the end. */
interface ConversationVector {
  bobBundle: Hex;
  messages: Message[];
  aliceRecord: Hex;
  bobRecord: Hex;
}

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../vectors/golden/${name}`, import.meta.url), 'utf8')) as T;
const frozen = read<ConversationVector & { aliceIdentity: Hex; safetyNumber: string; safetyNumberQr: string }>('transcript-v2.json');
const pqSteps = read<{ pqSteps: ConversationVector }>('scenarios-v2.json').pqSteps;

/** §7a "Parts": bytes of the parts a stamp announces. */
function partBytes(stamp: SpecStamp): number {
  const blob = stamp.epoch + 1;
  const size = blob === 1 ? 1184 : 2272;
  let total = 0;
  for (let i = 0; i < stamp.partCount; i++) {
    const start = ((stamp.firstPart + i) % blobParts(blob)) * 96;
    total += Math.min(start + 96, size) - start;
  }
  return total;
}

/** §9: the length of an envelope with this text and stamp (PREKEY: the agreement header, with `opk` a one-time prekey id). */
function envelopeLength(plaintext: string, stamp: SpecStamp, prekey: { opk: boolean } | undefined): number {
  const agreement = prekey ? 128 + 32 + 4 + 4 + 1 + (prekey.opk ? 4 : 0) + 1088 : 0;
  const padded = (Math.floor(new TextEncoder().encode(plaintext).length / 64) + 1) * 64;
  return 2 + agreement + 16 + 62 + padded + partBytes(stamp) + 16;
}

/** Sets Alice and Bob up as §12a says and has Alice start on Bob's bundle; checks the set-up draws. */
async function setUp(labels: string, clock: VectorClock): Promise<{ alice: SpecParty; bob: SpecParty; bobBundle: Hex }> {
  const alice = await specParty(`${labels}:alice`, clock);
  const bob = await specParty(`${labels}:bob`, clock);
  const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
  bob.prekeys = issued.state;
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  assert.deepEqual(bob.draws, SETUP_DRAWS, 'Bob: identity, then prekeys');
  assert.deepEqual(alice.draws, [...SETUP_DRAWS, ...START_DRAWS], 'Alice: identity, prekeys, then EK_A, m and DHs');
  return { alice, bob, bobBundle: toHex(encodeBundle(issued.bundle)) };
}

/**
 * Replays `messages` from the file, each delivered at once, the clock moved
 * by `tick` after each: every envelope byte for byte, every draw at the
 * spec's offset, every nonce the spec stream's bytes there, every length
 * and epoch as the spec's schedule says. Returns the spec's PQ states.
 */
async function replay(alice: SpecParty, bob: SpecParty, messages: readonly Message[], clock: VectorClock, tick: number): Promise<SpecDraws> {
  const spec = new SpecDraws();
  const parties = { alice, bob };
  const roles = { alice: 'initiator', bob: 'responder' } as const;
  for (const [i, m] of messages.entries()) {
    const to = m.from === 'alice' ? 'bob' : 'alice';
    const [sender, receiver] = [parties[m.from], parties[to]];
    const what = `message ${i} (${m.from}: ${m.plaintext.slice(0, 20)})`;
    const sentBefore = sender.draws.length;
    const envelope = specSend(sender, m.plaintext);
    assert.equal(toHex(envelope), m.envelope, what);
    const sent = spec.send(roles[m.from], clock.now);
    assert.deepEqual(sender.draws.slice(sentBefore), sent.draws.map((d) => d.length), `${what}: encrypt draws`);
    const decoded = decodeEnvelope(envelope);
    const nonce = sent.draws.at(-1)!;
    assert.equal(toHex(decoded.message.nonce), toHex(specStream(sender.label, nonce.offset, 16)), `${what}: n16 = stream [${nonce.offset}..${nonce.offset + 16})`);
    const prekey = decoded.type === 'prekey' ? { opk: decoded.prekey.oneTimePrekeyId !== undefined } : undefined;
    assert.equal(envelope.length, envelopeLength(m.plaintext, sent.stamp, prekey), `${what}: length with parts ${sent.stamp.firstPart}+${sent.stamp.partCount}`);
    if (m.epoch !== undefined) assert.equal(m.epoch, sent.stamp.epoch, `${what}: epoch`);
    const receivedBefore = receiver.draws.length;
    assert.equal(await specReceive(receiver, envelope), m.plaintext, what);
    const expected = spec.receive(roles[to], sent, clock.now);
    assert.deepEqual(receiver.draws.slice(receivedBefore), expected.map((d) => d.length), `${what}: decrypt draws`);
    clock.now += tick;
  }
  return spec;
}

/** §11's PQ block of a stored record against the spec's state; `ownSeed` is the stream's bytes at the offset the spec gives. */
function assertPqState(label: string, recordHex: Hex, spec: SpecPqState): void {
  const pq = decodeSessionRecord(fromHex(recordHex)).sessions[0]!.ratchet.pq;
  assert.equal(pq.sendEpoch, spec.sendEpoch, `${label}: sendEpoch`);
  assert.deepEqual(pq.keys.map((k) => k.epoch), spec.epochs, `${label}: epochs held`);
  const outgoing = pq.outgoing && { blob: pq.outgoing.blob, sent: pq.outgoing.sent, startedAt: pq.outgoing.startedAt, elapsed: pq.outgoing.elapsed };
  assert.deepEqual(outgoing, spec.outgoing, `${label}: outgoing`);
  assert.deepEqual(pq.incoming && { blob: pq.incoming.blob, have: pq.incoming.have }, spec.incoming, `${label}: incoming`);
  assert.ok(spec.ownSeedAt !== null && pq.ownSeed);
  assert.equal(toHex(pq.ownSeed), toHex(specStream(label, spec.ownSeedAt, 64)), `${label}: ownSeed = stream [${spec.ownSeedAt}..${spec.ownSeedAt + 64})`);
  if (pq.outgoing) assert.equal(toHex(pq.outgoing.bytes.subarray(-1184)), toHex(nodePrimitives.kemKeygen(pq.ownSeed).publicKey), `${label}: the outgoing blob ends with ownSeed's ek`);
}

test('§12a: each key of the v2 golden transcript sits at the offset of the draw order the spec gives', async () => {
  const p = nodePrimitives;
  const alice = specGenerator('golden:alice')(352 + 96);
  const identity = fromHex(frozen.aliceIdentity);
  assert.equal(toHex(await p.ed25519PublicKey(alice.subarray(0, 32))), toHex(identity.subarray(0, 32)), 'Ed25519 seed = draws [0..32)');
  assert.equal(toHex(await p.x25519PublicKey(alice.subarray(32, 64))), toHex(identity.subarray(32, 64)), 'X25519 identity key = draws [32..64)');
  const bob = specGenerator('golden:bob')(352);
  const bundle = decodeBundle(fromHex(frozen.bobBundle));
  assert.equal(toHex(await p.ed25519PublicKey(bob.subarray(0, 32))), toHex(bundle.identity.signingKey));
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(32, 64))), toHex(bundle.identity.dhKey));
  assert.equal(bundle.signedPrekey.id, 1);
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(64, 96))), toHex(bundle.signedPrekey.publicKey), 'SPK = draws [64..96)');
  assert.equal(bundle.oneTimePrekey?.id, 3, 'the first of the two one-time prekeys is handed out');
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(160, 192))), toHex(bundle.oneTimePrekey.publicKey), 'OPK 3 = draws [160..192)');
  assert.equal(bundle.kemPrekey.id, 5, 'the first of the two one-time KEM prekeys (ids 5, 6) is the bundle KEM prekey');
  assert.equal(toHex(p.kemKeygen(bob.subarray(224, 288)).publicKey), toHex(bundle.kemPrekey.publicKey), 'one-time KEM seed d || z = draws [224..288)');
  assert.notEqual(toHex(p.kemKeygen(bob.subarray(96, 160)).publicKey), toHex(bundle.kemPrekey.publicKey), 'not the last-resort KEM prekey (id 2, draws [96..160))');
  const first = decodeEnvelope(fromHex(frozen.messages[0]!.envelope));
  assert.ok(first.type === 'prekey');
  assert.equal(toHex(first.prekey.baseKey), toHex(await p.x25519PublicKey(alice.subarray(352, 384))), 'EK_A = Alice draws [352..384)');
  assert.equal(first.prekey.kemPrekeyId, 5);
  const encapsulated = p.kemEncapsulate(bundle.kemPrekey.publicKey, alice.subarray(384, 416));
  assert.equal(toHex(first.prekey.kemCiphertext), toHex(encapsulated.cipherText), 'CT = Encaps(PQPK 5, m = Alice draws [384..416))');
});

/** Sets up with `labels`, replays the vector (clock moved by `tick` a message) and checks both records, their PQ state included. */
async function regenerate(labels: string, vector: ConversationVector, tick: number): Promise<{ alice: SpecParty; bob: SpecParty; spec: SpecDraws }> {
  const clock = { now: VECTOR_CLOCK_START };
  const { alice, bob, bobBundle } = await setUp(labels, clock);
  assert.equal(bobBundle, vector.bobBundle);
  const spec = await replay(alice, bob, vector.messages, clock, tick);
  assert.equal(toHex(encodeSessionRecord(alice.record!)), vector.aliceRecord);
  assert.equal(toHex(encodeSessionRecord(bob.record!)), vector.bobRecord);
  assertPqState(`${labels}:alice`, vector.aliceRecord, spec.pq('initiator'));
  assertPqState(`${labels}:bob`, vector.bobRecord, spec.pq('responder'));
  return { alice, bob, spec };
}

test('§12a: the whole v2 golden transcript regenerates from the spec generator, the clock and the script in the file', async () => {
  const { alice, bob } = await regenerate('golden', frozen, 1000);
  assert.equal(toHex(encodeIdentityPublic(alice.identity.public)), frozen.aliceIdentity);
  const sn = safetyNumber(nodePrimitives, alice.identity.public.signingKey, bob.identity.public.signingKey);
  assert.equal(sn.digits, frozen.safetyNumber);
  assert.equal(sn.qrPayload, frozen.safetyNumberQr);
});

test('§12a: the pqSteps scenario regenerates from the spec: every draw, part schedule and epoch of three KEM epochs', async () => {
  const { spec } = await regenerate('pq-steps', pqSteps, 0);
  // Both name epoch 3: Bob completed Alice's blob 3 and began blob 4 (epoch 4 is his alone so far); Alice collects it.
  assert.deepEqual([spec.pq('initiator').sendEpoch, spec.pq('initiator').epochs, spec.pq('initiator').incoming?.blob], [3, [0, 1, 2, 3], 4]);
  assert.deepEqual([spec.pq('responder').sendEpoch, spec.pq('responder').epochs, spec.pq('responder').outgoing?.blob], [3, [0, 1, 2, 3, 4], 4]);
});
