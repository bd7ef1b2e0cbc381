/**
 * Issue 15's "done when", end to end: three people on three machines hold a
 * group conversation, each from another interface. Hosts are network
 * namespaces on one bridge (../helpers/lan.ts), nothing else reachable:
 *
 * - a mailbox and relay (`sotto start --mailbox --relay`);
 * - alice, who uses the command line (`sotto group …`) on her node;
 * - bob, who uses the terminal chat (`sotto chat` in tmux, 80×24) attached
 *   to his node;
 * - carol, who uses the page her node serves (`sotto start --web`) in
 *   headless Chromium on her machine;
 * - dave, a fourth person alice adds while bob is away.
 *
 * They become contacts by invites, alice makes the group, everyone writes
 * and reads the others' lines with their senders; bob goes offline, the
 * others write and alice adds dave, and bob reads all of it on return;
 * alice removes carol, and carol's page shows nothing sent after. Each step
 * is checked on what the interface shows: the chat's screen, the page's
 * DOM, the CLI's --json. Skipped (saying why) without root, Chromium or tmux.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { eventually, sotto, sottoJson, startNode, tempHome, TEST_PASSPHRASE, type RunningNode } from '../helpers/cli.ts';
import { addContact, canRunBrowsers, ensureWebAppBuilt, launchChromium, openProfile, reachableInvite, showContactList } from '../helpers/browser.ts';
import { groupWhenReady, historyOf, waitForGroup, waitForTexts, type GroupHome, type HistoryLine } from '../helpers/group-homes.ts';
import { createLan, lanUnavailable, type Lan } from '../helpers/lan.ts';
import { Terminals } from '../helpers/terminal.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function unavailable(): Promise<string | undefined> {
  const lan = await lanUnavailable();
  if (lan) return lan;
  if (!canRunBrowsers()) return 'needs /usr/bin/chromium; skipped';
  return run('tmux', ['-V']).then(
    () => undefined,
    () => 'needs tmux; skipped',
  );
}
const skip = await unavailable();

/**
 * How long a delivery, a join or a catch-up may take before the test fails:
 * generous for a loaded 2-core machine, and past the first mailbox polls of
 * a node that just started (2 s, doubling).
 */
const WAIT_MS = 60_000;
/** How long `group send` waits for acknowledgements. */
const SEND_WAIT_S = '20';
/** The hosts of the LAN, by index. */
const HOST = { mailbox: 0, alice: 1, bob: 2, carol: 3, dave: 4 } as const;
/** Bob's list holds two contacts and the group: more moves than that and the group is not in it. */
const CHAT_LIST_MOVES_MAX = 4;

