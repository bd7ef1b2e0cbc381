/**
 * /sotto/keypackage (PROTOCOL.md §24c): an admin who holds no key package of
 * a contact online now asks its node for one, and the add works; each peer
 * gets at most its burst of key packages at once, then NONE; a contact who
 * is offline and gave none cannot be added (GroupKeyPackageMissingError).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeyPackageFrame, encodeKeyPackageFrame, requestKeyPackage } from '../../src/node/groups/key-package-request.ts';
import { GROUP_KEY_PACKAGES_PER_PEER_BURST, GROUP_KEY_PACKAGES_PER_PEER_REFILL_MS } from '../../src/node/constants.ts';
import { Tx } from '../../src/node/store/store.ts';
import { DecodeError } from '../../src/crypto/errors.ts';
import type { Home } from '../helpers/homes.ts';
import { groupWorld } from '../helpers/group-world.ts';

test('an admin holding no key package of a contact online asks for one live, and the contact joins', async () => {
  const { scheduler, homes, groups } = await groupWorld(['alice', 'bob'], { mailboxes: 0 });
  const [alice, bob] = homes as [Home, Home];
  // Whatever key package bob's node sent is gone: the add must ask.
  await alice.store.commit(new Tx().deleteHeldKeyPackage(bob.peerId), { sync: true });
  assert.equal(await alice.store.getHeldKeyPackage(bob.peerId), undefined);

  await groups.get('alice')!.create('pair', ['bob']);
  await scheduler.advance(1);
  const [info] = await groups.get('bob')!.list();
  assert.equal(info?.name, 'pair', 'bob joined with the key package it handed out live');
  await groups.get('alice')!.send('pair', 'asked live', { waitMs: 5_000 });
  await scheduler.advance(1);
  assert.deepEqual((await groups.get('bob')!.history('pair')).map((m) => m.text), ['asked live']);
  assert.ok(!(await bob.store.listKeyPackageSecrets()).some((s) => s.peerId === null), 'the live key package was used once and its secrets dropped');
});

test('a peer gets its burst of live key packages, then none until its bucket refills; a peer offline gives none', async () => {
  const { clock, homes, groups } = await groupWorld(['alice', 'bob', 'carol'], { mailboxes: 0 });
  const [alice, bob, carol] = homes as [Home, Home, Home];
  const core = alice.messenger.shared();
  const env = { ctx: core.ctx };
  for (let i = 0; i < GROUP_KEY_PACKAGES_PER_PEER_BURST; i++) assert.ok((await requestKeyPackage(core, env, bob.peerId)).length > 0);
  await assert.rejects(requestKeyPackage(core, env, bob.peerId), { name: 'ProtocolError' });
  assert.equal((await bob.store.listKeyPackageSecrets()).filter((s) => s.peerId === null).length, GROUP_KEY_PACKAGES_PER_PEER_BURST, 'a refused request kept no secrets');
  clock.advance(GROUP_KEY_PACKAGES_PER_PEER_REFILL_MS);
  assert.ok((await requestKeyPackage(core, env, bob.peerId)).length > 0, 'one more once the bucket refilled');

  await carol.stop();
  await alice.store.commit(new Tx().deleteHeldKeyPackage(carol.peerId), { sync: true });
  await assert.rejects(groups.get('alice')!.create('team', ['carol']), { name: 'GroupKeyPackageMissingError' });
});

test('the /sotto/keypackage decoder refuses unknown types, empty and oversized records, and trailing bytes', () => {
  assert.deepEqual(decodeKeyPackageFrame(encodeKeyPackageFrame({ type: 'request' })), { type: 'request' });
  assert.deepEqual(decodeKeyPackageFrame(encodeKeyPackageFrame({ type: 'none' })), { type: 'none' });
  const record = new Uint8Array(100).fill(7);
  assert.deepEqual(decodeKeyPackageFrame(encodeKeyPackageFrame({ type: 'key-package', record })), { type: 'key-package', record });
  for (const bad of [Uint8Array.of(1, 9), Uint8Array.of(1, 1, 0), Uint8Array.of(1, 2, 0, 0, 0, 0), encodeKeyPackageFrame({ type: 'key-package', record: new Uint8Array(4097) })]) {
    assert.throws(() => decodeKeyPackageFrame(bad), DecodeError);
  }
});
