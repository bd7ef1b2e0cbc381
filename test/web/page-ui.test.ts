/**
 * The page as a person uses it, in real headless Chromium inside a network
 * namespace of the test's own (see test/helpers/browser.ts): alice's page
 * with two contacts, the desktop node "desk" (`sotto start --relay
 * --mailbox --web`, driven with the sotto command) and "mo" (a home that
 * never runs). The tests run in order and build on each other.
 *
 * What they hold the page to: one draft per conversation and a send that
 * happens once and loses no keystroke; updates that redraw only what
 * changed, so the focus, a text selection and the scroll position survive
 * and only the new message is announced; a long conversation read page by
 * page as it is scrolled back; the keyboard; the add form's messages; the
 * copy button's feedback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { HISTORY_PAGE_MESSAGES } from '../../src/app/web/conversation.ts';
import { sotto, tempHome } from '../helpers/cli.ts';
import { addContact, canRunBrowsers, createRoutedNamespace, ensureWebAppBuilt, launchChromium, openConversation, openProfile, reachableInvite, startNodeIn, waitForMessage, type NamespacedNode } from '../helpers/browser.ts';

const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';
/** Messages alice sends to make the conversation with desk longer than a few pages. */
const LONG_CONVERSATION = 2 * HISTORY_PAGE_MESSAGES + 20;
/** How far (px) a message may move on screen while older messages are put above it: none, up to rounding. */
const SCROLL_SLACK_PX = 2;

