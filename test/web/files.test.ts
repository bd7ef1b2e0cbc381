/**
 * Files on the page, in real headless Chromium inside a network namespace
 * of the test's own, with a desktop node ("desk") that serves the page and
 * relays: a picture from alice's page to bob's is previewed at bob's and
 * saved byte for byte; a few MiB between the pages report their throughput;
 * the desk sends a file of a few MiB with `sotto send --file` and alice's
 * page shows its progress, then offers it whole; alice's page sends a
 * picture to the desk, whose history shows it complete; in a group made on
 * the page, a file from the desk reaches both pages and a picture from a
 * page reaches the desk and the other page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { sotto } from '../helpers/cli.ts';
import {
  addContact,
  assertEventually,
  canRunBrowsers,
  createGroupFromPage,
  openConversation,
  openProfile,
  PAGE_TIMEOUT_MS,
  reachableInvite,
  startWebDesk,
  unlockPage,
  type NamespacedNode,
} from '../helpers/browser.ts';
import { noisePng } from '../helpers/png.ts';

const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';
/** The picture: 240×280 pixels of noise, about 200 KiB (more than one chunk, so it is fetched, not inline). */
const PICTURE = noisePng(240, 280, 16);
/** Bytes sent page to page to measure throughput, and desk to page. */
const PAGE_TO_PAGE_BYTES = 4 * 1024 * 1024;
const DESK_TO_PAGE_BYTES = 3 * 1024 * 1024;
/** A file large enough that a page reloaded at a quarter of it is still fetching when it opens again. */
const RESUME_BYTES = 24 * 1024 * 1024;
/** A few MiB between pages through the browser's store: a generous bound for a 2-core machine shared by others. */
const TRANSFER_TIMEOUT_MS = 4 * PAGE_TIMEOUT_MS;

/** `SOTTO_UPDATE_SCREENSHOT=1` rewrites docs/web-files.png: bob's page with the picture and the HTML file. */
const SCREENSHOT = fileURLToPath(new URL('../../docs/web-files.png', import.meta.url));
const UPDATE_SCREENSHOT = process.env['SOTTO_UPDATE_SCREENSHOT'] === '1';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The file message named `name` in the open conversation. */
const fileNamed = (page: Page, name: string): Locator => page.getByTestId('file').filter({ has: page.getByTestId('file-name').getByText(name, { exact: true }) });

/** Attaches `bytes` as `name` (of media type `type`) to the open conversation. */
async function attach(page: Page, name: string, type: string, bytes: Uint8Array): Promise<void> {
  await page.getByTestId('attach').setInputFiles({ name, mimeType: type, buffer: Buffer.from(bytes) });
}

/** Saves the complete file `name` through its save button; the bytes downloaded and the name offered. */
async function save(page: Page, name: string): Promise<{ bytes: Buffer; suggested: string }> {
  const file = fileNamed(page, name);
  const [download] = await Promise.all([page.waitForEvent('download'), file.getByTestId('file-save').click()]);
  const path = await download.path();
  return { bytes: await readFile(path), suggested: download.suggestedFilename() };
}

/**
 * Starts recording in `page` each state every file message shows (read
 * with {@link fileStatesSeen}), so a short-lived "partial" is not missed.
 */
async function recordFileStates(page: Page): Promise<void> {
  // A string: the test runner's transform must not touch code that runs in the page.
  await page.evaluate(`(() => {
    if (window.sottoFileStates) return;
    const seen = (window.sottoFileStates = []);
    const note = () => {
      for (const file of document.querySelectorAll('[data-testid="file"]')) {
        const name = file.querySelector('[data-testid="file-name"]')?.textContent ?? '';
        const state = file.dataset.fileState ?? '';
        const progress = file.querySelector('[data-testid="file-progress"]');
        const shown = progress && !progress.hidden ? 'progress' : 'no progress';
        const last = seen.filter((s) => s.name === name).at(-1);
        if (!last || last.state !== state || last.shown !== shown) seen.push({ name, state, shown });
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
    note();
  })()`);
}

async function fileStatesSeen(page: Page, name: string): Promise<{ state: string; shown: string }[]> {
  const seen = await page.evaluate<{ name: string; state: string; shown: string }[]>('window.sottoFileStates ?? []');
  return seen.filter((s) => s.name === name).map(({ state, shown }) => ({ state, shown }));
}

