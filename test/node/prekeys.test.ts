/**
 * This node's prekeys under load and over time, on an in-memory network with
 * a test clock: one-time prekeys are handed out within a per-peer and an
 * overall allowance (a request over it gets a valid last-resort bundle and
 * causes no write); handed-out keys expire and are replaced; signed and KEM
 * prekeys rotate on the messenger's schedule and at start after a long
 * pause, persisted, with the bundle record republished at once; a first
 * message that arrives while maintenance runs never brings its used key back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBundle, verifyBundle, type PrekeyBundle } from '../../src/crypto/bundle.ts';
import { encodePrekeyState, issueBundle, rotateSignedPrekeys, unissuedOneTimePrekeys } from '../../src/crypto/prekeys.ts';
import { startSession, encryptMessage } from '../../src/crypto/session.ts';
import { changePrekeys, maintainPrekeys } from '../../src/node/bundles/local-prekeys.ts';
import { PrekeyLimiter, type PrekeyLimits } from '../../src/node/bundles/prekey-limiter.ts';
import { bundleRecordKey, validateBundleRecord } from '../../src/node/bundles/bundle-record.ts';
import { decodePrekeysFrame, encodePrekeysRequest } from '../../src/node/bundles/prekeys-wire.ts';
import {
  MAX_PREKEY_REQUESTERS_TRACKED,
  ONE_TIME_KEM_PREKEY_LOW_MARK,
  ONE_TIME_KEM_PREKEY_TARGET,
  MAX_PREKEYS_FRAME_BYTES,
  ONE_TIME_PREKEY_TARGET,
  ONE_TIME_PREKEY_TTL_MS,
  ONE_TIME_PREKEYS_BURST,
  ONE_TIME_PREKEYS_PER_PEER_BURST,
  ONE_TIME_PREKEYS_PER_PEER_REFILL_MS,
  ONE_TIME_PREKEYS_REFILL_MS,
  PREKEY_MAINTENANCE_MAX_DELAY_MS,
  PREKEYS_PROTOCOL,
  SIGNED_PREKEY_ROTATION_MS,
} from '../../src/node/constants.ts';
import type { Core } from '../../src/node/core/core.ts';
import { receiveEnvelope } from '../../src/node/messaging/inbox.ts';
import { encodePayload } from '../../src/node/messaging/payload.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { eventually } from '../helpers/cli.ts';
import { testClock } from '../helpers/context.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { makeParty } from '../helpers/parties.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

describe('PrekeyLimiter: token buckets per peer and overall', () => {
  const small: PrekeyLimits = { perPeerBurst: 2, perPeerRefillMs: 1000, burst: 5, refillMs: 100, maxTrackedPeers: 3 };

  test('a peer gets its burst, then one more per refill interval', () => {
    const clock = testClock();
    const limiter = new PrekeyLimiter(() => clock.now());
    const granted = Array.from({ length: 10 }, () => limiter.take('mallory'));
    assert.equal(granted.filter(Boolean).length, ONE_TIME_PREKEYS_PER_PEER_BURST);
    assert.deepEqual(granted.slice(0, ONE_TIME_PREKEYS_PER_PEER_BURST), Array(ONE_TIME_PREKEYS_PER_PEER_BURST).fill(true));
    clock.advance(ONE_TIME_PREKEYS_PER_PEER_REFILL_MS - 1);
    assert.equal(limiter.take('mallory'), false);
    clock.advance(1);
    assert.equal(limiter.take('mallory'), true);
    assert.equal(limiter.take('mallory'), false);
    assert.equal(limiter.take('alice'), true, 'another peer has its own allowance');
  });

  test('all peers together get the overall burst, then one more per overall refill interval', () => {
    const clock = testClock();
    const limiter = new PrekeyLimiter(() => clock.now());
    let granted = 0;
    for (let i = 0; i < 100; i++) if (limiter.take(`sybil-${i}`)) granted++;
    assert.equal(granted, ONE_TIME_PREKEYS_BURST);
    assert.equal(limiter.take('honest'), false, 'a fresh peer is refused while the overall bucket is empty');
    clock.advance(ONE_TIME_PREKEYS_REFILL_MS);
    assert.equal(limiter.take('honest'), true, 'and served once it refilled: the refusal took nothing from its own bucket');
    assert.equal(limiter.take('another'), false);
  });

  test('a refused request takes no token from either bucket', () => {
    const clock = testClock();
    const limiter = new PrekeyLimiter(() => clock.now(), small);
    for (let i = 0; i < small.burst; i++) assert.equal(limiter.take(`p${i % 3}`), true);
    // Overall empty: "p3" is refused and keeps both of its tokens.
    assert.equal(limiter.take('p3'), false);
    clock.advance(2 * small.refillMs);
    assert.equal(limiter.take('p3'), true);
    assert.equal(limiter.take('p3'), true);
    assert.equal(limiter.take('p3'), false, 'its own two, no more');
  });

  test('at most maxTrackedPeers peers are remembered; the least recently heard from is forgotten first', () => {
    const clock = testClock();
    const limiter = new PrekeyLimiter(() => clock.now(), { ...small, burst: 1000 });
    for (const p of ['a', 'b', 'c']) {
      limiter.take(p);
      limiter.take(p);
    }
    assert.equal(limiter.take('a'), false, 'a used its burst');
    limiter.take('d'); // forgets b, the least recently heard from (a was just heard from)
    assert.equal(limiter.trackedPeers, small.maxTrackedPeers);
    assert.equal(limiter.take('a'), false, 'a is still remembered');
    assert.equal(limiter.take('b'), true, 'b was forgotten: a full allowance again');
    const big = new PrekeyLimiter(() => clock.now());
    for (let i = 0; i < MAX_PREKEY_REQUESTERS_TRACKED + 50; i++) big.take(`x${i}`);
    assert.equal(big.trackedPeers, MAX_PREKEY_REQUESTERS_TRACKED);
  });

  test('a clock that goes back refills nothing', () => {
    const clock = testClock();
    const limiter = new PrekeyLimiter(() => clock.now(), small);
    limiter.take('p');
    limiter.take('p');
    clock.advance(-10 * small.perPeerRefillMs);
    assert.equal(limiter.take('p'), false);
    clock.advance(10 * small.perPeerRefillMs);
    assert.equal(limiter.take('p'), false, 'the time it went back is not counted twice');
    clock.advance(small.perPeerRefillMs);
    assert.equal(limiter.take('p'), true);
  });
});

/** Bob: a home on the in-memory network with its own clock and scheduler, counting its disk writes. */
class Bob extends Home {
  private writeCount = 0;

