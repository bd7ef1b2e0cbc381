/**
 * The chat in real terminals (tmux, 80×24), each test with a tmux server
 * and a network namespace of its own (only its loopback): a multi-line
 * paste (tmux's bracketed paste-buffer -p) is one message, and an invite
 * pasted over three lines after "/add " adds the contact; a 1 MB paste is
 * refused at once and Ctrl-C still ends the chat; PageUp scrolls back to a
 * message not on the first screen; each conversation keeps its own draft;
 * an emoji joined by ZWJ in a name and in text leaves the borders in place;
 * a wrong passphrase is asked again; and after a kill -9 of the reader's
 * chat (its receipt kept, the sender offline) the sender sees `read` once
 * both are back.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import stringWidth from 'string-width';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { Tx } from '../../src/node/store/store.ts';
import { seededText, seedHome } from '../../bench/ui/seed.ts';
import { freePort, sotto, tempHome, TEST_PASSPHRASE } from '../helpers/cli.ts';
import { createNamespace, Terminals } from '../helpers/terminal.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The chat command in a terminal: this test's Node, so the chat is the pane's child process (no relaunch). */
const SOTTO = `${JSON.stringify(process.execPath)} bin/sotto.js`;
const ENV = { SOTTO_PASSPHRASE: TEST_PASSPHRASE };
/** How long a chat may take to end after Ctrl-C (its node stops: connections close, the database too). */
const CHAT_EXIT_MS = 20_000;
/** How long a refusal or a redraw after a key may take to show. */
const KEY_ECHO_MS = 5_000;
/** How soon the sender sees `read` once the reader's chat is back (the node tries its outbox at start). */
const RECEIPT_AFTER_RESTART_MS = 10_000;
const FAMILY = '👨\u200d👩\u200d👧';

let serial = 0;
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A tmux server (its socket name too) in a namespace of its own, for one test. */
async function terminalsForTest(): Promise<{ terminals: Terminals; socket: string }> {
  const name = `sotto-ci${process.pid}-${++serial}`;
  const ns = await createNamespace(name);
  cleanup.push(ns.remove);
  const terminals = new Terminals(ns.name, name, ROOT);
  cleanup.push(() => terminals.close());
  return { terminals, socket: name };
}

/** A new identity in a fresh home; resolves to the home and its peer id. */
async function newHome(name: string): Promise<{ home: string; peerId: string }> {
  const home = await tempHome(`ci-${name}`, cleanup);
  const init = await sotto(home, ['init', '--name', name]);
  assert.equal(init.code, 0, init.stderr);
  return { home, peerId: init.stdout.trim().split('\n').at(-1)!.trim() };
}

/** Alice and bob, each with a home; alice has bob as a contact (by peer id). */
async function aliceKnowingBob(): Promise<{ alice: { home: string; peerId: string }; bob: { home: string; peerId: string } }> {
  const alice = await newHome('alice');
  const bob = await newHome('bob');
  const added = await sotto(alice.home, ['contacts', 'add', 'bob', bob.peerId]);
  assert.equal(added.code, 0, added.stderr);
  return { alice, bob };
}

/** Opens the chat of `home` (no LAN discovery, loopback only). */
function openChat(terminals: Terminals, home: string, env: Record<string, string> = ENV, unset: readonly string[] = []): Promise<string> {
  return terminals.open(`${SOTTO} --home ${JSON.stringify(home)} chat --no-mdns --listen /ip4/127.0.0.1/tcp/0`, env, unset);
}

/** Pastes `text` into `target` as a terminal does with bracketed paste on (tmux paste-buffer -p; line breaks arrive as CR). */
async function paste(socket: string, target: string, text: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-paste-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'buffer.txt');
  await writeFile(file, text);
  await run('tmux', ['-L', socket, 'load-buffer', '-b', 'test', file]);
  await run('tmux', ['-L', socket, 'paste-buffer', '-p', '-d', '-b', 'test', '-t', target]);
}

/** Opens `home`'s store while no node runs on it, and runs `work` on it. */
async function withStore<T>(home: string, work: (store: Awaited<ReturnType<typeof openLevelStore>>, now: number) => Promise<T>): Promise<T> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const store = await openLevelStore(join(home, 'db'), ctx, { passphrase: () => Promise.resolve(TEST_PASSPHRASE) });
  try {
    return await work(store, Date.now());
  } finally {
    await store.close();
  }
}

