/**
 * How pages reach their contacts while both are online, in headless
 * Chromium inside network namespaces of the test's own:
 *
 * - a page and a second desktop node, not the one that served the page,
 *   chat over a WebRTC connection of their own (signalled through the
 *   page's node, on which the desktop node holds a relay slot because it
 *   bootstraps through it), never through a mailbox;
 * - with the page closed, that desktop node stops on SIGTERM and its
 *   process exits (node-datachannel can keep a process whose WebRTC data
 *   channels closed early alive for ever: src/app/cli/exit.ts);
 * - in a namespace without a default route (where Chromium gathers no ICE
 *   candidates, so no WebRTC), two pages still chat through their node's
 *   relay within seconds, both saying "relayed", never through a mailbox.
 *
 * "Never through a mailbox" is checked twice: every state the page's
 * message showed is recorded (a deposit shows "stored"), and each delivery
 * is awaited for far less than the minute after which a page or a desktop
 * node fetches its mail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { sotto, TEST_STOP_WAIT_MS, stopWithin, tempHome } from '../helpers/cli.ts';
import {
  addContact,
  assertEventually,
  canRunBrowsers,
  createRoutedNamespace,
  ensureWebAppBuilt,
  inviteWhere,
  launchChromium,
  openConversation,
  openProfile,
  reachableInvite,
  recordMessageStates,
  sendFromPage,
  startNodeIn,
  statesSeen,
  waitForMessage,
  type NamespacedNode,
} from '../helpers/browser.ts';
import { createNamespace } from '../helpers/terminal.ts';
import { WEBRTC_UPGRADE_TIMEOUT_MS } from '../../src/node/constants.ts';

const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';
/**
 * Longest wait for a delivery between two online peers: seconds, where a
 * message left in a mailbox waits for the recipient's next fetch (every
 * minute).
 */
const ONLINE_DELIVERY_WAIT_MS = 10_000;
/** Longest wait for the second desktop node's relay slot on the page's node. */
const SLOT_WAIT_MS = 20_000;
/** Longest wait for a relayed connection to give way to WebRTC: one upgrade attempt (WEBRTC_UPGRADE_TIMEOUT_MS) and a margin. */
const WEBRTC_WAIT_MS = WEBRTC_UPGRADE_TIMEOUT_MS + 10_000;
const DESK_ARGS = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web'];

interface Status {
  readonly addresses: string[];
  readonly mailbox: { readonly items: number } | null;
}