  constructor(hub: MemoryHub) {
    const clock = testClock(Date.UTC(2026, 0, 1));
    super('bob', hub, clock, new ManualScheduler(clock));
    const batch = this.backend.batch;
    this.backend.batch = (operations, options) => {
      this.writeCount++;
      return batch(operations, options);
    };
  }

  /** Batches written to the backend so far. */
  get writes(): number {
    return this.writeCount;
  }

  get core(): Core {
    return (this.messenger as unknown as { core: Core }).core;
  }

  /** The stored prekey state, encoded. */
  async stored(): Promise<string> {
    return Buffer.from(encodePrekeyState((await this.store.getPrekeys())!)).toString('hex');
  }

  /** The signed prekey id of the newest bundle record published. */
  async publishedSignedPrekeyId(): Promise<number | undefined> {
    const key = bundleRecordKey(this.peerId);
    const values = this.hub.records.get(Buffer.from(key).toString('hex')) ?? [];
    const last = values[values.length - 1];
    if (!last) return undefined;
    return (await validateBundleRecord(this.core.ctx, key, last, this.clock.now())).bundle.signedPrekey.id;
  }
}

/** Asks `bob` for a bundle as peer `requester` (any peer id: the memory network authenticates nothing). */
async function requestBundle(bob: Bob, requester: string): Promise<PrekeyBundle> {
  const stream = await bob.hub.network(requester).open(bob.peerId, PREKEYS_PROTOCOL, MAX_PREKEYS_FRAME_BYTES, { signal: AbortSignal.timeout(5_000) });
  await stream.write(encodePrekeysRequest());
  const frame = decodePrekeysFrame(await stream.read());
  assert.equal(frame.type, 'bundle');
  const bundle = decodeBundle((frame as { bundle: Uint8Array }).bundle);
  await verifyBundle(bob.core.ctx, bundle);
  assert.equal(peerIdOfIdentity(bundle.identity), bob.peerId);
  return bundle;
}

