/**
 * The file service over the in-memory network (docs/FILES.md): a file
 * larger than FILE_INLINE_MAX_BYTES is sealed by the sender, described in a
 * file message and fetched over /sotto/file by the receiver's service,
 * which checks it whole; an offline sender's file waits (pending) and is
 * fetched once the sender is back; a group member fetches from every
 * member that holds the file; a quota that is full makes the file failed
 * with why, the message kept; deleting the message deletes the file; a
 * sender whose file is not the one it described (a lying size) makes the
 * file fail at once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { messengerApi } from '../../src/app/api.ts';
import { groupMethods } from '../../src/app/group-api.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import { FILE_SENDER_MISMATCH_REASON, FileService, groupMembership, type FileChange } from '../../src/node/files/file-service.ts';
import { LevelFileStore } from '../../src/node/files/level-file-store.ts';
import type { GroupService } from '../../src/node/groups/group-service.ts';
import { testContext } from '../helpers/context.ts';
import { groupWorld } from '../helpers/group-world.ts';
import { contactsWithMailboxes, type Home } from '../helpers/homes.ts';

const { primitives } = testContext('file service');

/** Bytes that differ at every offset of a chunk. */
const content = (n: number, seed = 1): Bytes => new Uint8Array(n).map((_, i) => (i * 31 + seed * 7 + (i >>> 8)) & 0xff);

/** A file service on `home` (a store of chunks as records, as a page keeps them), started. */
async function filesOf(home: Home, groups?: GroupService, quotaBytes?: number): Promise<{ service: FileService; store: LevelFileStore; changes: FileChange[] }> {
  const ctx = testContext(`files:${home.name}`, { clock: home.clock });
  const store = new LevelFileStore({
    store: home.store,
    ctx,
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
    isGroupMember: groupMembership(groups),
  });
  const service = new FileService({ files: store, store: home.store, messenger: home.messenger, ctx, scheduler: home.scheduler, network: home.hub.network(home.peerId), ...(groups ? { groups } : {}) });
  await service.start();
  const changes: FileChange[] = [];
  service.onChange((c) => changes.push(c));
  return { service, store, changes };
}

