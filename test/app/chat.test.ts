/**
 * The interactive chat without a terminal: what typed lines mean, how the
 * conversation lays out, and the controller and screen on real messengers
 * over an in-memory network (unread counts, online state, message states,
 * identity warnings, message requests, an 80×24 screen).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import { messengerApi, type HistoryLine, type RequestLine } from '../../src/app/api.ts';
import { parseChatInput } from '../../src/app/chat/commands.ts';
import { ChatController, initialChatState, INVITE_NOTICE_WIDTH, type ChatBackend, type ChatEvent, type ChatState } from '../../src/app/chat/controller.ts';
import { chatInviteHooks } from '../../src/app/chat-invites.ts';
import { contactLabel, requestLabel } from '../../src/app/chat/format.ts';
import { paneView } from '../../src/app/chat/scroll.ts';
import { wrapText } from '../../src/app/chat/width.ts';
import { splitListRows } from '../../src/app/chat/request-view.tsx';
import { Tx } from '../../src/node/store/store.ts';
import { ChatScreen } from '../../src/app/chat/view.tsx';
import { CHAT_PROGRESS_LINGER_MS, chatProgressOutput } from '../../src/app/chat/backends.ts';
import { watchMail } from '../../src/app/startup-feedback.ts';
import { PROGRESS_DELAY_MS, StatusLine } from '../../src/app/status-line.ts';
import type { MailProgress } from '../../src/node/core/core.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { testClock } from '../helpers/context.ts';
import { Home, homesOnOneHub } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

const PEER = '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBE';

describe('chat input', () => {
  test('plain text is a message; // escapes a leading slash; blank lines do nothing', () => {
    assert.deepEqual(parseChatInput('hello there'), { kind: 'send', text: 'hello there' });
    assert.deepEqual(parseChatInput('//shrug'), { kind: 'send', text: '/shrug' });
    assert.deepEqual(parseChatInput('   '), { kind: 'none' });
  });

  test('slash commands and their arguments', () => {
    assert.deepEqual(parseChatInput(`/add bob ${PEER}`), { kind: 'add', target: PEER, name: 'bob' });
    assert.deepEqual(parseChatInput('/add sotto1:abc'), { kind: 'add', target: 'sotto1:abc' });
    assert.deepEqual(parseChatInput('/add sotto1:abc Robert'), { kind: 'add', target: 'sotto1:abc', name: 'Robert' });
    assert.deepEqual(parseChatInput('/verify'), { kind: 'verify', confirm: false });
    assert.deepEqual(parseChatInput('/verify yes'), { kind: 'verify', confirm: true });
    assert.deepEqual(parseChatInput('/invite'), { kind: 'invite' });
    assert.deepEqual(parseChatInput('/quit'), { kind: 'quit' });
    assert.equal(parseChatInput('/add').kind, 'error');
    assert.equal(parseChatInput('/verify maybe').kind, 'error');
    assert.deepEqual(parseChatInput('/frobnicate'), { kind: 'error', message: 'unknown command /frobnicate (try /help)' });
  });

  test('request commands: /requests, /accept with a name of several words or none, /block, /delete [yes]', () => {
    assert.deepEqual(parseChatInput('/requests'), { kind: 'requests' });
    assert.deepEqual(parseChatInput('/accept'), { kind: 'accept' });
    assert.deepEqual(parseChatInput('/accept  Carol S '), { kind: 'accept', name: 'Carol S' });
    assert.deepEqual(parseChatInput('/block'), { kind: 'block' });
    assert.deepEqual(parseChatInput('/delete'), { kind: 'delete', confirm: false });
    assert.deepEqual(parseChatInput('/delete yes'), { kind: 'delete', confirm: true });
    assert.equal(parseChatInput('/block everyone').kind, 'error');
    assert.equal(parseChatInput('/delete everything').kind, 'error');
  });
});

describe('chat layout', () => {
  const msg = (over: Partial<HistoryLine>): HistoryLine => ({ id: 'x', seq: 1, direction: 'out', text: 'hi', timestamp: 0, status: 'delivered', ...over });

  test('wrap keeps every line within the width and loses no word', () => {
    const text = 'the quick brown fox jumps over the lazy dog ' + 'x'.repeat(30);
    const lines = wrapText(text, 12);
    assert.ok(lines.every((l) => l.length <= 12));
    assert.equal(lines.join('').replace(/ /g, ''), text.replace(/ /g, ''));
  });

  test('a sent message shows its state, right-aligned; the pane keeps the newest lines', () => {
    const { lines } = paneView([msg({ seq: 1, text: 'first', status: 'read' }), msg({ seq: 2, text: 'second', status: 'stored', mailboxes: 3 }), msg({ seq: 3, direction: 'in', text: 'third', status: 'received' })], 40, 2, undefined);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!.text, /> second +stored \(3 mailboxes\)$/);
    assert.equal(lines[0]!.text.length, 40);
    assert.match(lines[1]!.text, /< third$/);
  });

  test('a contact label fits its column and shows online, verified, warning and unread', () => {
    const label = contactLabel({ name: 'a very long contact name indeed', peerId: PEER, verified: true, added: true, online: true, unread: 12, keyChangedAt: 1 }, 22);
    assert.ok(label.length <= 22, label);
    assert.match(label, /^● a very/);
    assert.match(label, / ✓ ! \(12\)$/);
    assert.equal(contactLabel({ name: 'bob', peerId: PEER, verified: false, added: true, online: false, unread: 0 }, 22), '○ bob');
  });

  test('a message or name from another peer is laid out without its escapes, and measures as what is shown', () => {
    const hostile = msg({ direction: 'in', text: '\x1b]0;owned\x07hello \x1b[31mworld\x1b[0m\u009b2J \u202Egnp.exe', status: 'received' });
    const plain = msg({ direction: 'in', text: 'hello world ⟨U+202E⟩gnp.exe', status: 'received' });
    assert.deepEqual(paneView([hostile], 20, 10, undefined).lines, paneView([plain], 20, 10, undefined).lines);
    const label = contactLabel({ name: '\u202Eevil\u200Bname that is long', peerId: PEER, verified: false, added: true, online: true, unread: 0, confusableWith: 'bob' }, 22);
    assert.ok([...label].length <= 22, label);
    assert.match(label, /^● ⟨U\+202E⟩evil⟨U\+20…/);
    assert.match(label, / ≈$/, 'a lookalike name is marked; the marks are never cut');
  });
});

describe('chat request layout', () => {
  const request = (over: Partial<RequestLine>): RequestLine => ({ peerId: PEER, claimedName: 'carol', messages: 1, bytes: 100, firstAt: 0, lastAt: 0, ...over });

  test('a request reads as a claim with its message count; a long or hostile claimed name is cut and shown, never the marks', () => {
    assert.equal(requestLabel(request({ messages: 2 }), 22), '? "carol" (2)');
    assert.equal(requestLabel(request({ claimedName: null }), 22), '? 12D3KooW…eP4NBE (1)');
    const label = requestLabel(request({ claimedName: '\u202Ebob, your colleague from work', looksLike: 'bob' }), 22);
    assert.ok([...label].length <= 22, label);
    assert.match(label, /^\? "⟨U\+202E⟩bob.*… ≈ \(1\)$/);
  });

  test('requests share the list with the contacts: at least a few rows each way, the heading included', () => {
    assert.deepEqual(splitListRows(2, 0, 10), { contactRows: 10, requestRows: 0 });
    assert.deepEqual(splitListRows(2, 3, 10), { contactRows: 6, requestRows: 3 });
    assert.deepEqual(splitListRows(2, 100, 10), { contactRows: 2, requestRows: 7 });
    assert.deepEqual(splitListRows(30, 100, 10), { contactRows: 6, requestRows: 3 });
    assert.deepEqual(splitListRows(0, 100, 3), { contactRows: 1, requestRows: 1 });
  });

  test('a hundred requests keep the screen within 80×24, with the open one in view', () => {
    const requests = Array.from({ length: 100 }, (_, i) => request({ peerId: `${PEER.slice(0, -3)}${String(i).padStart(3, '0')}`, claimedName: `stranger ${i}` }));
    const state: ChatState = {
      ...initialChatState({ name: 'alice', peerId: PEER }),
      contacts: [{ name: 'bob', peerId: PEER, verified: false, added: true, online: true, unread: 0 }],
      requests,
      request: requests[60]!.peerId,
      messages: [{ id: 'm', seq: 1, direction: 'in', text: 'hello from 60', timestamp: 0, status: 'received' }],
      complete: true,
      notice: [],
    };
    const screen = renderToString(createElement(ChatScreen, { state, columns: 80, rows: 24 }), { columns: 80 });
    const rows = screen.split('\n');
    assert.ok(rows.length <= 24 && rows.every((r) => [...r].length <= 80), screen);
    assert.match(screen, /Requests \(100\)/);
    assert.match(screen, /● bob/);
    assert.match(screen, /\? "stranger 60" \(1\)/);
    assert.match(screen, /Says it is "stranger 60" \(unverified\) · not a contact/);
    assert.match(screen, /< hello from 60/);
    assert.match(screen, /· 100 requests/);
  });
});

/** A chat backend on a home of the in-memory network. */
function backendOf(home: Home, hub: MemoryHub): ChatBackend {
  return {
    api: messengerApi(home.messenger, nodePrimitives, () => [], (peerId) => hub.isOnline(peerId)),
    watch(listener: (e: ChatEvent) => void) {
      const offs = [
        home.messenger.on('message', () => listener({ kind: 'changed' })),
        home.messenger.on('status', () => listener({ kind: 'changed' })),
        home.messenger.on('request', () => listener({ kind: 'changed' })),
      ];
      return () => offs.forEach((off) => off());
    },
  };
}

