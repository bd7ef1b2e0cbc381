/**
 * Bad group frames are refused with a typed error and leave the receiver's
 * stored state byte-identical (SECURITY-CHECKLIST: "assert the typed error
 * AND that the persisted state is byte-identical"): a replay, a frame for an
 * epoch ahead or one whose keys are gone (by count and by age), a forged
 * sender, an oversized or malformed frame, a frame of another group, a
 * membership change by a member who is not an admin, and a removal that is
 * not sealed. A late message within the limits still opens.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApplicationMessage, createCommit, defaultProposalTypes, type MlsPrivateMessage } from 'ts-mls';
import { GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS, GROUP_PAST_EPOCHS_KEPT, MAX_GROUP_MESSAGE_BYTES } from '../../src/node/constants.ts';
import {
  addMembers,
  createGroup,
  encodeGroupState,
  encryptGroupMessage,
  joinGroup,
  processGroupFrame,
  readKeyPackageRecord,
  selfUpdate,
} from '../../src/node/groups/index.ts';
import { mlsContext } from '../../src/node/groups/context.ts';
import { encodeMessageFrame, encodeOperationFrame } from '../../src/node/groups/wire.ts';
import { deliver, keyPackageOf, makeMembers, secretsOf, textOf, utf8, type Member } from '../helpers/groups.ts';
import type { TestClock } from '../helpers/context.ts';

async function threeMembers(names: readonly string[] = ['alice', 'bob', 'carol']): Promise<Member[]> {
  const members = await makeMembers(names);
  const [alice, bob, carol] = members;
  alice!.state = await createGroup(alice!.env, alice!.identity);
  const records = [await keyPackageOf(bob!), await keyPackageOf(carol!)];
  const added = await addMembers(alice!.env, alice!.state, records);
  alice!.state = added.state;
  bob!.state = await joinGroup(bob!.env, bob!.identity, secretsOf(bob!, records[0]!), added.welcome!);
  carol!.state = await joinGroup(carol!.env, carol!.identity, secretsOf(carol!, records[1]!), added.welcome!);
  return members;
}

/** `frame` is refused at `member` with `name`, and its state is byte-identical afterwards. */
async function assertRefused(member: Member, frame: Uint8Array, name: string, reason?: string): Promise<void> {
  const before = Buffer.from(encodeGroupState(member.state!)).toString('hex');
  const given = member.state;
  await assert.rejects(processGroupFrame(member.env, member.state!, frame), (e: Error & { reason?: string; kind?: string }) => {
    assert.equal(e.name, name, e.message);
    if (reason !== undefined) assert.equal(e.reason ?? e.kind, reason);
    return true;
  });
  assert.equal(member.state, given);
  assert.equal(Buffer.from(encodeGroupState(member.state!)).toString('hex'), before, 'the stored state is byte-identical');
}

async function say(from: Member, text: string): Promise<Uint8Array> {
  const sent = await encryptGroupMessage(from.env, from.state!, utf8(text));
  from.state = sent.state;
  return sent.frame;
}

