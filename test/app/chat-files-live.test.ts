/**
 * The chat following a real file service over the in-memory network: bob's
 * chat hears only the service's changes (watchFiles, no poll, no message
 * event), so the file line that appears and moves to "received" got there
 * through FileService.onChange alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messengerApi } from '../../src/app/api.ts';
import { watchFiles } from '../../src/app/chat/backends.ts';
import { ChatController, type ChatBackend } from '../../src/app/chat/controller.ts';
import { realScheduler } from '../../src/app/local.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import { FileService } from '../../src/node/files/file-service.ts';
import { LevelFileStore } from '../../src/node/files/level-file-store.ts';
import { testContext } from '../helpers/context.ts';
import { contactsWithMailboxes, type Home } from '../helpers/homes.ts';

/** A started file service on `home`, its chunks kept as records. */
async function serviceOf(home: Home): Promise<FileService> {
  const ctx = testContext(`chat files:${home.name}`, { clock: home.clock });
  const files = new LevelFileStore({ store: home.store, ctx, isGroupMember: async () => false });
  const service = new FileService({ files, store: home.store, messenger: home.messenger, ctx, scheduler: home.scheduler, network: home.hub.network(home.peerId) });
  await service.start();
  return service;
}

test('a file sent to bob shows in his chat and reaches "received" through the file service\'s changes alone', async () => {
  const { alice, bob } = await contactsWithMailboxes();
  const sender = await serviceOf(alice);
  const receiver = await serviceOf(bob);
  const api = messengerApi(bob.messenger, testContext('chat files').primitives, () => [], () => true, undefined, receiver.fileState);
  const backend: ChatBackend = { api, watch: (listener) => watchFiles(receiver, () => listener({ kind: 'changed' }), realScheduler) };
  const chat = new ChatController(backend, { name: 'bob', peerId: bob.peerId });
  await chat.start();
  assert.deepEqual(chat.getState().messages, [], 'nothing before the file');

  const seen: string[] = [];
  const done = new Promise<void>((resolve) => {
    chat.subscribe(() => {
      const file = chat.getState().messages.at(-1)?.file;
      if (file !== undefined && seen.at(-1) !== file.state) seen.push(file.state);
      if (file?.state === 'complete') resolve();
    });
  });
  const size = 3 * FILE_CHUNK_BYTES + 99;
  await sender.sendFile('bob', { name: 'clip.bin', bytes: new Uint8Array(size).fill(7) }, { waitMs: 5_000 });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the chat's file line went ${seen.join(' → ')} and stopped`)), 10_000)))]);
  clearTimeout(timer);

  assert.equal(seen.at(-1), 'complete');
  assert.ok(seen.every((s) => s === 'pending' || s === 'partial' || s === 'complete'), seen.join(' → '));
  const [line] = chat.getState().messages;
  assert.equal(line!.file!.name, 'clip.bin');
  assert.equal(line!.file!.size, size);
  chat.stop();
  sender.stop();
  receiver.stop();
});