/** The invite shown by /invite on `screen`, as the lines it is shown on. */
function inviteLinesOn(screen: string): string[] {
  const lines = screen.split('\n');
  const at = lines.findIndex((l) => l.startsWith('SOTTO:'));
  const shown: string[] = [];
  for (const line of lines.slice(at)) {
    if (!/^[A-Z2-7:]+$/.test(line.trim())) break;
    shown.push(line.trim());
  }
  return shown;
}

/** The pid of the chat running in `target` (the pane's shell's child). */
async function chatPid(socket: string, target: string): Promise<number> {
  const shell = (await run('tmux', ['-L', socket, 'display', '-p', '-t', target, '#{pane_pid}'])).stdout.trim();
  const children = (await readFile(`/proc/${shell}/task/${shell}/children`, 'utf8')).trim().split(/\s+/);
  assert.equal(children.length, 1, `the pane runs one process: ${children.join(' ')}`);
  return Number(children[0]);
}

/** The rows of a screen with a pane border, each of which must end in the terminal's last used column. */
function assertBordersHold(screen: string): void {
  const bordered = screen.split('\n').filter((row) => /^[│┌└]/.test(row));
  assert.ok(bordered.length >= 10, screen);
  for (const row of bordered) assert.equal(stringWidth(row), 79, `a border moved:\n${screen}`);
}