async function chatOf(home: Home, hub: MemoryHub): Promise<ChatController> {
  const controller = new ChatController(backendOf(home, hub), { name: home.name, peerId: home.peerId });
  await controller.start();
  return controller;
}

/** Lets due timers fire, then waits until the controllers' refreshes and the network have settled. */
async function quiet(scheduler: ManualScheduler, ...controllers: ChatController[]): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await scheduler.advance(0);
    await settle();
    await Promise.all(controllers.map((c) => c.refresh()));
  }
}

describe('chat controller and screen', () => {
  test('unread counts, opening a conversation, message states through read, online state', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const alice = await new Home('alice', hub, clock, scheduler).init();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    const carol = await new Home('carol', hub, clock, scheduler).init();
    const aliceChat = await chatOf(alice, hub);
    const bobChat = await chatOf(bob, hub);

    await aliceChat.submit(`/add bob ${bob.peerId}`);
    await bobChat.submit(`/add alice ${alice.peerId}`);
    await bobChat.submit(`/add carol ${carol.peerId}`);
    await carol.messenger.addContact('bob', bob.peerId);
    assert.equal(aliceChat.getState().selected, 'bob');
    bobChat.move(-1);
    await quiet(scheduler, bobChat);
    assert.equal(bobChat.getState().selected, 'alice');

    await aliceChat.submit('hello bob');
    await carol.messenger.send('bob', 'psst, carol here');
    await quiet(scheduler, aliceChat, bobChat);

    // Bob has alice open: her message is read at once; carol's waits, counted.
    const bobState = bobChat.getState();
    assert.deepEqual(bobState.messages.map((m) => [m.direction, m.text]), [['in', 'hello bob']]);
    assert.deepEqual(bobState.contacts.map((c) => [c.name, c.unread, c.online]), [['alice', 0, true], ['carol', 1, true]]);
    assert.equal(aliceChat.getState().messages[0]!.status, 'read');

    bobChat.move(1);
    await quiet(scheduler, bobChat);
    assert.equal(bobChat.getState().selected, 'carol');
    assert.equal(bobChat.getState().contacts.find((c) => c.name === 'carol')!.unread, 0);
    assert.deepEqual(bobChat.getState().messages.map((m) => m.text), ['psst, carol here']);

    // Alice sends while bob is away: the message stays queued and says so.
    await bob.stop();
    await aliceChat.submit('are you there?');
    await quiet(scheduler, aliceChat);
    const state = aliceChat.getState();
    assert.equal(state.contacts[0]!.online, false);
    assert.deepEqual(state.messages.map((m) => [m.text, m.status]), [['hello bob', 'read'], ['are you there?', 'queued']]);

    const screen = renderToString(createElement(ChatScreen, { state, columns: 80, rows: 24 }), { columns: 80 });
    const rows = screen.split('\n');
    assert.ok(rows.length <= 24, `${rows.length} rows`);
    assert.ok(rows.every((r) => [...r].length <= 80), 'a row is wider than 80 columns');
    assert.match(screen, /○ bob/);
    assert.match(screen, /bob · offline · not verified/);
    assert.match(screen, /> hello bob +read/);
    assert.match(screen, /> are you there\? +queued/);
    aliceChat.stop();
    bobChat.stop();
  });

  test('a contact whose identity key changed is flagged in the list and the conversation', async () => {
    const { hub, scheduler, homes } = await homesOnOneHub('alice', 'bob', 'mallory');
    const [alice, bob, mallory] = homes as [Home, Home, Home];
    const chat = await chatOf(alice, hub);
    await chat.submit(`/add bob ${bob.peerId}`);
    // Bob's name now points at another key: refused in the chat, accepted on purpose.
    await chat.submit(`/add bob ${mallory.peerId}`);
    assert.equal(chat.getState().noticeIsError, true);
    assert.match(chat.getState().notice.join(' '), /identity/);
    await alice.messenger.addContact('bob', mallory.peerId, { acceptNewKey: true });
    await quiet(scheduler, chat);
    const state = chat.getState();
    assert.equal(typeof state.contacts[0]!.keyChangedAt, 'number');
    const screen = renderToString(createElement(ChatScreen, { state, columns: 80, rows: 24 }), { columns: 80 });
    assert.match(screen, /● bob !/);
    assert.match(screen, /⚠ bob's identity key changed/);
    chat.stop();
  });

  test('nothing from another peer reaches the terminal: a hostile message, a lookalike name, a notice quoting text', async () => {
    const { hub, clock, scheduler, homes } = await homesOnOneHub('alice', 'bob', 'mallory');
    const [alice, bob, mallory] = homes as [Home, Home, Home];
    const chat = await chatOf(alice, hub);
    await chat.submit(`/add bob ${bob.peerId}`);
    clock.advance(1000);
    // Mallory is added under a name with a Cyrillic о: added, and flagged at once.
    await chat.submit(`/add b\u043Eb ${mallory.peerId}`);
    assert.equal(chat.getState().noticeIsError, true);
    assert.match(chat.getState().notice.join('\n'), /"bоb" looks like your contact "bob"/);
    await mallory.messenger.addContact('alice', alice.peerId);
    const hostile = 'pay \x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07now\x1b]0;owned\x07 \x1b]8;;https://evil.example/\x1b\\https://bank.example/\x1b]8;;\x1b\\ \u009b2J\x1bP$q\x1b\\\u202Egnp.exe';
    await mallory.messenger.send('alice', hostile);
    await quiet(scheduler, chat);
    assert.equal(chat.getState().selected, 'b\u043Eb');
    assert.equal(chat.getState().messages[0]!.text, hostile, 'the stored text is exact');
    // A notice quoting pasted text (here an unknown command) is drawn through the same filter.
    await chat.submit('/x\x1b]0;owned\x07');
    assert.match(chat.getState().notice[0]!, /owned/);
    const screen = renderToString(createElement(ChatScreen, { state: chat.getState(), columns: 80, rows: 24 }), { columns: 80 });
    // Only ink's own colour codes may remain; none of the peer's sequences, payloads or controls.
    // eslint-disable-next-line no-control-regex
    const text = screen.replace(/\x1b\[[0-9;]*m/g, '');
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(text), JSON.stringify(text));
    assert.ok(!text.includes('owned') && !text.includes('Y3Vyb') && !text.includes('evil.example'));
    assert.match(text, /< pay now https:\/\/bank\.example\/ ⟨U\+202E⟩gnp\.exe/);
    assert.match(text, /● bоb ≈/);
    assert.match(text, /⚠ this name looks like "bob"/);
    const rows = text.split('\n');
    assert.ok(rows.length <= 24 && rows.every((r) => [...r].length <= 80), 'the layout holds');
    chat.stop();
  });

  test('help and unknown commands answer in the information area', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const alice = await new Home('alice', hub, clock, new ManualScheduler(clock)).init();
    const chat = await chatOf(alice, hub);
    await chat.submit('/help');
    assert.match(chat.getState().notice.join('\n'), /\/add INVITE/);
    await chat.submit('/nope');
    assert.equal(chat.getState().noticeIsError, true);
    await chat.submit('hello?');
    assert.match(chat.getState().notice[0]!, /No conversation open/);
    await chat.submit('/quit');
    assert.equal(chat.getState().quit, true);
    chat.stop();
  });

  test('slow work shows in the footer: a mail fetch with a bar and counts, its total for a while, then the help line again', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const alice = await new Home('alice', hub, clock, scheduler).init();
    // A backend whose node reports mail progress the way the in-process one does.
    const mail = new Set<(p: MailProgress) => void>();
    const base = backendOf(alice, hub);
    const backend: ChatBackend = {
      ...base,
      watch(listener) {
        const output = chatProgressOutput((line) => listener({ kind: 'progress', line }), scheduler);
        const stop = watchMail({ on: (_event, l) => (mail.add(l), () => mail.delete(l)) }, new StatusLine(output, { now: clock.now, scheduler }), { now: clock.now, scheduler });
        const off = base.watch(listener);
        return () => (stop(), off());
      },
    };
    const chat = new ChatController(backend, { name: alice.name, peerId: alice.peerId });
    await chat.start();
    const emit = (p: MailProgress): void => mail.forEach((l) => l(p));
    const footer = (): string => {
      const screen = renderToString(createElement(ChatScreen, { state: chat.getState(), columns: 80, rows: 24 }), { columns: 80 });
      return screen.split('\n').at(-1)!;
    };

    emit({ fetched: 0, total: 40, more: true, finished: false });
    assert.equal(chat.getState().progress, '', 'quick work shows nothing');
    assert.match(footer(), /Enter send/);
    await scheduler.advance(PROGRESS_DELAY_MS);
    assert.match(footer(), /^fetching mail ▕░+▏ 0\/40\+$/);
    emit({ fetched: 20, total: 40, more: false, finished: false });
    await scheduler.advance(PROGRESS_DELAY_MS);
    assert.match(footer(), /^fetching mail ▕█+░+▏ 20\/40$/);
    emit({ fetched: 40, total: 40, more: false, finished: true });
    assert.equal(footer(), 'fetched 40 items of mail in 2.0s');
    await scheduler.advance(CHAT_PROGRESS_LINGER_MS);
    assert.equal(chat.getState().progress, '');
    assert.match(footer(), /Enter send/);
    chat.stop();
  });

  test('/invite shows the whole invite on an 80-column screen, and /add with it adds the contact', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const alice = await new Home('alice', hub, clock, scheduler).init();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    const chatOn = async (home: Home): Promise<ChatController> => {
      const base = backendOf(home, hub);
      const chat = new ChatController({ ...base, ...chatInviteHooks(base.api) }, { name: home.name, peerId: home.peerId });
      await chat.start();
      return chat;
    };
    const aliceChat = await chatOn(alice);
    const bobChat = await chatOn(bob);
    await aliceChat.submit('/invite');
    const [, ...lines] = aliceChat.getState().notice;
    const invite = lines.join('');
    assert.match(invite, /^SOTTO:[A-Z2-7]+$/);
    assert.ok(lines.length > 1 && lines.every((line) => line.length <= INVITE_NOTICE_WIDTH));
    const screen = renderToString(createElement(ChatScreen, { state: aliceChat.getState(), columns: 80, rows: 24 }), { columns: 80 });
    assert.equal(screen.split('\n').filter((line) => lines.includes(line)).join(''), invite, 'the screen shows every character of the invite');

    await bobChat.submit(`/add ${invite}`);
    assert.deepEqual([bobChat.getState().selected, bobChat.getState().notice], ['alice', ['Added alice.']]);
    assert.equal(bobChat.getState().contacts[0]?.peerId, alice.peerId);
    aliceChat.stop();
    bobChat.stop();
  });
});

