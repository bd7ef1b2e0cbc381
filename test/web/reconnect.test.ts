/**
 * A page whose node restarts, in headless Chromium inside a network
 * namespace of the test's own: the desktop node (`sotto start --relay
 * --mailbox --web`) stops and comes back on another WebSocket port (the
 * page's origin, port 7420, stays). The page says it lost its node, warns
 * that its invite has no address (and does not copy it), and reconnects by
 * itself: its relay slot and its addresses come back, and messages go both
 * ways again, without a reload.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { noblePrimitives } from '../../src/crypto/primitives/noble.ts';
import { decodeInvite } from '../../src/node/contacts/invite.ts';
import { sotto, tempHome } from '../helpers/cli.ts';
import {
  canRunBrowsers,
  createRoutedNamespace,
  ensureWebAppBuilt,
  inviteWhere,
  launchChromium,
  openProfile,
  PAGE_TIMEOUT_MS,
  reachableInvite,
  sendFromPage,
  startNodeIn,
  waitForMessage,
  type NamespacedNode,
} from '../helpers/browser.ts';

const skip = canRunBrowsers() ? false : 'needs root (network namespaces) and /usr/bin/chromium';
/** The node's listen addresses: WebSocket port 0, so each start picks another one. */
const DESK_ARGS = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web'];

/** The TCP port of the node's WebSocket address. */
function webSocketPort(node: NamespacedNode): string {
  const ws = node.addresses.find((a) => a.includes('/ws/'));
  assert.ok(ws, node.output());
  return /\/tcp\/(\d+)\/ws\//.exec(ws)![1]!;
}

describe('a page whose node restarts', { skip, timeout: 180_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let namespace: string;
  let deskHome: string;
  let desk: NamespacedNode;
  let context: BrowserContext;
  let alice: Page;

  before(async () => {
    await ensureWebAppBuilt();
    const ns = await createRoutedNamespace(`sotto-reconnect-${process.pid}`);
    namespace = ns.name;
    cleanup.push(() => ns.remove());
    deskHome = await tempHome('web-reconnect', cleanup);
    await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
    desk = await startNodeIn(namespace, deskHome, DESK_ARGS);
    cleanup.unshift(async () => void (await desk.stop()));
    const chromium = await launchChromium(namespace);
    cleanup.unshift(chromium.close);
    context = await chromium.browser.newContext({ viewport: { width: 1000, height: 640 } });
    alice = await openProfile(context, desk.web!, 'alice', { name: 'alice' });
    // Alice and the desk know each other.
    assert.equal((await sotto(deskHome, ['contacts', 'add', '--invite', await reachableInvite(alice)])).code, 0);
    const deskInvite = JSON.parse((await sotto(deskHome, ['invite', '--json'])).stdout) as { invite: string };
    await alice.getByTestId('add-contact-invite').fill(deskInvite.invite);
    await alice.getByTestId('add-contact-name').fill('desk');
    await alice.getByTestId('add-contact-submit').click();
    await alice.getByTestId('chat-title').filter({ hasText: /^desk\b/ }).waitFor();
  });

  after(async () => {
    for (const c of cleanup) await c().catch(() => {});
  });

  test('the page says it lost its node, warns that its invite has no address, and reconnects by itself when the node is back on another port', async () => {
    const status = alice.getByTestId('status');
    await alice.locator('[data-testid="status"][data-state="connected"]').waitFor();
    assert.equal(await alice.getByTestId('invite-warning').isVisible(), false);
    const firstPort = webSocketPort(desk);

    await desk.stop();
    await alice.locator('[data-testid="status"][data-state="disconnected"]').waitFor();
    assert.match((await status.textContent()) ?? '', /^not connected to your node/);
    assert.equal(await status.getAttribute('data-online'), 'false');
    assert.match((await status.getAttribute('title')) ?? '', /sotto start --web/);
    // Its relay slot went with the node: the invite has no address, says so, and is not copied.
    // (With a contact the "You" panel is folded: open it, as a person about to copy the invite does.)
    await alice.getByTestId('identity').locator('summary').click();
    await alice.getByTestId('invite-warning').waitFor({ state: 'visible' });
    assert.equal(await alice.getByTestId('invite').getAttribute('data-addresses'), '0');
    await alice.getByTestId('copy-invite').click();
    await alice.getByTestId('copy-feedback').filter({ hasText: /Not copied/ }).waitFor();
    // A message written meanwhile waits in the outbox.
    await sendFromPage(alice, 'desk', 'written while the node was away');

    desk = await startNodeIn(namespace, deskHome, DESK_ARGS);
    const secondPort = webSocketPort(desk);
    assert.notEqual(secondPort, firstPort, 'the node came back on another WebSocket port');
    await alice.locator('[data-testid="status"][data-state="connected"]').waitFor({ timeout: PAGE_TIMEOUT_MS });
    assert.match((await status.textContent()) ?? '', /^online · \d+ peers?$/);
    // Its slot is back, through the node's new port, and so are the invite's addresses.
    const invite = await inviteWhere(alice, (addresses) => addresses.some((a) => a.includes(`/tcp/${secondPort}/ws/`) && a.endsWith('/p2p-circuit/webrtc')), `a WebRTC address through port ${secondPort}`);
    assert.ok((await decodeInvite(noblePrimitives, invite)).addresses.every((a) => !a.includes(`/tcp/${firstPort}/`)), 'no address through the old port');
    await alice.getByTestId('invite-warning').waitFor({ state: 'hidden' });

    // Messages go both ways again, the one written meanwhile included.
    await waitForMessage(alice, 'written while the node was away', /delivered|read/);
    await sendFromPage(alice, 'desk', 'after the restart');
    await waitForMessage(alice, 'after the restart', /delivered|read/);
    const sent = await sotto(deskHome, ['send', 'alice', 'the desk is back', '--wait', '20']);
    assert.equal(sent.stdout.trim(), 'delivered', sent.stdout + sent.stderr);
    await waitForMessage(alice, 'the desk is back', /received|read/);
  });
});
