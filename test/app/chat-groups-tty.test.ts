/**
 * A group in three real terminals (tmux, 80×24) inside a network namespace
 * of the test's own (the chats find each other by mDNS there): alice
 * creates the group from her chat with bob, adds carol, everyone writes and
 * reads each line with its sender, alice removes bob, and bob's chat reads
 * nothing she sends after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { sotto, tempHome, TEST_PASSPHRASE } from '../helpers/cli.ts';
import { createNamespace, Terminals } from '../helpers/terminal.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('groups in the chat, in terminals', { timeout: 240_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  let terminals: Terminals;

  before(async () => {
    const ns = await createNamespace(`sotto-chatgrp-${process.pid}`);
    cleanup.push(ns.remove);
    terminals = new Terminals(ns.name, `sotto-chatgrp-${process.pid}`, ROOT);
    cleanup.push(() => terminals.close());
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('a group made in the chat: created with bob, carol added, lines with their senders, /members, bob removed reads nothing after', async () => {
    const names = ['alice', 'bob', 'carol'] as const;
    const homes: Record<string, string> = {};
    const peers: Record<string, string> = {};
    for (const name of names) {
      homes[name] = await tempHome(`chatgrp-${name}`, cleanup);
      peers[name] = (await sotto(homes[name]!, ['init', '--name', name])).stdout.trim();
      assert.match(peers[name]!, /^12D3KooW/);
    }
    // Contacts on both sides before the nodes start: each node gives its contacts a key package as it starts.
    for (const a of names) for (const b of names) if (a !== b) assert.equal((await sotto(homes[a]!, ['contacts', 'add', b, peers[b]!])).code, 0);

    const screen: Record<string, string> = {};
    for (const name of names) screen[name] = await terminals.open('node bin/sotto.js chat', { SOTTO_HOME: homes[name]!, SOTTO_PASSPHRASE: TEST_PASSPHRASE });
    const [alice, bob, carol] = [screen['alice']!, screen['bob']!, screen['carol']!];
    for (const t of [alice, bob, carol]) await terminals.waitFor(t, /· 2 contacts online/);

    await terminals.typeUntil(alice, '/group create team bob', /Created the group #team: bob\./, /no key package of/);
    await terminals.waitFor(alice, /#team · group of 2 members · you are an admin/);
    // Bob joins by himself: the group is listed under his contacts; Up from the first contact wraps to it.
    await terminals.waitFor(bob, /│# team/);
    await terminals.key(bob, 'Up');
    await terminals.waitFor(bob, /#team · group of 2 members · you are a member/);

    await terminals.typeUntil(alice, '/group add carol', /Added carol to #team\./, /no key package of/);
    await terminals.waitFor(alice, /#team · group of 3 members/);
    await terminals.waitFor(carol, /│# team/);
    await terminals.key(carol, 'Up');
    await terminals.waitFor(carol, /#team · group of 3 members · you are a member/);

    await terminals.type(alice, 'hello team, alice here');
    await terminals.waitFor(alice, /> you: hello team, alice here/);
    await terminals.waitFor(bob, /< alice: hello team, alice here/);
    await terminals.waitFor(carol, /< alice: hello team, alice here/);
    await terminals.type(bob, 'bob says hi');
    await terminals.waitFor(alice, /< bob: bob says hi/);
    await terminals.waitFor(carol, /< bob: bob says hi/);
    await terminals.type(carol, 'and carol too');
    const aliceScreen = await terminals.waitFor(alice, /< carol: and carol too/);
    await terminals.waitFor(bob, /< carol: and carol too/);
    for (const line of aliceScreen.split('\n')) assert.ok([...line].length <= 80, `a line is wider than 80 columns: ${line}`);

    await terminals.type(alice, '/members');
    await terminals.waitFor(alice, /Members of #team \(3\):\n +you \(admin\)\n +bob\n +carol/);

    await terminals.type(alice, '/group remove bob');
    await terminals.waitFor(alice, /Removed bob from #team/);
    await terminals.waitFor(alice, /#team · group of 2 members/);
    await terminals.waitFor(bob, /│# team \(left\)/);
    await terminals.waitFor(bob, /You are no longer in this group/);
    await terminals.type(alice, 'after bob was removed');
    await terminals.waitFor(carol, /< alice: after bob was removed/);
    await terminals.type(carol, 'carol, after bob');
    await terminals.waitFor(alice, /< carol: carol, after bob/);
    const bobScreen = await terminals.screen(bob);
    assert.doesNotMatch(bobScreen, /after bob/, 'bob reads nothing sent after his removal');
    assert.match(bobScreen, /< carol: and carol too/, 'his history before it stays');

    for (const t of [alice, bob, carol]) await terminals.type(t, '/quit');
    for (const t of [alice, bob, carol]) await terminals.waitFor(t, /exited 0/);
  });
});
