/**
 * Group frames larger than one Sotto frame travel as chunks (PROTOCOL.md
 * §24b): the strict chunk decoder and joiner, and a 100-member group
 * between nodes on the in-memory network — its invitation goes in chunks
 * through the 1:1 channel, a removal's operation in chunks over
 * /sotto/group and through the group's mailboxes to a member who was
 * offline. The big group is built directly (its 97 other members are key
 * packages only), not by 100 nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/crypto/errors.ts';
import { GROUP_CHUNK_BYTES, GROUP_PARTIAL_INVITATION_TTL_MS, MAX_GROUP_CHUNKED_FRAME_BYTES, MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER, MAX_GROUP_CHUNKS } from '../../src/node/constants.ts';
import { GroupMessageTooLargeError } from '../../src/node/errors.ts';
import { decodeGroupChunk, GROUP_CHUNK_HEADER_BYTES, joinGroupChunks, splitGroupFrame } from '../../src/node/groups/chunks.ts';
import { addMembers, createGroup } from '../../src/node/groups/group-ops.ts';
import { encodeGroupState } from '../../src/node/groups/group-state.ts';
import { fromBase64, toBase64 } from '../../src/node/encoding/base64.ts';
import { assembleInvitations } from '../../src/node/groups/invitation-chunks.ts';
import { Tx } from '../../src/node/store/store.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { testContext } from '../helpers/context.ts';
import { keyPackageOf, makeMembers } from '../helpers/groups.ts';
import type { Home } from '../helpers/homes.ts';
import { groupWorld, startGroups } from '../helpers/group-world.ts';

const sha256 = nodePrimitives.sha256;

function frameOf(length: number, seed: number): Uint8Array {
  const frame = new Uint8Array(length);
  for (let i = 0; i < length; i++) frame[i] = (i * 31 + seed) & 0xff;
  return frame;
}

test('a frame up to GROUP_CHUNK_BYTES goes whole; a larger one splits into canonical chunks that join back into it, in any order', () => {
  const small = frameOf(GROUP_CHUNK_BYTES, 1);
  assert.deepEqual(splitGroupFrame(sha256, small), [small]);
  const frame = frameOf(3 * GROUP_CHUNK_BYTES + 17, 2);
  const chunks = splitGroupFrame(sha256, frame);
  assert.equal(chunks.length, 4);
  for (const chunk of chunks) assert.ok(chunk.length <= GROUP_CHUNK_BYTES + GROUP_CHUNK_HEADER_BYTES);
  const decoded = chunks.map(decodeGroupChunk);
  assert.deepEqual(
    decoded.map((c) => [c.index, c.count, c.total, c.part.length]),
    [
      [0, 4, frame.length, GROUP_CHUNK_BYTES],
      [1, 4, frame.length, GROUP_CHUNK_BYTES],
      [2, 4, frame.length, GROUP_CHUNK_BYTES],
      [3, 4, frame.length, 17],
    ],
  );
  assert.deepEqual(joinGroupChunks(sha256, [...decoded].reverse()), frame);
  assert.equal(MAX_GROUP_CHUNKS, Math.ceil(MAX_GROUP_CHUNKED_FRAME_BYTES / GROUP_CHUNK_BYTES));
  assert.throws(() => splitGroupFrame(sha256, new Uint8Array(MAX_GROUP_CHUNKED_FRAME_BYTES + 1)), GroupMessageTooLargeError);
});

test('the chunk decoder and joiner refuse every deviation from the canonical layout', () => {
  const frame = frameOf(2 * GROUP_CHUNK_BYTES + 5, 3);
  const chunks = splitGroupFrame(sha256, frame);
  const [c0, c1, c2] = chunks.map(decodeGroupChunk) as [ReturnType<typeof decodeGroupChunk>, ReturnType<typeof decodeGroupChunk>, ReturnType<typeof decodeGroupChunk>];
  const mutate = (bytes: Uint8Array, offset: number, value: number[]): Uint8Array => {
    const copy = Uint8Array.from(bytes);
    copy.set(value, offset);
    return copy;
  };
  // Header offsets: version 0, kind 1, digest 2..34, index 34, count 36, total 38, length 42, part 46.
  const bad: [string, Uint8Array][] = [
    ['index beyond count', mutate(chunks[0]!, 34, [0, 3])],
    ['count not matching the total', mutate(chunks[0]!, 36, [0, 4])],
    ['a total that would not be chunked', mutate(chunks[0]!, 38, [0, 0, 0, 9])],
    ['a total over the limit', mutate(chunks[0]!, 38, [0x7f, 0, 0, 0])],
    ['a short part that is not the last', chunks[0]!.subarray(0, chunks[0]!.length - 1)],
    ['a trailing byte', Uint8Array.of(...chunks[2]!, 0)],
    ['another version', mutate(chunks[0]!, 0, [2])],
    ['another kind', mutate(chunks[0]!, 1, [3])],
  ];
  for (const [what, bytes] of bad) assert.throws(() => decodeGroupChunk(bytes), (err: Error) => err instanceof DecodeError || /Version/.test(err.name), what);
  assert.throws(() => joinGroupChunks(sha256, [c0, c1]), DecodeError, 'a chunk missing');
  assert.throws(() => joinGroupChunks(sha256, [c0, c1, c1]), DecodeError, 'a chunk twice');
  const forged = decodeGroupChunk(mutate(chunks[1]!, 46, [0xff ^ chunks[1]![46]!]));
  assert.throws(() => joinGroupChunks(sha256, [c0, forged, c2]), DecodeError, 'a part changed: the digest does not match');
  const other = splitGroupFrame(sha256, frameOf(2 * GROUP_CHUNK_BYTES + 5, 4)).map(decodeGroupChunk);
  assert.throws(() => joinGroupChunks(sha256, [c0, other[1]!, c2]), DecodeError, 'chunks of two frames');
});

/** Other members of the big group: key packages only. */
const OTHERS = 97;