describe('files on the page', { skip, timeout: 600_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let desk: NamespacedNode & { readonly web: string };
  let deskHome: string;
  let browser: Browser;
  let alice: Page;
  let bob: Page;

  before(async () => {
    ({ desk, deskHome, browser } = await startWebDesk('sotto-webfiles', cleanup));
    alice = await openProfile(await browser.newContext({ viewport: { width: 1000, height: 700 } }), desk.web, 'alice', { name: 'alice' });
    bob = await openProfile(await browser.newContext({ viewport: { width: 1000, height: 700 } }), desk.web, 'bob', { name: 'bob' });
    const deskInvite = (JSON.parse((await sotto(deskHome, ['invite', '--json', '--no-qr'])).stdout) as { invite: string }).invite;
    const [aliceInvite, bobInvite] = [await reachableInvite(alice), await reachableInvite(bob)];
    await addContact(alice, bobInvite, 'bob');
    await addContact(bob, aliceInvite, 'alice');
    await addContact(alice, deskInvite, 'desk');
    await addContact(bob, deskInvite, 'desk');
    for (const invite of [aliceInvite, bobInvite]) {
      const added = await sotto(deskHome, ['contacts', 'add', '--invite', invite]);
      assert.equal(added.code, 0, added.stderr);
    }
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('a picture from page to page: previewed at the receiver as an <img> from a Blob URL, saved byte for byte under its name', async () => {
    await openConversation(alice, 'bob');
    await attach(alice, 'noise.png', 'image/png', PICTURE);
    // The sender holds it whole at once: previewed there too.
    await fileNamed(alice, 'noise.png').getByTestId('file-preview').waitFor();

    await openConversation(bob, 'alice');
    const received = fileNamed(bob, 'noise.png');
    await received.waitFor();
    assert.equal(await received.getByTestId('file-size').textContent(), '197 KiB');
    const preview = received.getByTestId('file-preview');
    await preview.waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    assert.equal(await received.getAttribute('data-file-state'), 'complete');
    assert.match((await preview.getAttribute('src')) ?? '', /^blob:/);
    // Decoded: the browser read a real picture of the sent size.
    await assertEventually(async () => (await preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 240, 'the preview to decode');
    assert.equal(await received.getByTestId('file-progress').isVisible(), false, 'no progress bar once complete');

    const saved = await save(bob, 'noise.png');
    assert.equal(saved.suggested, 'noise.png');
    assert.equal(sha256(saved.bytes), sha256(PICTURE), 'the saved file is the picture sent');
  });

  test('a file whose type says picture but whose bytes are HTML is offered to save, never previewed', async () => {
    const html = new TextEncoder().encode(`<!doctype html><script>parent.sottoOwned = true</script>${'x'.repeat(40_000)}`);
    await openConversation(alice, 'bob');
    await attach(alice, 'trick.png', 'image/png', html);
    const received = fileNamed(bob, 'trick.png');
    await received.getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    assert.equal(await received.getAttribute('data-file-state'), 'complete');
    assert.equal(await received.getByTestId('file-preview').count(), 0);
    assert.equal(await bob.evaluate('window.sottoOwned === undefined'), true);
    assert.equal(sha256((await save(bob, 'trick.png')).bytes), sha256(html));
    if (UPDATE_SCREENSHOT) await writeFile(SCREENSHOT, await bob.screenshot());
  });

  test('a file whose name the protocol refuses is not sent, and the page says why', async () => {
    await openConversation(alice, 'bob');
    const before = await alice.getByTestId('message').count();
    await attach(alice, 'invoice\u202Efdp.exe', 'application/octet-stream', new Uint8Array(100));
    const error = alice.getByTestId('send-error');
    await error.filter({ hasText: /^File not sent to bob: / }).waitFor();
    assert.match((await error.textContent()) ?? '', /bidirectional control character; rename the file/);
    assert.equal(await alice.getByTestId('attach-status').textContent(), '');
    assert.equal(await alice.getByTestId('message').count(), before, 'no message');
  });

  test(`${PAGE_TO_PAGE_BYTES / 1024 / 1024} MiB from page to page: whole at the receiver, throughput reported`, async (t) => {
    const bytes = randomBytes(PAGE_TO_PAGE_BYTES);
    await openConversation(bob, 'alice');
    await openConversation(alice, 'bob');
    const started = performance.now();
    await attach(alice, 'big.bin', 'application/octet-stream', bytes);
    await fileNamed(alice, 'big.bin').getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    const sealed = (performance.now() - started) / 1000;
    await fileNamed(bob, 'big.bin').getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    const seconds = (performance.now() - started) / 1000;
    const rate = (s: number): string => `${(PAGE_TO_PAGE_BYTES / s / 1e6).toFixed(2)} MB/s`;
    const connection = await alice.getByTestId('contact').filter({ hasText: 'bob' }).getAttribute('data-connection');
    t.diagnostic(`page to page (${connection}): ${PAGE_TO_PAGE_BYTES} bytes sealed in ${sealed.toFixed(2)} s (${rate(sealed)}), then sent and fetched whole in ${(seconds - sealed).toFixed(2)} s (${rate(seconds - sealed)}); ${rate(seconds)} in all`);
    assert.equal(sha256((await save(bob, 'big.bin')).bytes), sha256(bytes));
  });

  test(`the desk sends ${DESK_TO_PAGE_BYTES / 1024 / 1024} MiB with sotto send --file: the page shows it in progress, then complete, and saves it whole`, async () => {
    const bytes = randomBytes(DESK_TO_PAGE_BYTES);
    const path = join(deskHome, 'report.bin');
    await writeFile(path, bytes);
    await openConversation(alice, 'desk');
    await recordFileStates(alice);
    const sent = await sotto(deskHome, ['send', 'alice', '--file', path, '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal((JSON.parse(sent.stdout) as { inline: boolean }).inline, false);
    const received = fileNamed(alice, 'report.bin');
    await received.getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    const states = await fileStatesSeen(alice, 'report.bin');
    assert.ok(states.length >= 2, JSON.stringify(states));
    assert.ok(states.slice(0, -1).every((s) => (s.state === 'pending' || s.state === 'partial') && s.shown === 'progress'), `a progress bar until complete: ${JSON.stringify(states)}`);
    assert.deepEqual(states.at(-1), { state: 'complete', shown: 'no progress' });
    assert.equal(sha256((await save(alice, 'report.bin')).bytes), sha256(bytes));
  });

  test('in a group made on the page: a file from the desk reaches both pages whole, and a picture from a page reaches the desk and the other page', async () => {
    await createGroupFromPage(alice, 'team', ['desk', 'bob']);
    const bobGroup = bob.locator('[data-testid="contact"][data-kind="group"]').filter({ hasText: 'team' });
    await bobGroup.click();
    await bob.getByTestId('chat-title').filter({ hasText: /^#team/ }).waitFor();
    await assertEventually(async () => JSON.parse((await sotto(deskHome, ['group', 'list', '--json'])).stdout || '[]').some((g: { name: string }) => g.name === 'team'), 'the desk to join');

    const bytes = randomBytes(300 * 1024);
    const path = join(deskHome, 'minutes.bin');
    await writeFile(path, bytes);
    const sent = await sotto(deskHome, ['group', 'send', 'team', '--file', path, '--wait', '20']);
    assert.equal(sent.code, 0, sent.stderr);
    for (const page of [alice, bob]) {
      await fileNamed(page, 'minutes.bin').getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
      assert.equal(sha256((await save(page, 'minutes.bin')).bytes), sha256(bytes));
    }

    await attach(bob, 'team.png', 'image/png', PICTURE);
    await fileNamed(alice, 'team.png').getByTestId('file-preview').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    await assertEventually(async () => {
      const history = JSON.parse((await sotto(deskHome, ['group', 'history', 'team', '--json'])).stdout || '[]') as { file?: { name: string; state: string } }[];
      return history.some((m) => m.file?.name === 'team.png' && m.file.state === 'complete');
    }, 'the desk to hold the group picture whole', TRANSFER_TIMEOUT_MS);
  });

  test('a page reloaded halfway through a fetch keeps what it wrote and fetches the rest: the file is whole', async (t) => {
    const bytes = randomBytes(RESUME_BYTES);
    const path = join(deskHome, 'resume.bin');
    await writeFile(path, bytes);
    await openConversation(alice, 'desk');
    const sent = await sotto(deskHome, ['send', 'alice', '--file', path]);
    assert.equal(sent.code, 0, sent.stderr);
    const file = fileNamed(alice, 'resume.bin');
    // Reloaded once a quarter is written (FILE_WINDOW_CHUNKS chunks are recorded at a time, far fewer than that).
    await assertEventually(async () => Number((await file.getByTestId('file-progress').getAttribute('value')) ?? 0) >= RESUME_BYTES / 4, 'a quarter of the file', TRANSFER_TIMEOUT_MS);
    await alice.reload();
    await unlockPage(alice);
    await openConversation(alice, 'desk');
    await file.waitFor();
    await recordFileStates(alice);
    const first = (await fileStatesSeen(alice, 'resume.bin'))[0];
    t.diagnostic(`reopened at ${(await file.getByTestId('file-note').textContent()) || first?.state}`);
    assert.ok(first?.state === 'partial' || first?.state === 'complete', `what was written was kept: ${JSON.stringify(first)}`);
    await file.getByTestId('file-save').waitFor({ timeout: TRANSFER_TIMEOUT_MS });
    assert.equal(sha256((await save(alice, 'resume.bin')).bytes), sha256(bytes));
  });

  test("a picture from the page to the desk: the desk fetches it and its history shows it complete", async () => {
    await openConversation(alice, 'desk');
    await attach(alice, 'for-desk.png', 'image/png', PICTURE);
    await fileNamed(alice, 'for-desk.png').getByTestId('file-preview').waitFor();
    await assertEventually(async () => {
      const history = JSON.parse((await sotto(deskHome, ['history', 'alice', '--json'])).stdout || '[]') as { direction: string; file?: { name: string; state: string; sha256: string } }[];
      const line = history.find((m) => m.direction === 'in' && m.file?.name === 'for-desk.png');
      return line?.file?.state === 'complete' && line.file.sha256 === sha256(PICTURE);
    }, 'the desk to hold the picture whole', TRANSFER_TIMEOUT_MS);
  });
});