/** Alice's first message to bob, on a bundle with a one-time prekey and a one-time ML-KEM prekey (handed out now). */
async function firstMessageTo(bob: Bob): Promise<{ alicePeerId: string; used: number; usedKem: number; envelope: Uint8Array }> {
  const alice = await makeParty('alice', { clock: bob.clock });
  const issued = issueBundle(bob.core.ctx, bob.core.identity, bob.core.prekeys, { now: bob.clock.now() });
  bob.core.prekeys = issued.state;
  alice.record = await startSession(alice.ctx, alice.identity, issued.bundle);
  const payload = encodePayload({ type: 'text', id: '00'.repeat(16), sentAt: bob.clock.now(), text: 'hello' });
  assert.ok(bob.core.prekeys.oneTimeKem.some((k) => k.id === issued.bundle.kemPrekey.id), 'a one-time ML-KEM prekey');
  return { alicePeerId: peerIdOfIdentity(alice.identity.public), used: issued.bundle.oneTimePrekey!.id, usedKem: issued.bundle.kemPrekey.id, envelope: encryptMessage(alice.ctx, alice.record, payload).envelope };
}

describe('/sotto/prekeys: one-time prekeys within the allowance, last-resort bundles beyond it', () => {
  test('a peer over its allowance gets valid last-resort bundles, and its requests write nothing', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    const handedOut: number[] = [];
    for (let i = 0; i < ONE_TIME_PREKEYS_PER_PEER_BURST; i++) handedOut.push((await requestBundle(bob, 'mallory')).oneTimePrekey!.id);
    assert.equal(new Set(handedOut).size, ONE_TIME_PREKEYS_PER_PEER_BURST, 'distinct one-time prekeys');

    const writes = bob.writes;
    const stored = await bob.stored();
    const inMemory = bob.core.prekeys;
    for (let i = 0; i < 20; i++) {
      const bundle = await requestBundle(bob, 'mallory');
      assert.equal(bundle.oneTimePrekey, undefined, 'a last-resort bundle');
      assert.equal(bundle.signedPrekey.id, inMemory.signed.at(-1)!.id);
      assert.equal(bundle.kemPrekey.id, inMemory.kem.at(-1)!.id);
    }
    assert.equal(bob.writes, writes, 'no write for a request over the limit');
    assert.equal(await bob.stored(), stored);
    assert.equal(bob.core.prekeys, inMemory);

    // An honest contact still gets one, and mallory gets another once its bucket refilled.
    assert.ok((await requestBundle(bob, 'alice')).oneTimePrekey);
    bob.clock.advance(ONE_TIME_PREKEYS_PER_PEER_REFILL_MS);
    assert.ok((await requestBundle(bob, 'mallory')).oneTimePrekey);
    await bob.stop();
  });

  test('many peer ids together get the overall burst; the issued marks are on disk', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    let withOneTime = 0;
    for (let i = 0; i < ONE_TIME_PREKEYS_BURST + 10; i++) if ((await requestBundle(bob, `sybil-${i}`)).oneTimePrekey) withOneTime++;
    assert.equal(withOneTime, ONE_TIME_PREKEYS_BURST);
    const stored = (await bob.store.getPrekeys())!;
    assert.equal(stored.oneTime.filter((k) => k.issued).length, ONE_TIME_PREKEYS_BURST);
    assert.ok(stored.oneTime.every((k) => !k.issued || k.issuedAt === bob.clock.now()), 'each with its issue time');
    await bob.stop();
  });
});