test('a 100-member group: the invitation travels in chunks in the 1:1 channel, a removal in chunks directly and through the mailboxes', { timeout: 300_000 }, async () => {
  const { scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol'], {
    // Alice's group of 98, built directly: alice and 97 members who exist only as key packages.
    beforeGroups: async ([alice]) => {
      const clock = alice!.clock;
      const ctx = testContext('big-group', { clock });
      const identity = (await alice!.store.getIdentity(ctx))!;
      const others = await makeMembers(Array.from({ length: OTHERS }, (_, i) => `m${i}`), { clock });
      const records = await Promise.all(others.map(keyPackageOf));
      const grown = await addMembers({ ctx }, await createGroup({ ctx }, identity), records);
      const id = Buffer.from(grown.state.mls.groupContext.groupId).toString('hex');
      await alice!.store.commit(new Tx().putGroup({ id, name: 'big', token: toBase64(ctx.randomBytes(32)), joinedAt: clock.now(), active: true }).putGroupState(id, encodeGroupState(grown.state)), { sync: true });
    },
  });
  const [alice, bob, carol] = homes as [Home, Home, Home];
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);

  // The add makes a Welcome with the whole 100-member tree: several chunks, each its own 1:1 message.
  const invitePayloads: number[] = [];
  const queue = alice.messenger.queuePayload.bind(alice.messenger);
  alice.messenger.queuePayload = (peerId, kind, payload, also) => {
    if (payload.type === 'group-invite') invitePayloads.push(payload.welcome.length);
    return queue(peerId, kind, payload, also);
  };
  await groups.get('alice')!.add('big', ['bob', 'carol']);
  await scheduler.advance(1);
  assert.ok(invitePayloads.length >= 2 * 3, `each invitee got its Welcome in chunks (${invitePayloads.length} payloads)`);
  assert.ok(invitePayloads.every((n) => n <= GROUP_CHUNK_BYTES + GROUP_CHUNK_HEADER_BYTES));
  for (const name of ['bob', 'carol']) {
    const [info] = await groups.get(name)!.list();
    assert.ok(info, `${name} joined from the chunked invitation`);
    assert.equal(info.members.length, OTHERS + 3);
    assert.deepEqual(await groups.get(name)!.invitations(), [], 'no pieces left over as requests');
  }
  // Bob and carol each updated their keys on joining (each update over a mostly blank tree, in chunks): a fork
  // the fork choice settles; carol, who joined after bob's update went out, gets it from the mailboxes.
  await groups.get('bob')!.send('big', 'hello, hundred', { waitMs: 5_000 });
  await scheduler.advance(1);
  await groups.get('carol')!.fetch('big');
  await scheduler.advance(1);
  assert.deepEqual((await groups.get('carol')!.history('big')).map((m) => m.text), ['hello, hundred']);

  // Carol away; the removal of bob (sealed by an update over a mostly blank tree) is well over one chunk.
  await groups.get('carol')!.stop();
  await carol.stop();
  const bobGot: number[] = [];
  const bobs = groups.get('bob')!;
  const receive = bobs.receive.bind(bobs);
  bobs.receive = async (bytes, from) => (bobGot.push(bytes.length), receive(bytes, from));
  await groups.get('alice')!.remove('big', 'bob');
  await scheduler.advance(1);
  assert.ok(bobGot.some((n) => n > GROUP_CHUNK_BYTES), `the removal reached bob whole from its chunks (${bobGot.join(', ')} bytes)`);
  assert.equal((await groups.get('bob')!.list())[0]!.active, false, 'bob got the chunked removal directly');
  await groups.get('alice')!.send('big', 'after bob left', { waitMs: 5_000 });
  await scheduler.advance(1);

  await carol.start();
  const back = await startGroups(carol);
  groups.set('carol', back);
  await back.fetch('big');
  await scheduler.advance(1);
  assert.deepEqual((await back.history('big')).map((m) => m.text), ['hello, hundred', 'after bob left']);
  const [info] = await back.list();
  assert.equal(info!.members.length, OTHERS + 2);
  assert.ok(!info!.members.some((m) => m.peerId === bob.peerId));
  for (const g of groups.values()) await g.stop();
});

