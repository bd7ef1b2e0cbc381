/**
 * A group invitation from a stranger is a message request (src/app/api.ts,
 * src/app/group-api.ts): the request lists the group's name and how many
 * members it has, read from the invitation without joining; accepting the
 * request joins the group (as a contact's invitation is joined by itself);
 * deleting it deletes its invitations, joining nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messengerApi } from '../../src/app/api.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { Tx } from '../../src/node/store/store.ts';
import { Home } from '../helpers/homes.ts';
import { groupWorld, startGroups } from '../helpers/group-world.ts';

test('a stranger\'s group invitation shows in its request with the group\'s name and members; accepting the request joins, deleting one deletes its invitation', async () => {
  const { scheduler, homes, groups } = await groupWorld(['bob', 'carol', 'dave']);
  const [bob, carol] = homes as [Home, Home, Home];
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  const strangers: { home: Home; api: ReturnType<typeof messengerApi> }[] = [];
  for (const name of ['sam', 'tom']) {
    const home = await new Home(name, bob.hub, bob.clock, scheduler).init();
    await home.messenger.addContact('bob', bob.peerId);
    await home.messenger.addContact('carol', carol.peerId);
    await home.messenger.addContact('dave', homes[2]!.peerId);
    const service = await startGroups(home);
    // Each holds key packages of bob's, carol's and dave's (copies of carol's, as anyone holding one could pass it on).
    for (const peer of homes) {
      const held = (peer === carol ? await bob.store.getHeldKeyPackage(carol.peerId) : await carol.store.getHeldKeyPackage(peer.peerId))!;
      await home.store.commit(new Tx().putHeldKeyPackage(held), { sync: true });
    }
    strangers.push({ home, api: messengerApi(home.messenger, nodePrimitives, () => [], () => false, service) });
  }
  const [sam, tom] = strangers as [(typeof strangers)[0], (typeof strangers)[0]];
  await sam.api.groupCreate('club', ['bob', 'carol', 'dave']);
  await scheduler.advance(1);
  const bobs = groups.get('bob')!;
  const bobApi = messengerApi(bob.messenger, nodePrimitives, () => [], () => false, bobs);
  assert.deepEqual(await bobApi.groupConversations(), [], 'nothing joined');
  assert.ok((await bobApi.listRequests()).some((r) => r.peerId === sam.home.peerId), 'sam is a message request');
  const [invitation] = await bobApi.groupInvitations();
  assert.deepEqual({ peerId: invitation?.peerId, name: invitation?.name, members: invitation?.members }, { peerId: sam.home.peerId, name: 'club', members: 4 });

  // Tom's invitation to bob: deleting the request declines it.
  await tom.api.groupCreate('other', ['bob']);
  await scheduler.advance(1);
  assert.deepEqual((await bobApi.groupInvitations()).map((i) => [i.name, i.members]).sort(), [['club', 4], ['other', 2]]);
  await bobApi.deleteRequest(tom.home.peerId);
  assert.deepEqual((await bobApi.groupInvitations()).map((i) => i.name), ['club'], 'tom\'s invitation went with his request');

  await bobApi.acceptRequest(sam.home.peerId, 'sam');
  const [club] = await bobApi.groupConversations();
  assert.equal(club?.name, 'club', 'accepting the request joined the group');
  assert.equal(club.members.length, 4);
  assert.deepEqual(await bobApi.groupInvitations(), [], 'no invitation waits any more');
  assert.equal((await bobApi.groupConversations()).length, 1, 'tom\'s group was not joined');
  // Bob reads sam's group as a member.
  await sam.api.groupSend('club', 'welcome, bob', 5_000);
  await scheduler.advance(1);
  assert.deepEqual((await bobApi.groupHistory('club')).map((m) => m.text), ['welcome, bob']);
});
