/**
 * Real browsers for tests: Debian's headless Chromium, driven by
 * playwright-core, and `sotto start --web` nodes, all inside a network
 * namespace of the test's own. Chromium gathers no ICE candidates without a
 * default route, so the namespace gets a veth pair (both ends inside it) and
 * a default route through it; nothing in it has a link to the host or
 * anywhere else, so every packet stays inside.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../../bench/ui/browser.ts';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { decodeInvite } from '../../src/node/contacts/invite.ts';
import { createNamespace } from './terminal.ts';
import { sotto, startNode, tempHome, TEST_PASSPHRASE, type RunningNode } from './cli.ts';

import { ensureWebAppBuilt } from '../../bench/ui/browser.ts';

export { ensureWebAppBuilt };

const run = promisify(execFile);
/** How long a page may take to show what a test waits for. */
export const PAGE_TIMEOUT_MS = 30_000;
/** The namespace's private link: both ends of the veth pair, inside it. */
const VETH = { a: 'sotto0', b: 'sotto1', addressA: '10.231.0.1/24', addressB: '10.231.0.2/24' };

/** True when the browser tests can run here: Chromium is installed and namespaces can be made (root). */
export function canRunBrowsers(): boolean {
  return hasChromium() && process.getuid?.() === 0;
}

/**
 * A namespace with loopback up and a default route through a veth pair whose
 * two ends both live in it. `remove` deletes it with everything in it.
 */
export async function createRoutedNamespace(name: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const ns = await createNamespace(name);
  const ip = (...args: string[]): Promise<unknown> => run('ip', ['-n', name, ...args]);
  await ip('link', 'add', VETH.a, 'type', 'veth', 'peer', 'name', VETH.b);
  await ip('addr', 'add', VETH.addressA, 'dev', VETH.a);
  await ip('addr', 'add', VETH.addressB, 'dev', VETH.b);
  await ip('link', 'set', VETH.a, 'up');
  await ip('link', 'set', VETH.b, 'up');
  await ip('route', 'add', 'default', 'dev', VETH.a);
  return ns;
}

