/**
 * Group conversations between separate `sotto start` processes on
 * loopback, through the `sotto group` commands (README, docs/GROUPS.md):
 * three homes talk in a group; a member stopped through three membership
 * changes reads everything in order when it returns, after the admin left
 * too; a removed member reads nothing sent after its removal, not even in
 * its database files; `send --wait` reports what happened; errors are
 * `sotto:` + `hint:` lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertCliError, eventually, sotto } from '../helpers/cli.ts';
import { GROUP_CATCH_UP_ATTEMPTS, GROUP_CATCH_UP_DELAY_MS } from '../../src/node/constants.ts';
import { GroupTestRun, group, groupWhenReady, historyOf, readAll, textsOf, waitForGroup, waitForMember, waitForTexts, type GroupHome } from '../helpers/group-homes.ts';

/**
 * How long a member may take to read what was sent: a frame handed to it
 * directly is read at once; one it refused for now (its invitation still
 * being processed, a commit before it missing) comes from the mailbox at its
 * catch-up fetches (GROUP_CATCH_UP_DELAY_MS, doubling, GROUP_CATCH_UP_ATTEMPTS
 * times), or handed to it again by the sender; a member that returns fetches
 * as it starts. Then a margin for a machine shared with other jobs.
 */
const READ_TIMEOUT_MS = GROUP_CATCH_UP_DELAY_MS * (2 ** GROUP_CATCH_UP_ATTEMPTS - 1) + 20_000;
/** How long key packages and invitations may take to travel between nodes that just started. */
const READY_TIMEOUT_MS = 90_000;

test('three homes hold a group conversation; list and history have the README shapes; errors carry hints', { timeout: 400_000 }, async () => {
  const run = new GroupTestRun();
  try {
    await run.startMailbox();
    const [alice, bob, carol] = (await run.homes('alice', 'bob', 'carol')) as [GroupHome, GroupHome, GroupHome];
    for (const h of [alice, bob, carol]) await run.start(h);

    const created = await groupWhenReady(alice, ['create', 'team', 'bob', 'carol', '--json'], READY_TIMEOUT_MS);
    const { name, id } = JSON.parse(created.stdout) as { name: string; id: string };
    assert.equal(name, 'team');
    assert.match(id, /^[0-9a-f]{64}$/);
    await waitForGroup(bob, 'team', READY_TIMEOUT_MS);
    await waitForGroup(carol, 'team', READY_TIMEOUT_MS);

    // `group list --json`: [{"name","id","members":[{"name","peerId"}],"admins":[peerId]}], exactly.
    const list = JSON.parse((await group(bob, ['list', '--json'])).stdout) as Record<string, unknown>[];
    assert.equal(list.length, 1);
    assert.deepEqual(Object.keys(list[0]!).sort(), ['admins', 'id', 'members', 'name']);
    assert.equal(list[0]!.id, id);
    const members = list[0]!.members as Record<string, unknown>[];
    for (const m of members) assert.deepEqual(Object.keys(m).sort(), ['name', 'peerId']);
    assert.deepEqual(
      members.map((m) => [m.peerId, m.name]).sort(),
      [
        [alice.peerId, 'alice'],
        [bob.peerId, null],
        [carol.peerId, 'carol'],
      ].sort(),
    );
    assert.deepEqual(list[0]!.admins, [alice.peerId]);

    // Right after joining, bob and carol each update their keys (GROUPS.md, "Automatic updates"); two
    // concurrent updates fork the group for a moment ("Forks"), and a member on the other branch takes a
    // message only once it moved (from the mailbox, as `stored`). Settled: a round in which each member's
    // note is acked by both others.
    const probe = (who: GroupHome): string => `${who.name}: settling`;
    await eventually(async () => {
      for (const who of [alice, bob, carol]) if ((await group(who, ['send', 'team', probe(who), '--wait', '30'])).stdout.trim() !== 'delivered to 2 of 2') return false;
      return true;
    }, READY_TIMEOUT_MS, 'a round of notes each acked by both other members');

    // Each member sends; with everyone online and the group settled, each send is acked by both others.
    const said = { alice: 'alice: the plan is on', bob: 'bob: count me in', carol: 'carol: bringing snacks' };
    for (const [who, text] of [
      [alice, said.alice],
      [bob, said.bob],
      [carol, said.carol],
    ] as const) {
      const sent = JSON.parse((await group(who, ['send', 'team', text, '--wait', '30', '--json'])).stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(sent).sort(), ['delivered', 'id', 'members', 'queued', 'status', 'stored']);
      assert.deepEqual({ status: sent.status, delivered: sent.delivered, members: sent.members }, { status: 'delivered', delivered: 2, members: 2 });
    }
    assert.equal((await group(alice, ['send', 'team', 'alice: all here?', '--wait', '30'])).stdout.trim(), 'delivered to 2 of 2');
    const bySender = new Map([alice, bob, carol].map((h) => [h.peerId, h]));
    for (const reader of [alice, bob, carol]) {
      await waitForTexts(reader, 'team', [...Object.values(said), 'alice: all here?'], READ_TIMEOUT_MS);
      const history = (await historyOf(reader, 'team')).filter((line) => line.text !== 'alice: all here?' && !line.text.endsWith(': settling'));
      for (const line of history) {
        for (const key of ['id', 'sender', 'direction', 'text', 'timestamp', 'status']) assert.ok(key in line, `${key} in ${JSON.stringify(line)}`);
        const sender = bySender.get(line.sender);
        assert.ok(sender, `sender ${line.sender} is a member's peer id`);
        assert.equal(line.text, said[sender.name as keyof typeof said]);
        assert.equal(line.direction, sender === reader ? 'out' : 'in');
      }
      assert.equal(history.length, 3);
    }

    // Errors: `sotto: …` and `hint: …`, exit status 1.
    assertCliError(await sotto(bob.home, ['group', 'send', 'no-such-group', 'hi']), /no group named "no-such-group"/, /sotto group list/);
    assertCliError(await sotto(alice.home, ['group', 'add', 'team', 'mallory']), /mallory/, /sotto contacts add/);
    assertCliError(await sotto(bob.home, ['group', 'remove', 'team', 'carol']), /only a group admin/, /only an admin/);
    // The refused removal changed nothing.
    assert.equal((JSON.parse((await group(alice, ['list', '--json'])).stdout) as { members: unknown[] }[])[0]!.members.length, 3);
  } finally {
    await run.close();
  }
});