test('chunked invitations: joined into one once whole, a forged set deleted, at most two incomplete sets per sender, each for its TTL', async () => {
  const { homes } = await groupWorld(['bob', 'sam'], { mailboxes: 0 });
  const [bob, sam] = homes as [Home, Home];
  const core = bob.messenger.shared();
  const at = bob.clock.now();
  const store = async (welcome: Uint8Array, when = at): Promise<void> => {
    const id = Buffer.from(sha256(welcome)).toString('hex');
    await bob.store.commit(new Tx().putGroupInvitation({ id, peerId: sam.peerId, name: 'big', token: toBase64(new Uint8Array(32)), welcome: toBase64(welcome), at: when }), { sync: true });
  };
  const ids = async (): Promise<string[]> => (await bob.store.listGroupInvitations()).map((i) => i.id).sort();

  const whole = frameOf(2 * GROUP_CHUNK_BYTES + 9, 5);
  const [w0, w1, w2] = splitGroupFrame(sha256, whole) as [Uint8Array, Uint8Array, Uint8Array];
  await store(w0);
  await store(w2);
  assert.deepEqual(await assembleInvitations(core, sam.peerId), [], 'not whole yet');
  await store(w1);
  const [joined] = await assembleInvitations(core, sam.peerId);
  assert.deepEqual(fromBase64(joined!.welcome), whole);
  assert.deepEqual(await ids(), [Buffer.from(sha256(whole)).toString('hex')], 'the chunks became one invitation');

  // A set whose parts do not match its digest is deleted once it is all there.
  const forged = splitGroupFrame(sha256, frameOf(GROUP_CHUNK_BYTES + 1, 6));
  forged[1] = Uint8Array.from(forged[1]!);
  forged[1][forged[1].length - 1]! ^= 1;
  for (const chunk of forged) await store(chunk);
  await assembleInvitations(core, sam.peerId);
  assert.equal((await ids()).length, 1, 'the forged set is gone');

  // Three incomplete sets: the one whose newest chunk is oldest goes.
  const firsts = [7, 8, 9].map((seed) => splitGroupFrame(sha256, frameOf(GROUP_CHUNK_BYTES + seed, seed))[0]!);
  for (const [i, chunk] of firsts.entries()) await store(chunk, at + i);
  await assembleInvitations(core, sam.peerId);
  const kept = await ids();
  assert.equal(kept.length, 1 + MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER);
  assert.ok(!kept.includes(Buffer.from(sha256(firsts[0]!)).toString('hex')), 'the oldest incomplete set was dropped');

  // After the TTL, incomplete sets go too; the whole invitation stays.
  bob.clock.advance(GROUP_PARTIAL_INVITATION_TTL_MS + 10);
  await assembleInvitations(core, sam.peerId);
  assert.deepEqual(await ids(), [Buffer.from(sha256(whole)).toString('hex')]);
});
