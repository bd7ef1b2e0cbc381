/**
 * The group module's records and guards: a published key package record
 * (signed by the identity, with an expiry read from the injected clock), the
 * stored group state (a decoded state goes on where the original would),
 * and the add guard for ts-mls 2.0.0-rc.10, which must agree with what the
 * library's own join accepts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { equalBytes } from '../../src/crypto/bytes.ts';
import { GROUP_KEY_PACKAGE_LIFETIME_MS, MAX_GROUP_KEY_PACKAGE_BYTES } from '../../src/node/constants.ts';
import {
  addMembers,
  createGroup,
  decodeGroupState,
  decodeKeyPackageSecrets,
  encodeGroupState,
  encodeKeyPackageSecrets,
  encryptGroupMessage,
  epochAuthenticator,
  joinGroup,
  readKeyPackageRecord,
  selfUpdate,
} from '../../src/node/groups/index.ts';
import { createKeyPackage } from '../../src/node/groups/key-package.ts';
import { leavesBlockingJoin } from '../../src/node/groups/join-guard.ts';
import { deliver, keyPackageOf, makeMembers, secretsOf, textOf, utf8, type Member } from '../helpers/groups.ts';
import type { TestClock } from '../helpers/context.ts';

describe('group key package records', () => {
  it('a record names its identity, expires by the injected clock, and refuses a changed byte', async () => {
    const [alice, bob] = await makeMembers(['alice', 'bob']);
    const { record, secrets } = await createKeyPackage(bob!.env, bob!.identity);
    assert.ok(record.length < MAX_GROUP_KEY_PACKAGE_BYTES);
    const read = await readKeyPackageRecord(alice!.env, record);
    assert.ok(equalBytes(read.identity, bob!.identity.public.signingKey));
    assert.equal(read.notAfter, bob!.env.ctx.now() + GROUP_KEY_PACKAGE_LIFETIME_MS);
    const again = decodeKeyPackageSecrets(encodeKeyPackageSecrets(secrets));
    assert.ok(equalBytes(again.privateKeys.initPrivateKey, secrets.privateKeys.initPrivateKey));
    const tampered = record.slice();
    tampered[20]! ^= 1;
    await assert.rejects(readKeyPackageRecord(alice!.env, tampered), (e: Error) => ['InvalidSignatureError', 'DecodeError'].includes(e.name));
    const signature = record.slice();
    signature[signature.length - 1]! ^= 1;
    await assert.rejects(readKeyPackageRecord(alice!.env, signature), { name: 'InvalidSignatureError' });
    await assert.rejects(readKeyPackageRecord(alice!.env, new Uint8Array(MAX_GROUP_KEY_PACKAGE_BYTES + 1)), { name: 'GroupMessageTooLargeError' });
    (alice!.env.ctx as unknown as { clock: TestClock }).clock.advance(GROUP_KEY_PACKAGE_LIFETIME_MS);
    await assert.rejects(readKeyPackageRecord(alice!.env, record), { name: 'GroupKeyPackageExpiredError' });
  });
});

describe('stored group state', () => {
  it('a state decoded from its stored form decrypts, commits and is decoded to the same bytes again', async () => {
    const [alice, bob] = await makeMembers(['alice', 'bob']);
    alice!.state = await createGroup(alice!.env, alice!.identity);
    const record = await keyPackageOf(bob!);
    const added = await addMembers(alice!.env, alice!.state, [record]);
    alice!.state = added.state;
    bob!.state = await joinGroup(bob!.env, bob!.identity, secretsOf(bob!, record), added.welcome!);
    const stored = encodeGroupState(bob!.state);
    bob!.state = decodeGroupState(stored);
    assert.deepEqual(encodeGroupState(bob!.state), stored);
    const sent = await encryptGroupMessage(alice!.env, alice!.state, utf8('after a restart'));
    alice!.state = sent.state;
    assert.equal(textOf((await deliver(sent.frame, [bob!]))[0]!), 'after a restart');
    const update = await selfUpdate(bob!.env, decodeGroupState(encodeGroupState(bob!.state!)));
    await deliver(update.operation, [alice!]);
    assert.ok(equalBytes(epochAuthenticator(update.state), epochAuthenticator(alice!.state!)));
    const restored = decodeGroupState(encodeGroupState(update.state));
    assert.equal(restored.history.length, update.state.history.length, 'the fork-choice snapshots are kept');
    assert.throws(() => decodeGroupState(stored.subarray(0, stored.length - 1)), { name: 'DecodeError' });
    assert.throws(() => decodeGroupState(Uint8Array.of(2, ...stored.subarray(1))), { name: 'VersionTooNewError' });
  });
});

describe('the add guard for ts-mls 2.0.0-rc.10', () => {
  it('refuses an add exactly when the library would refuse the Welcome, and allows it once the waiting member updated', async () => {
    const members = await makeMembers(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hugo', 'ivy']);
    const [alice, ...rest] = members as [Member, ...Member[]];
    const first = rest.slice(0, 6);
    alice.state = await createGroup(alice.env, alice.identity);
    const records = await Promise.all(first.map(keyPackageOf));
    const made = await addMembers(alice.env, alice.state, records);
    alice.state = made.state;
    for (const [i, m] of first.entries()) m.state = await joinGroup(m.env, m.identity, secretsOf(m, records[i]!), made.welcome!);
    const inGroup = [alice, ...first];
    // Everyone updates once: every parent node gets a key.
    for (const m of inGroup) {
      const u = await selfUpdate(m.env, m.state!);
      m.state = u.state;
      await deliver(u.operation, inGroup.filter((x) => x !== m));
    }
    // Hugo is added and does not come online; then Bob updates, which clears Hugo from the ancestors on Bob's path only.
    const [hugo, ivy] = rest.slice(6) as [Member, Member];
    const hugoRecord = await keyPackageOf(hugo);
    const addHugo = await addMembers(alice.env, alice.state, [hugoRecord]);
    alice.state = addHugo.state;
    await deliver(addHugo.operation, first);
    assert.deepEqual(leavesBlockingJoin(alice.state.mls.ratchetTree), [], 'one waiting member alone does not block');
    const bob = first[0]!;
    const u = await selfUpdate(bob.env, bob.state!);
    bob.state = u.state;
    await deliver(u.operation, [alice, ...first.slice(1)]);
    const blocking = leavesBlockingJoin(alice.state.mls.ratchetTree);
    assert.deepEqual(blocking, [7], 'Hugo (leaf 7) now has ancestors with different unmerged lists');
    const ivyRecord = await keyPackageOf(ivy);
    await assert.rejects(addMembers(alice.env, alice.state, [ivyRecord]), (e: Error & { pending?: Uint8Array[] }) => {
      assert.equal(e.name, 'GroupAddBlockedError');
      assert.ok(e.pending!.some((p) => equalBytes(p, hugo.identity.public.signingKey)));
      return true;
    });
    // What the guard predicts is what ts-mls does: skip the guard and Ivy cannot join.
    const { createCommit, defaultProposalTypes, joinGroup: mlsJoin } = await import('ts-mls');
    const { mlsContext } = await import('../../src/node/groups/context.ts');
    const ivyPackage = (await readKeyPackageRecord(alice.env, ivyRecord)).keyPackage;
    const unguarded = await createCommit({ context: mlsContext(alice.env.ctx, alice.state.suite), state: alice.state.mls, extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage: ivyPackage } }], ratchetTreeExtension: true });
    const ivySecrets = secretsOf(ivy, ivyRecord);
    await assert.rejects(mlsJoin({ context: mlsContext(ivy.env.ctx, alice.state.suite), welcome: unguarded.welcome!.welcome, keyPackage: ivySecrets.keyPackage, privateKeys: ivySecrets.privateKeys }), /unmerged_leaves/);
    // Hugo comes online, joins and updates: the add goes through, and Ivy joins.
    hugo.state = await joinGroup(hugo.env, hugo.identity, secretsOf(hugo, hugoRecord), addHugo.welcome!);
    await deliver(u.operation, [hugo]);
    const hugoUpdate = await selfUpdate(hugo.env, hugo.state);
    hugo.state = hugoUpdate.state;
    await deliver(hugoUpdate.operation, [alice, ...first]);
    const addIvy = await addMembers(alice.env, alice.state, [ivyRecord]);
    alice.state = addIvy.state;
    ivy.state = await joinGroup(ivy.env, ivy.identity, ivySecrets, addIvy.welcome!);
    await deliver(addIvy.operation, [hugo]);
    assert.ok(equalBytes(epochAuthenticator(ivy.state), epochAuthenticator(hugo.state!)));
  });
});