describe('group refusals', () => {
  it('a replayed frame is refused before any key is used, for messages and operations alike', async () => {
    const [alice, bob] = await threeMembers();
    const frame = await say(alice!, 'once');
    assert.equal(textOf((await deliver(frame, [bob!]))[0]!), 'once');
    await assertRefused(bob!, frame, 'DuplicateGroupMessageError');
    const update = await selfUpdate(alice!.env, alice!.state!);
    alice!.state = update.state;
    await deliver(update.operation, [bob!]);
    await assertRefused(bob!, update.operation, 'DuplicateGroupMessageError');
  });

  it('a frame for a later epoch waits (ahead); a past epoch opens while its keys are kept, and not once they are gone by count or by age', async () => {
    const [alice, bob] = await threeMembers();
    const clock = (alice!.env.ctx as unknown as { clock: TestClock }).clock;
    const late = await say(alice!, 'sent before the commit');
    const update = await selfUpdate(alice!.env, alice!.state!);
    alice!.state = update.state;
    const ahead = await say(alice!, 'sent after the commit');
    await assertRefused(bob!, ahead, 'GroupEpochError', 'ahead');
    await deliver(update.operation, [bob!]);
    const bobBeforeLate = bob!.state!;
    assert.equal(textOf((await deliver(late, [bob!]))[0]!), 'sent before the commit', 'a late message of the last epoch still opens');
    bob!.state = bobBeforeLate;
    clock.advance(GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS + 1);
    await assertRefused(bob!, late, 'GroupEpochError', 'expired');
    assert.equal(textOf((await deliver(ahead, [bob!]))[0]!), 'sent after the commit');
    const old = await say(alice!, 'old epoch');
    for (let i = 0; i <= GROUP_PAST_EPOCHS_KEPT; i++) {
      const u = await selfUpdate(alice!.env, alice!.state!);
      alice!.state = u.state;
      await deliver(u.operation, [bob!]);
    }
    await assertRefused(bob!, old, 'GroupEpochError', 'expired');
  });

  it('a member claiming another member as sender is refused (forged sender)', async () => {
    const [alice, bob, carol] = await threeMembers();
    // Bob encrypts as leaf 0 (Alice) with his own signature key: every member holds every leaf's chain, only Alice's key signs as Alice.
    const forgedState = { ...bob!.state!.mls, privatePath: { ...bob!.state!.mls.privatePath, leafIndex: 0 } };
    const forged = await createApplicationMessage({ context: mlsContext(bob!.env.ctx, bob!.state!.suite), state: forgedState as typeof forgedState & { privatePath: typeof forgedState.privatePath }, message: utf8('I am alice') });
    await assertRefused(carol!, encodeMessageFrame('application', forged.message as MlsPrivateMessage), 'GroupAuthenticationError');
    void alice;
  });

  it('oversized, truncated and unknown frames, and a frame of another group, are refused', async () => {
    const [alice, bob] = await threeMembers();
    const oversized = new Uint8Array(MAX_GROUP_MESSAGE_BYTES + 1);
    oversized.set([1, 1]);
    await assertRefused(bob!, oversized, 'GroupMessageTooLargeError');
    const frame = await say(alice!, 'whole');
    await assertRefused(bob!, frame.subarray(0, frame.length - 1), 'DecodeError');
    await assertRefused(bob!, Uint8Array.of(1, 9, 0, 0, 0, 0), 'DecodeError');
    await assertRefused(bob!, Uint8Array.of(2, 1), 'VersionTooNewError');
    const [other] = await threeMembers(['olga', 'oscar', 'otto']);
    await assertRefused(bob!, await say(other!, 'elsewhere'), 'WrongGroupError');
  });

  it('a membership change committed by a member who is not an admin is refused, and so is a removal without its sealing commit', async () => {
    const [alice, bob, carol] = await threeMembers();
    const [dave] = await makeMembers(['dave']);
    const daveRecord = await keyPackageOf(dave!);
    await assert.rejects(addMembers(bob!.env, bob!.state!, [daveRecord]), { name: 'NotGroupAdminError' });
    const context = mlsContext(bob!.env.ctx, bob!.state!.suite);
    const { keyPackage } = await readKeyPackageRecord(bob!.env, daveRecord);
    const byBob = await createCommit({ context, state: bob!.state!.mls, extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage } }] });
    await assertRefused(alice!, encodeOperationFrame([byBob.commit as MlsPrivateMessage]), 'NotGroupAdminError');
    const unsealed = await createCommit({ context: mlsContext(alice!.env.ctx, alice!.state!.suite), state: alice!.state!.mls, extraProposals: [{ proposalType: defaultProposalTypes.remove, remove: { removed: 2 } }] });
    await assertRefused(bob!, encodeOperationFrame([unsealed.commit as MlsPrivateMessage]), 'GroupPolicyError', 'unsealed-removal');
    void carol;
  });
});