describe('a group on three machines: CLI, chat and page; one catches up, one is removed', { skip, timeout: 420_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  const nodes: RunningNode[] = [];
  let lan: Lan;
  let terminals: Terminals;
  let closeBrowser: (() => Promise<void>) | undefined;
  let mailbox: RunningNode;
  let carolNode: RunningNode;
  let carol: Page;
  let carolPeerId: string;
  /** Bob's chat window. */
  let bobChat: string;
  const people = {} as Record<'alice' | 'bob' | 'dave', GroupHome>;
  /** Every line sent to the group, by whom, in order. */
  const said: { from: 'alice' | 'bob' | 'carol'; text: string }[] = [];

  const namespace = (host: number): string => lan.hosts[host]!.namespace;
  const start = async (home: string, host: number, args: readonly string[]): Promise<RunningNode> => {
    const node = await startNode(home, args, {}, namespace(host));
    nodes.push(node);
    return node;
  };
  /** The node's LAN TCP address (not the WebSocket one), to bootstrap from. */
  const lanAddress = (node: RunningNode, host: number): string => {
    const address = node.addresses.find((a) => a.startsWith(`/ip4/${lan.hosts[host]!.address}/tcp/`) && !a.includes('/ws'));
    assert.ok(address, `no LAN TCP address in ${node.addresses.join(' ')}`);
    return address;
  };
  /** Every person's node bootstraps from the mailbox and from carol's node (a relay: pages reach desktop nodes holding a slot on it). */
  const personArgs = (): string[] => ['--bootstrap', lanAddress(mailbox, HOST.mailbox), '--bootstrap', lanAddress(carolNode, HOST.carol)];
  const startBob = async (): Promise<void> => {
    people.bob.node = await start(people.bob.home, HOST.bob, personArgs());
    bobChat = await terminals.open('node bin/sotto.js chat', { SOTTO_HOME: people.bob.home, SOTTO_PASSPHRASE: TEST_PASSPHRASE });
  };
  /**
   * Waits for the group in bob's list (it joins by itself: an invitation
   * from a contact), then moves down the list until the group is open and
   * its title matches `title`.
   */
  const openGroupInChat = async (title: RegExp): Promise<void> => {
    await terminals.waitFor(bobChat, /│# team/, WAIT_MS);
    for (let moves = 0; ; moves++) {
      const screen = await terminals.screen(bobChat);
      if (/#team · group/.test(screen)) break;
      assert.ok(moves < CHAT_LIST_MOVES_MAX, `the group never opened:\n${screen}`);
      await terminals.key(bobChat, 'Down');
      await eventually(async () => (await terminals.screen(bobChat)) !== screen, WAIT_MS, 'the chat to open the next conversation');
    }
    await terminals.waitFor(bobChat, title, WAIT_MS);
  };
  const say = (from: 'alice' | 'bob' | 'carol', text: string): string => {
    said.push({ from, text });
    return text;
  };
  const aliceSends = async (text: string): Promise<{ delivered: number; stored: number; members: number }> => {
    const result = await sotto(people.alice.home, ['group', 'send', 'team', say('alice', text), '--wait', SEND_WAIT_S, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { delivered: number; stored: number; members: number };
  };
  const bobSends = async (text: string): Promise<void> => {
    await terminals.type(bobChat, say('bob', text));
    await terminals.waitFor(bobChat, new RegExp(`> you: ${text}`));
  };
  const carolSends = async (text: string): Promise<void> => {
    await carol.getByTestId('composer').fill(say('carol', text));
    await carol.getByTestId('send').click();
    await shownOnPage(text, 'you');
  };
  /** Waits for the message `text` in carol's open group and checks who the page says sent it. */
  const shownOnPage = async (text: string, sender: string): Promise<void> => {
    const message = carol.getByTestId('message').filter({ hasText: text });
    await message.waitFor({ timeout: WAIT_MS });
    assert.equal(await message.getByTestId('message-sender').textContent(), sender, `the sender of "${text}" on carol's page`);
  };
  const peerIdOf = (from: 'alice' | 'bob' | 'carol'): string => (from === 'carol' ? carolPeerId : people[from].peerId);
  /** Asserts that `history` holds exactly the lines `expected`, each once, with its sender and direction for `reader`. */
  const assertHistory = (history: readonly HistoryLine[], expected: typeof said, reader: 'alice' | 'bob'): void => {
    const shown = history.map((m) => `${m.sender} ${m.direction} ${m.text}`).sort();
    const wanted = expected.map((s) => `${peerIdOf(s.from)} ${s.from === reader ? 'out' : 'in'} ${s.text}`).sort();
    assert.deepEqual(shown, wanted, `${reader}'s history`);
  };

  before(async () => {
    await ensureWebAppBuilt();
    // The pid keeps names apart from other runs on this machine.
    const tag = `g3${process.pid % 100000}`;
    lan = await createLan(tag, 5);
    cleanup.push(() => lan.remove());
    // Chromium gathers no ICE candidates without a default route: carol's machine gets one onto the LAN (nothing lies beyond it).
    await run('ip', ['-n', namespace(HOST.carol), 'route', 'add', 'default', 'dev', 'eth0']);
    terminals = new Terminals(namespace(HOST.bob), `${tag}-bob`, ROOT);

    const mailboxHome = await tempHome('g3-mailbox', cleanup);
    const carolHome = await tempHome('g3-carol-node', cleanup);
    for (const [home, name] of [[mailboxHome, 'mailbox'], [carolHome, 'carols-node']] as const) {
      assert.equal((await sotto(home, ['init', '--name', name, '--no-passphrase'])).code, 0);
    }
    for (const name of ['alice', 'bob', 'dave'] as const) {
      const home = await tempHome(`g3-${name}`, cleanup);
      const init = await sotto(home, ['init', '--name', name]);
      assert.equal(init.code, 0, init.stderr);
      people[name] = { name, home, peerId: init.stdout.trim(), node: undefined };
    }
    mailbox = await start(mailboxHome, HOST.mailbox, ['--mailbox', '--relay']);
    carolNode = await start(carolHome, HOST.carol, ['--web', '--bootstrap', lanAddress(mailbox, HOST.mailbox)]);
    const web = /^web (\S+)$/m.exec(carolNode.output())?.[1];
    assert.ok(web, carolNode.output());
    for (const name of ['alice', 'dave'] as const) people[name].node = await start(people[name].home, HOST[name], personArgs());
    await startBob();

    const chromium = await launchChromium(namespace(HOST.carol));
    closeBrowser = chromium.close;
    carol = await openProfile(await chromium.browser.newContext({ viewport: { width: 1000, height: 700 } }), web, 'carol', { name: 'carol' });
    carolPeerId = (await carol.getByTestId('peer-id').textContent())!;
  });

  after(async () => {
    // The browser and the chat first, then the nodes, then folders and namespaces.
    await closeBrowser?.();
    if (terminals) await terminals.close();
    for (const node of nodes) await node.kill().catch(() => {});
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  test('they become contacts by invites, each from their own interface, and alice creates the group with bob and carol', async () => {
    const inviteOf = async (home: string): Promise<string> => (await sottoJson<{ invite: string }>(home, ['invite', '--no-qr'])).invite;
    const carolInvite = await reachableInvite(carol);
    const [aliceInvite, bobInvite, daveInvite] = [await inviteOf(people.alice.home), await inviteOf(people.bob.home), await inviteOf(people.dave.home)];

    // Alice on the command line.
    for (const [invite, name] of [[bobInvite, 'bob'], [carolInvite, 'carol'], [daveInvite, 'dave']] as const) {
      const added = await sotto(people.alice.home, ['contacts', 'add', '--invite', invite, name]);
      assert.equal(added.code, 0, added.stderr);
    }
    assert.equal((await sotto(people.dave.home, ['contacts', 'add', '--invite', aliceInvite, 'alice'])).code, 0);
    // Bob in his chat.
    await terminals.waitFor(bobChat, /Add a contact: \/add INVITE/);
    for (const [invite, name] of [[aliceInvite, 'alice'], [carolInvite, 'carol']] as const) {
      await terminals.type(bobChat, `/add ${invite} ${name}`);
      await terminals.waitFor(bobChat, new RegExp(`Added ${name}\\.`));
    }
    // Carol on her page.
    await addContact(carol, aliceInvite, 'alice');
    await addContact(carol, bobInvite, 'bob');

    // A contact can be put in a group once their node has sent a key package: `create` says when one is still on the way.
    const created = JSON.parse((await groupWhenReady(people.alice, ['create', 'team', 'bob', 'carol', '--json'], WAIT_MS)).stdout) as { name: string; id: string };
    assert.equal(created.name, 'team');

    // Bob's chat lists the group by itself (an invitation from a contact); Up from the first contact wraps to it.
    await openGroupInChat(/#team · group of 3 members · you are a member/);
    // Carol's page too.
    await showContactList(carol);
    await carol.locator('[data-testid="contact"][data-kind="group"]').filter({ hasText: 'team' }).click({ timeout: WAIT_MS });
    await carol.getByTestId('chat-title').filter({ hasText: /^#team/ }).waitFor();
    await carol.getByTestId('group-member').nth(2).waitFor();
    assert.deepEqual((await carol.getByTestId('group-member').locator('bdi.name').allTextContents()).sort(), ['alice', 'bob', 'you']);
    assert.equal(await carol.getByTestId('group-remove-member').count(), 0, 'carol is not an admin');
  });

  test('each sends a line from their own interface and sees the others\' lines with the right sender', async () => {
    const fromAlice = 'alice, on the CLI: hello team';
    const sent = await aliceSends(fromAlice);
    assert.equal(sent.members, 2);
    await terminals.waitFor(bobChat, new RegExp(`< alice: ${fromAlice}`), WAIT_MS);
    await shownOnPage(fromAlice, 'alice');

    const fromBob = 'bob, in his chat: hi';
    await bobSends(fromBob);
    await shownOnPage(fromBob, 'bob');

    const fromCarol = 'carol, on her page: hi';
    await carolSends(fromCarol);
    await terminals.waitFor(bobChat, new RegExp(`< carol: ${fromCarol}`), WAIT_MS);

    await waitForTexts(people.alice, 'team', [fromBob, fromCarol], WAIT_MS);
    assertHistory(await historyOf(people.alice, 'team'), said, 'alice');
  });

  test('bob goes offline; alice and carol write and alice adds dave; bob, back, reads everything from the mailbox', async (t) => {
    await terminals.type(bobChat, '/quit');
    await terminals.waitFor(bobChat, /exited 0/);
    assert.equal(await people.bob.node!.stop(), 0, people.bob.node!.output());
    people.bob.node = undefined;

    const away = 'alice, bob away';
    const sent = await aliceSends(away);
    // Stored: the outbox is done with a frame once the group's mailboxes hold it, so bob can only get it from them.
    assert.ok(sent.stored >= 1, `a mailbox holds it for bob: ${JSON.stringify(sent)}`);
    await shownOnPage(away, 'alice');
    const carolAway = 'carol, bob away';
    await carolSends(carolAway);
    await waitForTexts(people.alice, 'team', [carolAway], WAIT_MS);

    // A membership change bob is not there to see.
    await groupWhenReady(people.alice, ['add', 'team', 'dave'], WAIT_MS);
    await waitForGroup(people.dave, 'team', WAIT_MS);
    await carol.getByTestId('group-member').nth(3).waitFor({ timeout: WAIT_MS });
    const afterDave = 'alice: welcome dave';
    await aliceSends(afterDave);
    await waitForTexts(people.dave, 'team', [afterDave], WAIT_MS);

    const back = performance.now();
    await startBob();
    await openGroupInChat(/#team · group of 4 members · you are a member/);
    for (const [from, text] of [['alice', away], ['carol', carolAway], ['alice', afterDave]] as const) {
      await terminals.waitFor(bobChat, new RegExp(`< ${from}: ${text}`), WAIT_MS);
    }
    t.diagnostic(`bob caught up (a membership change and three lines) ${((performance.now() - back) / 1000).toFixed(1)} s after his node was started again`);
    await terminals.type(bobChat, '/members');
    await terminals.waitFor(bobChat, /Members of #team \(4\):\n +alice \(admin\)\n +you\n +carol\n +\S+ · not a contact/);
  });

  test('alice removes carol: carol\'s page says so and shows nothing sent after; alice\'s and bob\'s histories hold every line once', async () => {
    const beforeRemoval = [...said];
    const removed = await sotto(people.alice.home, ['group', 'remove', 'team', 'carol']);
    assert.equal(removed.code, 0, removed.stderr);
    await carol.locator('[data-testid="contact"][data-kind="group"][data-active="false"]').filter({ hasText: 'team' }).waitFor({ timeout: WAIT_MS });
    await carol.getByTestId('chat-title').filter({ hasText: 'no longer in this group' }).waitFor();
    await terminals.waitFor(bobChat, /#team · group of 3 members/, WAIT_MS);

    const aliceAfter = 'alice, carol gone';
    await aliceSends(aliceAfter);
    const bobAfter = 'bob, carol gone';
    await bobSends(bobAfter);
    await terminals.waitFor(bobChat, new RegExp(`< alice: ${aliceAfter}`), WAIT_MS);
    await waitForTexts(people.alice, 'team', [bobAfter], WAIT_MS);
    await waitForTexts(people.dave, 'team', [aliceAfter, bobAfter], WAIT_MS);

    for (const text of [aliceAfter, bobAfter]) assert.equal(await carol.getByTestId('message').filter({ hasText: text }).count(), 0, `carol's page shows "${text}"`);
    const carolShows = await carol.getByTestId('message').allTextContents();
    for (const { text } of beforeRemoval) assert.equal(carolShows.filter((m) => m.includes(text)).length, 1, `carol's page keeps "${text}" once`);

    assertHistory(await historyOf(people.alice, 'team'), said, 'alice');
    assertHistory(await historyOf(people.bob, 'team'), said, 'bob');
  });
});
