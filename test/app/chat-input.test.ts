/**
 * The chat's box and pane on real messengers over an in-memory network:
 * one draft per conversation, Enter that empties the box at once and sends
 * once, a paste that is one message, a paste past the limit refused with
 * the box kept, a refused command given back to the box, a 10,000-message
 * conversation opened from its newest page and scrolled back page by page,
 * and screens that keep their borders and title with wide text and a tall
 * draft.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import stringWidth from 'string-width';
import { messengerApi, type HistoryPage, type SottoApi } from '../../src/app/api.ts';
import { EMPTY_DRAFT, insertText } from '../../src/app/chat/composer.ts';
import { ChatController, initialChatState, type ChatBackend, type ChatState } from '../../src/app/chat/controller.ts';
import { CHAT_PAGE_MESSAGES } from '../../src/app/chat/history-window.ts';
import { chatLayout } from '../../src/app/chat/layout.ts';
import { actOnInput, ChatScreen } from '../../src/app/chat/view.tsx';
import { MAX_TEXT_BYTES } from '../../src/node/constants.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { seededText, seedHome } from '../../bench/ui/seed.ts';
import { homesOnOneHub, type Home } from '../helpers/homes.ts';
import type { MemoryHub } from '../helpers/memory-network.ts';
import { settle } from '../helpers/scheduler.ts';

const FAMILY = '👨\u200d👩\u200d👧';

/** A chat on `home`, with the messages its history calls returned counted. */
async function chatOn(home: Home, hub: MemoryHub): Promise<{ chat: ChatController; read: { messages: number } }> {
  const base = messengerApi(home.messenger, nodePrimitives, () => [], (peerId) => hub.isOnline(peerId));
  const read = { messages: 0 };
  const api: SottoApi = {
    ...base,
    history: async (name: string, page?: HistoryPage | null) => {
      const lines = await base.history(name, page);
      read.messages += lines.length;
      return lines;
    },
  };
  const backend: ChatBackend = {
    api,
    watch: (listener) => {
      const offs = [home.messenger.on('message', () => listener({ kind: 'changed' })), home.messenger.on('status', () => listener({ kind: 'changed' }))];
      return () => offs.forEach((off) => off());
    },
  };
  const chat = new ChatController(backend, { name: home.name, peerId: home.peerId });
  await chat.start();
  return { chat, read };
}