describe('message requests in the chat', () => {
  const screenOf = (chat: ChatController): string => renderToString(createElement(ChatScreen, { state: chat.getState(), columns: 80, rows: 24 }), { columns: 80 });

  test('a stranger is a request: listed apart, never opened by itself, read on demand; sending there is refused; /delete, then /accept NAME makes a contact with the conversation', async () => {
    const { hub, scheduler, homes } = await homesOnOneHub('alice', 'bob', 'carol', 'dave');
    const [alice, bob, carol, dave] = homes as [Home, Home, Home, Home];
    await alice.messenger.addContact('bob', bob.peerId);
    for (const stranger of [carol, dave]) await stranger.messenger.addContact('alice', alice.peerId);
    assert.equal((await carol.messenger.send('alice', 'hi alice, it is carol from the office', { waitMs: 5_000 })).status, 'delivered');
    assert.equal((await dave.messenger.send('alice', 'hello?', { waitMs: 5_000 })).status, 'delivered');

    // The chat opens on the contact, not on the requests that came first.
    const chat = await chatOf(alice, hub);
    let state = chat.getState();
    assert.deepEqual(state.contacts.map((c) => c.name), ['bob']);
    assert.deepEqual(state.requests.map((r) => [r.peerId, r.claimedName, r.messages]), [[carol.peerId, 'carol', 1], [dave.peerId, 'dave', 1]]);
    assert.deepEqual([state.selected, state.request, state.messages], ['bob', undefined, []]);
    let screen = screenOf(chat);
    assert.match(screen, /Requests \(2\)/);
    assert.ok(screen.indexOf('? "carol" (1)') > screen.indexOf('Requests (2)'), screen);

    // Down from the last contact opens the oldest request: its text, said to be a claim.
    chat.move(1);
    await quiet(scheduler, chat);
    state = chat.getState();
    assert.deepEqual([state.selected, state.request], [undefined, carol.peerId]);
    assert.deepEqual(state.messages.map((m) => [m.direction, m.text]), [['in', 'hi alice, it is carol from the office']]);
    screen = screenOf(chat);
    assert.match(screen, /Says it is "carol" \(unverified\) · not a contact/);
    assert.match(screen, /< hi alice, it is carol from the office/);
    assert.match(screen, /^request>/m);
    assert.equal((await carol.messenger.history('alice'))[0]!.status, 'delivered', 'reading a request sends no receipt');

    // Nothing can be sent to a request.
    await chat.submit('are you really carol?');
    assert.equal(chat.getState().noticeIsError, true);
    assert.match(chat.getState().notice.join('\n'), /Accept the request first: \/accept NAME/);
    await quiet(scheduler, chat);
    assert.equal(carol.received.length, 0, 'nothing reached carol');
    assert.equal((await alice.messenger.requestMessages(carol.peerId)).length, 1);

    // The next request, deleted: the chat goes back to the contact.
    chat.move(1);
    await quiet(scheduler, chat);
    assert.equal(chat.getState().request, dave.peerId);
    await chat.submit('/delete');
    state = chat.getState();
    assert.deepEqual(state.notice, ['Deleted the request from "dave" (it may write again).']);
    assert.deepEqual([state.requests.map((r) => r.peerId), state.request, state.selected], [[carol.peerId], undefined, 'bob']);

    // /requests opens the one left; /accept with a name of the user's makes it a contact, its message the start of the conversation.
    await chat.submit('/requests');
    assert.equal(chat.getState().request, carol.peerId);
    await chat.submit('/accept Carol S');
    state = chat.getState();
    assert.equal(state.noticeIsError, false, state.notice.join('\n'));
    assert.match(state.notice[0]!, /^Accepted: Carol S is a contact now/);
    assert.deepEqual([state.selected, state.request, state.requests], ['Carol S', undefined, []]);
    assert.deepEqual(state.contacts.map((c) => [c.name, c.peerId]), [['bob', bob.peerId], ['Carol S', carol.peerId]]);
    assert.deepEqual(state.messages.map((m) => m.text), ['hi alice, it is carol from the office']);
    await chat.submit('welcome, carol');
    await carol.messenger.send('alice', 'thanks!', { waitMs: 5_000 });
    await quiet(scheduler, chat);
    assert.deepEqual(chat.getState().messages.map((m) => [m.direction, m.text]), [['in', 'hi alice, it is carol from the office'], ['out', 'welcome, carol'], ['in', 'thanks!']]);
    assert.deepEqual(carol.received.map((m) => m.text), ['welcome, carol']);

    // /delete in a conversation asks first, then deletes it on this device only; the contact stays.
    await chat.submit('/delete');
    assert.match(chat.getState().notice.join('\n'), /Type \/delete yes/);
    assert.equal(chat.getState().messages.length, 3);
    await chat.submit('/delete yes');
    state = chat.getState();
    assert.deepEqual(state.notice, ['Deleted 3 messages with Carol S on this device.']);
    assert.deepEqual([state.selected, state.messages], ['Carol S', []]);
    assert.equal((await carol.messenger.history('alice')).length, 3, 'the contact keeps their copy');
    chat.stop();
  });

  test("a request that claims a contact's name is flagged; /accept without a name is refused with a hint; /block removes it and refuses its next message", async () => {
    const { hub, scheduler, homes } = await homesOnOneHub('alice', 'bob', 'impostor');
    const [alice, bob, impostor] = homes as [Home, Home, Home];
    await impostor.store.commit(new Tx().putProfile({ name: 'bob' }), { sync: true });
    const chat = await chatOf(alice, hub);
    await chat.submit(`/add bob ${bob.peerId}`);
    await impostor.messenger.addContact('alice', alice.peerId);
    await impostor.messenger.send('alice', 'it is bob, new phone', { waitMs: 5_000 });
    await quiet(scheduler, chat);
    assert.deepEqual(chat.getState().requests.map((r) => [r.claimedName, r.looksLike]), [['bob', 'bob']]);
    assert.equal(chat.getState().selected, 'bob');

    await chat.submit('/requests');
    const screen = screenOf(chat);
    assert.match(screen, /Says it is "bob" \(unverified\) · not a contact/);
    assert.match(screen, /⚠ you have a contact "bob": this may be someone else/);
    assert.match(screen, /\? "bob" ≈ \(1\)/);

    await chat.submit('/accept');
    let state = chat.getState();
    assert.equal(state.noticeIsError, true);
    assert.match(state.notice.join(' '), /needs a name: a contact is already named "bob"/);
    assert.equal(state.notice.at(-1), 'Give them a name of your own: /accept NAME');
    const rows = screenOf(chat).split('\n');
    assert.ok(rows.length <= 24 && rows.every((r) => [...r].length <= 80), 'the error is wrapped to the information area');
    assert.equal(state.request, impostor.peerId, 'the request stays open');

    await chat.submit('/block');
    state = chat.getState();
    assert.deepEqual(state.notice, ['Blocked "bob": the request is deleted and whatever it sends is refused.']);
    assert.deepEqual([state.requests, state.request, state.selected], [[], undefined, 'bob']);
    assert.equal((await alice.messenger.contact('bob')).peerId, bob.peerId, 'the contact bob is untouched');
    const again = await impostor.messenger.send('alice', 'let me in', { waitMs: 5_000 });
    assert.deepEqual([again.status, again.reason], ['failed', 'not accepted']);
    await quiet(scheduler, chat);
    assert.deepEqual(chat.getState().requests, []);
    chat.stop();
  });
});
