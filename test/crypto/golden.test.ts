/**
 * Golden transcripts: a fixed conversation with fixed keys, RNG and clock.
 * Its bytes (identities, bundle, every envelope, the safety number and the
 * stored records) are frozen in test/vectors/golden/transcript-v2.json
 * (protocol version 2; docs/PROTOCOL.md §12a). Any change to the wire or
 * storage format, a label, or the KDF layout changes these bytes and fails
 * this test; such a change needs a new spec version and a new file.
 * test/crypto/golden-v1.test.ts keeps the version-1 file as history.
 *
 * Regenerate deliberately with `npm run golden:update`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { BUNDLE_VERSION, ENVELOPE_VERSION } from '../../src/crypto/constants.ts';
import { encodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { encodeIdentityPublic } from '../../src/crypto/identity.ts';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { safetyNumber } from '../../src/crypto/safety-number.ts';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { startSession } from '../../src/crypto/session.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { assertFrozenVectors } from '../helpers/golden.ts';
import { makeParty } from '../helpers/parties.ts';

const FILE = fileURLToPath(new URL('../vectors/golden/transcript-v2.json', import.meta.url));

/** The scripted conversation: who sends what, in order; every message is delivered at once. */
const SCRIPT: readonly (readonly ['alice' | 'bob', string])[] = [
  ['alice', 'Hello Bob, this is the first message.'],
  ['alice', 'A second one before any reply (still a PREKEY envelope).'],
  ['bob', 'Hi Alice.'],
  ['alice', 'Now a normal message.'],
  ['bob', ''],
  ['bob', 'x'.repeat(200)],
];

interface Transcript {
  description: string;
  aliceIdentity: string;
  bobBundle: string;
  safetyNumber: string;
  safetyNumberQr: string;
  messages: { from: string; type: string; plaintext: string; epoch: number; envelope: string }[];
  aliceRecord: string;
  bobRecord: string;
}

async function transcript(primitives: Primitives): Promise<Transcript> {
  const clock = testClock(Date.UTC(2026, 10, 24));
  const alice = await makeParty('alice', { ctx: testContext('golden:alice', { clock, primitives }), oneTime: 2, oneTimeKem: 2 });
  const bob = await makeParty('bob', { ctx: testContext('golden:bob', { clock, primitives }), oneTime: 2, oneTimeKem: 2 });
  const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
  bob.prekeys = issued.state;
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  const messages: Transcript['messages'] = [];
  for (const [from, text] of SCRIPT) {
    const [sender, receiver] = from === 'alice' ? [alice, bob] : [bob, alice];
    const envelope = sender.send(text);
    const epoch = sender.record!.sessions[0]!.ratchet.pq.sendEpoch;
    assert.equal(await receiver.receive(envelope), text);
    messages.push({ from, type: decodeEnvelope(envelope).type, plaintext: text, epoch, envelope: toHex(envelope) });
    clock.advance(1000);
  }
  const sn = safetyNumber(primitives, alice.identity.public.signingKey, bob.identity.public.signingKey);
  return {
    description:
      'Sotto v2 golden transcript (docs/PROTOCOL.md §12a): fixed seeds "golden:alice" / "golden:bob" (ChaCha20 keystream keyed with SHA-256 of the label), two one-time prekeys and two one-time ML-KEM prekeys each, clock 2026-11-24T00:00:00Z + 1 s per message.',
    aliceIdentity: toHex(encodeIdentityPublic(alice.identity.public)),
    bobBundle: toHex(encodeBundle(issued.bundle)),
    safetyNumber: sn.digits,
    safetyNumberQr: sn.qrPayload,
    messages,
    aliceRecord: toHex(encodeSessionRecord(alice.record)),
    bobRecord: toHex(encodeSessionRecord(bob.record!)),
  };
}

test('the golden transcript reproduces byte for byte with every implementation', async () => {
  const frozen = await assertFrozenVectors(FILE, transcript);
  assert.deepEqual(
    frozen.messages.map((m) => m.type),
    ['prekey', 'prekey', 'message', 'message', 'message', 'message'],
  );
  assert.deepEqual(frozen.messages.map((m) => m.epoch), [0, 0, 1, 1, 1, 1], 'Bob names epoch 1 once he has blob 1, Alice once she hears him');
  assert.equal(fromHex(frozen.bobBundle)[0], BUNDLE_VERSION);
  assert.ok(frozen.messages.every((m) => fromHex(m.envelope)[0] === ENVELOPE_VERSION), 'every envelope is version 2');
});