/** The screen of `state` on an 80×24 terminal, without ink's colours. */
function screen(state: ChatState, rows = 24): string {
  // eslint-disable-next-line no-control-regex
  return renderToString(createElement(ChatScreen, { state, columns: 80, rows }), { columns: 80 }).replace(/\x1b\[[0-9;]*m/g, '');
}

/** The pane of an 80×24 screen, for scrolling. */
const paneOf = (chat: ChatController): { width: number; height: number } => chatLayout(chat.getState(), 80, 24).pane;

async function threeFriends(): Promise<{ alice: Home; bob: Home; carol: Home; chat: ChatController; hub: MemoryHub }> {
  const { hub, scheduler, homes } = await homesOnOneHub('alice', 'bob', 'carol');
  const [alice, bob, carol] = homes as [Home, Home, Home];
  for (const other of [bob, carol]) {
    await alice.messenger.addContact(other.name, other.peerId);
    await other.messenger.addContact('alice', alice.peerId);
  }
  await scheduler.advance(1);
  const { chat } = await chatOn(alice, hub);
  return { alice, bob, carol, chat, hub };
}

describe('the box', () => {
  test('one draft per conversation: moving away keeps it, coming back brings it back; nothing is sent', async () => {
    const { bob, carol, chat } = await threeFriends();
    assert.equal(chat.getState().selected, 'bob');
    chat.type('half a thought for bob');
    chat.move(1);
    assert.deepEqual([chat.getState().selected, chat.getState().draft], ['carol', EMPTY_DRAFT]);
    chat.type('for carol');
    chat.move(-1);
    assert.deepEqual([chat.getState().selected, chat.getState().draft.text], ['bob', 'half a thought for bob']);
    chat.move(1);
    assert.equal(chat.getState().draft.text, 'for carol');
    await settle();
    assert.deepEqual([bob.received.length, carol.received.length], [0, 0]);
    chat.stop();
  });

  test('Enter empties the box at once, so Enter pressed again at once sends nothing more: one message', async () => {
    const { bob, chat } = await threeFriends();
    chat.type('only once');
    const first = chat.enter();
    assert.deepEqual(chat.getState().draft, EMPTY_DRAFT, 'emptied before anything is sent');
    const again = [chat.enter(), chat.enter()];
    await Promise.all([first, ...again]);
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['only once']);
    chat.stop();
  });

  test('a pasted block is one message with its line breaks, on both sides', async () => {
    const { alice, bob, chat } = await threeFriends();
    const pasted = 'first line\nsecond line\nthird line';
    chat.paste(pasted, Buffer.byteLength(pasted), true);
    assert.equal(chat.getState().draft.text, pasted);
    await chat.enter();
    await settle();
    await chat.refresh();
    assert.deepEqual(bob.received.map((m) => m.text), [pasted]);
    assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), [pasted]);
    assert.deepEqual((await alice.messenger.history('bob')).map((m) => m.text), [pasted]);
    assert.match(screen(chat.getState()), /> first line\s*│\n│[^\n]*│ +second line\s*│\n│[^\n]*│ +third line/);
    chat.stop();
  });

  test('a paste past the message limit is refused at once, whole, with the box as it was', async () => {
    const { bob, chat } = await threeFriends();
    chat.type('keep me');
    const before = chat.getState().draft;
    chat.paste('x'.repeat(1000), 1024 * 1024, false);
    assert.equal(chat.getState().draft, before);
    assert.equal(chat.getState().noticeIsError, true);
    assert.match(chat.getState().notice[0]!, /Not added: the message would be 1,048,583 bytes, and a message holds at most 61,440/);
    // Typing up to the limit is fine; one more character is refused the same way.
    chat.edit('clear');
    chat.paste('y'.repeat(MAX_TEXT_BYTES), MAX_TEXT_BYTES, true);
    chat.type('z');
    assert.equal(chat.getState().draft.bytes, MAX_TEXT_BYTES);
    await chat.enter();
    await settle();
    assert.equal(bob.received[0]?.text.length, MAX_TEXT_BYTES);
    chat.stop();
  });

  test('a command that fails gives its text back to the box; Ctrl-C asks to leave whatever the box holds', async () => {
    const { chat } = await threeFriends();
    chat.type('/add SOTTO:NOTANINVITE');
    await chat.enter();
    assert.equal(chat.getState().noticeIsError, true);
    assert.equal(chat.getState().draft.text, '/add SOTTO:NOTANINVITE');
    actOnInput(chat, { kind: 'ctrl', letter: 'c' }, () => paneOf(chat));
    assert.equal(chat.getState().quit, true);
    chat.stop();
  });
});

