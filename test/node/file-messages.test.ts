/**
 * File messages over the in-memory network (docs/PROTOCOL.md §14 type 8,
 * §24a group plaintext type 2, §25): a small file to an offline contact
 * through mailboxes, shown in history complete with its digest; an inline
 * chunk that does not verify kept as a failed file; a descriptor a
 * receiver must refuse acked `rejected`; a stranger's file is a request;
 * deleting a file message calls the file hook; a group member's file
 * reaches every other member, and files sent on both sides of a fork reach
 * everyone once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { encryptMessage } from '../../src/crypto/session.ts';
import { messengerApi } from '../../src/app/api.ts';
import { groupMethods } from '../../src/app/group-api.ts';
import { FILE_INLINE_MAX_BYTES, GROUP_POLL_INTERVAL_MS } from '../../src/node/constants.ts';
import { describeInlineFile } from '../../src/node/encoding/inline-file.ts';
import { receiveEnvelope } from '../../src/node/messaging/inbox.ts';
import { testContext } from '../helpers/context.ts';
import { groupWorld, twoAdminTeam } from '../helpers/group-world.ts';
import { contactsWithMailboxes, homesOnOneHub, type Home } from '../helpers/homes.ts';

const ctx = testContext('file messages');
const picture = (n: number): Bytes => new Uint8Array(n).map((_, i) => (i * 13 + 5) & 0xff);

describe('file messages', () => {
  test('alice sends offline bob a picture of FILE_INLINE_MAX_BYTES through the mailboxes; his history shows it complete with its sha256', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    await alice.messenger.send('bob', 'a picture follows', { waitMs: 5_000 });
    await bob.stop();
    const bytes = picture(FILE_INLINE_MAX_BYTES);
    const file = describeInlineFile(ctx, 'sunset.png', 'image/png', bytes);
    const sent = await alice.messenger.sendFile('bob', file, { waitMs: 5_000 });
    assert.equal(sent.status, 'stored', 'held by the mailboxes');
    const [, mine] = await alice.messenger.history('bob');
    assert.equal(mine!.text, 'sunset.png');
    assert.equal(mine!.file?.fileId, toHex(file.fileId));
    await alice.stop();

    await bob.start();
    assert.equal(await bob.messenger.fetchMail(), 1);
    const received = bob.received.at(-1)!;
    assert.equal(received.id, sent.id);
    assert.equal(received.text, 'sunset.png', 'a file message stores its name as its text');
    assert.deepEqual({ name: received.file?.name, type: received.file?.type, size: received.file?.size }, { name: 'sunset.png', type: 'image/png', size: FILE_INLINE_MAX_BYTES });
    const lines = await messengerApi(bob.messenger, ctx.primitives, () => []).history('alice');
    assert.deepEqual(lines.at(-1)!.file, { name: 'sunset.png', size: FILE_INLINE_MAX_BYTES, sha256: toHex(ctx.primitives.sha256(bytes)), type: 'image/png', state: 'complete' });
    assert.equal(lines[0]!.file, undefined, 'a text has no file');
    const outgoing = await messengerApi(alice.messenger, ctx.primitives, () => []).history('bob');
    assert.equal(outgoing.at(-1)!.file?.state, 'complete', 'the sender has its inline file');
  });

  test('an inline chunk that does not verify is kept as a failed file, with why', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const file = describeInlineFile(ctx, 'report.pdf', 'application/pdf', picture(3_000));
    const lying = { ...file, sha256: ctx.primitives.sha256(picture(10)) };
    assert.equal((await alice.messenger.sendFile('bob', lying, { waitMs: 5_000 })).status, 'delivered');
    const lines = await messengerApi(bob.messenger, ctx.primitives, () => []).history('alice');
    assert.deepEqual(lines.at(-1)!.file, { name: 'report.pdf', size: 3_000, sha256: toHex(lying.sha256), type: 'application/pdf', state: 'failed', reason: 'digest does not match' });
  });

  test('a large file waits for the file service: pending by default, and the injected lookup decides', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const file = { name: 'film.mp4', type: 'video/mp4', size: 100_000_000, sha256: new Uint8Array(32).fill(7), fileId: new Uint8Array(32).fill(8), key: new Uint8Array(32).fill(9), inline: new Uint8Array(0) };
    const sent = await alice.messenger.sendFile('bob', file, { waitMs: 5_000 });
    assert.equal(sent.status, 'delivered');
    assert.equal((await messengerApi(bob.messenger, ctx.primitives, () => []).history('alice')).at(-1)!.file?.state, 'pending');
    const asked: string[] = [];
    const api = messengerApi(bob.messenger, ctx.primitives, () => [], undefined, undefined, (messageId) => (asked.push(messageId), { state: 'partial', received: 1_048_576 }));
    const line = (await api.history('alice')).at(-1)!;
    assert.deepEqual({ state: line.file?.state, received: line.file?.received }, { state: 'partial', received: 1_048_576 });
    assert.deepEqual(asked, [sent.id]);
  });

  test('a file message whose name breaks the rules is refused by the sender, and acked rejected by a receiver', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const file = describeInlineFile(ctx, 'ok.txt', 'text/plain', picture(10));
    await assert.rejects(alice.messenger.sendFile('bob', { ...file, name: 'evil/../x' }), { name: 'InvalidMessageError', message: /path separator/ });
    // A peer that writes such a payload anyway: alice's session, bytes by hand (name "a/b", as §25 lays it out).
    const id = new Uint8Array(16).fill(0xab);
    const descriptor = [...id, 0, 0, 0, 0, 0, 0, 0, 1, 3, ...new TextEncoder().encode('a/b'), 0, 0, 0, 0, 0, 0, 0, 0, 10, ...file.sha256, ...file.fileId, ...file.key, 0, 0, 0, 26, ...file.inline];
    const core = alice.messenger.shared();
    const session = await core.session(bob.peerId);
    const { envelope, record } = encryptMessage(core.ctx, session!, Uint8Array.from([1, 8, ...descriptor]));
    core.setSession(bob.peerId, record);
    assert.equal(await receiveEnvelope(bob.messenger.shared(), alice.peerId, envelope), 'rejected');
    assert.equal((await bob.messenger.history('alice')).length, 0, 'nothing stored');
  });

  test('a file from someone who is not a contact is a message request; deleting the request tells the file hook', async () => {
    const { scheduler, homes } = await homesOnOneHub('alice', 'bob');
    const [alice, bob] = homes as [Home, Home];
    await alice.messenger.addContact('bob', bob.peerId);
    await scheduler.advance(1);
    const file = describeInlineFile(ctx, 'hello.txt', 'text/plain', picture(64));
    const sent = await alice.messenger.sendFile('bob', file, { waitMs: 5_000 });
    assert.equal(sent.status, 'delivered');
    assert.equal(bob.received.length, 0, 'a request is not a message');
    assert.equal(bob.messenger.requests()[0]?.messages, 1, 'the file counts as a message of the request');
    const [line] = await messengerApi(bob.messenger, ctx.primitives, () => []).requestHistory(alice.peerId);
    assert.deepEqual({ text: line!.text, state: line!.file?.state }, { text: 'hello.txt', state: 'complete' });
    const deleted: string[] = [];
    bob.messenger.onFileMessageDeleted((fileId) => deleted.push(fileId));
    await bob.messenger.deleteRequest(alice.peerId);
    assert.deepEqual(deleted, [toHex(file.fileId)]);
  });

  test('deleting a file message, then a conversation, tells the file hook which files went', async () => {
    const { alice, bob } = await contactsWithMailboxes();
    const deleted: [string, string][] = [];
    bob.messenger.onFileMessageDeleted((fileId, messageId) => deleted.push([fileId, messageId]));
    const one = describeInlineFile(ctx, 'one.txt', 'text/plain', picture(100));
    const two = describeInlineFile(ctx, 'two.txt', 'text/plain', picture(200));
    const first = await alice.messenger.sendFile('bob', one, { waitMs: 5_000 });
    await alice.messenger.send('bob', 'and a text', { waitMs: 5_000 });
    const second = await alice.messenger.sendFile('bob', two, { waitMs: 5_000 });
    assert.equal(await bob.messenger.deleteMessages('alice', first.id), 1);
    assert.deepEqual(deleted, [[toHex(one.fileId), first.id]]);
    assert.equal(await bob.messenger.deleteMessages('alice'), 2);
    assert.deepEqual(deleted, [
      [toHex(one.fileId), first.id],
      [toHex(two.fileId), second.id],
    ]);
  });
});

describe('group file messages', () => {
  test('a member sends a file message and the others get it, complete, with the sender', async () => {
    const { scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol']);
    for (const g of groups.values()) await g.upkeepKeyPackages();
    await scheduler.advance(1);
    await groups.get('alice')!.create('friends', ['bob', 'carol']);
    await scheduler.advance(1);
    const bytes = picture(30_000);
    const file = describeInlineFile(ctx, 'team.jpg', 'image/jpeg', bytes);
    const sent = await groups.get('bob')!.sendFile('friends', file, { waitMs: 5_000 });
    assert.deepEqual({ status: sent.status, delivered: sent.delivered }, { status: 'delivered', delivered: 2 });
    await scheduler.advance(1);
    const bob = homes.find((h) => h.name === 'bob')!;
    for (const name of ['alice', 'carol', 'bob']) {
      const [line] = await groupMethods(groups.get(name)).groupHistory('friends');
      assert.equal(line!.text, 'team.jpg', name);
      assert.equal(line!.sender, bob.peerId, name);
      assert.deepEqual(line!.file, { name: 'team.jpg', size: 30_000, sha256: toHex(ctx.primitives.sha256(bytes)), type: 'image/jpeg', state: 'complete' }, name);
    }
    await assert.rejects(groups.get('alice')!.sendFile('friends', { ...file, name: '..' }), { name: 'InvalidMessageError' });
  });

  test('files sent on both sides of a fork reach every member once, complete, after the partition heals', { timeout: 300_000 }, async () => {
    const { hub, scheduler, groups, g, split } = await twoAdminTeam();
    // Two admins change membership on two sides of a partition, and a file is sent on each side.
    await split();
    const files = { 'side-a.png': describeInlineFile(ctx, 'side-a.png', 'image/png', picture(4_000)), 'side-b.txt': describeInlineFile(ctx, 'side-b.txt', 'text/plain', picture(500)) };
    await g('carol').sendFile('team', files['side-a.png'], { waitMs: 1_000 });
    await g('bob').sendFile('team', files['side-b.txt'], { waitMs: 1_000 });
    await scheduler.advance(1);
    assert.notEqual(g('alice').epochAuthenticator('team'), g('bob').epochAuthenticator('team'), 'the two sides forked');
    hub.heal();
    const fileLines = async (name: string) => (await groupMethods(g(name)).groupHistory('team')).filter((m) => m.file !== undefined);
    const readBoth = async (): Promise<boolean> => {
      for (const name of ['alice', 'bob', 'carol']) if ((await fileLines(name)).length < 2) return false;
      return new Set(['alice', 'bob', 'carol'].map((name) => g(name).epochAuthenticator('team'))).size === 1;
    };
    for (let round = 0; !(await readBoth()); round++) {
      assert.ok(round < 20, 'converged within 20 poll intervals');
      await scheduler.advance(GROUP_POLL_INTERVAL_MS);
    }
    for (const name of ['alice', 'bob', 'carol']) {
      const lines = (await fileLines(name)).sort((a, b) => a.text.localeCompare(b.text));
      assert.deepEqual(
        lines.map((m) => [m.text, m.file]),
        Object.entries(files).map(([fileName, d]) => [fileName, { name: fileName, size: d.size, sha256: toHex(d.sha256), type: d.type, state: 'complete' }]),
        `${name} reads each file once, complete`,
      );
    }
    for (const service of groups.values()) await service.stop();
  });
});