describe('/sotto/prekeys: one-time ML-KEM prekeys', () => {
  test('a live bundle carries a one-time ML-KEM prekey, issued on disk before it leaves; the first message on it removes it on disk', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    assert.equal(unissuedOneTimePrekeys(bob.core.prekeys).kem, ONE_TIME_KEM_PREKEY_TARGET, 'a new node makes its target');
    const lastResort = bob.core.prekeys.kem.at(-1)!.id;
    const bundle = await requestBundle(bob, 'alice');
    const kemId = bundle.kemPrekey.id;
    assert.notEqual(kemId, lastResort);
    const issued = (await bob.store.getPrekeys())!.oneTimeKem.find((k) => k.id === kemId);
    assert.deepEqual([issued?.issued, issued?.issuedAt], [true, bob.clock.now()]);
    assert.notEqual((await requestBundle(bob, 'carol')).kemPrekey.id, kemId, 'handed out once only');

    const alice = await makeParty('alice', { clock: bob.clock });
    alice.record = await startSession(alice.ctx, alice.identity, bundle);
    const payload = encodePayload({ type: 'text', id: '01'.repeat(16), sentAt: bob.clock.now(), text: 'on a one-time KEM prekey' });
    assert.equal(await receiveEnvelope(bob.core, peerIdOfIdentity(alice.identity.public), encryptMessage(alice.ctx, alice.record, payload).envelope), 'stored');
    for (const state of [bob.core.prekeys, (await bob.store.getPrekeys())!]) {
      assert.ok(!state.oneTimeKem.some((k) => k.id === kemId), 'the used one-time KEM prekey is gone');
      assert.ok(!state.oneTime.some((k) => k.id === bundle.oneTimePrekey!.id), 'and the one-time X25519 prekey');
      assert.equal(state.kem.at(-1)!.id, lastResort, 'the last-resort KEM prekey stays');
    }
    await bob.stop();
  });

  test('a node whose stored prekeys have no one-time ML-KEM prekeys (made by an older version) makes them as it starts', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    await changePrekeys(bob.core, (state) => ({ state: { ...state, oneTimeKem: [] }, result: undefined }));
    await bob.stop();
    assert.deepEqual((await bob.store.getPrekeys())!.oneTimeKem, []);
    await bob.start();
    const stored = (await bob.store.getPrekeys())!;
    assert.equal(unissuedOneTimePrekeys(stored).kem, ONE_TIME_KEM_PREKEY_TARGET, 'made and stored during start');
    assert.notEqual((await requestBundle(bob, 'alice')).kemPrekey.id, stored.kem.at(-1)!.id, 'the first live bundle carries one');
    await bob.stop();
  });

  test('below ONE_TIME_KEM_PREKEY_LOW_MARK, handing one out tops the one-time ML-KEM prekeys up to the target', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    await changePrekeys(bob.core, (state) => ({ state: { ...state, oneTimeKem: state.oneTimeKem.slice(0, ONE_TIME_KEM_PREKEY_LOW_MARK) }, result: undefined }));
    await requestBundle(bob, 'alice');
    await eventually(async () => unissuedOneTimePrekeys((await bob.store.getPrekeys())!).kem === ONE_TIME_KEM_PREKEY_TARGET, 5_000, 'the top-up on disk');
    assert.equal(unissuedOneTimePrekeys(bob.core.prekeys).x25519, ONE_TIME_PREKEY_TARGET - 1, 'the X25519 kind is above its low mark: untouched');
    await bob.stop();
  });
});

