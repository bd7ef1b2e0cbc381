/**
 * The page's part of `npm run bench -- ui`: the built page (dist/web) in
 * headless Chromium, with a conversation of 10,000 messages and, beside it,
 * a short one of 20, each in a profile of its own made ahead of time
 * (./page-profile.ts) and written into the page's IndexedDB before it is
 * unlocked. A desktop node in this process (startHome and startWebServer,
 * as `sotto start --relay --web` starts them) serves the page, relays for it
 * and is the contact both
 * conversations are with. The page it serves is dist/web, or with `--app
 * DIR` another build (an older commit's, to compare): the scripts find what
 * they time by test id and by contact name, as both have.
 *
 * - open: from the click on the contact to the first frame painted after
 *   its newest message is in the page (timed in the page). Between two
 *   openings the page opens another contact, so each one starts afresh.
 * - new-message: from the desktop node's send to the first frame painted
 *   after the message is in the open conversation (wall clock of this
 *   process and of the page, the same machine's clock). Each sample waits
 *   for the page's read receipt, so the page has finished with the last
 *   message before the next one is sent. One message is sent first and not
 *   counted: it starts the session.
 *
 * Chromium runs on this machine's network (no namespace): the page only
 * talks to the node over loopback WebSockets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { initHome } from '../../src/app/init.ts';
import { homePaths } from '../../src/app/home.ts';
import { startHome, type RunningHome } from '../../src/app/run-node.ts';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { absoluteNow } from '../transport/party.ts';
import type { UiCase, UiFlags } from '../ui.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebAppBuilt } from './browser.ts';
import { makeProfile, RECORDS_PER_SCRIPT, writeProfileScript, type MadeProfile } from './page-profile.ts';

/** Issue 13's targets for the page with a 10,000-message conversation. */
export const PAGE_TARGETS = {
  /** Opening the conversation, to its newest messages on screen (ms). */
  openMs: 300,
  /** A new incoming message, from the sender's send to on screen (ms). */
  newMessageMs: 50,
} as const;

/** How much to do. */
export interface PagePlan {
  readonly shortMessages: number;
  readonly longMessages: number;
  /** Timed openings of each conversation. */
  readonly opens: number;
  /** Timed new messages into each conversation. */
  readonly newMessages: number;
}

/** The case. */
export const FULL_PLAN: PagePlan = { shortMessages: 20, longMessages: 10_000, opens: 10, newMessages: 20 };
/** Smoke-test plan (`--quick`): the same path, a small conversation, few samples. */
export const QUICK_PLAN: PagePlan = { shortMessages: 20, longMessages: 300, opens: 3, newMessages: 3 };

/** The passphrase of the made profiles. */
const PASSPHRASE = 'benchmark passphrase';
/** The desktop node's name, and the other contact of each profile. */
const DESK = 'desk';
const ELSEWHERE = 'elsewhere';
/** The window of the page: a laptop screen. */
const VIEWPORT = { width: 1280, height: 800 };
/** Longest wait for anything the page should do (unlock, connect, show, read). */
const PAGE_TIMEOUT_MS = 60_000;
/** The desktop node listens on loopback only: TCP, and WebSockets for the page. */
const DESK_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'];

/** A page script that resolves after the next frame is painted: its value is `expression`, read then. */
const AFTER_PAINT = (expression: string): string => `new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(${expression}), 0)))`;

/**
 * Page script: clicks the contact `name`, waits for `newest` to be the last
 * message shown, then for the next paint. Resolves to the time it took
 * (ms) and how many messages the page drew.
 */
function openScript(name: string, newest: string): string {
  return `(async () => {
    const scroller = document.querySelector('[data-testid="messages"]');
    const button = [...document.querySelectorAll('[data-testid="contact"]')].find((b) => b.querySelector('bdi.name').textContent === ${JSON.stringify(name)});
    const newest = ${JSON.stringify(newest)};
    const shown = () => { const texts = scroller.querySelectorAll('[data-testid="message-text"]'); return texts.length > 0 && texts[texts.length - 1].textContent === newest; };
    const start = performance.now();
    const drawn = new Promise((resolve) => {
      const observer = new MutationObserver(() => { if (shown()) { observer.disconnect(); resolve(); } });
      observer.observe(scroller, { childList: true, subtree: true });
    });
    button.click();
    await drawn;
    const end = await ${AFTER_PAINT('performance.now()')};
    return { ms: end - start, drawn: scroller.querySelectorAll('[data-testid="message"]').length };
  })()`;
}

/**
 * Page script: starts watching for `text` to be the last message shown; the
 * promise it leaves in `window.sottoBenchShown` resolves to the wall-clock
 * time (ms) of the first paint after it, and whether it was in view.
 */
function watchScript(text: string): string {
  return `void (window.sottoBenchShown = new Promise((resolve) => {
    const scroller = document.querySelector('[data-testid="messages"]');
    const text = ${JSON.stringify(text)};
    const observer = new MutationObserver(() => {
      const texts = scroller.querySelectorAll('[data-testid="message-text"]');
      if (texts.length === 0 || texts[texts.length - 1].textContent !== text) return;
      observer.disconnect();
      resolve(${AFTER_PAINT('{ at: performance.timeOrigin + performance.now(), inView: scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 2 * texts[texts.length - 1].parentElement.offsetHeight }')});
    });
    observer.observe(scroller, { childList: true, subtree: true });
  }))`;
}