/** Waits (on real time: streams run on promises) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function plaintextOf(store: LevelFileStore, fileId: string): Promise<Bytes> {
  const parts: Bytes[] = [];
  for await (const part of store.read(fileId)) parts.push(part);
  return Buffer.concat(parts);
}

describe('file service', () => {
  test('alice sends bob 3 chunks and a bit: his service fetches them from her, checks the file whole, and his history shows it complete', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob);
    const bytes = content(3 * FILE_CHUNK_BYTES + 1234);
    const sent = await a.service.sendFile('bob', { name: 'report.pdf', bytes }, { waitMs: 5_000 });
    assert.deepEqual({ status: sent.status, size: sent.size, inline: sent.inline }, { status: 'delivered', size: bytes.length, inline: false });
    const fileId = (await alice.messenger.history('bob')).at(-1)!.file!.fileId;
    await until(async () => (await b.store.state(fileId))?.state === 'complete', 'the file complete at bob');
    assert.deepEqual(await plaintextOf(b.store, fileId), Buffer.from(bytes));
    const [line] = (await messengerApi(bob.messenger, primitives, () => [], undefined, undefined, b.service.fileState).history('alice')).slice(-1);
    assert.deepEqual(line!.file, { name: 'report.pdf', size: bytes.length, sha256: toHex(primitives.sha256(bytes)), type: 'application/pdf', state: 'complete' });
    assert.equal(b.changes.at(-1)!.state.state, 'complete');
    assert.deepEqual(b.changes.at(-1)!.messages, [sent.id]);
    a.service.stop();
    b.service.stop();
  });

  test("a page's attachment read a chunk at a time (a reader source) is sealed from its chunks in order, each asked once, and arrives whole", async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob);
    const bytes = content(2 * FILE_CHUNK_BYTES + 99, 3);
    const asked: [number, number][] = [];
    const read = async (index: number, length: number): Promise<Bytes> => {
      asked.push([index, length]);
      return bytes.slice(index * FILE_CHUNK_BYTES, index * FILE_CHUNK_BYTES + length);
    };
    const sent = await a.service.sendFile('bob', { name: 'scan.png', size: bytes.length, read }, { waitMs: 5_000 });
    assert.deepEqual({ size: sent.size, inline: sent.inline }, { size: bytes.length, inline: false });
    assert.deepEqual(asked, [[0, FILE_CHUNK_BYTES], [1, FILE_CHUNK_BYTES], [2, 99]]);
    const fileId = (await alice.messenger.history('bob')).at(-1)!.file!.fileId;
    await until(async () => (await b.store.state(fileId))?.state === 'complete', 'the file complete at bob');
    assert.deepEqual(await plaintextOf(b.store, fileId), Buffer.from(bytes));
    a.service.stop();
    b.service.stop();
  });

  test("a file from a sender gone offline stays pending; it is fetched once she is back, without fetching again what was written", async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob);
    a.service.stop();
    await alice.stop();
    // Alice sends while bob is away: the message goes to the mailboxes; her node then goes away too.
    await alice.start();
    const a2 = await filesOf(alice);
    await bob.stop();
    b.service.stop();
    const bytes = content(2 * FILE_CHUNK_BYTES, 2);
    const sent = await a2.service.sendFile('bob', { name: 'song.mp3', bytes }, { waitMs: 2_000 });
    assert.equal(sent.status, 'stored');
    a2.service.stop();
    await alice.stop();

    await bob.start();
    const b2 = await filesOf(bob);
    assert.equal(await bob.messenger.fetchMail(), 1);
    const fileId = (await bob.messenger.history('alice')).at(-1)!.file!.fileId;
    await until(async () => (await b2.store.state(fileId)) !== undefined, 'the file recorded at bob');
    assert.equal((await b2.store.state(fileId))!.state, 'pending', 'nothing fetched while alice is away');

    await alice.start();
    const a3 = await filesOf(alice);
    await until(async () => (await b2.store.state(fileId))?.state === 'complete', 'the file complete once alice is back');
    assert.deepEqual(await plaintextOf(b2.store, fileId), Buffer.from(bytes));
    a3.service.stop();
    b2.service.stop();
  });

  test('a file over the quota is failed with why, the message kept; deleting the message deletes the file', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob, undefined, FILE_CHUNK_BYTES);
    const sent = await a.service.sendFile('bob', { name: 'big.zip', bytes: content(2 * FILE_CHUNK_BYTES, 3) }, { waitMs: 5_000 });
    const line = async () => (await messengerApi(bob.messenger, primitives, () => [], undefined, undefined, b.service.fileState).history('alice')).at(-1)!;
    await until(async () => (await line()).file?.state === 'failed', 'the file failed at bob');
    assert.match((await line()).file!.reason!, /quota/);
    assert.equal((await line()).id, sent.id, 'the message is kept');

    const small = await a.service.sendFile('bob', { name: 'note.txt', bytes: content(100_000, 4) }, { waitMs: 5_000 });
    const fileId = (await bob.messenger.history('alice')).at(-1)!.file!.fileId;
    await until(async () => (await b.store.state(fileId))?.state === 'complete', 'the small file complete');
    await bob.messenger.deleteMessages('alice', small.id);
    await until(async () => (await b.store.state(fileId)) === undefined, 'the file deleted with its message');
    a.service.stop();
    b.service.stop();
  });
});

describe('quota raised', () => {
  test('a file refused for the quota is taken again when the service starts with room for it', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob, undefined, FILE_CHUNK_BYTES);
    const bytes = content(2 * FILE_CHUNK_BYTES, 7);
    await a.service.sendFile('bob', { name: 'later.bin', bytes }, { waitMs: 5_000 });
    const fileId = (await bob.messenger.history('alice')).at(-1)!.file!.fileId;
    await until(() => b.changes.some((c) => c.fileId === fileId && c.state.state === 'failed'), 'the file failed for the quota');
    assert.equal(await b.store.state(fileId), undefined, 'nothing of it kept');
    b.service.stop();
    const roomier = await filesOf(bob, undefined, 4 * FILE_CHUNK_BYTES);
    await until(async () => (await roomier.store.state(fileId))?.state === 'complete', 'the file complete after the quota was raised');
    assert.deepEqual(await plaintextOf(roomier.store, fileId), Buffer.from(bytes));
    a.service.stop();
    roomier.service.stop();
  });
});

describe('a sender that lies', () => {
  test('about the size: the manifest it serves does not make the file id, so the file fails at once with why, and nothing of it is kept', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const a = await filesOf(alice);
    const b = await filesOf(bob);
    const bob_ = (await alice.messenger.contact('bob')).peerId;
    const real = await a.store.importBytes('movie.mp4', content(2 * FILE_CHUNK_BYTES, 6), { kind: 'contact', peerId: bob_ });
    const sent = await alice.messenger.sendFile('bob', { ...real, size: real.size + FILE_CHUNK_BYTES }, { waitMs: 5_000 });
    assert.equal(sent.status, 'delivered');
    const fileId = toHex(real.fileId);
    await until(async () => (await b.store.state(fileId))?.state === 'failed', 'the file failed at bob');
    assert.deepEqual(await b.store.state(fileId), { state: 'failed', reason: FILE_SENDER_MISMATCH_REASON });
    assert.equal(await b.store.readChunk(fileId, 0), undefined, 'no chunk kept');
    a.service.stop();
    b.service.stop();
  });
});

describe('group file service', () => {
  test("carol fetches a member's file from both members that hold it", async () => {
    const { scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol']);
    for (const g of groups.values()) await g.upkeepKeyPackages();
    await scheduler.advance(1);
    await groups.get('alice')!.create('friends', ['bob', 'carol']);
    await scheduler.advance(1);
    const [alice, bob, carol] = homes;
    const a = await filesOf(alice!, groups.get('alice'));
    const b = await filesOf(bob!, groups.get('bob'));
    // Carol is away while bob fetches the file whole.
    const bytes = content(12 * FILE_CHUNK_BYTES, 5);
    const sent = await a.service.sendGroupFile('friends', { name: 'team.mp4', bytes }, { waitMs: 5_000 });
    const fileId = (await groups.get('alice')!.history('friends')).at(-1)!.file!.fileId;
    await until(async () => (await b.store.state(fileId))?.state === 'complete', 'the file complete at bob');
    const c = await filesOf(carol!, groups.get('carol'));
    const fromBoth: FileChange[] = [];
    c.service.onChange((change) => change.state.state === 'complete' && fromBoth.push(change));
    await until(async () => (await c.store.state(fileId))?.state === 'complete', 'the file complete at carol');
    assert.deepEqual(await plaintextOf(c.store, fileId), Buffer.from(bytes));
    const holders = fromBoth.at(-1)!.holders!;
    assert.ok(holders[alice!.peerId]! > 0 && holders[bob!.peerId]! > 0, `chunks from both holders: ${JSON.stringify(holders)}`);
    const [line] = (await groupMethods(groups.get('carol'), c.service.fileState).groupHistory('friends')).filter((l) => l.id === sent.id);
    assert.equal(line!.file!.state, 'complete');
    for (const s of [a, b, c]) s.service.stop();
  });
});