test('a member offline through three membership changes reads everything in order; a removed member reads nothing after its removal', { timeout: 600_000 }, async () => {
  // Its own homes and mailbox: independent of the test above.
  const fresh = new GroupTestRun();
  try {
    await fresh.startMailbox();
    const [alice, bob, carol, dave] = (await fresh.homes('alice', 'bob', 'carol', 'dave')) as [GroupHome, GroupHome, GroupHome, GroupHome];
    for (const h of [alice, bob, carol, dave]) await fresh.start(h);
    await groupWhenReady(alice, ['create', 'club', 'bob', 'carol'], READY_TIMEOUT_MS);
    await waitForGroup(bob, 'club', READY_TIMEOUT_MS);
    await waitForGroup(carol, 'club', READY_TIMEOUT_MS);
    const before = 'm0 before carol leaves for a while';
    await group(alice, ['send', 'club', before, '--wait', '30']);
    await waitForTexts(carol, 'club', [before], READ_TIMEOUT_MS);

    // Carol goes away; three membership changes and messages between them.
    await fresh.stop(carol);
    const m1 = 'm1 while carol is away';
    const sent1 = (await group(alice, ['send', 'club', m1, '--wait', '30'])).stdout.trim();
    // Bob acked it directly; the mailbox holds it for carol.
    assert.equal(sent1, 'delivered to 1 of 2, stored for 1 of 2');

    await groupWhenReady(alice, ['add', 'club', 'dave'], READY_TIMEOUT_MS); // change 1
    await waitForGroup(dave, 'club', READY_TIMEOUT_MS);
    await waitForMember(bob, 'club', dave.peerId, READY_TIMEOUT_MS);
    const m2 = 'm2 welcome dave';
    await group(bob, ['send', 'club', m2, '--wait', '30']);
    await waitForTexts(dave, 'club', [m2], READ_TIMEOUT_MS);
    const daveRead = await readAll(join(dave.home, 'db'));
    assert.ok(daveRead.includes(m2), 'a message dave read is in its database files (the check below can see plaintext)');

    await group(alice, ['remove', 'club', 'dave']); // change 2
    const secret = 'm3 the door code is 4921 and dave must not know';
    await group(alice, ['send', 'club', secret, '--wait', '30']);
    const m4 = 'm4 bob after dave left';
    // Bob writes in the epoch after the removal (frames are read by epoch, §24a).
    await waitForMember(bob, 'club', dave.peerId, READY_TIMEOUT_MS, false);
    await group(bob, ['send', 'club', m4, '--wait', '30']);
    await waitForTexts(bob, 'club', [secret], READ_TIMEOUT_MS);

    await groupWhenReady(alice, ['add', 'club', 'dave'], READY_TIMEOUT_MS); // change 3
    const m5 = 'm5 dave is back';
    await group(alice, ['send', 'club', m5, '--wait', '30']);
    await waitForTexts(dave, 'club', [m5], READ_TIMEOUT_MS);

    // The admin goes away too; carol returns and catches up from the mailbox alone.
    await fresh.stop(alice);
    await fresh.start(carol);
    await waitForTexts(carol, 'club', [m1, m2, secret, m4, m5], READ_TIMEOUT_MS);
    assert.deepEqual(await textsOf(carol, 'club'), [before, m1, m2, secret, m4, m5]);
    const carolList = JSON.parse((await group(carol, ['list', '--json'])).stdout) as { members: { peerId: string }[] }[];
    assert.deepEqual(carolList[0]!.members.map((m) => m.peerId).sort(), [alice.peerId, bob.peerId, carol.peerId, dave.peerId].sort());

    // Dave, removed and added again, never got what was sent between: not in its history, not in its files.
    const daveTexts = await textsOf(dave, 'club');
    assert.ok(daveTexts.includes(m2) && daveTexts.includes(m5), daveTexts.join(' | '));
    assert.ok(!daveTexts.includes(secret) && !daveTexts.includes(m4), daveTexts.join(' | '));
    await fresh.stop(dave);
    // Nobody else online: the mailbox holds it for all three others.
    await fresh.stop(carol);
    assert.equal((await group(bob, ['send', 'club', 'm6 bob alone', '--wait', '30'])).stdout.trim(), 'stored for 3 of 3');
    const daveFiles = await readAll(join(dave.home, 'db'));
    assert.ok(!daveFiles.includes(secret), 'no plaintext sent after the removal in the removed member\'s database files');
    assert.ok(!daveFiles.includes(m4));
  } finally {
    await fresh.close();
  }
});
