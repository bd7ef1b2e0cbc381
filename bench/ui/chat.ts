/**
 * The chat's part of `npm run bench -- ui`: the terminal chat on a home
 * that has been used for a long time, 200 contacts and 10,000 messages in
 * one conversation (./seed.ts), in an on-disk level store encrypted at
 * rest, opened by a Messenger the way `sotto chat` opens it (no network:
 * the chat's own work is what is measured). The real ink app (ChatApp) is
 * rendered on an 80×24 terminal made of streams, and the bytes it writes
 * are read back:
 *
 * - first screen: from asking the node who we are to the first frame that
 *   shows the newest message of the open conversation (contacts with their
 *   unread counts, the conversation's newest page, the layout, ink's draw);
 * - keystroke: from a key written to the terminal's input to the frame
 *   that shows it in the box (and to the chat's state holding it), keys
 *   typed KEY_INTERVAL_MS apart, with an empty box and with a box holding a
 *   draft near the message limit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createElement } from 'react';
import { render } from 'ink';
import { messengerApi } from '../../src/app/api.ts';
import { chatInviteHooks } from '../../src/app/chat-invites.ts';
import { ChatController } from '../../src/app/chat/controller.ts';
import { ChatApp } from '../../src/app/chat/view.tsx';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { MAX_TEXT_BYTES } from '../../src/node/constants.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import type { BenchFlags } from '../flags.ts';
import { median, roundTo } from '../stats.ts';
import type { UiCase } from '../ui.ts';
import { seededText, seedHome } from './seed.ts';

/** The long-used home of the target and a fresh one beside it (the smoke run: smaller). */
const LONG = { contacts: 200, messages: 10_000 };
const SHORT = { contacts: 2, messages: 20 };
const QUICK_LONG = { contacts: 20, messages: 1_000 };
/** A tiny home measured first and thrown away, so that neither home pays for loading the code. */
const WARM_UP = { contacts: 1, messages: 2 };
const WARM_UP_KEYSTROKES = 2;
/**
 * Targets for the long home, the page's (docs/WEB.md): a first screen
 * within 300 ms, a key shown within 50 ms (a typist notices more).
 */
const FIRST_SCREEN_TARGET_MS = 300;
const KEYSTROKE_TARGET_MS = 50;
/** Keys typed per case (each waits for its frame). */
const KEYSTROKES = 60;
const QUICK_KEYSTROKES = 10;
/** The terminal the chat is drawn on. */
const COLUMNS = 80;
const ROWS = 24;
/** Ms between two keys: a fast typist, and longer than ink's frame interval (30 frames a second), which would otherwise hold each frame back. */
const KEY_INTERVAL_MS = 100;
/** How long one frame may take before the run fails (a broken chat, not a slow one). */
const FRAME_TIMEOUT_MS = 60_000;
const PASSPHRASE = 'a benchmark passphrase';

/** A terminal made of streams: what the chat writes is kept, keys are written to its input. */
class StreamTerminal {
  private written = '';
  private waiters: { readonly test: (text: string) => boolean; readonly resolve: () => void }[] = [];
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;