describe('the page, as a person uses it', { skip, timeout: 240_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let desk: NamespacedNode;
  let deskHome: string;
  let browser: Browser;
  let alice: Page;

  /** desk sends `text` to alice and waits until it is delivered. */
  async function deskSends(text: string): Promise<void> {
    const sent = await sotto(deskHome, ['send', 'alice', text, '--wait', '20']);
    assert.equal(sent.stdout.trim(), 'delivered', sent.stdout + sent.stderr);
  }
  /** What desk holds of its conversation with alice. */
  async function deskHistory(): Promise<{ text: string; direction: string }[]> {
    return JSON.parse((await sotto(deskHome, ['history', 'alice', '--json'])).stdout) as { text: string; direction: string }[];
  }
  const composer = (): ReturnType<Page['getByTestId']> => alice.getByTestId('composer');

  before(async () => {
    await ensureWebAppBuilt();
    const namespace = await createRoutedNamespace(`sotto-page-${process.pid}`);
    cleanup.push(() => namespace.remove());
    deskHome = await tempHome('page-desk', cleanup);
    await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
    desk = await startNodeIn(namespace.name, deskHome, ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web']);
    cleanup.unshift(async () => void (await desk.stop()));
    const moHome = await tempHome('page-mo', cleanup);
    await sotto(moHome, ['init', '--name', 'mo', '--no-passphrase']);
    const chromium = await launchChromium(namespace.name);
    cleanup.unshift(chromium.close);
    browser = chromium.browser;
    const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    alice = await openProfile(context, desk.web!, 'alice', { name: 'alice' });
    const deskInvite = (JSON.parse((await sotto(deskHome, ['invite', '--json'])).stdout) as { invite: string }).invite;
    const moInvite = (JSON.parse((await sotto(moHome, ['invite', '--json'])).stdout) as { invite: string }).invite;
    assert.equal((await sotto(deskHome, ['contacts', 'add', '--invite', await reachableInvite(alice)])).code, 0);
    await addContact(alice, deskInvite, 'desk');
    await addContact(alice, moInvite, 'mo');
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('each conversation keeps its own draft, and Enter sends the open one', async () => {
    await openConversation(alice, 'mo');
    await composer().fill('a draft for mo');
    await openConversation(alice, 'desk');
    assert.equal(await composer().inputValue(), '', "mo's draft stays with mo");
    await composer().fill('hello desk');
    await openConversation(alice, 'mo');
    assert.equal(await composer().inputValue(), 'a draft for mo');
    await openConversation(alice, 'desk');
    assert.equal(await composer().inputValue(), 'hello desk');
    await composer().press('Enter');
    await waitForMessage(alice, 'hello desk', /delivered|read/);
    assert.equal(await composer().inputValue(), '');
    await openConversation(alice, 'mo');
    assert.equal(await alice.getByTestId('message').count(), 0, 'nothing was sent to mo');
    assert.equal(await composer().inputValue(), 'a draft for mo');
    await composer().fill('');
  });

  test('two quick Enters send once, and what is typed right after Enter is kept', async () => {
    await openConversation(alice, 'desk');
    await composer().fill('only once');
    await Promise.all([composer().press('Enter'), composer().press('Enter')]);
    await composer().fill('first message');
    await composer().press('Enter');
    await composer().pressSequentially('next message');
    await waitForMessage(alice, 'first message', /delivered|read/);
    assert.equal(await composer().inputValue(), 'next message', 'no keystroke lost to the send');
    await composer().press('Enter');
    // Delivered in order: once "next message" is there, a second "only once" would be too.
    await waitForMessage(alice, 'next message', /delivered|read/);
    assert.equal(await alice.getByTestId('message-text').filter({ hasText: /^only once$/ }).count(), 1);
    assert.equal((await deskHistory()).filter((m) => m.text === 'only once').length, 1);
  });

  test('an incoming message keeps the focus, the typing, a text selection and the contact elements, and only it is announced', async () => {
    await openConversation(alice, 'desk');
    // Marks every element the update must keep (the same nodes, not copies), and selects a message's text.
    await alice.evaluate(`(() => {
      for (const el of document.querySelectorAll('[data-testid="contact"], [data-testid="message"]')) el.dataset.kept = 'yes';
      const text = [...document.querySelectorAll('[data-testid="message-text"]')].find((t) => t.textContent === 'first message');
      const range = document.createRange();
      range.selectNodeContents(text);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    })()`);
    await deskSends('arrives while a text is selected');
    await waitForMessage(alice, 'arrives while a text is selected', /received|read/);
    assert.equal(await alice.evaluate('getSelection().toString()'), 'first message');

    await composer().fill('half a thought');
    await composer().focus();
    await deskSends('arrives while you type');
    await waitForMessage(alice, 'arrives while you type', /received|read/);
    assert.equal(await alice.evaluate('document.activeElement.dataset.testid'), 'composer');
    assert.equal(await composer().inputValue(), 'half a thought');
    assert.equal(await alice.evaluate(`[...document.querySelectorAll('[data-testid="contact"]')].every((el) => el.dataset.kept === 'yes')`), true, 'contacts updated in place');
    assert.equal(await alice.evaluate(`document.querySelectorAll('[data-testid="message"]:not([data-kept])').length`), 2, 'the two new messages added, nothing redrawn');
    // The live region holds the new message alone; the conversation itself is not live.
    assert.equal(await alice.getByTestId('announcer').textContent(), 'desk: arrives while you type');
    assert.equal(await alice.locator('[aria-live]').count(), 1);
    // One peer, counted once: desk (alice's only connection in this namespace).
    assert.equal(await alice.getByTestId('status').textContent(), 'online · 1 peer');
    await composer().fill('');
  });

  test('a long conversation opens on its newest page, reads older pages when scrolled to the top, and stays where the reader is', async () => {
    await openConversation(alice, 'desk');
    // Sent from the page as fast as it takes them (each Enter empties the composer at once).
    await alice.evaluate(`(() => {
      const composer = document.querySelector('[data-testid="composer"]');
      for (let i = 1; i <= ${LONG_CONVERSATION}; i++) {
        composer.value = 'line ' + i;
        composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      }
    })()`);
    await waitForMessage(alice, `line ${LONG_CONVERSATION}`, /delivered|read/);
    await openConversation(alice, 'mo');
    await openConversation(alice, 'desk');
    const messages = alice.getByTestId('message');
    await alice.getByTestId('message-text').filter({ hasText: `line ${LONG_CONVERSATION}` }).waitFor();
    assert.equal(await messages.count(), HISTORY_PAGE_MESSAGES, 'opened on its newest page');

    // Scrolled up a little, a new message does not move the view.
    const scroller = alice.getByTestId('messages');
    await scroller.evaluate((el) => void (el.scrollTop = el.scrollHeight - el.clientHeight - 400));
    const top = await scroller.evaluate((el) => el.scrollTop);
    await deskSends('arrives while you read back');
    await waitForMessage(alice, 'arrives while you read back', /received|read/);
    assert.equal(await scroller.evaluate((el) => el.scrollTop), top);

    // At the top, the next older page goes above, and what was on screen stays where it was.
    const firstSeq = await messages.first().getAttribute('data-seq');
    const offset = `(() => { const s = document.querySelector('[data-testid="messages"]'); return document.querySelector('[data-testid="message"][data-seq="${firstSeq}"]').getBoundingClientRect().top - s.getBoundingClientRect().top; })()`;
    // Measured in the same task as the scroll, before the page can react to it.
    const before = (await alice.evaluate(`(() => { document.querySelector('[data-testid="messages"]').scrollTop = 0; return ${offset}; })()`)) as number;
    await alice.locator(`[data-testid="message"]:nth-child(${HISTORY_PAGE_MESSAGES + 1})[data-seq="${firstSeq}"]`).waitFor({ state: 'attached' });
    assert.ok(Math.abs(((await alice.evaluate(offset)) as number) - before) <= SCROLL_SLACK_PX, 'the view did not jump');
    assert.ok((await scroller.evaluate((el) => el.scrollTop)) > 0);

    // The rest with the button (what a keyboard user presses): every message, in order.
    const edge = alice.getByTestId('history-edge');
    for (;;) {
      // A page read on scroll may still be under way: its end decides whether there is more.
      await alice.locator('[data-testid="history-edge"]:not([data-state="loading"])').waitFor();
      if ((await edge.getAttribute('data-state')) === 'start') break;
      await alice.getByTestId('load-older').click();
    }
    const texts = await alice.getByTestId('message-text').allTextContents();
    const lines = texts.filter((t) => t.startsWith('line '));
    assert.deepEqual(lines, Array.from({ length: LONG_CONVERSATION }, (_, i) => `line ${i + 1}`));
    assert.equal(texts[0], 'hello desk');
  });

  test('the contact list works from the keyboard: arrow keys move, Enter opens (focus to the composer), Escape comes back', async () => {
    await openConversation(alice, 'desk');
    await composer().focus();
    await alice.keyboard.press('Escape');
    assert.equal(await alice.evaluate('document.activeElement.dataset.name'), 'desk', 'Escape returns to the open contact');
    assert.equal(await alice.locator('[data-testid="contact"][tabindex="0"]').count(), 1, 'the list is one stop in the tab order');
    await alice.keyboard.press('ArrowDown');
    assert.equal(await alice.evaluate('document.activeElement.dataset.name'), 'mo');
    await alice.keyboard.press('ArrowUp');
    await alice.keyboard.press('End');
    assert.equal(await alice.evaluate('document.activeElement.dataset.name'), 'mo');
    await alice.keyboard.press('Enter');
    await alice.getByTestId('chat-title').filter({ hasText: /^mo\b/ }).waitFor();
    assert.equal(await alice.evaluate('document.activeElement.dataset.testid'), 'composer');
  });

  test('adding a contact: a taken name is said to be taken, a known person is named, and no name carries over to another invite', async () => {
    const ownInvite = await alice.getByTestId('invite').inputValue();
    const deskInvite = (JSON.parse((await sotto(deskHome, ['invite', '--json'])).stdout) as { invite: string }).invite;
    const invite = alice.getByTestId('add-contact-invite');
    const name = alice.getByTestId('add-contact-name');
    const error = alice.getByTestId('add-contact-error');
    // desk's invite under mo's name: the name is taken (not "mo's key changed").
    await invite.fill(deskInvite);
    await name.fill('mo');
    await alice.getByTestId('add-contact-submit').click();
    await error.filter({ hasText: 'You already have a contact named mo' }).waitFor();
    assert.doesNotMatch((await error.textContent()) ?? '', /identity key of/);
    assert.equal(await alice.getByTestId('add-contact-replace').isVisible(), true);
    // Another invite: the name and the message were for the first one.
    await invite.fill(ownInvite);
    assert.equal(await name.inputValue(), '');
    assert.equal(await error.textContent(), '');
    await alice.getByTestId('add-contact-submit').click();
    await error.filter({ hasText: 'This invite is your own' }).waitFor();
    // desk's invite under a new name: already a contact, by its name.
    await invite.fill(deskInvite);
    await name.fill('another');
    await alice.getByTestId('add-contact-submit').click();
    await error.filter({ hasText: 'This is already your contact desk.' }).waitFor();
    assert.equal(await alice.getByTestId('contact').count(), 2);
  });

  test('Copy invite says "Copied", or how to copy by hand where the page may not', async () => {
    // Folded once there are contacts.
    await alice.getByTestId('identity').locator('summary').click();
    await alice.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await alice.getByTestId('copy-invite').click();
    await alice.getByTestId('copy-feedback').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await alice.evaluate('navigator.clipboard.readText()'), await alice.getByTestId('invite').inputValue());
    await alice.evaluate(`Object.defineProperty(navigator, 'clipboard', { value: undefined })`);
    await alice.getByTestId('copy-invite').click();
    await alice.getByTestId('copy-feedback').filter({ hasText: 'copy it with Ctrl+C' }).waitFor();
    assert.equal(await alice.evaluate('document.activeElement.dataset.testid'), 'invite');
    assert.equal(await alice.evaluate('document.activeElement.selectionEnd - document.activeElement.selectionStart'), (await alice.getByTestId('invite').inputValue()).length);
  });
});
