/**
 * A device's prekeys over time (docs/PROTOCOL.md §5 "Lifetimes", §11): the
 * stored state records when each one-time prekey was handed out (storage
 * version 2) and still reads version 1 written by the older code; handed-out
 * one-time prekeys expire; signed and KEM prekeys rotate and superseded ones
 * are kept by age; a first message to a retained prekey decrypts, one to a
 * dropped prekey fails with a typed error and changes nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/crypto/bytes.ts';
import { MAX_ONE_TIME_PREKEYS, MAX_RETAINED_SIGNED_PREKEYS, OLDEST_PREKEY_STORAGE_VERSION, PREKEY_STORAGE_VERSION } from '../../src/crypto/constants.ts';
import type { SottoError } from '../../src/crypto/errors.ts';
import { decodeIdentityKeyPair } from '../../src/crypto/identity.ts';
import { applyPrekeyLifetimes, dropRetiredPrekeys, expireOneTimePrekeys, nextPrekeyChange, rotationDue, type PrekeyLifetimes } from '../../src/crypto/prekey-lifetime.ts';
import {
  consumeOneTimePrekey,
  decodePrekeyState,
  encodePrekeyState,
  issueBundle,
  rotateSignedPrekeys,
  withoutConsumedOneTimePrekeys,
  type PrekeyState,
} from '../../src/crypto/prekeys.ts';
import { startSession } from '../../src/crypto/session.ts';
import {
  BUNDLE_RECORD_MAX_AGE_MS,
  MAILBOX_TTL_MS,
  ONE_TIME_PREKEY_TARGET,
  ONE_TIME_PREKEY_TTL_MS,
  ONE_TIME_PREKEYS_BURST,
  ONE_TIME_PREKEYS_REFILL_MS,
  SIGNED_PREKEY_RETENTION_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from '../../src/node/constants.ts';
import { assertRejected, syncErrorName } from '../helpers/assertions.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { makeParty, Party } from '../helpers/parties.ts';

const DAY = 24 * 60 * 60 * 1000;
const LIFETIMES: PrekeyLifetimes = { oneTimeTtlMs: ONE_TIME_PREKEY_TTL_MS, rotationMs: SIGNED_PREKEY_ROTATION_MS, retentionMs: SIGNED_PREKEY_RETENTION_MS };

const V1 = JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/prekeys/stored-v1.json', import.meta.url)), 'utf8')) as { identity: string; prekeys: string };

const errorName = syncErrorName;

describe('stored prekey state: version 2, and version 1 still read', () => {
  test('a state stored by the version 1 code decodes, re-encodes as version 2, and keeps working', async () => {
    const ctx = testContext('prekeys:v1:reader', { clock: testClock(Date.UTC(2026, 0, 2)) });
    const identity = await decodeIdentityKeyPair(ctx, fromHex(V1.identity));
    const bytes = fromHex(V1.prekeys);
    assert.equal(bytes[0], OLDEST_PREKEY_STORAGE_VERSION);
    const state = decodePrekeyState(bytes);
    assert.equal(state.nextId, 6);
    assert.deepEqual(state.signed.map((k) => k.id), [1]);
    assert.deepEqual(state.kem.map((k) => k.id), [2]);
    assert.deepEqual(state.oneTime.map((k) => [k.id, k.issued, k.issuedAt]), [[3, true, undefined], [4, false, undefined], [5, false, undefined]]);

    const again = encodePrekeyState(state);
    assert.equal(again[0], PREKEY_STORAGE_VERSION);
    assert.deepEqual(decodePrekeyState(again), state);

    // A first message to the one-time prekey handed out before the upgrade (id 3) still decrypts.
    const bob = new Party('bob', ctx, identity, state);
    const opk = state.oneTime[0]!;
    const alice = await makeParty('alice');
    const lastResort = issueBundle(ctx, identity, state, { oneTime: false }).bundle;
    alice.record = await startSession(alice.ctx, alice.identity, { ...lastResort, oneTimePrekey: { id: opk.id, publicKey: opk.keyPair.publicKey } });
    assert.equal(await bob.receive(alice.send('sent before the upgrade')), 'sent before the upgrade');
    assert.deepEqual(bob.prekeys.oneTime.map((k) => k.id), [4, 5]);
  });

  test('version 2 stores the issue time; unknown flags and versions are typed errors', async () => {
    const bob = await makeParty('bob', { oneTime: 3 });
    const at = Date.UTC(2026, 3, 1);
    let state = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: at }).state;
    state = issueBundle(bob.ctx, bob.identity, state).state;
    const bytes = encodePrekeyState(state);
    const decoded = decodePrekeyState(bytes);
    assert.deepEqual(decoded.oneTime.map((k) => [k.issued, k.issuedAt]), [[true, at], [true, undefined], [false, undefined]]);
    assert.deepEqual(decoded, state);

    // The flag of the third one-time prekey (not issued: 0) is the last byte.
    assert.equal(bytes[bytes.length - 1], 0);
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(...bytes.subarray(0, -1), 3))), 'DecodeError');
    // Flag 1 without its time is truncated.
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(...bytes.subarray(0, -1), 1))), 'DecodeError');
    // Version 1 knows only 0 and 1: flag 2 under version 1 is refused.
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(1, ...bytes.subarray(1)))), 'DecodeError');
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(0, ...bytes.subarray(1)))), 'VersionTooOldError');
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(PREKEY_STORAGE_VERSION + 1, ...bytes.subarray(1)))), 'VersionTooNewError');
  });

  test('more signed or KEM prekeys than MAX_RETAINED_SIGNED_PREKEYS is refused before reading them', async () => {
    const bob = await makeParty('bob', { oneTime: 0 });
    const bytes = encodePrekeyState(bob.prekeys);
    const signedCountAt = 1 + 4;
    const over = MAX_RETAINED_SIGNED_PREKEYS + 1;
    assert.equal(errorName(() => decodePrekeyState(Uint8Array.of(...bytes.subarray(0, signedCountAt), over >> 8, over & 0xff, ...bytes.subarray(signedCountAt + 2)))), 'DecodeError');
  });
});

describe('one-time prekeys expire after they were handed out', () => {
  test('a handed-out key lives ONE_TIME_PREKEY_TTL_MS; keys never handed out do not expire', async () => {
    const clock = testClock();
    const bob = await makeParty('bob', { clock, oneTime: 3 });
    const issuedAt = clock.now();
    const state = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: issuedAt }).state;
    assert.equal(expireOneTimePrekeys(state, issuedAt + ONE_TIME_PREKEY_TTL_MS - 1, ONE_TIME_PREKEY_TTL_MS), state, 'unchanged: the same object');
    const expired = expireOneTimePrekeys(state, issuedAt + ONE_TIME_PREKEY_TTL_MS, ONE_TIME_PREKEY_TTL_MS);
    assert.deepEqual(expired.oneTime.map((k) => k.id), [4, 5]);
    assert.equal(expireOneTimePrekeys(expired, issuedAt + 1000 * DAY, ONE_TIME_PREKEY_TTL_MS), expired, 'unissued keys stay');
  });

  test('a key handed out without a recorded time (version 1) gets the time it is first seen, then a whole TTL', async () => {
    const state = decodePrekeyState(fromHex(V1.prekeys));
    const seen = Date.UTC(2027, 0, 1);
    const stamped = expireOneTimePrekeys(state, seen, ONE_TIME_PREKEY_TTL_MS);
    assert.equal(stamped.oneTime[0]!.issuedAt, seen);
    assert.equal(nextPrekeyChange(state, seen, LIFETIMES), seen, 'due at once while a time is missing');
    assert.equal(expireOneTimePrekeys(stamped, seen + ONE_TIME_PREKEY_TTL_MS - 1, ONE_TIME_PREKEY_TTL_MS), stamped);
    assert.deepEqual(expireOneTimePrekeys(stamped, seen + ONE_TIME_PREKEY_TTL_MS, ONE_TIME_PREKEY_TTL_MS).oneTime.map((k) => k.id), [4, 5]);
  });

  test('a first message to an expired one-time prekey fails with UnknownPrekeyError and changes nothing', async () => {
    const clock = testClock();
    const bob = await makeParty('bob', { clock, oneTime: 2 });
    const alice = await makeParty('alice', { clock });
    const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys, { now: clock.now() });
    alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
    clock.advance(ONE_TIME_PREKEY_TTL_MS);
    bob.prekeys = expireOneTimePrekeys(issued.state, clock.now(), ONE_TIME_PREKEY_TTL_MS);
    const err = await assertRejected(bob, alice.send('too late'), 'UnknownPrekeyError');
    assert.equal((err as SottoError & { kind: string }).kind, 'one-time');
  });

  test('the overall hand-out rate cannot fill the store within one TTL', () => {
    // Everything handed out within a TTL, beside a full set of fresh keys, fits in MAX_ONE_TIME_PREKEYS.
    const handedOutPerTtl = ONE_TIME_PREKEYS_BURST + Math.ceil(ONE_TIME_PREKEY_TTL_MS / ONE_TIME_PREKEYS_REFILL_MS);
    assert.ok(handedOutPerTtl + ONE_TIME_PREKEY_TARGET <= MAX_ONE_TIME_PREKEYS, `${handedOutPerTtl} + ${ONE_TIME_PREKEY_TARGET} > ${MAX_ONE_TIME_PREKEYS}`);
    assert.ok(ONE_TIME_PREKEY_TTL_MS > MAILBOX_TTL_MS, 'a first message may wait a whole mailbox TTL');
  });
});

describe('signed and KEM prekeys rotate; superseded ones are kept by age', () => {
  async function bobAt(start: number): Promise<{ bob: Party; clock: ReturnType<typeof testClock> }> {
    const clock = testClock(start);
    return { bob: await makeParty('bob', { clock, oneTime: 1 }), clock };
  }

  test('rotation falls due SIGNED_PREKEY_ROTATION_MS after the current prekeys were made', async () => {
    const { bob, clock } = await bobAt(Date.UTC(2026, 0, 1));
    const made = clock.now();
    assert.equal(rotationDue(bob.prekeys, made + SIGNED_PREKEY_ROTATION_MS - 1, SIGNED_PREKEY_ROTATION_MS), false);
    assert.equal(rotationDue(bob.prekeys, made + SIGNED_PREKEY_ROTATION_MS, SIGNED_PREKEY_ROTATION_MS), true);
    assert.equal(nextPrekeyChange(bob.prekeys, made, LIFETIMES), made + SIGNED_PREKEY_ROTATION_MS);
    // A clock that went back by more than an interval: the current prekeys come from the future, and are replaced.
    assert.equal(rotationDue(bob.prekeys, made - SIGNED_PREKEY_ROTATION_MS, SIGNED_PREKEY_ROTATION_MS), true);

    clock.set(made + SIGNED_PREKEY_ROTATION_MS);
    const first = await applyPrekeyLifetimes(bob.ctx, bob.identity, bob.prekeys, LIFETIMES);
    assert.equal(first.rotated, true);
    assert.deepEqual(first.state.signed.map((k) => k.createdAt), [made, clock.now()]);
    assert.deepEqual(first.state.kem.map((k) => k.createdAt), [made, clock.now()]);
    const second = await applyPrekeyLifetimes(bob.ctx, bob.identity, first.state, LIFETIMES);
    assert.deepEqual(second, { state: first.state, rotated: false }, 'nothing more is due');
  });

  test('a superseded prekey is dropped SIGNED_PREKEY_RETENTION_MS after its successor was made; the current one never', async () => {
    const { bob, clock } = await bobAt(Date.UTC(2026, 0, 1));
    clock.advance(SIGNED_PREKEY_ROTATION_MS);
    const rotated = await rotateSignedPrekeys(bob.ctx, bob.identity, bob.prekeys);
    const successorMade = clock.now();
    const oldIds = [bob.prekeys.signed[0]!.id, bob.prekeys.kem[0]!.id];
    assert.equal(dropRetiredPrekeys(rotated, successorMade + SIGNED_PREKEY_RETENTION_MS - 1, SIGNED_PREKEY_RETENTION_MS), rotated);
    assert.equal(nextPrekeyChange({ ...rotated, oneTime: [] }, successorMade, LIFETIMES), successorMade + SIGNED_PREKEY_ROTATION_MS);
    const dropped = dropRetiredPrekeys(rotated, successorMade + SIGNED_PREKEY_RETENTION_MS, SIGNED_PREKEY_RETENTION_MS);
    assert.deepEqual([dropped.signed.map((k) => k.id), dropped.kem.map((k) => k.id)], [[rotated.signed[1]!.id], [rotated.kem[1]!.id]]);
    assert.ok(!oldIds.some((id) => dropped.signed.some((k) => k.id === id) || dropped.kem.some((k) => k.id === id)));
    assert.equal(dropRetiredPrekeys(dropped, successorMade + 1000 * DAY, SIGNED_PREKEY_RETENTION_MS), dropped, 'the current prekeys stay');
  });

  test('weekly rotation over the retention period stays within MAX_RETAINED_SIGNED_PREKEYS; beyond it the oldest goes', async () => {
    assert.ok(SIGNED_PREKEY_RETENTION_MS >= BUNDLE_RECORD_MAX_AGE_MS + MAILBOX_TTL_MS, 'a bundle record as old as allowed, then a full mailbox TTL');
    const needed = 1 + Math.ceil(SIGNED_PREKEY_RETENTION_MS / SIGNED_PREKEY_ROTATION_MS);
    assert.ok(needed <= MAX_RETAINED_SIGNED_PREKEYS, `${needed} prekeys retained at once`);

    const { bob, clock } = await bobAt(Date.UTC(2026, 0, 1));
    let state: PrekeyState = bob.prekeys;
    let most = 0;
    for (let week = 0; week < 20; week++) {
      clock.advance(SIGNED_PREKEY_ROTATION_MS);
      state = (await applyPrekeyLifetimes(bob.ctx, bob.identity, state, LIFETIMES)).state;
      most = Math.max(most, state.signed.length);
      assert.equal(state.kem.length, state.signed.length);
    }
    assert.equal(most, needed);

    // Rotations with no time passing (no retention drop): the count bound alone holds.
    let burst = state;
    for (let i = 0; i < MAX_RETAINED_SIGNED_PREKEYS + 2; i++) burst = await rotateSignedPrekeys(bob.ctx, bob.identity, burst);
    assert.equal(burst.signed.length, MAX_RETAINED_SIGNED_PREKEYS);
    assert.equal(burst.kem.length, MAX_RETAINED_SIGNED_PREKEYS);
    assert.deepEqual(decodePrekeyState(encodePrekeyState(burst)), burst);
  });

  test('a first message to rotated-out prekeys still retained decrypts; to dropped ones it fails cleanly', async () => {
    const { bob, clock } = await bobAt(Date.UTC(2026, 0, 1));
    const oldBundle = issueBundle(bob.ctx, bob.identity, bob.prekeys, { oneTime: false }).bundle;
    const late = await makeParty('late', { clock });
    late.record = await startSession(late.ctx, late.identity, oldBundle);
    const tooLate = await makeParty('too-late', { clock });
    tooLate.record = await startSession(tooLate.ctx, tooLate.identity, oldBundle);

    // Bob rotates; the old bundle is as old as a bundle record may be, and its first message waits in a mailbox.
    clock.advance(SIGNED_PREKEY_ROTATION_MS);
    bob.prekeys = (await applyPrekeyLifetimes(bob.ctx, bob.identity, bob.prekeys, LIFETIMES)).state;
    clock.advance(BUNDLE_RECORD_MAX_AGE_MS + MAILBOX_TTL_MS);
    bob.prekeys = (await applyPrekeyLifetimes(bob.ctx, bob.identity, bob.prekeys, LIFETIMES)).state;
    assert.ok(bob.prekeys.signed.some((k) => k.id === oldBundle.signedPrekey.id), 'still retained');
    const kept = bob.prekeys;
    assert.equal(await bob.receive(late.send('late but in time')), 'late but in time');
    assert.equal(bob.prekeys, kept, 'no one-time prekey used: the prekeys are unchanged');

    clock.set(bob.prekeys.signed[1]!.createdAt + SIGNED_PREKEY_RETENTION_MS);
    bob.prekeys = (await applyPrekeyLifetimes(bob.ctx, bob.identity, bob.prekeys, LIFETIMES)).state;
    assert.ok(!bob.prekeys.signed.some((k) => k.id === oldBundle.signedPrekey.id), 'dropped');
    const other = new Party('bob', bob.ctx, bob.identity, bob.prekeys);
    const err = await assertRejected(other, tooLate.send('too late'), 'UnknownPrekeyError');
    assert.equal((err as SottoError & { kind: string }).kind, 'signed');
  });
});

describe('a used one-time prekey is removed from whichever copy of the state is current', () => {
  test('withoutConsumedOneTimePrekeys applies consumptions and never brings a used key back', async () => {
    const bob = await makeParty('bob', { oneTime: 3 });
    const base = bob.prekeys;
    // The inbox consumed key 3 from `base` while maintenance, from `base` too, rotated and made more keys.
    const consumed = consumeOneTimePrekey(base, 3);
    const changed = await rotateSignedPrekeys(bob.ctx, bob.identity, issueBundle(bob.ctx, bob.identity, base, { now: 1 }).state);
    const merged = withoutConsumedOneTimePrekeys(changed, consumed);
    assert.deepEqual(merged.oneTime.map((k) => k.id), [4, 5]);
    assert.equal(merged.nextId, changed.nextId);
    assert.equal(merged.signed, changed.signed);
    // Keys made after the reference copy are kept; nothing removed means the same object.
    assert.equal(withoutConsumedOneTimePrekeys(changed, changed), changed);
    // The other way round: the current state loses the key the older copy consumed.
    assert.deepEqual(withoutConsumedOneTimePrekeys(changed, consumeOneTimePrekey(base, 4)).oneTime.map((k) => k.id), [3, 5]);
  });
});