async function statusOf(home: string): Promise<Status> {
  const result = await sotto(home, ['status', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Status;
}

/** Sends from a desktop node's home and returns what `sotto send` printed once it stopped waiting. */
async function sendFromDesk(home: string, to: string, text: string): Promise<string> {
  const sent = await sotto(home, ['send', to, text, '--wait', String(ONLINE_DELIVERY_WAIT_MS / 1000)]);
  assert.equal(sent.code, 0, sent.stderr);
  return sent.stdout.trim();
}

/** The page's message `text`, sent from it, delivered within ONLINE_DELIVERY_WAIT_MS and never stored in a mailbox. */
async function deliveredDirectly(page: Page, to: string, text: string): Promise<void> {
  await sendFromPage(page, to, text);
  await page
    .getByTestId('message')
    .filter({ hasText: text })
    .getByTestId('message-state')
    .filter({ hasText: /delivered|read/ })
    .waitFor({ timeout: ONLINE_DELIVERY_WAIT_MS })
    .catch(async (err: unknown) => {
      throw new Error(`not delivered within ${ONLINE_DELIVERY_WAIT_MS} ms; states seen: ${(await statesSeen(page, text)).join(', ')}; the page's connection to ${to}: ${await connectionOf(page, to)}`, { cause: err });
    });
  const states = await statesSeen(page, text);
  assert.ok(!states.some((s) => /stored/.test(s)), `never stored: ${states.join(', ')}`);
}

async function connectionOf(page: Page, name: string): Promise<string | null> {
  return page.getByTestId('contact').filter({ hasText: name }).getAttribute('data-connection');
}

describe('a page and a second desktop node', { skip, timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let deskHome: string;
  let beeHome: string;
  let bee: NamespacedNode;
  let alice: Page;

  before(async () => {
    await ensureWebAppBuilt();
    const ns = await createRoutedNamespace(`sotto-reach-${process.pid}`);
    cleanup.push(() => ns.remove());
    deskHome = await tempHome('web-reach-desk', cleanup);
    beeHome = await tempHome('web-reach-bee', cleanup);
    await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
    await sotto(beeHome, ['init', '--name', 'bee', '--no-passphrase']);
    const desk = await startNodeIn(ns.name, deskHome, DESK_ARGS);
    cleanup.unshift(async () => void (await desk.stop()));
    const deskTcp = desk.addresses.find((a) => !a.includes('/ws/'))!;
    bee = await startNodeIn(ns.name, beeHome, ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--bootstrap', deskTcp]);
    cleanup.unshift(async () => void (await bee.stop()));
    const chromium = await launchChromium(ns.name);
    cleanup.unshift(chromium.close);
    alice = await openProfile(await chromium.browser.newContext({ viewport: { width: 1000, height: 640 } }), desk.web!, 'alice', { name: 'alice' });
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('the desktop node holds a relay slot on the page\'s node, so its invite has a WebRTC address through it', async () => {
    const end = performance.now() + SLOT_WAIT_MS;
    while (!(await statusOf(beeHome)).addresses.some((a) => a.includes('/p2p-circuit/webrtc'))) {
      assert.ok(performance.now() < end, `no WebRTC address through the relay: ${(await statusOf(beeHome)).addresses.join(' ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test('they chat both ways over WebRTC while both are online, never through a mailbox', async () => {
    assert.equal((await sotto(beeHome, ['contacts', 'add', '--invite', await reachableInvite(alice)])).code, 0);
    const beeInvite = (JSON.parse((await sotto(beeHome, ['invite', '--json'])).stdout) as { invite: string }).invite;
    await addContact(alice, beeInvite, 'bee');
    await recordMessageStates(alice);

    await deliveredDirectly(alice, 'bee', 'hello bee, from a page');
    // The first message may leave over the relay while the WebRTC connection is being made beside it (PROTOCOL §13).
    await assertEventually(async () => (await connectionOf(alice, 'bee')) === 'webrtc', 'the page and the desk on their own WebRTC connection', WEBRTC_WAIT_MS);
    assert.equal(await sendFromDesk(beeHome, 'alice', 'hello page, from the second desk'), 'delivered');
    await openConversation(alice, 'bee');
    await waitForMessage(alice, 'hello page, from the second desk', /received|read/);
    const history = JSON.parse((await sotto(beeHome, ['history', 'alice', '--json'])).stdout) as { text: string; direction: string }[];
    assert.ok(history.some((m) => m.direction === 'in' && m.text === 'hello bee, from a page'), JSON.stringify(history));
    assert.equal(await connectionOf(alice, 'bee'), 'webrtc', 'still the WebRTC connection');
    // The page's node holds a mailbox: nothing was left in it.
    assert.equal((await statusOf(deskHome)).mailbox?.items, 0);
  });

  test('with the page closed, the desktop node that chatted with it over WebRTC stops on SIGTERM and its process exits', async () => {
    await alice.close();
    assert.equal(await stopWithin(bee, TEST_STOP_WAIT_MS), 0, bee.output());
  });
});

describe('pages without a default route', { skip, timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let browser: Browser;
  let web: string;

  before(async () => {
    await ensureWebAppBuilt();
    // Loopback only: the node serves the pages, and Chromium gathers no ICE candidates at all.
    const ns = await createNamespace(`sotto-noroute-${process.pid}`);
    cleanup.push(() => ns.remove());
    const deskHome = await tempHome('web-noroute', cleanup);
    await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
    const desk = await startNodeIn(ns.name, deskHome, DESK_ARGS);
    cleanup.unshift(async () => void (await desk.stop()));
    web = desk.web!;
    const chromium = await launchChromium(ns.name);
    cleanup.unshift(chromium.close);
    browser = chromium.browser;
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('two pages chat through their node\'s relay within seconds, and both say they are relayed', async () => {
    const alice = await openProfile(await browser.newContext({ viewport: { width: 1000, height: 640 } }), web, 'alice', { name: 'alice' });
    const bob = await openProfile(await browser.newContext({ viewport: { width: 1000, height: 640 } }), web, 'bob', { name: 'bob' });
    for (const page of [alice, bob]) {
      await page.locator('[data-testid="status"][data-state="connected"][data-webrtc="false"]').waitFor();
      assert.match((await page.getByTestId('status').textContent()) ?? '', /relayed only$/);
    }
    // Without WebRTC a page offers only its relayed address.
    const relayedOnly = (addresses: readonly string[]): boolean => addresses.length > 0 && addresses.every((a) => a.endsWith('/p2p-circuit'));
    const [aliceInvite, bobInvite] = [await inviteWhere(alice, relayedOnly, 'only relayed addresses'), await inviteWhere(bob, relayedOnly, 'only relayed addresses')];
    await addContact(alice, bobInvite, 'bob');
    await addContact(bob, aliceInvite, 'alice');
    await recordMessageStates(alice);
    await recordMessageStates(bob);

    await deliveredDirectly(alice, 'bob', 'through the relay, bob');
    await openConversation(bob, 'alice');
    await waitForMessage(bob, 'through the relay, bob', /received|read/);
    await deliveredDirectly(bob, 'alice', 'and back, alice');
    assert.equal(await connectionOf(alice, 'bob'), 'relayed');
    assert.equal(await connectionOf(bob, 'alice'), 'relayed');
  });
});
