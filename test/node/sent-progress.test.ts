/**
 * The sender's view of a sent 1:1 file (src/node/files/sent-progress.ts,
 * docs/FILES.md "What the sender sees"): before the contact holds anything
 * it is pending, then partial with the bytes the contact's HAVE answer
 * says, then complete — recorded (`delivered`), so it stays complete when
 * the contact is no longer connected; a contact that is not connected is
 * not asked (the last answer shows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bytes } from '../../src/crypto/bytes.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import { FileService } from '../../src/node/files/file-service.ts';
import { LevelFileStore } from '../../src/node/files/level-file-store.ts';
import { serveFiles } from '../../src/node/files/transfer-server.ts';
import { descriptorOf } from '../../src/node/store/file-record.ts';
import { testContext } from '../helpers/context.ts';
import { contactsWithMailboxes } from '../helpers/homes.ts';

const bytes: Bytes = new Uint8Array(3 * FILE_CHUNK_BYTES + 100).map((_, i) => (i * 13 + (i >>> 9)) & 0xff);

test("the sender's line goes pending → partial (the contact's held bytes) → complete, and complete is kept", async () => {
  const { alice, bob } = await contactsWithMailboxes();
  let bobConnected = true;
  const aliceFiles = new LevelFileStore({ store: alice.store, ctx: testContext('files:alice', { clock: alice.clock }) });
  const a = new FileService({ files: aliceFiles, store: alice.store, messenger: alice.messenger, ctx: testContext('svc:alice', { clock: alice.clock }), scheduler: alice.scheduler, network: alice.hub.network(alice.peerId), isConnected: () => bobConnected });
  await a.start();
  // Bob's store serves what he holds, but no service of his fetches: the test writes his chunks.
  const bobFiles = new LevelFileStore({ store: bob.store, ctx: testContext('files:bob', { clock: bob.clock }) });
  const server = await serveFiles({ network: bob.hub.network(bob.peerId), holdings: bobFiles, scheduler: bob.scheduler });

  const sent = await a.sendFile('bob', { name: 'plan.bin', bytes }, { waitMs: 5_000 });
  assert.equal(sent!.status, 'delivered');
  const message = (await alice.messenger.history('bob')).at(-1)!;
  const stateAtAlice = async (): Promise<unknown> => a.fileState(message.id, message.file!);
  assert.deepEqual(await stateAtAlice(), { state: 'pending' }, 'bob holds nothing of it yet');

  const received = (await bob.messenger.history('alice')).at(-1)!;
  const descriptor = descriptorOf(received.file!);
  const target = await bobFiles.target(descriptor, { kind: 'contact', peerId: alice.peerId }, received.id);
  await target.putManifest((await aliceFiles.manifest(message.file!.fileId))!);
  for (const index of [0, 3]) await target.writeChunk(index, (await aliceFiles.readChunk(message.file!.fileId, index))!);
  await until(async () => (await bobFiles.state(message.file!.fileId))?.state === 'partial');
  assert.deepEqual(await stateAtAlice(), { state: 'partial', received: FILE_CHUNK_BYTES + 100 });

  bobConnected = false;
  assert.deepEqual(await stateAtAlice(), { state: 'partial', received: FILE_CHUNK_BYTES + 100 }, 'not connected: the last answer');
  bobConnected = true;
  for (const index of [1, 2]) await target.writeChunk(index, (await aliceFiles.readChunk(message.file!.fileId, index))!);
  await until(async () => (await bobFiles.state(message.file!.fileId))?.state !== 'pending' && (await bobFiles.held(message.file!.fileId))!.bitmap[0] === 0x0f);
  assert.deepEqual(await stateAtAlice(), { state: 'complete' });
  assert.equal((await aliceFiles.record(message.file!.fileId))!.delivered, true);
  bobConnected = false;
  assert.deepEqual(await stateAtAlice(), { state: 'complete' }, 'kept without asking');
  server.stop();
  a.stop();
});

/** Waits (real time: writes are recorded per window, on promises) until `check` holds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1_000 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
}