  constructor() {
    const out = new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.written += chunk.toString();
        this.waiters = this.waiters.filter((w) => (w.test(this.written) ? (w.resolve(), false) : true));
        done();
      },
    });
    this.stdout = Object.assign(out, { isTTY: true, columns: COLUMNS, rows: ROWS }) as unknown as NodeJS.WriteStream;
    const input = new PassThrough();
    this.stdin = Object.assign(input, { isTTY: true, setRawMode: () => input }) as unknown as NodeJS.ReadStream;
  }

  /** Forgets what was written so far (the next wait looks only at what comes after). */
  mark(): void {
    this.written = '';
  }

  /** Resolves once what was written since the last mark makes `test` true. */
  until(test: (text: string) => boolean, what: string): Promise<void> {
    if (test(this.written)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the chat never drew ${what}`)), FRAME_TIMEOUT_MS);
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  type(key: string): void {
    this.stdin.write(key);
  }
}

/** The keys typed up to key i: x and y in turn (letters no seeded text and no prompt holds). */
const typed = (i: number): string => Array.from({ length: i + 1 }, (_, k) => (k % 2 === 0 ? 'x' : 'y')).join('');

/** Times of keys typed: to the chat's state holding the key, and to the frame that shows it. */
interface KeyTimes {
  readonly state: number[];
  readonly frame: number[];
}

/**
 * Types `count` keys into `terminal`, one every KEY_INTERVAL_MS, and times
 * each to the chat's new state and to the frame where the box shows
 * `shown(i)`.
 */
async function timeKeys(terminal: StreamTerminal, controller: ChatController, count: number, shown: (i: number) => string): Promise<KeyTimes> {
  const times: KeyTimes = { state: [], frame: [] };
  let last = -Infinity;
  for (let i = 0; i < count; i++) {
    const wait = last + KEY_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    terminal.mark();
    let changed: number | undefined;
    const off = controller.subscribe(() => (changed ??= performance.now()));
    const start = (last = performance.now());
    terminal.type(i % 2 === 0 ? 'x' : 'y');
    const expected = shown(i);
    await terminal.until((text) => text.includes(expected), `key ${i}`);
    const end = performance.now();
    off();
    times.state.push((changed ?? end) - start);
    times.frame.push(end - start);
  }
  return times;
}

/** What one home measured. */
interface HomeTimes {
  readonly firstScreen: number;
  /** Of the first screen, the loading (who am I, contacts and unread counts, the newest page). */
  readonly loading: number;
  readonly emptyBox: KeyTimes;
  readonly fullBox: KeyTimes;
}

/**
 * The chat's part: a fresh home and a long-used one side by side, each
 * timed to its first screen and from a key to its frame (empty box; a
 * draft near the message limit).
 */
export async function measureChat(flags: BenchFlags): Promise<UiCase[]> {
  const keystrokes = flags.quick ? QUICK_KEYSTROKES : KEYSTROKES;
  const long = flags.quick ? QUICK_LONG : LONG;
  // A first run loads and compiles the chat's code: its times say nothing about either home.
  await measureHome(WARM_UP, WARM_UP_KEYSTROKES, flags);
  const short = await measureHome(SHORT, keystrokes, flags);
  const longTimes = await measureHome(long, keystrokes, flags);
  const base = { part: 'chat', shortMessages: SHORT.messages, longMessages: long.messages };
  const contacts = { shortContacts: SHORT.contacts, longContacts: long.contacts };
  return [
    { ...base, case: 'first-screen', short: [short.firstScreen], long: [longTimes.firstScreen], targetMs: FIRST_SCREEN_TARGET_MS, detail: { ...contacts, longLoadingMs: roundTo(longTimes.loading, 1) } },
    { ...base, case: 'keystroke', short: short.emptyBox.frame, long: longTimes.emptyBox.frame, targetMs: KEYSTROKE_TARGET_MS, detail: { ...contacts, longToStateMs: roundTo(median(longTimes.emptyBox.state), 2) } },
    {
      ...base,
      case: 'keystroke-long-draft',
      short: short.fullBox.frame,
      long: longTimes.fullBox.frame,
      targetMs: KEYSTROKE_TARGET_MS,
      detail: { ...contacts, draftBytes: DRAFT_BYTES, longToStateMs: roundTo(median(longTimes.fullBox.state), 2) },
    },
  ];
}

/** A draft near the limit, ending with a line break: the keys typed after it make a row of their own. */
const DRAFT = `${'a few words of a long draft '.repeat(Math.floor((MAX_TEXT_BYTES - 1000) / 28))}\n`;
const DRAFT_BYTES = Buffer.byteLength(DRAFT);

/** Seeds a home of `size` and times the chat on it. */
async function measureHome(size: { contacts: number; messages: number }, keystrokes: number, flags: BenchFlags): Promise<HomeTimes> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-chat-'));
  try {
    const ctx = await nodeCryptoContext(() => Date.now());
    const store = await openLevelStore(join(dir, 'db'), ctx, { passphrase: () => Promise.resolve(PASSPHRASE), create: 'encrypted' });
    await Messenger.initialise(store, ctx, { name: 'bench' });
    flags.progress(`seeding ${size.contacts} contacts and ${size.messages.toLocaleString('en')} messages…`);
    await seedHome(store, { ...size, now: Date.now() });
    const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler });
    const api = messengerApi(messenger, ctx.primitives, () => []);
    const terminal = new StreamTerminal();

    flags.progress('first screen…');
    const newest = seededText(size.messages - 1).slice(0, 40);
    const start = performance.now();
    const self = await api.id();
    const controller = new ChatController({ api, ...chatInviteHooks(api), watch: () => () => {} }, self);
    await controller.start();
    const loaded = performance.now();
    const instance = render(createElement(ChatApp, { controller }), { stdout: terminal.stdout, stdin: terminal.stdin, stderr: terminal.stdout, patchConsole: false, exitOnCtrlC: false });
    await terminal.until((text) => text.includes(newest), 'the newest message');
    const firstScreen = performance.now() - start;
    const loadMs = loaded - start;

    flags.progress('keystrokes, empty box…');
    const emptyBox = await timeKeys(terminal, controller, keystrokes, (i) => `long> ${typed(i)}`);
    controller.edit('clear');
    controller.paste(DRAFT, DRAFT_BYTES, true);
    flags.progress(`keystrokes, a ${DRAFT_BYTES.toLocaleString('en')}-byte draft in the box…`);
    const fullBox = await timeKeys(terminal, controller, keystrokes, (i) => `\n${' '.repeat('long> '.length)}${typed(i)}`);
    instance.unmount();
    controller.stop();
    await messenger.stop();
    await store.close();
    return { firstScreen, loading: loadMs, emptyBox, fullBox };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
