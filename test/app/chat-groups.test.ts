/**
 * Groups in the chat without a terminal: the /group and /members commands,
 * and the controller and screen on real messengers and group services over
 * the in-memory network (a group created from the chat, each line with its
 * sender, unread counts, a member added and one removed, leaving).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import { messengerApi } from '../../src/app/api.ts';
import { CHAT_HELP, parseChatInput } from '../../src/app/chat/commands.ts';
import { ChatController, initialChatState, type ChatBackend, type ChatEvent } from '../../src/app/chat/controller.ts';
import { ChatScreen } from '../../src/app/chat/view.tsx';
import { groupLabel, memberName } from '../../src/app/chat/group-format.ts';
import { GroupService } from '../../src/node/groups/group-service.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import { groupHomes } from '../helpers/group-chat-homes.ts';
import { Home } from '../helpers/homes.ts';
import type { MemoryHub } from '../helpers/memory-network.ts';
import { settle, type ManualScheduler } from '../helpers/scheduler.ts';

const PEER = '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBE';

describe('chat group commands', () => {
  test('/group create NAME MEMBER..., /group add, /group remove, /group leave, /members; wrong forms say their usage', () => {
    assert.deepEqual(parseChatInput('/group create team bob carol'), { kind: 'group-create', name: 'team', members: ['bob', 'carol'] });
    assert.deepEqual(parseChatInput('/group create team'), { kind: 'group-create', name: 'team', members: [] });
    assert.deepEqual(parseChatInput('/group add dave erin'), { kind: 'group-add', members: ['dave', 'erin'] });
    assert.deepEqual(parseChatInput('/group remove bob'), { kind: 'group-remove', member: 'bob' });
    assert.deepEqual(parseChatInput('/group leave'), { kind: 'group-leave' });
    assert.deepEqual(parseChatInput('/members'), { kind: 'members' });
    assert.deepEqual(parseChatInput('/group remove bob carol'), { kind: 'error', message: 'usage: /group remove MEMBER (in a group)' });
    assert.deepEqual(parseChatInput('/group create'), { kind: 'error', message: 'usage: /group create NAME MEMBER...' });
    assert.equal(parseChatInput('/group').kind, 'error');
    assert.equal(parseChatInput('/members all').kind, 'error');
  });

  test('an invitation from a stranger shows in its request with its members count, /join, and that accepting joins; /join takes no argument', () => {
    assert.deepEqual(parseChatInput('/join'), { kind: 'join' });
    assert.equal(parseChatInput('/join team').kind, 'error');
    const request = { peerId: PEER, claimedName: 'erin', messages: 0, bytes: 100, firstAt: 0, lastAt: 0 };
    const state = {
      ...initialChatState({ name: 'alice', peerId: 'self' }),
      requests: [request],
      request: PEER,
      invitations: [{ id: 'ab', peerId: PEER, name: '\u202Eteam', members: 3, at: 0 }],
      notice: [],
    };
    const screen = renderToString(createElement(ChatScreen, { state, columns: 80, rows: 24 }), { columns: 80 });
    assert.match(screen, /Says it is "erin" \(unverified\)/);
    assert.match(screen, /Invites you to the group #⟨U\+202E⟩team \(3 members, *│\n│[^│]*││unverified\): \/join/);
    assert.match(screen, /\/accept \[NAME\] makes a contact and joins/);
  });

  test('the help names every group command and still fits 80 columns', () => {
    for (const command of ['/group create', '/group add', '/group remove', '/group leave', '/members', '/join']) assert.ok(CHAT_HELP.some((line) => line.startsWith(command)), command);
    for (const line of CHAT_HELP) assert.ok(line.length <= 80, line);
  });

  test('a group reads as "#", its name, "(left)" once out, the unread count; a sender is "you", a contact, or a short peer id made safe', () => {
    const g = { name: 'team', id: 'ab', members: [], admins: [], active: true, unread: 3 };
    assert.equal(groupLabel(g, 22), '# team (3)');
    assert.equal(groupLabel({ ...g, active: false, unread: 0 }, 22), '# team (left)');
    const contacts = [{ name: 'bob', peerId: PEER, verified: false, added: true, online: true, unread: 0 }];
    assert.equal(memberName(PEER, 'self', contacts), 'bob');
    assert.equal(memberName('self', 'self', contacts), 'you');
    assert.equal(memberName('12D3KooWabc\x1b[2Jdef1234567', 'self', []), '12D3KooW…234567');
    assert.ok(!memberName('\x1b[2J12D3KooWabc', 'self', []).includes('\x1b'));
  });
});

/** A chat on a home with its group service, told of changes by the messenger's events. */
async function chatOf(home: Home, hub: MemoryHub, groups: GroupService): Promise<ChatController> {
  const backend: ChatBackend = {
    api: messengerApi(home.messenger, nodePrimitives, () => [], (peerId) => hub.isOnline(peerId), groups),
    watch(listener: (e: ChatEvent) => void) {
      const offs = (['message', 'status', 'group-message', 'group-status', 'group-invitation', 'group-changed'] as const).map((event) => home.messenger.on(event, () => listener({ kind: 'changed' })));
      return () => offs.forEach((off) => off());
    },
  };
  const controller = new ChatController(backend, { name: home.name, peerId: home.peerId });
  await controller.start();
  return controller;
}

