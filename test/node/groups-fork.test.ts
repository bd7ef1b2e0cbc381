/**
 * Two admins change membership at the same time on two sides of a partition
 * (the same epoch, no server to order them). When the partition heals and
 * the members exchange what they missed, in different orders, every member
 * converges to the same epoch and secrets (the same epoch authenticator),
 * the author of the losing operation makes it again on the winning branch,
 * and every message sent on the losing branch is sent again, so none is lost.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { equalBytes } from '../../src/crypto/bytes.ts';
import {
  addMembers,
  compareBranches,
  createGroup,
  encryptGroupMessage,
  epochAuthenticator,
  groupEpoch,
  groupMembers,
  joinGroup,
  processGroupFrame,
  removeMember,
  setAdmins,
  type GroupEvent,
} from '../../src/node/groups/index.ts';
import { deliver, keyPackageOf, makeMembers, secretsOf, utf8, type Member } from '../helpers/groups.ts';

/** A member's view: texts read (by id, so a re-sent message counts once), and what it sent per epoch. */
interface Peer extends Member {
  readonly read: Set<string>;
  readonly sent: { id: string; text: string; epoch: bigint }[];
}

async function post(from: Peer, id: string, text: string): Promise<Uint8Array> {
  const sent = await encryptGroupMessage(from.env, from.state!, utf8(`${id}|${text}`));
  from.state = sent.state;
  from.sent.push({ id, text, epoch: sent.epoch });
  from.read.add(id);
  return sent.frame;
}

/** Processes frames at `peer` in order; returns the events (messages recorded by id). */
async function receive(peer: Peer, frames: readonly Uint8Array[]): Promise<GroupEvent[]> {
  const events: GroupEvent[] = [];
  for (const frame of frames) {
    const { state, event } = await processGroupFrame(peer.env, peer.state!, frame);
    peer.state = state;
    if (event.kind === 'application') peer.read.add(new TextDecoder().decode(event.plaintext).split('|')[0]!);
    events.push(event);
  }
  return events;
}

