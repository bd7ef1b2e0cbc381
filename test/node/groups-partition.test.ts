/**
 * Forks end to end (docs/GROUPS.md, "Ordering without a server"): two
 * admins on two sides of a partition of the in-memory network change
 * membership at the same time and members send on both branches. After
 * the partition heals, every member converges by itself on one state (the
 * same epoch authenticator through GroupService), the losing admin's
 * change is made again on the winning branch, and every message sent on
 * the losing branch is re-sent and read by everyone exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP_POLL_INTERVAL_MS } from '../../src/node/constants.ts';
import type { Home } from '../helpers/homes.ts';
import { twoAdminTeam } from '../helpers/group-world.ts';

/** Rounds of retries and mailbox fetches allowed for convergence after the heal. */
const MAX_HEAL_ROUNDS = 20;

test('two admins change membership on two sides of a partition; after it heals every member converges and reads every message once', { timeout: 300_000 }, async (t) => {
  const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const { hub, scheduler, homes, groups, g, split } = await twoAdminTeam();
  const [alice, bob, carol, , erin] = homes as [Home, Home, Home, Home, Home];
  for (const name of ['bob', 'carol', 'dave']) assert.equal((await g(name).list())[0]?.admins.length, 2, `${name} sees two admins`);
  await g('carol').send('team', 'before the split', { waitMs: 5_000 });
  await scheduler.advance(1);

  // Split: alice, carol, erin and three mailboxes | bob, dave and three mailboxes; alice adds erin, bob removes dave.
  await split();
  await g('carol').send('team', 'carol on her side', { waitMs: 1_000 });
  await g('bob').send('team', 'bob on his side', { waitMs: 1_000 });
  await scheduler.advance(1);
  assert.notEqual(g('alice').epochAuthenticator('team'), g('bob').epochAuthenticator('team'), 'the two sides forked');

  const sideA = g('alice').epochAuthenticator('team');
  hub.heal();
  const active = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const name of names) if ((await g(name).list())[0]?.active) out.push(name);
    return out;
  };
  const converged = async (): Promise<boolean> => {
    const members = await active();
    const authenticators = new Set(members.map((name) => g(name).epochAuthenticator('team')));
    if (authenticators.size !== 1) return false;
    for (const name of members) {
      const texts = (await g(name).history('team')).map((m) => m.text);
      if (!['carol on her side', 'bob on his side'].every((t) => texts.includes(t))) return false;
    }
    return true;
  };
  let rounds = 0;
  while (!(await converged())) {
    assert.ok(++rounds <= MAX_HEAL_ROUNDS, `converged within ${MAX_HEAL_ROUNDS} rounds`);
    await scheduler.advance(GROUP_POLL_INTERVAL_MS);
  }

  // One state: the membership both changes make (erin in, dave out) and two admins.
  t.diagnostic(`converged after ${rounds} poll intervals; alice's side ${g('alice').epochAuthenticator('team') === sideA ? 'won' : 'lost'}`);
  const members = await active();
  assert.deepEqual(members.sort(), ['alice', 'bob', 'carol', 'erin']);
  const [info] = await g('carol').list();
  assert.deepEqual(new Set(info!.members.map((m) => m.peerId)), new Set([alice.peerId, bob.peerId, carol.peerId, erin.peerId]));
  assert.equal((await g('dave').list())[0]!.active, false, 'dave knows he was removed');
  // Every message once at every member; erin reads what was sent after she joined the winning branch.
  for (const name of ['alice', 'bob', 'carol']) {
    const texts = (await g(name).history('team')).map((m) => m.text).sort();
    assert.deepEqual(texts, ['before the split', 'bob on his side', 'carol on her side'], `${name} reads each message once`);
  }
  // The group works on for everyone in it.
  await g('erin').send('team', 'erin after the heal', { waitMs: 5_000 });
  await scheduler.advance(1);
  for (const name of ['alice', 'bob', 'carol']) assert.ok((await g(name).history('team')).some((m) => m.text === 'erin after the heal'), `${name} reads erin`);
  for (const service of groups.values()) await service.stop();
});