async function quiet(scheduler: ManualScheduler, ...controllers: ChatController[]): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await scheduler.advance(1);
    await settle();
    await Promise.all(controllers.map((c) => c.refresh()));
  }
}

describe('groups in the chat controller and screen', () => {
  test('a group created in the chat: members join, lines show their senders, unread counts, /members, add and remove from the chat, leave', async () => {
    const { hub, scheduler, homes, groups } = await groupHomes(['alice', 'bob', 'carol', 'dave']);
        const chats = new Map<string, ChatController>();
    for (const home of homes) chats.set(home.name, await chatOf(home, hub, groups.get(home.name)!));
    const chat = (name: string): ChatController => chats.get(name)!;

    await chat('alice').submit('/group create team bob carol');
    assert.equal(chat('alice').getState().noticeIsError, false, chat('alice').getState().notice.join('\n'));
    assert.equal(chat('alice').getState().group, 'team', 'the new group is open');
    await quiet(scheduler, ...chats.values());
    for (const name of ['bob', 'carol']) assert.deepEqual(chat(name).getState().groups.map((g) => [g.name, g.active]), [['team', true]], `${name} joined`);

    await chat('alice').submit('hello team');
    await quiet(scheduler, ...chats.values());
    // Bob has a contact open: the group counts one unread; opening it reads it and clears the count.
    assert.equal(chat('bob').getState().selected, 'alice');
    assert.equal(chat('bob').getState().groups[0]!.unread, 1);
    chat('bob').move(1);
    chat('bob').move(1);
    chat('bob').move(1);
    await quiet(scheduler, chat('bob'));
    assert.equal(chat('bob').getState().group, 'team');
    assert.equal(chat('bob').getState().groups[0]!.unread, 0);
    await chat('bob').submit('hi alice, bob here');
    await quiet(scheduler, ...chats.values());
    await chat('alice').refresh();
    assert.deepEqual(
      chat('alice').getState().messages.map((m) => [m.from, m.direction, m.text]),
      [
        ['you', 'out', 'hello team'],
        ['bob', 'in', 'hi alice, bob here'],
      ],
    );

    const screen = renderToString(createElement(ChatScreen, { state: chat('alice').getState(), columns: 80, rows: 24 }), { columns: 80 });
    assert.match(screen, /# team/);
    assert.match(screen, /#team · group of 3 members · you are an admin/);
    assert.match(screen, /> you: hello team/);
    assert.match(screen, /< bob: hi alice, bob here/);
    assert.match(screen, /^#team>/m);
    for (const row of screen.split('\n')) assert.ok([...row].length <= 80, row);

    await chat('alice').submit('/members');
    assert.deepEqual(chat('alice').getState().notice, ['Members of #team (3):', '  you (admin)', '  bob', '  carol']);

    // Bob is no admin: his chat says so, with the hint.
    await chat('bob').submit('/group remove carol');
    assert.equal(chat('bob').getState().noticeIsError, true);
    assert.match(chat('bob').getState().notice.join('\n'), /admin/);

    await chat('alice').submit('/group add dave');
    assert.equal(chat('alice').getState().noticeIsError, false, chat('alice').getState().notice.join('\n'));
    await quiet(scheduler, ...chats.values());
    assert.deepEqual(chat('dave').getState().groups.map((g) => g.name), ['team']);
    await chat('alice').submit('/group remove carol');
    assert.match(chat('alice').getState().notice.join(' '), /Removed carol from #team/);
    await quiet(scheduler, ...chats.values());
    await chat('alice').submit('after carol left');
    await quiet(scheduler, ...chats.values());
    assert.deepEqual(chat('carol').getState().groups.map((g) => [g.name, g.active]), [['team', false]]);
    const carolTexts = (await groups.get('carol')!.history('team')).map((m) => m.text);
    assert.ok(!carolTexts.includes('after carol left'), 'the removed member reads nothing after');
    assert.ok((await groups.get('dave')!.history('team')).some((m) => m.text === 'after carol left'));

    // The group is the last entry of dave's list: one step up from the first wraps to it.
    chat('dave').move(-1);
    await quiet(scheduler, chat('dave'));
    assert.equal(chat('dave').getState().group, 'team');
    assert.deepEqual(chat('dave').getState().messages.map((m) => [m.from, m.text]), [['alice', 'after carol left']]);
    await chat('dave').submit('/group leave');
    assert.match(chat('dave').getState().notice.join(' '), /You left #team/);
    await quiet(scheduler, chat('dave'));
    assert.deepEqual(chat('dave').getState().groups.map((g) => g.active), [false]);
    for (const c of chats.values()) c.stop();
    for (const g of groups.values()) await g.stop();
  });
  test('a stranger\'s invitation in the chat: its request names the group and its members; /accept makes a contact and joins', async () => {
    const { hub, scheduler, homes, groups } = await groupHomes(['bob']);
    const [bob] = homes as [Home];
    const sam = await new Home('sam', hub, bob.clock, scheduler).init();
    await sam.messenger.addContact('bob', bob.peerId);
    const samGroups = await GroupService.open(sam.messenger);
    await samGroups.start();
    await scheduler.advance(1);
    // Bob is online: sam's node asks his for a key package live.
    await samGroups.create('club', ['bob']);
    const chat = await chatOf(bob, hub, groups.get('bob')!);
    await quiet(scheduler, chat);
    assert.deepEqual(chat.getState().groups, [], 'nothing joined yet');
    await chat.submit('/requests');
    const screen = renderToString(createElement(ChatScreen, { state: chat.getState(), columns: 100, rows: 24 }), { columns: 100 });
    assert.match(screen, /Invites you to the group #club \(2 members, unverified\): \/join/);
    await chat.submit('/accept sam');
    await quiet(scheduler, chat);
    assert.equal(chat.getState().noticeIsError, false, chat.getState().notice.join('\n'));
    assert.match(chat.getState().notice.join(' '), /sam is a contact now, and you joined #club/);
    assert.deepEqual(chat.getState().groups.map((g) => [g.name, g.members.length]), [['club', 2]]);
    await samGroups.send('club', 'hello bob', { waitMs: 5_000 });
    await quiet(scheduler, chat);
    assert.equal(chat.getState().groups[0]!.unread, 1);
  });
});
