/**
 * One-time ML-KEM prekeys (docs/PROTOCOL.md §5, §10 step 4, §11, §12): made
 * signed like the last-resort KEM prekey and stored as their seed; handed out
 * once each as a bundle's KEM prekey, independently of the one-time X25519
 * prekeys; looked up after the last-resort ones, removed only after a first
 * message decrypted (a replay then fails with UnknownPrekey "kem"); expired
 * and topped up like the X25519 ones; storage version 3, with versions 1 and
 * 2 still read; bundle version 2, with 1 and 3 refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBundle, encodeBundle, kemPrekeySignedData, verifyBundle } from '../../src/crypto/bundle.ts';
import { fromHex } from '../../src/crypto/bytes.ts';
import { BUNDLE_VERSION, MAX_ONE_TIME_KEM_PREKEYS, PREKEY_STORAGE_VERSION } from '../../src/crypto/constants.ts';
import type { UnknownPrekeyError } from '../../src/crypto/errors.ts';
import { decodeIdentityKeyPair } from '../../src/crypto/identity.ts';
import { expireOneTimePrekeys, nextPrekeyChange, type PrekeyLifetimes } from '../../src/crypto/prekey-lifetime.ts';
import {
  consumeOneTimePrekey,
  createPrekeyState,
  decodePrekeyState,
  encodePrekeyState,
  issueBundle,
  oneTimeKemKeyPair,
  replenishOneTimeKemPrekeys,
  unissuedOneTimePrekeys,
  withoutConsumedOneTimePrekeys,
  type PrekeyState,
} from '../../src/crypto/prekeys.ts';
import { decryptMessage, startSession } from '../../src/crypto/session.ts';
import { encodeBundleRecord, validateBundleRecord, bundleRecordKey } from '../../src/node/bundles/bundle-record.ts';
import { toppedUpPrekeys } from '../../src/node/bundles/local-prekeys.ts';
import {
  ONE_TIME_KEM_PREKEY_LOW_MARK,
  ONE_TIME_KEM_PREKEY_TARGET,
  ONE_TIME_PREKEY_TARGET,
  ONE_TIME_PREKEY_TTL_MS,
  ONE_TIME_PREKEYS_BURST,
  ONE_TIME_PREKEYS_REFILL_MS,
  SIGNED_PREKEY_RETENTION_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from '../../src/node/constants.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { assertRejected, snapshot, syncErrorName } from '../helpers/assertions.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { flipBit } from '../helpers/forge.ts';
import { makeParty, Party } from '../helpers/parties.ts';

const LIFETIMES: PrekeyLifetimes = { oneTimeTtlMs: ONE_TIME_PREKEY_TTL_MS, rotationMs: SIGNED_PREKEY_ROTATION_MS, retentionMs: SIGNED_PREKEY_RETENTION_MS };

function vector(name: string): { identity: string; prekeys: string } {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../vectors/prekeys/${name}`, import.meta.url)), 'utf8')) as { identity: string; prekeys: string };
}

const errorName = syncErrorName;

const kemIds = (state: PrekeyState): number[] => state.oneTimeKem.map((k) => k.id);
const lastResortKemId = (state: PrekeyState): number => state.kem.at(-1)!.id;

describe('making one-time ML-KEM prekeys', () => {
  test('ids follow the one-time X25519 prekeys from the one counter; each is signed like the last-resort KEM prekey', async () => {
    const bob = await makeParty('bob', { oneTime: 2, oneTimeKem: 3 });
    assert.deepEqual(bob.prekeys.oneTime.map((k) => k.id), [3, 4]);
    assert.deepEqual(kemIds(bob.prekeys), [5, 6, 7]);
    assert.equal(bob.prekeys.nextId, 8);
    for (const k of bob.prekeys.oneTimeKem) {
      assert.equal(k.seed.length, 64, 'only the seed d || z is kept');
      assert.equal(k.issued, false);
      const { publicKey } = oneTimeKemKeyPair(bob.ctx, k);
      assert.ok(await bob.ctx.primitives.ed25519Verify(k.signature, kemPrekeySignedData(k.id, publicKey), bob.identity.public.signingKey));
    }
    await assert.rejects(createPrekeyState(bob.ctx, bob.identity, { oneTimePrekeys: 0, oneTimeKemPrekeys: MAX_ONE_TIME_KEM_PREKEYS + 1 }), RangeError);
  });

  test('top-up adds signed keys up to the target, never beyond MAX_ONE_TIME_KEM_PREKEYS, and returns the same state when none is needed', async () => {
    const bob = await makeParty('bob', { oneTime: 1, oneTimeKem: 1 });
    const topped = await replenishOneTimeKemPrekeys(bob.ctx, bob.identity, bob.prekeys, 4);
    assert.deepEqual(kemIds(topped), [4, 5, 6, 7]);
    assert.equal(topped.nextId, 8);
    assert.equal(await replenishOneTimeKemPrekeys(bob.ctx, bob.identity, topped, 4), topped);
    // Issued keys do not count towards the target; the total is capped.
    const issued = issueBundle(bob.ctx, bob.identity, topped).state;
    assert.deepEqual(kemIds(await replenishOneTimeKemPrekeys(bob.ctx, bob.identity, issued, 4)), [4, 5, 6, 7, 8]);
    const full: PrekeyState = { ...issued, oneTimeKem: Array.from({ length: MAX_ONE_TIME_KEM_PREKEYS }, (_, i) => ({ ...issued.oneTimeKem[0]!, id: 1000 + i, issued: true })) };
    assert.equal(await replenishOneTimeKemPrekeys(bob.ctx, bob.identity, full, 4), full, 'no room: nothing added');
  });

  test('the node tops each kind up to its target at its low mark, independently', async () => {
    const bob = await makeParty('bob', { oneTime: ONE_TIME_PREKEY_TARGET, oneTimeKem: ONE_TIME_KEM_PREKEY_LOW_MARK });
    assert.equal(await toppedUpPrekeys(bob.ctx, bob.identity, bob.prekeys, true), bob.prekeys, 'at the low mark: nothing to do');
    let state = issueBundle(bob.ctx, bob.identity, bob.prekeys).state;
    state = await toppedUpPrekeys(bob.ctx, bob.identity, state, true);
    assert.deepEqual(unissuedOneTimePrekeys(state), { x25519: ONE_TIME_PREKEY_TARGET - 1, kem: ONE_TIME_KEM_PREKEY_TARGET });
    state = await toppedUpPrekeys(bob.ctx, bob.identity, state, false);
    assert.deepEqual(unissuedOneTimePrekeys(state), { x25519: ONE_TIME_PREKEY_TARGET, kem: ONE_TIME_KEM_PREKEY_TARGET });
    const ids = [...state.oneTime, ...state.oneTimeKem].map((k) => k.id);
    assert.equal(new Set(ids).size, ids.length, 'ids unique across kinds');
  });

  test('the limits: a TTL of hand-outs beside a full top-up fits, and the low mark is below the target', () => {
    const handedOutPerTtl = ONE_TIME_PREKEYS_BURST + Math.ceil(ONE_TIME_PREKEY_TTL_MS / ONE_TIME_PREKEYS_REFILL_MS);
    assert.ok(handedOutPerTtl + ONE_TIME_KEM_PREKEY_TARGET <= MAX_ONE_TIME_KEM_PREKEYS);
    assert.ok(ONE_TIME_KEM_PREKEY_LOW_MARK < ONE_TIME_KEM_PREKEY_TARGET);
  });
});

describe('handing out', () => {
  test('the first unissued one-time KEM prekey becomes the bundle KEM prekey, marked issued with the time, each once only', async () => {
    const bob = await makeParty('bob', { oneTime: 3, oneTimeKem: 2 });
    const at = Date.UTC(2026, 4, 1);
    const first = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: at });
    assert.equal(first.bundle.kemPrekey.id, 6);
    assert.deepEqual(first.bundle.kemPrekey.publicKey, oneTimeKemKeyPair(bob.ctx, bob.prekeys.oneTimeKem[0]!).publicKey);
    await verifyBundle(bob.ctx, decodeBundle(encodeBundle(first.bundle)));
    assert.deepEqual(first.state.oneTimeKem.map((k) => [k.id, k.issued, k.issuedAt]), [[6, true, at], [7, false, undefined]]);

    const second = issueBundle(bob.ctx, bob.identity, first.state, { now: at });
    const third = issueBundle(bob.ctx, bob.identity, second.state, { now: at });
    assert.deepEqual([first, second, third].map((i) => i.bundle.kemPrekey.id), [6, 7, lastResortKemId(bob.prekeys)], 'then the last-resort one');
    assert.deepEqual([first, second, third].map((i) => i.bundle.oneTimePrekey?.id), [3, 4, 5], 'the X25519 kind runs on');
    await verifyBundle(bob.ctx, third.bundle);
  });

  test('either kind can run out first', async () => {
    const noX25519 = await makeParty('bob', { oneTime: 0, oneTimeKem: 1 });
    const onlyKem = issueBundle(noX25519.ctx, noX25519.identity, noX25519.prekeys);
    assert.equal(onlyKem.bundle.oneTimePrekey, undefined);
    assert.equal(onlyKem.bundle.kemPrekey.id, 3);
    assert.notEqual(onlyKem.state, noX25519.prekeys, 'the KEM prekey alone is an issue to record');

    const noKem = await makeParty('carol', { oneTime: 1, oneTimeKem: 0 });
    const onlyX25519 = issueBundle(noKem.ctx, noKem.identity, noKem.prekeys);
    assert.equal(onlyX25519.bundle.oneTimePrekey?.id, 3);
    assert.equal(onlyX25519.bundle.kemPrekey.id, lastResortKemId(noKem.prekeys));
    const nothing = issueBundle(noKem.ctx, noKem.identity, onlyX25519.state);
    assert.equal(nothing.state, onlyX25519.state, 'nothing left: the same state');
  });

  test('the bundle published in the DHT carries the signed last-resort KEM prekey and issues nothing', async () => {
    const bob = await makeParty('bob', { oneTime: 2, oneTimeKem: 2 });
    const published = issueBundle(bob.ctx, bob.identity, bob.prekeys, { oneTime: false });
    assert.equal(published.state, bob.prekeys);
    assert.equal(published.bundle.kemPrekey.id, lastResortKemId(bob.prekeys));
    const peerId = peerIdOfIdentity(bob.identity.public);
    const record = await encodeBundleRecord(bob.ctx, bob.identity, published.bundle, bob.ctx.now());
    const fromDht = await validateBundleRecord(bob.ctx, bundleRecordKey(peerId), record, bob.ctx.now());
    assert.equal(fromDht.bundle.kemPrekey.id, lastResortKemId(bob.prekeys));
    assert.deepEqual(fromDht.bundle.kemPrekey.publicKey, bob.prekeys.kem.at(-1)!.publicKey);
  });
});

describe('receiving a first message on a one-time KEM prekey', () => {
  async function started(options: { oneTime: number }): Promise<{ alice: Party; bob: Party; kemId: number; first: Uint8Array }> {
    const clock = testClock();
    const bob = await makeParty('bob', { clock, oneTime: options.oneTime, oneTimeKem: 2 });
    const alice = await makeParty('alice', { clock });
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: clock.now() });
    bob.prekeys = issued.state;
    alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
    return { alice, bob, kemId: issued.bundle.kemPrekey.id, first: alice.send('first') };
  }

  test('decrypts, removes the used one-time KEM and X25519 prekeys, keeps the last-resort one', async () => {
    const { alice, bob, kemId, first } = await started({ oneTime: 1 });
    const lastResort = bob.prekeys.kem;
    assert.equal(await bob.receive(first), 'first');
    assert.ok(!kemIds(bob.prekeys).includes(kemId), 'the one-time KEM prekey is gone');
    assert.deepEqual(kemIds(bob.prekeys), [kemId + 1]);
    assert.deepEqual(bob.prekeys.oneTime, [], 'the one-time X25519 prekey too');
    assert.equal(bob.prekeys.kem, lastResort, 'a last-resort KEM prekey is never consumed');
    // The session works both ways.
    assert.equal(await alice.receive(bob.send('reply')), 'reply');
  });

  test('a replayed first message after the key was used fails with UnknownPrekey "kem" and changes nothing', async () => {
    const { bob, kemId, first } = await started({ oneTime: 0 });
    assert.equal(await bob.receive(first), 'first');
    // The same device without that session (reset, or restored from before it): the replay cannot open one again.
    const forgetful = new Party('bob', bob.ctx, bob.identity, bob.prekeys);
    const err = (await assertRejected(forgetful, first, 'UnknownPrekeyError')) as UnknownPrekeyError;
    assert.deepEqual([err.kind, err.id], ['kem', kemId]);
  });

  test('a failed first decrypt consumes nothing; the genuine message still opens the session', async () => {
    const { bob, first } = await started({ oneTime: 1 });
    const before = snapshot(bob);
    await assertRejected(bob, flipBit(first, first.length - 1), 'AuthenticationError');
    assert.equal(snapshot(bob), before);
    assert.equal(await bob.receive(first), 'first');
  });

  test('a first message on the last-resort KEM prekey returns no new prekeys when no one-time prekey was used', async () => {
    const bob = await makeParty('bob', { oneTime: 0, oneTimeKem: 1 });
    const alice = await makeParty('alice');
    alice.record = await startSession(alice.ctx, alice.identity, issueBundle(bob.ctx, bob.identity, bob.prekeys, { oneTime: false }).bundle);
    const out = await decryptMessage(bob.ctx, { identity: bob.identity, prekeys: bob.prekeys, record: undefined }, alice.send('on the last resort'));
    assert.equal(out.prekeys, undefined);
  });

  test('withoutConsumedOneTimePrekeys carries a consumed one-time KEM prekey over to another copy of the state', async () => {
    const bob = await makeParty('bob', { oneTime: 1, oneTimeKem: 2 });
    const base = bob.prekeys;
    const consumed = consumeOneTimePrekey(base, 4);
    const changed = await replenishOneTimeKemPrekeys(bob.ctx, bob.identity, issueBundle(bob.ctx, bob.identity, base, { now: 1 }).state, 3);
    const merged = withoutConsumedOneTimePrekeys(changed, consumed);
    assert.deepEqual(kemIds(merged), [5, 6, 7], 'key 4 stays gone; keys 6 and 7, made after the copy, stay');
    assert.deepEqual(merged.oneTime.map((k) => k.id), [3]);
    assert.equal(withoutConsumedOneTimePrekeys(changed, changed), changed);
  });
});

describe('expiry', () => {
  test('a handed-out, unused one-time KEM prekey lives ONE_TIME_PREKEY_TTL_MS; a first message to it afterwards is UnknownPrekey "kem"', async () => {
    const clock = testClock();
    const bob = await makeParty('bob', { clock, oneTime: 0, oneTimeKem: 2 });
    const alice = await makeParty('alice', { clock });
    const issuedAt = clock.now();
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: issuedAt });
    alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
    // With rotation further away than the TTL, the expiry is the next change.
    assert.equal(nextPrekeyChange(issued.state, issuedAt, { ...LIFETIMES, rotationMs: 2 * ONE_TIME_PREKEY_TTL_MS }), issuedAt + ONE_TIME_PREKEY_TTL_MS);
    assert.equal(expireOneTimePrekeys(issued.state, issuedAt + ONE_TIME_PREKEY_TTL_MS - 1, ONE_TIME_PREKEY_TTL_MS), issued.state);
    bob.prekeys = expireOneTimePrekeys(issued.state, issuedAt + ONE_TIME_PREKEY_TTL_MS, ONE_TIME_PREKEY_TTL_MS);
    assert.deepEqual(kemIds(bob.prekeys), [4], 'the unissued one stays');
    const err = (await assertRejected(bob, alice.send('too late'), 'UnknownPrekeyError')) as UnknownPrekeyError;
    assert.equal(err.kind, 'kem');
  });

  test('one handed out without a time gets the time it is first seen', async () => {
    const bob = await makeParty('bob', { oneTime: 0, oneTimeKem: 1 });
    const state = issueBundle(bob.ctx, bob.identity, bob.prekeys).state;
    const seen = Date.UTC(2027, 0, 1);
    assert.equal(nextPrekeyChange(state, seen, LIFETIMES), seen);
    assert.equal(expireOneTimePrekeys(state, seen, ONE_TIME_PREKEY_TTL_MS).oneTimeKem[0]!.issuedAt, seen);
  });
});

describe('stored prekeys: version 3, versions 1 and 2 still read', () => {
  test('version 3 round-trips one-time KEM prekeys with their issue state, and decrypts after the round trip', async () => {
    const clock = testClock();
    const bob = await makeParty('bob', { clock, oneTime: 1, oneTimeKem: 3 });
    let state = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: clock.now() }).state;
    const pending = issueBundle(bob.ctx, bob.identity, state);
    state = pending.state;
    const bytes = encodePrekeyState(state);
    assert.equal(bytes[0], PREKEY_STORAGE_VERSION);
    assert.equal(PREKEY_STORAGE_VERSION, 3);
    const decoded = decodePrekeyState(bytes);
    assert.deepEqual(decoded, state);
    assert.deepEqual(decoded.oneTimeKem.map((k) => [k.id, k.issued, k.issuedAt]), [[4, true, clock.now()], [5, true, undefined], [6, false, undefined]]);
    // Each one-time KEM record: u32 id || seed (64) || signature (64) || u8 issued [|| u64 issuedAt]; the last is not issued.
    assert.equal(bytes[bytes.length - 1], 0);
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(...bytes.subarray(0, -1), 3))), 'DecodeError', 'unknown issued flag');

    const alice = await makeParty('alice', { clock });
    alice.record = await startSession(alice.ctx, alice.identity, pending.bundle);
    bob.prekeys = decoded;
    assert.equal(await bob.receive(alice.send('after the round trip')), 'after the round trip');
    assert.deepEqual(kemIds(bob.prekeys), [4, 6]);
  });

  test('a one-time KEM count above MAX_ONE_TIME_KEM_PREKEYS is refused before its items are read', async () => {
    const bob = await makeParty('bob', { oneTime: 0, oneTimeKem: 0 });
    const bytes = encodePrekeyState(bob.prekeys);
    const over = MAX_ONE_TIME_KEM_PREKEYS + 1;
    // Nothing follows the count: reading items would be a truncation error, the count check names the count.
    const forged = Uint8Array.of(...bytes.subarray(0, -2), over >> 8, over & 0xff);
    assert.throws(() => decodePrekeyState(forged), (err: Error) => err.name === 'DecodeError' && err.message.includes(`one-time KEM prekey count ${over}`));
  });

  test('version 2 (written by the previous code) reads with no one-time KEM prekeys and keeps working', async () => {
    const v2 = vector('stored-v2.json');
    const bytes = fromHex(v2.prekeys);
    assert.equal(bytes[0], 2);
    const state = decodePrekeyState(bytes);
    assert.deepEqual(state.oneTimeKem, []);
    assert.deepEqual(state.oneTime.map((k) => [k.id, k.issued, k.issuedAt]), [[3, true, Date.UTC(2026, 5, 1)], [4, true, undefined], [5, false, undefined]]);
    const again = encodePrekeyState(state);
    assert.equal(again[0], 3);
    assert.deepEqual(decodePrekeyState(again), state);

    // Top-up after the upgrade continues the id counter; the next bundle carries a one-time KEM prekey.
    const ctx = testContext('prekeys:v2:reader', { clock: testClock(Date.UTC(2026, 5, 2)) });
    const identity = await decodeIdentityKeyPair(ctx, fromHex(v2.identity));
    const upgraded = await replenishOneTimeKemPrekeys(ctx, identity, state, 2);
    assert.deepEqual(kemIds(upgraded), [6, 7]);
    const issued = issueBundle(ctx, identity, upgraded, { now: ctx.now() });
    assert.deepEqual([issued.bundle.oneTimePrekey?.id, issued.bundle.kemPrekey.id], [5, 6]);
    await verifyBundle(ctx, issued.bundle);
  });

  test('version 1 reads with no one-time KEM prekeys', () => {
    const state = decodePrekeyState(fromHex(vector('stored-v1.json').prekeys));
    assert.deepEqual(state.oneTimeKem, []);
    assert.equal(encodePrekeyState(state)[0], 3);
  });
});

describe('bundle version 2', () => {
  test('bundles are written as version 2; version 1 (an old peer) is VersionTooOld, 3 VersionTooNew, in bundle records too', async () => {
    const bob = await makeParty('bob', { oneTime: 1, oneTimeKem: 1 });
    const bytes = encodeBundle(issueBundle(bob.ctx, bob.identity, bob.prekeys).bundle);
    assert.equal(bytes[0], BUNDLE_VERSION);
    assert.equal(BUNDLE_VERSION, 2);
    assert.equal(errorName(() => decodeBundle(Uint8Array.of(1, ...bytes.subarray(1)))), 'VersionTooOldError');
    assert.equal(errorName(() => decodeBundle(Uint8Array.of(3, ...bytes.subarray(1)))), 'VersionTooNewError');

    // A DHT bundle record whose bundle is version 1: refused as too old, not merely "malformed".
    const lastResort = issueBundle(bob.ctx, bob.identity, bob.prekeys, { oneTime: false }).bundle;
    const now = bob.ctx.now();
    const record = await encodeBundleRecord(bob.ctx, bob.identity, lastResort, now);
    const at = record.indexOf(BUNDLE_VERSION, 1 + 8 + 4);
    assert.equal(at, 1 + 8 + 4, 'the bundle starts after version, publishedAt and its length');
    const oldRecord = Uint8Array.of(...record.subarray(0, at), 1, ...record.subarray(at + 1));
    await assert.rejects(validateBundleRecord(bob.ctx, bundleRecordKey(peerIdOfIdentity(bob.identity.public)), oldRecord, now), { name: 'VersionTooOldError' });
  });
});
