/**
 * The browser peer in real headless Chromium, inside a network namespace of
 * the test's own: one `sotto start --relay --mailbox --web` desktop node
 * (the terminal user "desk", driven with the sotto command through its
 * control socket) and browser profiles, each in a browser context of its own
 * (its own IndexedDB). The tests run in order and build on each other:
 * desk writes to alice first and reaches her as a message request she
 * accepts, alice chats with desk, alice and bob chat over WebRTC, alice's
 * reload keeps everything, bob gets mail that arrived while his tab was
 * closed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sotto, tempHome } from '../helpers/cli.ts';
import {
  addContact,
  assertEventually,
  canRunBrowsers,
  createRoutedNamespace,
  ensureWebAppBuilt,
  launchChromium,
  openConversation,
  openProfile,
  PAGE_TIMEOUT_MS,
  profileUrl,
  reachableInvite,
  sendFromPage,
  startNodeIn,
  unlockPage,
  waitForMessage,
  type NamespacedNode,
} from '../helpers/browser.ts';

const SCREENSHOT = fileURLToPath(new URL('../../docs/web-chat.png', import.meta.url));
const SCREENSHOT_NARROW = fileURLToPath(new URL('../../docs/web-chat-360.png', import.meta.url));
/** Set to rewrite docs/web-chat.png and docs/web-chat-360.png from the browser-to-browser chat. */
const UPDATE_SCREENSHOT = process.env['SOTTO_UPDATE_SCREENSHOT'] === '1';
const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';