describe('concurrent commits across a partition', () => {
  it('every member converges on one branch by itself; the losing operation is made again and its messages re-sent', async () => {
    const members = (await makeMembers(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'])).map((m) => ({ ...m, read: new Set<string>(), sent: [] }) as Peer);
    const [alice, bob, carol, dave, erin, frank] = members as [Peer, Peer, Peer, Peer, Peer, Peer];
    alice.state = await createGroup(alice.env, alice.identity);
    const records = await Promise.all([bob, carol, dave, erin].map(keyPackageOf));
    const made = await addMembers(alice.env, alice.state, records);
    alice.state = made.state;
    for (const [i, m] of [bob, carol, dave, erin].entries()) m.state = await joinGroup(m.env, m.identity, secretsOf(m, records[i]!), made.welcome!);
    const admins = await setAdmins(alice.env, alice.state, [alice.identity.public.signingKey, bob.identity.public.signingKey]);
    alice.state = admins.state;
    await deliver(admins.operation, [bob, carol, dave, erin]);
    assert.deepEqual(groupMembers(dave.state!).filter((m) => m.admin).length, 2);
    const forkEpoch = groupEpoch(alice.state);

    // The partition: Alice and Carol on one side, Bob and Dave on the other; Erin is offline.
    const sideA: Uint8Array[] = [];
    const sideB: Uint8Array[] = [];
    const frankRecord = await keyPackageOf(frank);
    const addFrank = await addMembers(alice.env, alice.state, [frankRecord]);
    alice.state = addFrank.state;
    sideA.push(addFrank.operation);
    await receive(carol, [addFrank.operation]);
    frank.state = await joinGroup(frank.env, frank.identity, secretsOf(frank, frankRecord), addFrank.welcome!);
    sideA.push(await post(carol, 'a1', 'carol on side A'));
    await receive(alice, [sideA[1]!]);
    await receive(frank, [sideA[1]!]);
    const removeErin = await removeMember(bob.env, bob.state!, erin.identity.public.signingKey);
    bob.state = removeErin.state;
    sideB.push(removeErin.operation);
    await receive(dave, [removeErin.operation]);
    sideB.push(await post(dave, 'b1', 'dave on side B'));
    await receive(bob, [sideB[1]!]);
    assert.equal(groupEpoch(alice.state), forkEpoch + 1n);
    assert.equal(groupEpoch(bob.state!), forkEpoch + 2n, 'a removal is sealed: two epochs');

    // The partition heals: each side gets the other's frames, Alice and Dave in reverse order of their neighbours' (operation first is required only per branch).
    const events = new Map<Peer, GroupEvent[]>();
    events.set(alice, await receive(alice, sideB));
    events.set(carol, await receive(carol, sideB));
    events.set(bob, await receive(bob, sideA.slice(0, 1).concat(sideA.slice(1))));
    events.set(dave, await receive(dave, sideA));
    const forks = [...events.values()].map((e) => e.find((x) => x.kind === 'fork')!);
    assert.ok(forks.every((f) => f?.kind === 'fork' && f.forkEpoch === forkEpoch));
    const switchedA = forks[0]!.kind === 'fork' && forks[0]!.switched;
    const switchedB = forks[2]!.kind === 'fork' && forks[2]!.switched;
    assert.notEqual(switchedA, switchedB, 'exactly one side moves');
    const winnerAdmin = switchedA ? bob : alice;
    const loserAdmin = switchedA ? alice : bob;
    const expectedWinner = compareBranches(
      [{ committer: alice.identity.public.signingKey, privileged: true, digest: alice.env.ctx.primitives.sha256(addFrank.operation) }],
      [{ committer: bob.identity.public.signingKey, privileged: true, digest: bob.env.ctx.primitives.sha256(removeErin.operation) }],
    ) < 0 ? alice : bob;
    assert.equal(winnerAdmin, expectedWinner, 'the branch the rule ranks first wins everywhere');
    for (const m of [alice, bob, carol, dave]) {
      assert.equal(groupEpoch(m.state!), groupEpoch(winnerAdmin.state!), `${m.name} is on the winning branch`);
      assert.ok(equalBytes(epochAuthenticator(m.state!), epochAuthenticator(winnerAdmin.state!)), `${m.name} shares its secrets`);
    }
    const loserFork = events.get(loserAdmin)!.find((e) => e.kind === 'fork')!;
    assert.ok(loserFork.kind === 'fork' && loserFork.reapply.length === 1, 'the losing admin is told to make its operation again');

    // The losing side's author makes its operation again; its members re-send what they sent on the lost branch.
    const after: { frame: Uint8Array; skip: Peer[] }[] = [];
    const redo = loserFork.reapply[0]!;
    if (redo.kind === 'add') {
      const record = await keyPackageOf(frank);
      const again = await addMembers(loserAdmin.env, loserAdmin.state!, [record]);
      loserAdmin.state = again.state;
      frank.state = await joinGroup(frank.env, frank.identity, secretsOf(frank, record), again.welcome!);
      after.push({ frame: again.operation, skip: [loserAdmin, frank] });
    } else {
      assert.equal(redo.kind, 'remove');
      const again = await removeMember(loserAdmin.env, loserAdmin.state!, erin.identity.public.signingKey);
      loserAdmin.state = again.state;
      after.push({ frame: again.operation, skip: [loserAdmin] });
    }
    const redone = after.splice(0);
    for (const m of [alice, bob, carol, dave, frank]) for (const { frame, skip } of redone) if (!skip.includes(m)) await receive(m, [frame]);
    for (const peer of switchedA ? [alice, carol] : [bob, dave]) {
      const abandoned = (events.get(peer)!.find((e) => e.kind === 'fork') as Extract<GroupEvent, { kind: 'fork' }>).abandoned;
      for (const message of peer.sent.filter((s) => abandoned.includes(s.epoch))) after.push({ frame: await post(peer, message.id, message.text), skip: [peer] });
    }
    assert.equal(after.length, 1, 'the one message sent on the losing branch is sent again');
    for (const m of [alice, bob, carol, dave, frank]) for (const { frame, skip } of after) if (!skip.includes(m)) await receive(m, [frame]);
    const remaining = [alice, bob, carol, dave, frank];
    for (const m of remaining) {
      assert.ok(equalBytes(epochAuthenticator(m.state!), epochAuthenticator(alice.state!)), `${m.name} converged`);
    }
    assert.equal(groupMembers(alice.state!).some((m) => equalBytes(m.identity, erin.identity.public.signingKey)), false, 'Erin is removed in the end');
    assert.equal(groupMembers(alice.state!).some((m) => equalBytes(m.identity, frank.identity.public.signingKey)), true, 'Frank is a member in the end');
    for (const m of [alice, bob, carol, dave]) assert.deepEqual([...m.read].sort(), ['a1', 'b1'], `${m.name} read every message`);
    assert.ok(frank.read.has(switchedA ? 'a1' : 'b1'), 'Frank reads the message re-sent on the branch he is in');
  });
});
