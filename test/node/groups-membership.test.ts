/**
 * Group membership end to end on the pure group module: a group is made by
 * its first admin, members join from Welcomes made from their published key
 * packages, messages flow, and the properties the issue names hold — a
 * removed member's whole stored state reads nothing sent after its removal,
 * a leaked state heals once its owner updates, a member offline through
 * three membership changes catches up from the frames in order, a member
 * leaves by a proposal another member commits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { processMessage, type MlsPrivateMessage } from 'ts-mls';
import { equalBytes } from '../../src/crypto/bytes.ts';
import {
  addMembers,
  commitPending,
  createGroup,
  decodeGroupFrame,
  decodeGroupState,
  encodeGroupState,
  encryptGroupMessage,
  epochAuthenticator,
  groupEpoch,
  groupMembers,
  isActiveMember,
  joinGroup,
  processGroupFrame,
  proposeLeave,
  removeMember,
  selfUpdate,
  updateDue,
} from '../../src/node/groups/index.ts';
import { mlsContext } from '../../src/node/groups/context.ts';
import { deliver, keyPackageOf, makeMembers, secretsOf, textOf, utf8, type Member } from '../helpers/groups.ts';

/** Alice makes a group and adds the others in one operation; everyone joins. */
async function groupOf(names: readonly string[]): Promise<Member[]> {
  const members = await makeMembers(names);
  const [alice, ...others] = members;
  alice!.state = await createGroup(alice!.env, alice!.identity);
  const records = await Promise.all(others.map(keyPackageOf));
  const added = await addMembers(alice!.env, alice!.state, records);
  alice!.state = added.state;
  for (const [i, member] of others.entries()) member.state = await joinGroup(member.env, member.identity, secretsOf(member, records[i]!), added.welcome!);
  return members;
}

async function send(from: Member, text: string, to: readonly Member[]): Promise<string[]> {
  const sent = await encryptGroupMessage(from.env, from.state!, utf8(text));
  from.state = sent.state;
  return (await deliver(sent.frame, to)).map(textOf);
}

function sameEpoch(members: readonly Member[]): void {
  const [first, ...rest] = members;
  for (const m of rest) {
    assert.equal(groupEpoch(m.state!), groupEpoch(first!.state!), `${m.name} is at the epoch of ${first!.name}`);
    assert.ok(equalBytes(epochAuthenticator(m.state!), epochAuthenticator(first!.state!)), `${m.name} shares ${first!.name}'s epoch secrets`);
  }
}

