/**
 * Session setup scenarios of SECURITY-CHECKLIST.md, items 20-24, plus the
 * identity rules of session records. Rejections assert the typed error and
 * byte-identical persisted state (session record and prekeys).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { equalBytes } from '../../src/crypto/bytes.ts';
import { MLKEM768_ENCAPS_RANDOM_BYTES } from '../../src/crypto/constants.ts';
import { decodeBundle, encodeBundle, kemPrekeySignedData, verifyBundle, type PrekeyBundle } from '../../src/crypto/bundle.ts';
import { isValidMlKem768EncapsulationKey } from '../../src/crypto/mlkem-key.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/crypto/envelope.ts';
import { encodePrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { startSession } from '../../src/crypto/session.ts';
import { assertRejected, snapshot } from '../helpers/assertions.ts';
import { testClock } from '../helpers/context.ts';
import { flipBit } from '../helpers/forge.ts';
import { makeParty, pair, type Party } from '../helpers/parties.ts';

function bundleOf(party: Party, oneTime = true): PrekeyBundle {
  const issued = issueBundle(party.ctx, party.identity, party.prekeys, { oneTime });
  party.prekeys = issued.state;
  return issued.bundle;
}

function activeId(party: Party): string {
  return Buffer.from(party.record!.sessions[0]!.id).toString('hex');
}

describe('session setup', () => {
  test('20. both sides start a session at the same moment: they converge, and messages on the losing session still decrypt', async () => {
    for (const order of ['alice-first', 'bob-first'] as const) {
      const clock = testClock();
      const alice = await makeParty(`alice-${order}`, { clock });
      const bob = await makeParty(`bob-${order}`, { clock });
      const [aBundle, bBundle] = [bundleOf(alice), bundleOf(bob)];
      alice.record = await startSession(alice.ctx, alice.identity, bBundle);
      bob.record = await startSession(bob.ctx, bob.identity, aBundle);
      // Both write before either hears from the other; two of each cross in flight.
      const fromAlice = [alice.send('a1'), alice.send('a2')];
      const fromBob = [bob.send('b1'), bob.send('b2')];
      if (order === 'alice-first') {
        assert.equal(await bob.receive(fromAlice[0]!), 'a1');
        assert.equal(await alice.receive(fromBob[0]!), 'b1');
      } else {
        assert.equal(await alice.receive(fromBob[0]!), 'b1');
        assert.equal(await bob.receive(fromAlice[0]!), 'a1');
      }
      assert.equal(activeId(alice), activeId(bob), 'both sides chose the same session');
      // Messages sent on the losing session before convergence still decrypt.
      assert.equal(await bob.receive(fromAlice[1]!), 'a2');
      assert.equal(await alice.receive(fromBob[1]!), 'b2');
      // And the conversation goes on in both directions on the chosen session.
      for (let i = 0; i < 3; i++) {
        assert.equal(await bob.receive(alice.send(`a${i + 3}`)), `a${i + 3}`);
        assert.equal(await alice.receive(bob.send(`b${i + 3}`)), `b${i + 3}`);
      }
      assert.equal(activeId(alice), activeId(bob));
      assert.equal(decodeEnvelope(alice.send('x')).type, 'message', 'the winning session is confirmed on both sides');
      assert.equal(decodeEnvelope(bob.send('y')).type, 'message');
    }
  });

  test('21. bad signed-prekey signature, bad KEM-prekey signature, bad identity certificate, missing KEM prekey: rejected, no downgrade', async () => {
    const alice = await makeParty('alice');
    const bob = await makeParty('bob');
    const good = bundleOf(bob);
    const cases: [string, PrekeyBundle, string][] = [
      ['signed prekey signature', { ...good, signedPrekey: { ...good.signedPrekey, signature: flipBit(good.signedPrekey.signature, 5) } }, 'InvalidSignatureError'],
      ['signed prekey key', { ...good, signedPrekey: { ...good.signedPrekey, publicKey: flipBit(good.signedPrekey.publicKey, 3) } }, 'InvalidSignatureError'],
      ['signed prekey id', { ...good, signedPrekey: { ...good.signedPrekey, id: good.signedPrekey.id + 1 } }, 'InvalidSignatureError'],
      ['KEM prekey signature', { ...good, kemPrekey: { ...good.kemPrekey, signature: flipBit(good.kemPrekey.signature, 9) } }, 'InvalidSignatureError'],
      ['KEM prekey key', { ...good, kemPrekey: { ...good.kemPrekey, publicKey: flipBit(good.kemPrekey.publicKey, 600) } }, 'InvalidSignatureError'],
      ['identity certificate', { ...good, identity: { ...good.identity, certificate: flipBit(good.identity.certificate, 1) } }, 'InvalidSignatureError'],
      ['missing KEM prekey', { ...good, kemPrekey: undefined as unknown as PrekeyBundle['kemPrekey'] }, 'MissingKemPrekeyError'],
    ];
    for (const [what, bundle, name] of cases) {
      await assert.rejects(startSession(alice.ctx, alice.identity, bundle), { name }, what);
    }
    const which = await startSession(alice.ctx, alice.identity, cases[3]![1]).catch((e: { what: string }) => e.what);
    assert.equal(which, 'kem-prekey');
    // The encoded form: a bundle whose flags say "no KEM prekey" does not even decode.
    const bytes = encodeBundle(good);
    const flagsAt = 1 + 128;
    assert.throws(() => decodeBundle(Uint8Array.of(...bytes.subarray(0, flagsAt), bytes[flagsAt]! & ~1, ...bytes.subarray(flagsAt + 1))), { name: 'MissingKemPrekeyError' });
    assert.throws(() => encodeBundle({ ...good, kemPrekey: undefined as unknown as PrekeyBundle['kemPrekey'] }), { name: 'MissingKemPrekeyError' });
    // An existing record is left as it was when a new bundle is refused.
    const { alice: a2 } = await pair();
    const before = snapshot(a2);
    const sameContact = a2.record!.sessions[0]!.remoteIdentity;
    assert.ok(equalBytes(sameContact.signingKey, good.identity.signingKey), 'fixtures: the same Bob');
    await assert.rejects(startSession(a2.ctx, a2.identity, cases[0]![1], a2.record), { name: 'InvalidSignatureError' });
    assert.equal(snapshot(a2), before);
  });

  test('21b. a KEM prekey with a coefficient ≥ q (FIPS 203 §7.2), signed by its owner, is refused by verifyBundle before any agreement', async () => {
    const alice = await makeParty('alice');
    const bob = await makeParty('bob');
    const good = bundleOf(bob);
    await verifyBundle(bob.ctx, good);
    for (const [what, patch] of [
      ['first coefficient = q', (ek: Uint8Array) => { ek[0] = 3329 & 0xff; ek[1] = (ek[1]! & 0xf0) | (3329 >> 8); }],
      ['last coefficient = 4095', (ek: Uint8Array) => { ek[1150] = ek[1150]! | 0xf0; ek[1151] = 0xff; }],
    ] as const) {
      const ek = Uint8Array.from(good.kemPrekey.publicKey);
      patch(ek);
      assert.equal(isValidMlKem768EncapsulationKey(ek), false, what);
      const signature = await bob.ctx.primitives.ed25519Sign(bob.identity.signingSeed, kemPrekeySignedData(good.kemPrekey.id, ek));
      const bad: PrekeyBundle = { ...good, kemPrekey: { ...good.kemPrekey, publicKey: ek, signature } };
      // It encodes and decodes (the check is a key check, not a parse rule) ...
      const decoded = decodeBundle(encodeBundle(bad));
      // ... and verifyBundle refuses it, as does startSession (which calls it first).
      await assert.rejects(verifyBundle(alice.ctx, decoded), { name: 'InvalidPublicKeyError', what: 'KEM prekey', reason: 'invalid-kem-key' }, what);
      await assert.rejects(startSession(alice.ctx, alice.identity, decoded), { name: 'InvalidPublicKeyError', reason: 'invalid-kem-key' }, what);
    }
    // The 32-byte seed ρ at the end is not a coefficient: any value passes the check.
    const rho = Uint8Array.from(good.kemPrekey.publicKey);
    rho.fill(0xff, 1152);
    assert.equal(isValidMlKem768EncapsulationKey(rho), true);
    assert.equal(isValidMlKem768EncapsulationKey(rho.subarray(0, 1183)), false, 'wrong length');
  });

  test('22. a replayed initial message is treated as a replay; the one-time prekey goes only after a successful decrypt', async () => {
    const { alice, bob } = await pair();
    const oneTimeId = decodeEnvelope(alice.send('probe')).type === 'prekey' ? alice.record!.sessions[0]!.pendingPrekey!.oneTimePrekeyId! : -1;
    const first = alice.send('first contact');
    assert.ok(bob.prekeys.oneTime.some((k) => k.id === oneTimeId), 'one-time prekey present before');
    assert.equal(await bob.receive(first), 'first contact');
    assert.ok(!bob.prekeys.oneTime.some((k) => k.id === oneTimeId), 'one-time prekey deleted after the successful decrypt');
    // Replay while the session exists: a duplicate.
    await assertRejected(bob, first, 'DuplicateMessageError');
    // Replay to a device that no longer has that session: the one-time prekey is gone.
    const withoutSession = bob.record;
    bob.record = undefined;
    await assertRejected(bob, first, 'UnknownPrekeyError');
    bob.record = withoutSession;
  });

  test('23. a failed initial decrypt does not consume the one-time prekey', async () => {
    const { alice, bob } = await pair();
    const env = alice.send('first');
    const prekeysBefore = encodePrekeyState(bob.prekeys);
    await assertRejected(bob, flipBit(env, env.length - 1), 'AuthenticationError');
    assert.deepEqual(encodePrekeyState(bob.prekeys), prekeysBefore);
    assert.equal(bob.record, undefined, 'no session was created');
    assert.equal(await bob.receive(env), 'first');
    assert.notDeepEqual(encodePrekeyState(bob.prekeys), prekeysBefore);
  });

  test('24. a KEM ciphertext for another KEM key fails cleanly', async () => {
    const { alice, bob } = await pair();
    const env = decodeEnvelope(alice.send('first'));
    assert.equal(env.type, 'prekey');
    if (env.type !== 'prekey') return;
    const stranger = await makeParty('stranger');
    const otherKey = stranger.prekeys.kem[0]!.publicKey;
    const { cipherText } = alice.ctx.primitives.kemEncapsulate(otherKey, alice.ctx.randomBytes(MLKEM768_ENCAPS_RANDOM_BYTES));
    const forged = encodeEnvelope({ ...env, prekey: { ...env.prekey, kemCiphertext: cipherText } });
    // ML-KEM's implicit rejection yields an unrelated secret: no header key matches.
    await assertRejected(bob, forged, 'HeaderDecryptError');
    await assertRejected(bob, encodeEnvelope({ ...env, prekey: { ...env.prekey, kemCiphertext: new Uint8Array(1088) } }), 'HeaderDecryptError');
    assert.equal(await bob.receive(encodeEnvelope(env)), 'first');
  });
});

describe('session records', () => {
  test('unknown prekey ids are refused by kind', async () => {
    const { alice, bob } = await pair();
    const env = decodeEnvelope(alice.send('first'));
    if (env.type !== 'prekey') return assert.fail('expected a PREKEY envelope');
    const err1 = await assertRejected(bob, encodeEnvelope({ ...env, prekey: { ...env.prekey, signedPrekeyId: 999 } }), 'UnknownPrekeyError');
    assert.deepEqual([(err1 as unknown as { kind: string }).kind, (err1 as unknown as { id: number }).id], ['signed', 999]);
    const err2 = await assertRejected(bob, encodeEnvelope({ ...env, prekey: { ...env.prekey, kemPrekeyId: 998 } }), 'UnknownPrekeyError');
    assert.equal((err2 as unknown as { kind: string }).kind, 'kem');
  });

  test('a PREKEY message from another identity than the record\'s is refused (identity change is never silent)', async () => {
    const { alice, bob } = await pair();
    assert.equal(await bob.receive(alice.send('hi')), 'hi');
    const mallory = await makeParty('mallory');
    const mBundleTarget = issueBundle(bob.ctx, bob.identity, bob.prekeys);
    bob.prekeys = mBundleTarget.state;
    mallory.record = await startSession(mallory.ctx, mallory.identity, mBundleTarget.bundle);
    await assertRejected(bob, mallory.send('I am alice now'), 'IdentityMismatchError');
    await assert.rejects(startSession(alice.ctx, alice.identity, issueBundle(mallory.ctx, mallory.identity, mallory.prekeys).bundle, alice.record), { name: 'IdentityMismatchError' });
  });

  test('a normal message without any session is NoSessionError; encrypting without a session too', async () => {
    const { alice, bob } = await pair();
    await bob.receive(alice.send('hello'));
    const carol = await makeParty('carol');
    await assertRejected(carol, bob.send('not for carol'), 'NoSessionError');
    assert.throws(() => carol.send('x'), { name: 'NoSessionError' });
  });

  test('a session reset by the contact becomes active; the old session still decrypts late messages', async () => {
    const { alice, bob } = await pair();
    await bob.receive(alice.send('one'));
    await alice.receive(bob.send('two'));
    const late = alice.send('late on the old session');
    // Alice loses her state and starts over from a new bundle (same identity).
    const oldId = activeId(bob);
    alice.record = await startSession(alice.ctx, alice.identity, bundleOf(bob, false));
    assert.equal(await bob.receive(alice.send('after reset')), 'after reset');
    assert.notEqual(activeId(bob), oldId);
    assert.equal(await bob.receive(late), 'late on the old session');
    assert.equal(await alice.receive(bob.send('on the new session')), 'on the new session');
    assert.ok(equalBytes(bob.record!.sessions[0]!.id, alice.record.sessions[0]!.id));
  });
});