describe('the chat in a terminal: pastes, keys, scrolling, widths, passphrase, receipts', { timeout: 240_000 }, () => {
  test('a multi-line paste is one message with its line breaks; an invite pasted over three lines after /add adds the contact', async () => {
    const { terminals, socket } = await terminalsForTest();
    const { alice, bob } = await aliceKnowingBob();
    const aliceChat = await openChat(terminals, alice.home);
    await terminals.waitFor(aliceChat, /Sotto · alice/);
    await terminals.type(aliceChat, '/invite');
    const invite = inviteLinesOn(await terminals.waitFor(aliceChat, /Your invite[^]*\nSOTTO:/));
    assert.equal(invite.length, 3, `the invite is shown on three lines: ${invite.join('\n')}`);

    // Bob types "/add " and pastes the three lines as they were shown.
    const bobChat = await openChat(terminals, bob.home);
    await terminals.waitFor(bobChat, /Sotto · bob/);
    await terminals.type(bobChat, '/add ', false);
    await paste(socket, bobChat, invite.join('\n'));
    await terminals.key(bobChat, 'Enter');
    await terminals.waitFor(bobChat, /Added alice\./);
    await terminals.waitFor(aliceChat, /● bob/);

    // Alice pastes three lines: they stay in her box until Enter, then go as one message.
    await paste(socket, aliceChat, 'first line\nsecond line\nthird line');
    await terminals.waitFor(aliceChat, /bob> first line\n +second line\n +third line/);
    await terminals.key(aliceChat, 'Enter');
    await terminals.waitFor(bobChat, /< first line +│\n│[^\n]*│ +second line +│\n│[^\n]*│ +third line/);
    await terminals.type(aliceChat, '/quit');
    await terminals.type(bobChat, '/quit');
    await terminals.waitFor(aliceChat, /exited 0/, CHAT_EXIT_MS);
    await terminals.waitFor(bobChat, /exited 0/, CHAT_EXIT_MS);
    const history = JSON.parse((await sotto(bob.home, ['history', 'alice', '--json'])).stdout) as { direction: string; text: string }[];
    assert.deepEqual(
      history.map((m) => [m.direction, m.text]),
      [['in', 'first line\nsecond line\nthird line']],
    );
  });

  test('a 1 MB paste is refused at once with the box kept, and Ctrl-C or SIGTERM right after a paste ends the chat', async () => {
    const { terminals, socket } = await terminalsForTest();
    const { alice } = await aliceKnowingBob();
    const chat = await openChat(terminals, alice.home);
    await terminals.waitFor(chat, /bob · offline/);
    const megabyte = Array.from({ length: 1024 * 1024 / 64 }, (_, i) => `${String(i).padStart(7, '0')} ${'pasted text '.repeat(5)}`.slice(0, 63)).join('\n');
    assert.equal(Buffer.byteLength(megabyte), 1024 * 1024 - 1);
    await terminals.type(chat, 'keep me', false);
    await paste(socket, chat, megabyte);
    await terminals.waitFor(chat, /Not added: the message would be 1,048,582 bytes[^]*bob> keep me/, KEY_ECHO_MS);
    await paste(socket, chat, megabyte);
    await terminals.key(chat, 'C-c');
    // The chat leaves at once; its node stops with it (the stop ends the delivery round to the unreachable bob).
    await terminals.waitFor(chat, /sotto: stopping the node…/, KEY_ECHO_MS);
    await terminals.waitFor(chat, /exited 0/, CHAT_EXIT_MS);
    // SIGTERM right after a paste ends it the same way.
    const again = await openChat(terminals, alice.home);
    await terminals.waitFor(again, /bob · offline/);
    await paste(socket, again, megabyte);
    await run('kill', ['-TERM', String(await chatPid(socket, again))]);
    await terminals.waitFor(again, /exited 0/, CHAT_EXIT_MS);
    const history = JSON.parse((await sotto(alice.home, ['history', 'bob', '--json'])).stdout) as unknown[];
    assert.deepEqual(history, [], 'nothing was sent');
  });

  test('PageUp scrolls back to a message not on the first screen, loading older pages; each conversation keeps its draft', async () => {
    const { terminals } = await terminalsForTest();
    const alice = await newHome('alice');
    await withStore(alice.home, (store, now) => seedHome(store, { contacts: 2, messages: 400, now }));
    const chat = await openChat(terminals, alice.home);
    const first = await terminals.waitFor(chat, new RegExp(seededText(399).slice(0, 30)));
    assert.doesNotMatch(first, /message 250 of/);
    // About 150 messages back: past the newest page the chat opened with.
    for (let i = 0; i < 20; i++) await terminals.key(chat, 'PageUp');
    const scrolled = await terminals.waitFor(chat, /message 2\d\d of[^]*Scrolled back/);
    const shown = [...scrolled.matchAll(/message (\d+) of/g)].map((m) => Number(m[1]));
    assert.ok(Math.max(...shown) < 300, `older messages on screen: ${shown.join(', ')}`);
    await terminals.key(chat, 'End');
    for (let i = 0; i < 30; i++) await terminals.key(chat, 'PageDown');
    await terminals.waitFor(chat, new RegExp(`${seededText(399).slice(0, 30)}[^]*Enter send`));

    // Drafts: one per conversation, kept while another is open.
    await terminals.type(chat, 'a draft for long', false);
    await terminals.waitFor(chat, /long> a draft for long/);
    await terminals.key(chat, 'Down');
    await terminals.waitFor(chat, /^other 001>\s*$/m);
    await terminals.type(chat, 'and one for other', false);
    await terminals.key(chat, 'Up');
    await terminals.waitFor(chat, /long> a draft for long/);
    await terminals.key(chat, 'Down');
    await terminals.waitFor(chat, /other 001> and one for other/);
    await terminals.key(chat, 'C-c');
    await terminals.waitFor(chat, /exited 0/, CHAT_EXIT_MS);
    assert.equal((JSON.parse((await sotto(alice.home, ['history', 'other 001', '--json'])).stdout) as unknown[]).length, 0, 'a draft is never sent');
  });

  test('an emoji joined by ZWJ in a name (kept from earlier rules) and in text keeps the borders in place', async () => {
    const { terminals, socket } = await terminalsForTest();
    const alice = await newHome('alice');
    const bob = await newHome('bob');
    const name = `${FAMILY} family 家族`;
    // Names with joiners are refused now; a home may hold one from before.
    await withStore(alice.home, (store, now) => store.commit(new Tx().putContact({ name, peerId: bob.peerId, addedAt: now, verified: false, added: true }), { sync: true }));
    const chat = await openChat(terminals, alice.home);
    await terminals.waitFor(chat, /family 家族 · offline/);
    await terminals.type(chat, `${FAMILY} at the beach 海 ${FAMILY}${FAMILY} e\u0301t\u00e9 ${'中'.repeat(40)}`);
    const screen = await terminals.waitFor(chat, /queued/);
    assert.match(screen, /⟨U\+200D⟩/, 'the name shows its joiners');
    assert.match(screen, new RegExp(`${FAMILY} at the beach`), 'the text keeps its emoji whole');
    assertBordersHold(screen);
    // A draft of many lines grows the box upward; the header and the title stay.
    await paste(socket, chat, Array.from({ length: 12 }, (_, i) => `draft line ${i} ${FAMILY}`).join('\n'));
    const tall = await terminals.waitFor(chat, /draft line 11/);
    assert.match(tall, /^Sotto · alice/);
    assert.match(tall, /family 家族 · offline/);
    assertBordersHold(tall);
    await terminals.key(chat, 'C-c');
    await terminals.waitFor(chat, /exited 0/, CHAT_EXIT_MS);
  });

  test('a wrong passphrase is asked again, and the right one opens the chat', async () => {
    const { terminals } = await terminalsForTest();
    const alice = await newHome('alice');
    const chat = await openChat(terminals, alice.home, {}, ['SOTTO_PASSPHRASE']);
    await terminals.waitFor(chat, /passphrase:\s*$/m);
    await terminals.type(chat, 'not the passphrase');
    await terminals.waitFor(chat, /wrong passphrase; try again \(2 more attempts\)\npassphrase:\s*$/m);
    await terminals.type(chat, TEST_PASSPHRASE);
    await terminals.waitFor(chat, /Sotto · alice/);
    await terminals.key(chat, 'C-c');
    await terminals.waitFor(chat, /exited 0/, CHAT_EXIT_MS);
  });

  test('after a kill -9 of the reader’s chat that showed a message, the sender sees it read once both are back', async () => {
    const { terminals, socket } = await terminalsForTest();
    const { alice, bob } = await aliceKnowingBob();
    const aaron = await newHome('aaron');
    // Alice listens where her invite says, each time: bob finds her there after both restarted.
    const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
    const openAlice = (): Promise<string> => terminals.open(`${SOTTO} --home ${JSON.stringify(alice.home)} chat --no-mdns --listen ${listen}`, ENV);
    let aliceChat = await openAlice();
    await terminals.waitFor(aliceChat, /Sotto · alice/);
    await terminals.type(aliceChat, '/invite');
    const invite = inviteLinesOn(await terminals.waitFor(aliceChat, /Your invite[^]*\nSOTTO:/)).join('');
    assert.equal((await sotto(bob.home, ['contacts', 'add', '--invite', invite])).code, 0);
    // Bob's chat opens on aaron (first in the list), so alice's message waits unread.
    assert.equal((await sotto(bob.home, ['contacts', 'add', 'aaron', aaron.peerId])).code, 0);
    let bobChat = await openChat(terminals, bob.home);
    await terminals.waitFor(bobChat, /aaron · offline/);
    await terminals.waitFor(aliceChat, /● bob/);
    await terminals.type(aliceChat, 'read me before the crash');
    await terminals.waitFor(bobChat, /alice \(1\)/);
    await terminals.waitFor(aliceChat, /> read me before the crash +delivered/);
    // Alice leaves; bob reads it (marked read, its receipt queued: alice is gone), and his chat is killed.
    await terminals.type(aliceChat, '/quit');
    await terminals.waitFor(aliceChat, /exited 0/, CHAT_EXIT_MS);
    await terminals.key(bobChat, 'Down');
    await terminals.waitFor(bobChat, /< read me before the crash/);
    await run('kill', ['-9', String(await chatPid(socket, bobChat))]);
    await terminals.waitFor(bobChat, /exited 137/);
    // Both come back: alice still sees it delivered, until bob's node sends the receipt it kept.
    aliceChat = await openAlice();
    await terminals.waitFor(aliceChat, /> read me before the crash +delivered/);
    bobChat = await openChat(terminals, bob.home);
    await terminals.waitFor(aliceChat, /> read me before the crash +read/, RECEIPT_AFTER_RESTART_MS);
    await terminals.key(aliceChat, 'C-c');
    await terminals.key(bobChat, 'C-c');
    await terminals.waitFor(aliceChat, /exited 0/, CHAT_EXIT_MS);
    await terminals.waitFor(bobChat, /exited 0/, CHAT_EXIT_MS);
  });
});