/** The desktop node: a fresh home in a temporary folder, started as `--web` starts it (relay, page server, the page's WebSocket origin allowed), serving `app` (default dist/web). */
async function startDesk(app?: string): Promise<{ running: RunningHome; web: string; close: () => Promise<void> }> {
  const root = await mkdtemp(join(os.tmpdir(), 'sotto-bench-ui-'));
  const home = homePaths(root);
  const clock = (): number => Date.now();
  await initHome(home, DESK, clock, false);
  const running = await startHome(home, { listen: DESK_LISTEN, bootstrap: [], web: 0, ...(app === undefined ? {} : { webRoot: app }), clock });
  const close = async (): Promise<void> => {
    await running.stop();
    await rm(root, { recursive: true, force: true });
  };
  return { running, web: running.web!.url, close };
}

/** Opens the page of `profile` with the made records in its database, unlocked; resolves once the desk is online in it. */
async function openMadeProfile(browser: Browser, web: string, profile: string, made: MadeProfile): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  // The first visit creates the (empty) database and asks for a new identity: the made one goes in, then the page starts again.
  await page.goto(`${web}?profile=${profile}`);
  await page.getByTestId('setup-name').waitFor();
  for (let i = 0; i < made.records.length; i += RECORDS_PER_SCRIPT) await page.evaluate(writeProfileScript(`sotto-${profile}`, made.records.slice(i, i + RECORDS_PER_SCRIPT)));
  await page.reload();
  await page.getByTestId('passphrase').fill(PASSPHRASE);
  await page.getByTestId('unlock-submit').click();
  await contactButton(page, DESK).and(page.locator('[data-online="true"]')).waitFor();
  await contactButton(page, ELSEWHERE).waitFor();
  return page;
}

/** The contact `name` in the page's list (found by its name, as a person does). */
function contactButton(page: Page, name: string): Locator {
  return page.getByTestId('contact').filter({ has: page.locator('bdi.name').getByText(name, { exact: true }) });
}

/** Resolves when the desk's message `id` to `peerId` is read (the page's read receipt came back). */
function readBy(desk: RunningHome, peerId: string, id: string): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const timer = setTimeout(() => reject(new Error(`no read receipt for ${id} within ${PAGE_TIMEOUT_MS} ms`)), PAGE_TIMEOUT_MS);
  const off = desk.messenger.on('status', (change) => {
    if (change.peerId !== peerId || change.id !== id || change.status !== 'read') return;
    off();
    clearTimeout(timer);
    resolve();
  });
  return promise;
}

/** The desk sends `text` to `name` (the page) and the page shows it: ms from send to paint. */
async function timeNewMessage(page: Page, desk: RunningHome, name: string, peerId: string, text: string): Promise<number> {
  await page.evaluate(watchScript(text));
  const start = absoluteNow();
  const { id } = await desk.messenger.send(name, text);
  const read = readBy(desk, peerId, id);
  const shown = (await page.evaluate('window.sottoBenchShown')) as { at: number; inView: boolean };
  if (!shown.inView) throw new Error(`the page showed "${text}" out of view`);
  await read;
  return shown.at - start;
}

/** Openings and new messages in one conversation. */
interface Timings {
  readonly open: number[];
  readonly newMessage: number[];
  /** Messages the page drew to open it. */
  readonly drawn: number;
}

async function measureProfile(browser: Browser, desk: RunningHome, web: string, name: string, messages: number, plan: PagePlan, progress: (line: string) => void): Promise<Timings> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const other = peerIdOfIdentity((await generateIdentity(ctx)).public);
  const deskAddresses = desk.node.addresses();
  progress(`  ${name}: making a profile with ${messages.toLocaleString('en')} messages`);
  const made = await makeProfile({ name, passphrase: PASSPHRASE, contact: { name: DESK, peerId: desk.messenger.peerId, addresses: deskAddresses }, other: { name: ELSEWHERE, peerId: other }, messages, now: Date.now() });
  await desk.messenger.addContact(name, made.peerId);
  const page = await openMadeProfile(browser, web, name, made);
  try {
    const open: number[] = [];
    let drawn = 0;
    for (let i = 0; i < plan.opens; i++) {
      await contactButton(page, ELSEWHERE).click();
      await page.getByTestId('chat-title').filter({ hasText: new RegExp(`^${ELSEWHERE}`) }).waitFor();
      await page.getByTestId('message').first().waitFor({ state: 'detached' });
      const opened = (await page.evaluate(openScript(DESK, made.newestText))) as { ms: number; drawn: number };
      open.push(opened.ms);
      drawn = opened.drawn;
    }
    progress(`  ${name}: opened ${plan.opens} times; new messages…`);
    // The first message from the desk starts its session with the page: not counted.
    await timeNewMessage(page, desk, name, made.peerId, 'hello, this starts the session');
    const newMessage: number[] = [];
    for (let i = 0; i < plan.newMessages; i++) newMessage.push(await timeNewMessage(page, desk, name, made.peerId, `new message ${i + 1}`));
    return { open, newMessage, drawn };
  } finally {
    await page.context().close();
  }
}

/** Runs the page's part: the cases "open" and "new-message". */
export async function measurePage(flags: UiFlags): Promise<UiCase[]> {
  const plan = flags.quick ? QUICK_PLAN : FULL_PLAN;
  if (flags.app === undefined) await ensureWebAppBuilt();
  const desk = await startDesk(flags.app);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const short = await measureProfile(browser, desk.running, desk.web, 'short', plan.shortMessages, plan, flags.progress);
    const long = await measureProfile(browser, desk.running, desk.web, 'long', plan.longMessages, plan, flags.progress);
    const common = { part: 'page', shortMessages: plan.shortMessages, longMessages: plan.longMessages };
    return [
      { ...common, case: 'open', short: short.open, long: long.open, targetMs: PAGE_TARGETS.openMs, detail: { drawnMessages: long.drawn } },
      { ...common, case: 'new-message', short: short.newMessage, long: long.newMessage, targetMs: PAGE_TARGETS.newMessageMs },
    ];
  } finally {
    await browser.close().catch(() => {});
    await desk.close();
  }
}