describe('browser peer', { skip, timeout: 200_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let namespace: { name: string; remove: () => Promise<void> };
  let desk: NamespacedNode;
  let deskHome: string;
  let web: string;
  let browser: Browser;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: Page;
  let bob: Page;
  let alicePeerId: string;
  let bobPeerId: string;

  before(async () => {
    await ensureWebAppBuilt();
    namespace = await createRoutedNamespace(`sotto-web-${process.pid}`);
    cleanup.push(() => namespace.remove());
    deskHome = await tempHome('web-desk', cleanup);
    await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
    desk = await startNodeIn(namespace.name, deskHome, ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web']);
    cleanup.unshift(async () => void (await desk.stop()));
    assert.ok(desk.web, desk.output());
    web = desk.web;
    const chromium = await launchChromium(namespace.name);
    cleanup.unshift(chromium.close);
    browser = chromium.browser;
    aliceContext = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    bobContext = await browser.newContext({ viewport: { width: 360, height: 640 } });
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('sotto start --web prints the app URL beside its listening lines and the page finds the node', async () => {
    assert.match(desk.output(), /^listening \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\S+\nweb http:\/\/127\.0\.0\.1:7420\/\nready$/m);
    alice = await aliceContext.newPage();
    alice.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await alice.goto(profileUrl(web, 'alice'));
    // A new identity needs a passphrase of 8 characters or more, typed the same twice.
    await alice.getByTestId('setup-name').fill('alice');
    await alice.getByTestId('passphrase').fill('short');
    await alice.getByTestId('passphrase-confirm').fill('short');
    await alice.getByTestId('unlock-submit').click();
    await alice.getByTestId('unlock-error').filter({ hasText: 'at least 8 characters' }).waitFor();
    await alice.getByTestId('passphrase').fill('long enough passphrase');
    await alice.getByTestId('passphrase-confirm').fill('long enough but different');
    await alice.getByTestId('unlock-submit').click();
    await alice.getByTestId('unlock-error').filter({ hasText: 'the two passphrases differ' }).waitFor();
    await unlockPage(alice, { name: 'alice' });
    alicePeerId = (await alice.getByTestId('peer-id').textContent())!;
    assert.match(alicePeerId, /^12D3KooW/);
    await alice.getByTestId('status').filter({ hasText: /online/ }).waitFor();
  });

  test('a desktop node that is not a contact reaches the page as a message request: listed apart, read when opened, accepted as a contact', async () => {
    const added = await sotto(deskHome, ['contacts', 'add', '--invite', await reachableInvite(alice)]);
    assert.equal(added.code, 0, added.stderr);
    const sent = await sotto(deskHome, ['send', 'alice', 'hello, it is the desk', '--wait', '20']);
    assert.equal(sent.stdout.trim(), 'delivered', sent.stdout + sent.stderr);

    const request = alice.getByTestId('requests').getByTestId('request').filter({ hasText: 'desk' });
    await request.waitFor();
    assert.equal(await alice.getByTestId('contact').count(), 0, 'a request is not a contact');
    assert.equal(await request.locator('bdi.name').textContent(), 'desk');
    assert.match((await request.getByTestId('request-unverified').textContent()) ?? '', /unverified/);
    assert.equal(await request.getByTestId('request-message').count(), 0, 'its messages are read only when it is opened');
    await request.getByTestId('request-open').click();
    const body = request.getByTestId('request-message-text').filter({ hasText: 'hello, it is the desk' });
    await body.waitFor();
    assert.equal(await body.getAttribute('dir'), 'auto');

    // Accepted under the name it claims (prefilled): a contact, the request's message its conversation.
    assert.equal(await request.getByTestId('request-accept-name').inputValue(), 'desk');
    await request.getByTestId('request-accept').click();
    await alice.getByTestId('contact').filter({ hasText: 'desk' }).waitFor();
    await request.waitFor({ state: 'detached' });
    await alice.getByTestId('chat-title').filter({ hasText: /^desk\b/ }).waitFor();
    await alice.getByTestId('message-text').filter({ hasText: 'hello, it is the desk' }).waitFor();
  });

  test('a browser and a desktop node chat both ways', async () => {
    await sendFromPage(alice, 'desk', 'hello from the browser');
    await waitForMessage(alice, 'hello from the browser', /delivered|read/);
    const history = JSON.parse((await sotto(deskHome, ['history', 'alice', '--json'])).stdout) as { text: string; direction: string }[];
    assert.ok(history.some((m) => m.direction === 'in' && m.text === 'hello from the browser'), JSON.stringify(history));

    const sent = await sotto(deskHome, ['send', 'alice', 'hello from the terminal', '--wait', '20']);
    assert.equal(sent.stdout.trim(), 'delivered', sent.stdout + sent.stderr);
    await waitForMessage(alice, 'hello from the terminal', /received|read/);
    // Text from another peer is isolated on the page and shows its bidi controls: a body has dir="auto", a name is a <bdi>.
    const sneaky = await sotto(deskHome, ['send', 'alice', 'see \u202Egnp.exe', '--wait', '20']);
    assert.equal(sneaky.stdout.trim(), 'delivered', sneaky.stdout + sneaky.stderr);
    const body = alice.getByTestId('message-text').filter({ hasText: 'see ⟨U+202E⟩gnp.exe' });
    await body.waitFor();
    assert.equal(await body.getAttribute('dir'), 'auto');
    assert.equal(await alice.getByTestId('contact').filter({ hasText: 'desk' }).locator('bdi.name').textContent(), 'desk');
    // The desktop saw its own message read once the browser showed it.
    await assertEventually(async () => {
      const mine = (JSON.parse((await sotto(deskHome, ['history', 'alice', '--json'])).stdout) as { text: string; status: string }[]).find((m) => m.text === 'hello from the terminal');
      return mine?.status === 'read';
    }, 'the read receipt from the browser');
  });

  test('two browsers chat over WebRTC, signalled through the relay', async () => {
    bob = await openProfile(bobContext, web, 'bob', { name: 'bob' });
    bobPeerId = (await bob.getByTestId('peer-id').textContent())!;
    const [aliceInvite, bobInvite] = [await reachableInvite(alice), await reachableInvite(bob)];
    await addContact(alice, bobInvite, 'bob');
    await addContact(bob, aliceInvite, 'alice');

    await sendFromPage(alice, 'bob', 'hi bob, straight from my browser');
    await waitForMessage(alice, 'hi bob, straight from my browser', /delivered|read/);
    await openConversation(bob, 'alice');
    await waitForMessage(bob, 'hi bob, straight from my browser', /received|read/);
    await sendFromPage(bob, 'alice', 'hi alice, got it over WebRTC');
    await waitForMessage(bob, 'hi alice, got it over WebRTC', /delivered|read/);
    await waitForMessage(alice, 'hi alice, got it over WebRTC', /received|read/);
    // The two pages talk over a WebRTC connection of their own, not through the relay.
    await alice.locator('[data-testid="contact"][data-connection="webrtc"]').filter({ hasText: 'bob' }).waitFor({ state: 'attached' });
    await bob.locator('[data-testid="contact"][data-connection="webrtc"]').filter({ hasText: 'alice' }).waitFor({ state: 'attached' });
    // Peers, not connections: desk and bob, however many connections each has (bob: relayed and WebRTC).
    assert.equal(await alice.getByTestId('status').textContent(), 'online · 2 peers');
    await waitForMessage(alice, 'hi bob, straight from my browser', /read/);
    // Bob's page is 360 px wide: nothing sticks out sideways.
    assert.equal(await bob.evaluate('document.documentElement.scrollWidth'), 360);
    if (UPDATE_SCREENSHOT) {
      await writeFile(SCREENSHOT, await alice.screenshot());
      await writeFile(SCREENSHOT_NARROW, await bob.screenshot());
    }
  });

  test('verification: both browsers show the same safety number, and marking it verified sticks', async () => {
    await openConversation(alice, 'bob');
    await alice.getByTestId('verify').click();
    const aliceNumber = (await alice.getByTestId('safety-number').innerText()).replace(/\s+/g, ' ').trim();
    await openConversation(bob, 'alice');
    await bob.getByTestId('verify').click();
    const bobNumber = (await bob.getByTestId('safety-number').innerText()).replace(/\s+/g, ' ').trim();
    assert.match(aliceNumber, /^(\d{5} ){11}\d{5}$/);
    assert.equal(aliceNumber, bobNumber);
    await alice.getByTestId('mark-verified').click();
    await alice.locator('[data-testid="contact"][data-verified="true"]').filter({ hasText: 'bob' }).waitFor();
    await alice.getByTestId('chat-title').filter({ hasText: 'verified ✓' }).waitFor();
  });

  test('a reload keeps the identity, the contacts and the history', async () => {
    await alice.reload();
    await alice.getByTestId('passphrase').fill('not the passphrase');
    await alice.getByTestId('unlock-submit').click();
    await alice.getByTestId('unlock-error').filter({ hasText: /wrong passphrase/i }).waitFor();
    assert.equal(await alice.getByTestId('setup-name').count(), 0, 'an existing identity is unlocked, never created again');
    await unlockPage(alice);
    assert.equal(await alice.getByTestId('peer-id').textContent(), alicePeerId);
    // The list is drawn once the store is read: wait for both contacts before reading it.
    await alice.getByTestId('contact').nth(1).waitFor();
    assert.deepEqual((await alice.getByTestId('contact').allTextContents()).map((t) => t.replace(/[^a-z]/g, '')).sort(), ['bob', 'desk']);
    await openConversation(alice, 'bob');
    await alice.getByTestId('message').nth(1).waitFor();
    assert.deepEqual(await alice.getByTestId('message-text').allTextContents(), ['hi bob, straight from my browser', 'hi alice, got it over WebRTC']);
    await waitForMessage(alice, 'hi bob, straight from my browser', /read/);
    await alice.locator('[data-testid="contact"][data-verified="true"]').filter({ hasText: 'bob' }).waitFor();
  });

  test("the page's IndexedDB holds no message text, contact name or contact peer id in clear", async () => {
    const stored = await alice.evaluate<{ count: number; keys: string; values: string }>(readIndexedDbScript('sotto-alice'));
    assert.ok(stored.count > 10, `only ${stored.count} records`);
    const everything = `${stored.keys}\n${stored.values}`;
    for (const secret of ['hi bob, straight from my browser', 'hi alice, got it over WebRTC', 'hello from the terminal', bobPeerId, 'desk']) {
      assert.ok(!everything.includes(secret), `${JSON.stringify(secret)} is stored in clear`);
    }
    assert.match(stored.values, /"kdf":"argon2id"/, 'the keyring (the one record in clear) says how the data key is wrapped');
  });

  test('one identity runs in one tab: a second tab of the profile waits, and takes over when the first is closed', async () => {
    const second = await aliceContext.newPage();
    second.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await second.goto(profileUrl(web, 'alice'));
    await second.getByTestId('profile-busy').filter({ hasText: 'open in another tab' }).waitFor();
    assert.equal(await second.getByTestId('passphrase').count(), 0, 'no unlock while the first tab runs the identity');
    await alice.close();
    await unlockPage(second);
    assert.equal(await second.getByTestId('peer-id').textContent(), alicePeerId);
    alice = second;
    await alice.getByTestId('contact').filter({ hasText: 'bob' }).waitFor();
  });

  test('a browser whose tab was closed gets its mail from the mailbox when it opens again', async () => {
    await bob.close();
    // Alice's node notices bob's WebRTC connection closing.
    await alice.locator('[data-testid="contact"][data-online="false"]').filter({ hasText: 'bob' }).waitFor();
    await sendFromPage(alice, 'bob', 'sent while your tab was closed');
    await waitForMessage(alice, 'sent while your tab was closed', /stored \(1 mailbox\)/);

    bob = await openProfile(bobContext, web, 'bob');
    assert.equal(await bob.getByTestId('peer-id').textContent(), bobPeerId);
    await openConversation(bob, 'alice');
    await waitForMessage(bob, 'sent while your tab was closed', /received|read/);
    await waitForMessage(alice, 'sent while your tab was closed', /delivered|read/);
  });
});

/**
 * Page script (a string: the test runner's transform must not touch code that
 * runs in the page) that reads every record of a browser-level database raw:
 * its count, and its keys and values as text, byte for byte (windows-1252
 * keeps ASCII as it is).
 */
function readIndexedDbScript(name: string): string {
  return `(async () => {
    const name = ${JSON.stringify(name)};
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('level-js-' + name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const read = (request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const store = db.transaction(name, 'readonly').objectStore(name);
    const keys = await read(store.getAllKeys());
    const values = await read(store.getAll());
    db.close();
    const bytes = new TextDecoder('latin1');
    const text = (v) => (typeof v === 'string' ? v : bytes.decode(v));
    return { count: keys.length, keys: keys.map(text).join('\\n'), values: values.map(text).join('\\n') };
  })()`;
}
