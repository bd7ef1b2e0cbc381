/**
 * The golden transcript checked from docs/PROTOCOL.md §12a alone: the
 * generator is rebuilt from the spec's words in test/helpers/spec-party.ts
 * (ChaCha20 keystream keyed by SHA-256 of the label, through OpenSSL rather
 * than the DRBG of the other helpers), the draws are located at the offsets
 * the spec's draw order gives, and the conversation is replayed from the
 * file's own script.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { decodeBundle, encodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { encodeIdentityPublic } from '../../src/crypto/identity.ts';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { safetyNumber } from '../../src/crypto/safety-number.ts';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { startSession } from '../../src/crypto/session.ts';
import { asV1Bundle, fromV1Bundle } from '../helpers/golden.ts';
import { specGenerator, specParty, specReceive, specSend, VECTOR_CLOCK_START } from '../helpers/spec-party.ts';

const FILE = fileURLToPath(new URL('../vectors/golden/transcript-v1.json', import.meta.url));
const frozen = JSON.parse(readFileSync(FILE, 'utf8')) as {
  aliceIdentity: string;
  bobBundle: string;
  safetyNumber: string;
  safetyNumberQr: string;
  messages: { from: 'alice' | 'bob'; type: string; plaintext: string; envelope: string }[];
  aliceRecord: string;
  bobRecord: string;
};

test('§12a: each key of the golden transcript sits at the offset of the draw order the spec gives', async () => {
  const p = nodePrimitives;
  const alice = specGenerator('golden:alice')(64);
  const identity = fromHex(frozen.aliceIdentity);
  assert.equal(toHex(await p.ed25519PublicKey(alice.subarray(0, 32))), toHex(identity.subarray(0, 32)), 'Ed25519 seed = draws [0..32)');
  assert.equal(toHex(await p.x25519PublicKey(alice.subarray(32, 64))), toHex(identity.subarray(32, 64)), 'X25519 identity key = draws [32..64)');
  const bob = specGenerator('golden:bob')(32 + 32 + 32 + 64 + 2 * 32);
  const bundle = decodeBundle(fromV1Bundle(fromHex(frozen.bobBundle)));
  assert.equal(toHex(await p.ed25519PublicKey(bob.subarray(0, 32))), toHex(bundle.identity.signingKey));
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(32, 64))), toHex(bundle.identity.dhKey));
  assert.equal(bundle.signedPrekey.id, 1);
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(64, 96))), toHex(bundle.signedPrekey.publicKey), 'SPK = draws [64..96)');
  assert.equal(bundle.kemPrekey.id, 2);
  assert.equal(toHex(p.kemKeygen(bob.subarray(96, 160)).publicKey), toHex(bundle.kemPrekey.publicKey), 'KEM seed d || z = draws [96..160)');
  assert.equal(bundle.oneTimePrekey?.id, 3, 'the first of the two one-time prekeys is handed out');
  assert.equal(toHex(await p.x25519PublicKey(bob.subarray(160, 192))), toHex(bundle.oneTimePrekey.publicKey), 'OPK 3 = draws [160..192)');
});

test('§12a: the whole golden transcript regenerates from the spec generator, the clock and the script in the file', async () => {
  const clock = { now: VECTOR_CLOCK_START };
  const alice = await specParty('golden:alice', clock);
  const bob = await specParty('golden:bob', clock);
  const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
  bob.prekeys = issued.state;
  assert.equal(toHex(encodeIdentityPublic(alice.identity.public)), frozen.aliceIdentity);
  assert.equal(toHex(asV1Bundle(encodeBundle(issued.bundle))), frozen.bobBundle);
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  const parties = { alice, bob };
  for (const m of frozen.messages) {
    const envelope = specSend(parties[m.from], m.plaintext);
    assert.equal(toHex(envelope), m.envelope, `${m.from}: ${m.plaintext.slice(0, 20)}`);
    assert.equal(decodeEnvelope(envelope).type, m.type);
    assert.equal(await specReceive(parties[m.from === 'alice' ? 'bob' : 'alice'], envelope), m.plaintext);
    clock.now += 1000;
  }
  assert.equal(toHex(encodeSessionRecord(alice.record!)), frozen.aliceRecord);
  assert.equal(toHex(encodeSessionRecord(bob.record!)), frozen.bobRecord);
  const sn = safetyNumber(nodePrimitives, alice.identity.public.signingKey, bob.identity.public.signingKey);
  assert.equal(sn.digits, frozen.safetyNumber);
  assert.equal(sn.qrPayload, frozen.safetyNumberQr);
});