describe('prekey maintenance on the messenger schedule', () => {
  test('handed-out one-time prekeys expire after ONE_TIME_PREKEY_TTL_MS and are replaced', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    const issued = (await requestBundle(bob, 'alice')).oneTimePrekey!.id;
    await bob.scheduler.advance(PREKEY_MAINTENANCE_MAX_DELAY_MS);
    let stored = (await bob.store.getPrekeys())!;
    assert.ok(stored.oneTime.some((k) => k.id === issued && k.issued), 'kept while its TTL runs');
    assert.equal(stored.oneTime.filter((k) => !k.issued).length, ONE_TIME_PREKEY_TARGET, 'topped up to the target');

    bob.clock.advance(ONE_TIME_PREKEY_TTL_MS);
    await bob.scheduler.advance(0);
    stored = (await bob.store.getPrekeys())!;
    assert.ok(!stored.oneTime.some((k) => k.id === issued), 'expired');
    assert.equal(stored.oneTime.length, ONE_TIME_PREKEY_TARGET);
    assert.ok(stored.oneTime.every((k) => !k.issued));
    assert.equal(await bob.stored(), Buffer.from(encodePrekeyState(bob.core.prekeys)).toString('hex'), 'the store holds what the node uses');
    await bob.stop();
  });

  test('signed and KEM prekeys rotate every SIGNED_PREKEY_ROTATION_MS, persisted, and the bundle record is republished at once', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    await bob.scheduler.advance(0);
    const first = bob.core.prekeys.signed.at(-1)!.id;
    assert.equal(await bob.publishedSignedPrekeyId(), first);

    bob.clock.advance(SIGNED_PREKEY_ROTATION_MS - 1);
    await bob.scheduler.advance(0);
    assert.equal(bob.core.prekeys.signed.at(-1)!.id, first, 'not yet');

    await bob.scheduler.advance(1);
    const second = bob.core.prekeys.signed.at(-1)!.id;
    assert.notEqual(second, first);
    assert.deepEqual(bob.core.prekeys.signed.map((k) => k.id), [first, second], 'the old one is retained');
    const stored = (await bob.store.getPrekeys())!;
    assert.equal(stored.signed.at(-1)!.id, second);
    assert.equal(stored.kem.at(-1)!.id, bob.core.prekeys.kem.at(-1)!.id);
    assert.equal(await bob.publishedSignedPrekeyId(), second, 'republished without waiting for the 6-hour republication');
    assert.equal((await requestBundle(bob, 'alice')).signedPrekey.id, second);
    await bob.stop();
  });

  test('a node that was off longer than the rotation interval rotates at start, before its first bundle leaves', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    const before = bob.core.prekeys.signed.at(-1)!.id;
    await bob.stop();
    bob.clock.advance(3 * SIGNED_PREKEY_ROTATION_MS);
    await bob.start();
    const after = (await bob.store.getPrekeys())!.signed.at(-1)!.id;
    assert.notEqual(after, before, 'rotated and stored during start');
    assert.equal((await requestBundle(bob, 'alice')).signedPrekey.id, after);
    await bob.scheduler.advance(0);
    assert.equal(await bob.publishedSignedPrekeyId(), after);
    await bob.stop();
  });

  test('a first message decrypted while maintenance rotates: the used one-time prekey stays gone and the rotation stays', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    const { alicePeerId, used, usedKem, envelope } = await firstMessageTo(bob);

    bob.clock.advance(SIGNED_PREKEY_ROTATION_MS);
    const [maintained, received] = await Promise.all([maintainPrekeys(bob.core), receiveEnvelope(bob.core, alicePeerId, envelope)]);
    assert.equal(maintained.rotated, true);
    assert.equal(received, 'stored');
    for (const state of [bob.core.prekeys, (await bob.store.getPrekeys())!]) {
      assert.ok(!state.oneTime.some((k) => k.id === used), 'the used key is gone');
      assert.ok(!state.oneTimeKem.some((k) => k.id === usedKem), 'the used one-time ML-KEM prekey too');
      assert.equal(state.signed.length, 2, 'the rotation is kept');
    }
    await bob.stop();
  });

  test('a prekey change computed from a copy taken before a first message used a key does not bring that key back', async () => {
    const bob = await new Bob(new MemoryHub()).init();
    const { alicePeerId, used, usedKem, envelope } = await firstMessageTo(bob);

    // The first message is decrypted and stored while the change (here: a rotation) is being computed.
    const rotatedIds = await changePrekeys(bob.core, async (base) => {
      assert.equal(await receiveEnvelope(bob.core, alicePeerId, envelope), 'stored');
      assert.ok(!bob.core.prekeys.oneTime.some((k) => k.id === used));
      const state = await rotateSignedPrekeys(bob.core.ctx, bob.core.identity, base);
      assert.ok(state.oneTime.some((k) => k.id === used), 'the copy still has it');
      assert.ok(state.oneTimeKem.some((k) => k.id === usedKem), 'and its one-time ML-KEM prekey');
      return { state, result: state.signed.map((k) => k.id) };
    });
    for (const state of [bob.core.prekeys, (await bob.store.getPrekeys())!]) {
      assert.ok(!state.oneTime.some((k) => k.id === used), 'the used key is gone');
      assert.ok(!state.oneTimeKem.some((k) => k.id === usedKem), 'the used one-time ML-KEM prekey too');
      assert.deepEqual(state.signed.map((k) => k.id), rotatedIds);
    }
    await bob.stop();
  });
});
