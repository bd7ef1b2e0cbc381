/**
 * The golden transcript checked from docs/PROTOCOL.md §12a alone: the
 * generator is rebuilt here from the spec's words (ChaCha20 keystream keyed
 * by SHA-256 of the label, read through OpenSSL, not the test helpers'
 * DRBG), the draws are located at the offsets the spec's draw order gives,
 * and the conversation is replayed from the file's own script.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { decodeBundle, encodeBundle } from '../../src/crypto/bundle.ts';
import { decodeEnvelope } from '../../src/crypto/envelope.ts';
import { encodeIdentityPublic, generateIdentity } from '../../src/crypto/identity.ts';
import { createPrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { safetyNumber } from '../../src/crypto/safety-number.ts';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { decryptMessage, encryptMessage, startSession, type SessionRecord } from '../../src/crypto/session.ts';

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

/** §12a: the keystream of ChaCha20 (key SHA-256(UTF-8 label), nonce 0, block counter from 0), read continuously. */
function specGenerator(label: string): (length: number) => Uint8Array {
  const key = createHash('sha256').update(label, 'utf8').digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return (length) => new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** §12a: 2026-11-24T00:00:00Z. */
const START = Date.UTC(2026, 10, 24);

test('§12a: each key of the golden transcript sits at the offset of the draw order the spec gives', async () => {
  const p = nodePrimitives;
  const alice = specGenerator('golden:alice')(64);
  const identity = fromHex(frozen.aliceIdentity);
  assert.equal(toHex(await p.ed25519PublicKey(alice.subarray(0, 32))), toHex(identity.subarray(0, 32)), 'Ed25519 seed = draws [0..32)');
  assert.equal(toHex(await p.x25519PublicKey(alice.subarray(32, 64))), toHex(identity.subarray(32, 64)), 'X25519 identity key = draws [32..64)');
  const bob = specGenerator('golden:bob')(32 + 32 + 32 + 64 + 2 * 32);
  const bundle = decodeBundle(fromHex(frozen.bobBundle));
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
  let now = START;
  const ctxOf = (label: string): CryptoContext => ({ primitives: nodePrimitives, randomBytes: specGenerator(label), now: () => now });
  const aCtx = ctxOf('golden:alice');
  const bCtx = ctxOf('golden:bob');
  const aliceId = await generateIdentity(aCtx);
  let alicePrekeys = await createPrekeyState(aCtx, aliceId, { oneTimePrekeys: 2 });
  const bobId = await generateIdentity(bCtx);
  let bobPrekeys = await createPrekeyState(bCtx, bobId, { oneTimePrekeys: 2 });
  const issued = issueBundle(bobId, bobPrekeys);
  bobPrekeys = issued.state;
  assert.equal(toHex(encodeIdentityPublic(aliceId.public)), frozen.aliceIdentity);
  assert.equal(toHex(encodeBundle(issued.bundle)), frozen.bobBundle);
  const records: { alice: SessionRecord | undefined; bob: SessionRecord | undefined } = { alice: await startSession(aCtx, aliceId, issued.bundle), bob: undefined };
  const side = {
    alice: { ctx: aCtx, id: aliceId, prekeys: () => alicePrekeys },
    bob: { ctx: bCtx, id: bobId, prekeys: () => bobPrekeys },
  };
  for (const m of frozen.messages) {
    const to = m.from === 'alice' ? 'bob' : 'alice';
    const sent = encryptMessage(side[m.from].ctx, records[m.from], new TextEncoder().encode(m.plaintext));
    records[m.from] = sent.record;
    assert.equal(toHex(sent.envelope), m.envelope, `${m.from}: ${m.plaintext.slice(0, 20)}`);
    assert.equal(decodeEnvelope(sent.envelope).type, m.type);
    const got = await decryptMessage(side[to].ctx, { identity: side[to].id, prekeys: side[to].prekeys(), record: records[to] }, sent.envelope);
    records[to] = got.record;
    if (got.prekeys) {
      if (to === 'bob') bobPrekeys = got.prekeys;
      else alicePrekeys = got.prekeys;
    }
    assert.equal(new TextDecoder().decode(got.plaintext), m.plaintext);
    now += 1000;
  }
  assert.equal(toHex(encodeSessionRecord(records.alice!)), frozen.aliceRecord);
  assert.equal(toHex(encodeSessionRecord(records.bob!)), frozen.bobRecord);
  const sn = safetyNumber(nodePrimitives, aliceId.public.signingKey, bobId.public.signingKey);
  assert.equal(sn.digits, frozen.safetyNumber);
  assert.equal(sn.qrPayload, frozen.safetyNumberQr);
});
