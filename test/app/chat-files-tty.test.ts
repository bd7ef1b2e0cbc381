/**
 * A file between two chats in real terminals (tmux, 80×24) inside a network
 * namespace of the test's own (the chats find each other by mDNS there):
 * alice sends a 3 MiB file with /send-file from her home (`~`), her screen
 * shows its line; bob's screen shows it received, and /save writes a
 * byte-identical copy to his Downloads folder (the default destination);
 * then a group of the two, where a small file travels inside its message
 * and bob saves it the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sotto, tempHome, TEST_PASSPHRASE } from '../helpers/cli.ts';
import { createNamespace, Terminals } from '../helpers/terminal.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Larger than FILE_INLINE_MAX_BYTES many times over: fetched over /sotto/file in a dozen chunks, not carried in the message. */
const FILE_BYTES = 3 * 2 ** 20;
/** At most FILE_INLINE_MAX_BYTES: carried inside its message. */
const SMALL_FILE_BYTES = 10 * 1024;

describe('files in the chat, in terminals', { timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let terminals: Terminals;

  before(async () => {
    const ns = await createNamespace(`sotto-chatfile-${process.pid}`);
    cleanup.push(ns.remove);
    terminals = new Terminals(ns.name, `sotto-chatfile-${process.pid}`, ROOT);
    cleanup.push(() => terminals.close());
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('alice sends a 3 MiB file with /send-file; bob sees it received and /save writes the same bytes to ~/Downloads; a small file in a group the same', async () => {
    const homes: Record<string, string> = {};
    const peers: Record<string, string> = {};
    for (const name of ['alice', 'bob']) {
      homes[name] = await tempHome(`chatfile-${name}`, cleanup);
      peers[name] = (await sotto(homes[name]!, ['init', '--name', name])).stdout.trim();
      assert.match(peers[name]!, /^12D3KooW/);
    }
    assert.equal((await sotto(homes['alice']!, ['contacts', 'add', 'bob', peers['bob']!])).code, 0);
    assert.equal((await sotto(homes['bob']!, ['contacts', 'add', 'alice', peers['alice']!])).code, 0);

    // Each person's own folder ($HOME): alice's file is there, bob has a Downloads folder.
    const users = await mkdtemp(join(tmpdir(), 'sotto-chatfile-users-'));
    cleanup.push(() => rm(users, { recursive: true, force: true }));
    const aliceUser = join(users, 'alice');
    const bobUser = join(users, 'bob');
    await mkdir(aliceUser);
    await mkdir(join(bobUser, 'Downloads'), { recursive: true });
    const content = randomBytes(FILE_BYTES);
    await writeFile(join(aliceUser, 'holiday photos.bin'), content);

    const alice = await terminals.open('node bin/sotto.js chat', { SOTTO_HOME: homes['alice']!, SOTTO_PASSPHRASE: TEST_PASSPHRASE, HOME: aliceUser });
    const bob = await terminals.open('node bin/sotto.js chat', { SOTTO_HOME: homes['bob']!, SOTTO_PASSPHRASE: TEST_PASSPHRASE, HOME: bobUser });
    for (const t of [alice, bob]) await terminals.waitFor(t, /· 1 contact online/);

    await terminals.type(alice, '/send-file ~/holiday\\ photos.bin');
    await terminals.waitFor(alice, /Sent holiday photos\.bin \(3 MiB\) to bob/);
    await terminals.waitFor(alice, /> \[file\] holiday photos\.bin · 3 MiB +(delivered|read)/);
    await terminals.waitFor(bob, /< \[file\] holiday photos\.bin · 3 MiB · received/);

    await terminals.type(bob, '/save');
    await terminals.waitFor(bob, /Saved holiday photos\.bin \(3 MiB\) to/);
    const saved = await readFile(join(bobUser, 'Downloads', 'holiday photos.bin'));
    assert.ok(saved.equals(content), 'the saved file has the bytes alice sent');

    // Saving again never replaces it: the chat says so, with what to do, and the refused command comes back to the box.
    await terminals.type(bob, '/save');
    await terminals.waitFor(bob, /exists\s+already\n.*never replaced/);
    await terminals.waitFor(bob, /alice> \/save/);
    await terminals.key(bob, 'C-u');

    // In a group: a small file travels inside its group message; bob, in the group, saves it too.
    await terminals.typeUntil(alice, '/group create team bob', /Created the group #team: bob\./, /no key package of/);
    await terminals.waitFor(bob, /│# team/);
    await terminals.key(bob, 'Up');
    await terminals.waitFor(bob, /#team · group of 2 members/);
    const notes = randomBytes(SMALL_FILE_BYTES);
    await writeFile(join(aliceUser, 'notes.txt'), notes);
    await terminals.type(alice, '/send-file ~/notes.txt');
    await terminals.waitFor(alice, /Sent notes\.txt \(10 KiB\) to #team\./);
    await terminals.waitFor(bob, /< alice: \[file\] notes\.txt · 10 KiB · received/);
    await terminals.type(bob, '/save');
    await terminals.waitFor(bob, /Saved notes\.txt \(10 KiB\) to/);
    assert.ok((await readFile(join(bobUser, 'Downloads', 'notes.txt'))).equals(notes), 'the group file saved has the bytes alice sent');

    for (const t of [alice, bob]) await terminals.type(t, '/quit');
    for (const t of [alice, bob]) await terminals.waitFor(t, /exited 0/);
  });
});