describe('group membership', () => {
  it('a creator is the only admin; members joined from key packages exchange messages and each sees who sent what', async () => {
    const [alice, bob, carol] = await groupOf(['alice', 'bob', 'carol']);
    sameEpoch([alice!, bob!, carol!]);
    const members = groupMembers(bob!.state!);
    assert.equal(members.length, 3);
    assert.deepEqual(members.map((m) => m.admin), [true, false, false]);
    assert.ok(equalBytes(members[0]!.identity, alice!.identity.public.signingKey));
    assert.deepEqual(await send(bob!, 'hello from bob', [alice!, carol!]), ['hello from bob', 'hello from bob']);
    const sent = await encryptGroupMessage(carol!.env, carol!.state!, utf8('carol here'));
    carol!.state = sent.state;
    const [event] = await deliver(sent.frame, [alice!]);
    assert.ok(event?.kind === 'application' && equalBytes(event.sender, carol!.identity.public.signingKey));
  });

  it('a removed member, with its whole stored state, cannot decrypt a message sent after the removal', async () => {
    const [alice, bob, carol] = await groupOf(['alice', 'bob', 'carol']);
    const carolStored = encodeGroupState(carol!.state!);
    const removal = await removeMember(alice!.env, alice!.state!, carol!.identity.public.signingKey);
    alice!.state = removal.state;
    assert.equal(decodeGroupFrame(removal.operation).kind, 'operation');
    const [bobEvent] = await deliver(removal.operation, [bob!]);
    assert.ok(bobEvent?.kind === 'operation' && bobEvent.removed.length === 1 && equalBytes(bobEvent.removed[0]!, carol!.identity.public.signingKey));
    const [carolEvent] = await deliver(removal.operation, [carol!]);
    assert.ok(carolEvent?.kind === 'operation' && carolEvent.removedSelf);
    assert.equal(isActiveMember(carol!.state!), false);
    sameEpoch([alice!, bob!]);
    const secret = await encryptGroupMessage(alice!.env, alice!.state!, utf8('after the removal'));
    alice!.state = secret.state;
    assert.equal(textOf((await deliver(secret.frame, [bob!]))[0]!), 'after the removal');
    await assert.rejects(processGroupFrame(carol!.env, carol!.state!, secret.frame), (e: Error) => e.name === 'GroupEpochError' || e.name === 'GroupAuthenticationError');

    // Carol's device as an attacker would use it: raw MLS processing, no Sotto policy, from the state she held before.
    const context = mlsContext(carol!.env.ctx, carol!.state!.suite);
    const commits = decodeGroupFrame(removal.operation);
    assert.ok(commits.kind === 'operation' && commits.commits.length === 2, 'a removal is sealed by a second commit');
    const carolBefore = decodeGroupState(carolStored);
    const afterRemoval = await processMessage({ context, state: carolBefore.mls, message: commits.commits[0] as MlsPrivateMessage });
    await assert.rejects(processMessage({ context, state: afterRemoval.newState, message: commits.commits[1] as MlsPrivateMessage }), 'the sealing commit gives the removed member no path secret');
    const app = decodeGroupFrame(secret.frame);
    assert.ok(app.kind === 'application');
    await assert.rejects(processMessage({ context, state: afterRemoval.newState, message: app.message }), 'nor does its epoch-n+1 state open epoch n+2');
  });

  it('a leaked state heals: after its owner updates, the copy taken before cannot decrypt', async () => {
    const [alice, bob] = await groupOf(['alice', 'bob']);
    const leaked = decodeGroupState(encodeGroupState(bob!.state!));
    const before = await encryptGroupMessage(alice!.env, alice!.state!, utf8('before the update'));
    alice!.state = before.state;
    assert.equal(textOf((await processGroupFrame(bob!.env, leaked, before.frame)).event), 'before the update', 'the leaked copy reads the current epoch');
    const update = await selfUpdate(bob!.env, bob!.state!);
    bob!.state = update.state;
    await deliver(update.operation, [alice!]);
    sameEpoch([alice!, bob!]);
    const after = await encryptGroupMessage(alice!.env, alice!.state!, utf8('after the update'));
    alice!.state = after.state;
    assert.equal(textOf((await deliver(after.frame, [bob!]))[0]!), 'after the update');
    await assert.rejects(processGroupFrame(bob!.env, leaked, update.operation), { name: 'GroupAuthenticationError' }, 'the copy cannot follow the update: the path secret went to the new leaf key');
    await assert.rejects(processGroupFrame(bob!.env, leaked, after.frame), { name: 'GroupEpochError' });
  });

  it('a member offline through three membership changes processes the operations in order and reads everything', async () => {
    const [alice, bob, carol, dave, erin] = await makeMembers(['alice', 'bob', 'carol', 'dave', 'erin']);
    alice!.state = await createGroup(alice!.env, alice!.identity);
    const bobRecord = await keyPackageOf(bob!);
    const carolRecord = await keyPackageOf(carol!);
    const first = await addMembers(alice!.env, alice!.state, [bobRecord, carolRecord]);
    alice!.state = first.state;
    bob!.state = await joinGroup(bob!.env, bob!.identity, secretsOf(bob!, bobRecord), first.welcome!);
    carol!.state = await joinGroup(carol!.env, carol!.identity, secretsOf(carol!, carolRecord), first.welcome!);
    const carolMailbox: Uint8Array[] = [];
    const expected: string[] = [];
    const post = async (from: Member, text: string, online: Member[]): Promise<void> => {
      const sent = await encryptGroupMessage(from.env, from.state!, utf8(text));
      from.state = sent.state;
      await deliver(sent.frame, online);
      carolMailbox.push(sent.frame);
      expected.push(text);
    };
    // 1: Dave is added.
    const daveRecord = await keyPackageOf(dave!);
    const addDave = await addMembers(alice!.env, alice!.state, [daveRecord]);
    alice!.state = addDave.state;
    await deliver(addDave.operation, [bob!]);
    carolMailbox.push(addDave.operation);
    dave!.state = await joinGroup(dave!.env, dave!.identity, secretsOf(dave!, daveRecord), addDave.welcome!);
    await post(dave!, 'dave joined', [alice!, bob!]);
    // 2: Bob is removed.
    const removeBob = await removeMember(alice!.env, alice!.state, bob!.identity.public.signingKey);
    alice!.state = removeBob.state;
    await deliver(removeBob.operation, [dave!]);
    carolMailbox.push(removeBob.operation);
    await post(alice!, 'bob is gone', [dave!]);
    // 3: Erin is added.
    const erinRecord = await keyPackageOf(erin!);
    const addErin = await addMembers(alice!.env, alice!.state, [erinRecord]);
    alice!.state = addErin.state;
    await deliver(addErin.operation, [dave!]);
    carolMailbox.push(addErin.operation);
    erin!.state = await joinGroup(erin!.env, erin!.identity, secretsOf(erin!, erinRecord), addErin.welcome!);
    await post(erin!, 'erin says hi', [alice!, dave!]);
    // Carol comes back: everything from her mailbox, in order.
    const read: string[] = [];
    for (const frame of carolMailbox) {
      const [event] = await deliver(frame, [carol!]);
      if (event!.kind === 'application') read.push(textOf(event!));
    }
    assert.deepEqual(read, expected);
    sameEpoch([alice!, carol!, dave!, erin!]);
    const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');
    assert.deepEqual(groupMembers(carol!.state!).map((m) => hex(m.identity)).sort(), [alice, carol, dave, erin].map((m) => hex(m!.identity.public.signingKey)).sort());
  });

  it('a member leaves by a proposal that another member commits; its first update after joining is due at once', async () => {
    const [alice, bob, carol] = await groupOf(['alice', 'bob', 'carol']);
    assert.equal(updateDue(bob!.state!, bob!.env.ctx.now()), true, 'a new member updates its keys first');
    assert.equal(updateDue(alice!.state!, alice!.env.ctx.now()), false);
    const leave = await proposeLeave(bob!.env, bob!.state!);
    bob!.state = leave.state;
    const events = await deliver(leave.proposal, [alice!, carol!]);
    assert.ok(events.every((e) => e.kind === 'leave-request' && equalBytes(e.sender, bob!.identity.public.signingKey)));
    const commit = await commitPending(carol!.env, carol!.state!);
    carol!.state = commit.state;
    await deliver(commit.operation, [alice!]);
    const [bobEvent] = await deliver(commit.operation, [bob!]);
    assert.ok(bobEvent?.kind === 'operation' && bobEvent.removedSelf);
    sameEpoch([alice!, carol!]);
    assert.equal(groupMembers(alice!.state!).length, 2);
  });
});