/** Launches headless Chromium inside `namespace` (through `ip netns exec`). */
export async function launchChromium(namespace: string): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-chromium-'));
  const wrapper = join(dir, 'chromium');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  const browser = await chromium.launch({
    executablePath: wrapper,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A `sotto start` running inside a namespace. */
export interface NamespacedNode extends RunningNode {
  /** The "web <url>" it printed. */
  readonly web: string | undefined;
}

/** Starts `sotto --home HOME start ...args` inside `namespace` and waits for "ready". */
export async function startNodeIn(namespace: string, home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<NamespacedNode> {
  const node = await startNode(home, args, env, namespace);
  return { ...node, web: /^web (\S+)$/m.exec(node.output())?.[1] };
}

/**
 * A routed namespace named `${label}-${pid}` holding a desktop node "desk"
 * (`sotto start --relay --mailbox --web`, listening on loopback TCP and
 * WebSocket) and Chromium: what most page tests start from. Everything
 * started is undone by the functions put in `cleanup` (run them in order).
 */
export async function startWebDesk(label: string, cleanup: (() => Promise<void>)[]): Promise<{ desk: NamespacedNode & { readonly web: string }; deskHome: string; browser: Browser }> {
  await ensureWebAppBuilt();
  const namespace = await createRoutedNamespace(`${label}-${process.pid}`);
  cleanup.push(() => namespace.remove());
  const deskHome = await tempHome(`${label}-desk`, cleanup);
  await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
  const desk = await startNodeIn(namespace.name, deskHome, ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web']);
  cleanup.unshift(async () => void (await desk.stop()));
  assert.ok(desk.web, desk.output());
  const chromium = await launchChromium(namespace.name);
  cleanup.unshift(chromium.close);
  return { desk: { ...desk, web: desk.web }, deskHome, browser: chromium.browser };
}

/** A profile's page URL. */
export function profileUrl(web: string, profile: string): string {
  return `${web}?profile=${encodeURIComponent(profile)}`;
}

/**
 * Opens the page of `profile` in `context` and gets past the first screen:
 * creates the identity (name and passphrase twice) or unlocks it. Resolves
 * once the chat shows the peer id.
 */
export async function openProfile(context: BrowserContext, web: string, profile: string, setup: { name?: string; passphrase?: string } = {}): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(profileUrl(web, profile));
  await unlockPage(page, setup);
  return page;
}

/** Fills the first screen of `page` (create or unlock) and waits for the chat. */
export async function unlockPage(page: Page, setup: { name?: string; passphrase?: string } = {}): Promise<void> {
  const passphrase = setup.passphrase ?? TEST_PASSPHRASE;
  await page.getByTestId('passphrase').waitFor();
  if (await page.getByTestId('setup-name').count()) {
    await page.getByTestId('setup-name').fill(setup.name ?? 'someone');
    await page.getByTestId('passphrase-confirm').fill(passphrase);
  }
  await page.getByTestId('passphrase').fill(passphrase);
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('peer-id').waitFor({ state: 'attached' });
}

/**
 * The page's invite once it carries an address that other browsers can dial
 * (a relayed WebRTC one), checked by decoding it.
 */
export function reachableInvite(page: Page): Promise<string> {
  return inviteWhere(page, (addresses) => addresses.some((a) => a.includes('/p2p-circuit/webrtc')), 'a relayed WebRTC address');
}

/** The page's invite once its decoded addresses pass `check` (`what` names it in the error). */
export async function inviteWhere(page: Page, check: (addresses: readonly string[]) => boolean, what: string): Promise<string> {
  const end = performance.now() + PAGE_TIMEOUT_MS;
  for (;;) {
    const text = await page.getByTestId('invite').inputValue();
    if (text !== '') {
      const invite = await decodeInvite(noblePrimitives, text);
      if (check(invite.addresses)) return text;
    }
    if (performance.now() > end) throw new Error(`no invite with ${what}: ${text}`);
    await page.waitForTimeout(100);
  }
}

/**
 * Starts recording in `page` every state each message shows, from now on
 * (read with {@link statesSeen}): a message that went through a mailbox
 * showed "stored" at some point, however briefly.
 */
export async function recordMessageStates(page: Page): Promise<void> {
  // A string: the test runner's transform must not touch code that runs in the page.
  await page.evaluate(`(() => {
    if (window.sottoStatesSeen) return;
    const seen = (window.sottoStatesSeen = []);
    const note = () => {
      for (const message of document.querySelectorAll('[data-testid="message"]')) {
        const text = message.querySelector('[data-testid="message-text"]')?.textContent ?? '';
        const state = message.querySelector('[data-testid="message-state"]')?.textContent ?? '';
        if (!seen.some((s) => s.text === text && s.state === state)) seen.push({ text, state });
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    note();
  })()`);
}

/** Every state the message `text` showed since {@link recordMessageStates}. */
export async function statesSeen(page: Page, text: string): Promise<string[]> {
  const seen = await page.evaluate<{ text: string; state: string }[]>('window.sottoStatesSeen ?? []');
  return seen.filter((s) => s.text === text).map((s) => s.state);
}

/** Adds a contact from an invite through the page's form; waits for the page to open its conversation. */
export async function addContact(page: Page, invite: string, name: string): Promise<void> {
  await showContactList(page);
  await page.getByTestId('add-contact-invite').fill(invite);
  await page.getByTestId('add-contact-name').fill(name);
  await page.getByTestId('add-contact-submit').click();
  await page.getByTestId('chat-title').filter({ hasText: new RegExp(`^${name}\\b`) }).waitFor();
}

/** On a narrow page showing a conversation, goes back to the contact list. */
export async function showContactList(page: Page): Promise<void> {
  const back = page.getByTestId('back');
  if (await back.isVisible()) await back.click();
}

/**
 * Opens the conversation with `name`, on a wide page (list and conversation
 * side by side) or a narrow one (the list behind a back button).
 */
export async function openConversation(page: Page, name: string): Promise<void> {
  const composer = page.getByTestId('composer');
  if ((await page.getByTestId('chat-title').textContent())?.startsWith(name) && (await composer.isVisible()) && (await composer.isEnabled())) return;
  await showContactList(page);
  await page.getByTestId('contact').filter({ hasText: name }).click();
  await page.getByTestId('chat-title').filter({ hasText: new RegExp(`^${name}\\b`) }).waitFor();
}

/** Opens the conversation with `name` and sends `text` with the send button. */
export async function sendFromPage(page: Page, name: string, text: string): Promise<void> {
  await openConversation(page, name);
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
}

/** Waits for the message `text` in the open conversation to show `state` (a regular expression on its state text). */
export async function waitForMessage(page: Page, text: string, state: RegExp): Promise<void> {
  // By its text alone: the whole element also holds its time, so "line 12" + "00:58" would match "line 120".
  const message = page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
  await message.getByTestId('message-state').filter({ hasText: state }).waitFor();
}

/**
 * Creates group `name` from `page` with the contacts `members` ticked; their
 * key packages may still be on the way (the page says so), and it is tried
 * again until they came. Resolves once the page shows the group open.
 */
export async function createGroupFromPage(page: Page, name: string, members: readonly string[]): Promise<void> {
  await showContactList(page);
  const end = performance.now() + PAGE_TIMEOUT_MS;
  for (;;) {
    await page.getByTestId('group-name').fill(name);
    for (const member of members) await page.getByTestId('group-create-member').and(page.locator(`[value="${member}"]`)).check();
    await page.getByTestId('group-create').click();
    const outcome = await Promise.race([
      page.getByTestId('chat-title').filter({ hasText: new RegExp(`^#${name}`) }).waitFor().then(() => 'created'),
      page.getByTestId('group-create-error').filter({ hasText: /key package/ }).waitFor().then(() => 'no key package'),
    ]);
    if (outcome === 'created') return;
    assert.ok(performance.now() < end, "the contacts' key packages never came");
    await page.getByTestId('group-create-error').filter({ hasText: /key package/ }).waitFor({ state: 'hidden' }).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits until `check` resolves true (polled every 200 ms, for at most `timeoutMs`); fails naming `what`. */
export async function assertEventually(check: () => Promise<boolean>, what: string, timeoutMs = PAGE_TIMEOUT_MS): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