describe('a long conversation', () => {
  test('opens from its newest page; PageUp loads older pages as it goes and shows older messages; PageDown comes back', async () => {
    const { hub, homes } = await homesOnOneHub('alice');
    const [alice] = homes as [Home];
    const seeded = await seedHome(alice.store, { contacts: 3, messages: 10_000, now: alice.clock.now() });
    const { chat, read } = await chatOn(alice, hub);
    let state = chat.getState();
    assert.equal(state.selected, 'long');
    assert.equal(read.messages, CHAT_PAGE_MESSAGES, 'one page read to open it');
    assert.equal(state.messages.at(-1)!.text, seededText(9_999));
    assert.match(screen(state), new RegExp(seededText(9_999).slice(0, 20)));
    const firstScreen = screen(state);

    const pageUp = (): void => actOnInput(chat, { kind: 'key', name: 'pageup' }, () => paneOf(chat));
    for (let i = 0; i < 30; i++) pageUp();
    await chat.scroll(0, paneOf(chat));
    state = chat.getState();
    assert.notEqual(state.scroll, undefined);
    assert.ok(state.messages.length > CHAT_PAGE_MESSAGES, 'older pages were loaded');
    assert.ok(read.messages < 10_000 / 10, `${read.messages} messages read, not the whole conversation`);
    const shown = chatLayout(state, 80, 24).conversation.lines.map((l) => l.text).join('\n');
    const oldest = /message (\d+) of/.exec(shown);
    assert.ok(oldest && Number(oldest[1]) < 10_000 - CHAT_PAGE_MESSAGES, `an older message is on screen: ${shown}`);
    assert.doesNotMatch(firstScreen, new RegExp(`message ${oldest[1]} of`));
    assert.match(screen(state), /Scrolled back/);

    // New messages while scrolled back leave the view where it is.
    const before = chatLayout(state, 80, 24).conversation.lines;
    await chat.refresh();
    assert.deepEqual(chatLayout(chat.getState(), 80, 24).conversation.lines, before);

    for (let i = 0; i < 40; i++) actOnInput(chat, { kind: 'key', name: 'pagedown' }, () => paneOf(chat));
    await chat.scroll(0, paneOf(chat));
    assert.equal(chat.getState().scroll, undefined, 'back at the newest');
    assert.equal(seeded.names[0], 'long');
    chat.stop();
  });
});

describe('screens that hold', () => {
  const base = (over: Partial<ChatState>): ChatState => ({
    ...initialChatState({ name: 'alice', peerId: '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBE' }),
    contacts: [{ name: 'bob', peerId: '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBF', verified: true, added: true, online: true, unread: 0 }],
    selected: 'bob',
    complete: true,
    notice: [],
    ...over,
  });
  /** Every row at most 79 columns, and the panes' right borders all in the last column. */
  const holds = (text: string): void => {
    const rows = text.split('\n');
    assert.ok(rows.length <= 23, `${rows.length} rows:\n${text}`);
    for (const row of rows) assert.ok(stringWidth(row) <= 79, `${stringWidth(row)} columns: ${row}`);
    const bordered = rows.filter((r) => /^[│┌└]/.test(r));
    assert.ok(bordered.length > 2);
    for (const row of bordered) assert.equal(stringWidth(row), 79, `a border moved: ${row}`);
  };

  test('an emoji joined by ZWJ, wide characters and a combining mark in a name and in text keep the borders in place', () => {
    const name = `${FAMILY} 家族 José`;
    const state = base({
      contacts: [{ name, peerId: '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBF', verified: true, added: true, online: true, unread: 3 }],
      selected: name,
      messages: [
        { id: 'a', seq: 1, direction: 'in', text: `${FAMILY} family photo 家族写真 e\u0301 ${'中'.repeat(60)}`, timestamp: 0, status: 'received' },
        { id: 'b', seq: 2, direction: 'out', text: `${FAMILY}${FAMILY}${FAMILY}`, timestamp: 0, status: 'read' },
      ],
      draft: insertText(EMPTY_DRAFT, `${FAMILY} 家族`),
    });
    const text = screen(state);
    holds(text);
    assert.match(text, /⟨U\+200D⟩/, 'a name shows its joiners');
    assert.match(text, new RegExp(`${FAMILY}${FAMILY}${FAMILY} +read`), 'text keeps its emoji whole');
  });

  test('a tall draft grows the box upward, keeping the header and the title; long notices and hints wrap, never cut', () => {
    const draft = insertText(EMPTY_DRAFT, Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n'));
    const notice = [`an error that goes on and on about ${'something long '.repeat(8)}and ends here`];
    const state = base({ draft, notice, noticeIsError: true, messages: [{ id: 'a', seq: 1, direction: 'in', text: 'hello', timestamp: 0, status: 'read' }] });
    const text = screen(state);
    holds(text);
    assert.match(text, /^Sotto · alice/);
    assert.match(text, /bob · online · verified ✓/);
    assert.match(text, /line 11/);
    assert.match(text, /something long\nsomething long[^]*ends here/, 'the notice wraps at a space');
    assert.doesNotMatch(text.replace(/12D3KooW…\w+/g, ''), /…/, 'nothing cut (but the short peer id)');
  });
});
