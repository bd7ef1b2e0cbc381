/**
 * kill -9 of a group sender while its group outbox has frames in flight
 * (`sotto` processes on loopback; one member away, so frames wait for
 * her): after it restarts and she returns, every member holds
 * every message the sender accepted exactly once, nothing it did not
 * accept, and the group keeps working both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sotto } from '../helpers/cli.ts';
import { levelRecords } from '../helpers/level-records.ts';
import { GroupTestRun, group, groupWhenReady, textsOf, waitForGroup, waitForTexts, type GroupHome } from '../helpers/group-homes.ts';

/** Messages the sender is asked to send, several at once. */
const MESSAGES = 40;
/** `sotto group send` commands running at once. */
const CONCURRENT_SENDS = 4;
/** The sender is killed once this many sends were accepted (the rest are in flight or not yet asked). */
const KILL_AFTER_ACCEPTED = 16;
const TIMEOUT_MS = 120_000;

test('kill -9 of a group sender with frames in flight: after restart every member has every message exactly once, and the group works on', { timeout: 600_000 }, async () => {
  const run = new GroupTestRun();
  try {
    await run.startMailbox();
    const [alice, bob, carol] = (await run.homes('alice', 'bob', 'carol')) as [GroupHome, GroupHome, GroupHome];
    for (const h of [alice, bob, carol]) await run.start(h);
    await groupWhenReady(alice, ['create', 'crew', 'bob', 'carol'], TIMEOUT_MS);
    await waitForGroup(bob, 'crew', TIMEOUT_MS);
    await waitForGroup(carol, 'crew', TIMEOUT_MS);

    // Carol is away: every frame waits in alice's group outbox for her (directly) or more mailboxes.
    await run.stop(carol);
    const texts = Array.from({ length: MESSAGES }, (_, i) => `crew message ${String(i).padStart(3, '0')}`);
    const accepted: string[] = [];
    const ambiguous: string[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (next < texts.length) {
        const text = texts[next++]!;
        const wasKilled = killed !== undefined;
        const result = await sotto(alice.home, ['group', 'send', 'crew', text, '--wait', '0']);
        if (result.code === 0) accepted.push(text);
        // A send that was running when the node died may or may not have been written.
        else if (!wasKilled) ambiguous.push(text);
        if (accepted.length >= KILL_AFTER_ACCEPTED && killed === undefined) killed = alice.node!.kill();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_SENDS }, worker));
    await killed;
    assert.ok(accepted.length >= KILL_AFTER_ACCEPTED, `accepted ${accepted.length}`);
    assert.ok(accepted.length < MESSAGES, 'the kill cut the sends short');

    const inFlight = Object.keys(await levelRecords(join(alice.home, 'db'))).filter((key) => key.startsWith('goutbox:'));
    assert.ok(inFlight.length > 0, 'the sender died with frames in its group outbox');

    await run.start(alice);
    await run.start(carol);
    const once = (list: string[], text: string): number => list.filter((t) => t === text).length;
    for (const member of [bob, carol]) {
      await waitForTexts(member, 'crew', accepted, TIMEOUT_MS);
      const got = await textsOf(member, 'crew');
      for (const text of accepted) assert.equal(once(got, text), 1, `${member.name} has "${text}" once`);
      for (const text of ambiguous) assert.ok(once(got, text) <= 1, `${member.name} has "${text}" at most once`);
      const sent = new Set([...accepted, ...ambiguous]);
      assert.deepEqual(
        got.filter((t) => !sent.has(t)),
        [],
        `${member.name} has nothing the sender did not send`,
      );
    }
    const own = await textsOf(alice, 'crew');
    for (const text of accepted) assert.equal(once(own, text), 1, `alice's own history has "${text}" once`);

    // The group state decrypts on, both ways.
    await group(alice, ['send', 'crew', 'alice after the crash', '--wait', '30']);
    await group(bob, ['send', 'crew', 'bob after the crash', '--wait', '30']);
    await waitForTexts(carol, 'crew', ['alice after the crash', 'bob after the crash'], TIMEOUT_MS);
    await waitForTexts(alice, 'crew', ['bob after the crash'], TIMEOUT_MS);
  } finally {
    await run.close();
  }
});
