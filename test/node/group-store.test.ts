/**
 * The group records of the store (docs/PROTOCOL.md §16, "Groups"): each
 * round-trips, group messages page back by seq like a conversation, a
 * group's state, message and outbox entry land in one transaction, and a
 * corrupt record is refused with StoreCorruptError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore, Tx } from '../../src/node/store/store.ts';
import { keyNames } from '../../src/node/store/keys.ts';
import type { GroupMessageRecord, GroupOutboxEntry, GroupRecord } from '../../src/node/store/group-records.ts';

const GROUP = 'ab'.repeat(32);
const group: GroupRecord = { id: GROUP, name: 'friends', token: 'dG9rZW4=', joinedAt: 5, active: true, invitedBy: 'peerA' };

function message(seq: number, direction: 'in' | 'out' = 'in'): GroupMessageRecord {
  return { id: seq.toString(16).padStart(32, '0'), groupId: GROUP, sender: 'peerB', direction, text: `m${seq}`, timestamp: seq * 10, status: direction === 'in' ? 'received' : 'queued', seq, epoch: 3 };
}

const entry: GroupOutboxEntry = {
  seq: 9,
  groupId: GROUP,
  kind: 'message',
  messageId: '00'.repeat(16),
  frame: 'AQID',
  epoch: 3,
  recipients: ['peerB', 'peerC'],
  delivered: ['peerB'],
  custody: [],
  attempts: 0,
  nextAttemptAt: 1,
  createdAt: 1,
  lastError: null,
};

async function open(hashed = false): Promise<SottoStore> {
  return new SottoStore(memoryBackend(), undefined, hashed ? keyNames((c) => `h(${c})`) : undefined).open();
}

test('group records round-trip, in a home kept in clear and in one that hashes identifiers', async () => {
  for (const hashed of [false, true]) {
    const store = await open(hashed);
    const state = Uint8Array.of(1, 2, 3, 4);
    await store.commit(
      new Tx()
        .putGroup(group)
        .putGroupState(GROUP, state)
        .putGroupMessage(message(1))
        .putGroupOutbox(entry)
        .putGroupSeen(GROUP, 'cd'.repeat(32), 7)
        .putGroupInvitation({ id: 'ef'.repeat(32), peerId: 'peerS', name: 'club', token: 'dA==', welcome: 'AQ==', at: 3 })
        .putHeldKeyPackage({ peerId: 'peerB', record: 'AQ==', notAfter: 99 })
        .putKeyPackageSecret({ ref: '12'.repeat(32), peerId: null, notAfter: 99, createdAt: 1, secrets: 'AQ==' }),
      { sync: true },
    );
    assert.deepEqual(await store.listGroups(), [group]);
    assert.deepEqual(await store.getGroupState(GROUP), state);
    assert.deepEqual(await store.getGroupMessage(GROUP, message(1).id), message(1));
    assert.deepEqual(await store.listGroupOutbox(), [entry]);
    assert.equal(await store.hasGroupSeen(GROUP, 'cd'.repeat(32)), true);
    assert.equal(await store.hasGroupSeen(GROUP, 'ce'.repeat(32)), false);
    assert.equal((await store.listGroupInvitations())[0]!.peerId, 'peerS');
    assert.equal((await store.getHeldKeyPackage('peerB'))!.notAfter, 99);
    assert.equal((await store.listKeyPackageSecrets())[0]!.peerId, null);
    await store.commit(new Tx().deleteGroupOutbox(9).deleteGroupInvitation('ef'.repeat(32)).deleteHeldKeyPackage('peerB').deleteKeyPackageSecret('12'.repeat(32)), { sync: true });
    assert.deepEqual(await store.listGroupOutbox(), []);
    assert.deepEqual(await store.listGroupInvitations(), []);
    assert.equal(await store.getHeldKeyPackage('peerB'), undefined);
    assert.deepEqual(await store.listKeyPackageSecrets(), []);
    await store.close();
  }
});

test('group messages page back by seq: the newest `limit` below `before`, oldest first', async () => {
  const store = await open();
  const tx = new Tx();
  for (let seq = 1; seq <= 12; seq++) tx.putGroupMessage(message(seq, seq % 2 === 0 ? 'out' : 'in'));
  await store.commit(tx, { sync: true });
  assert.deepEqual((await store.listGroupMessages(GROUP)).map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual((await store.listGroupMessages(GROUP, { limit: 3 })).map((m) => m.seq), [10, 11, 12]);
  assert.deepEqual((await store.listGroupMessages(GROUP, { before: 10, limit: 4 })).map((m) => m.seq), [6, 7, 8, 9]);
  assert.deepEqual(await store.listGroupMessages('cd'.repeat(32)), []);
  await store.close();
});

test('a corrupt group record is refused with StoreCorruptError', async () => {
  const backend = memoryBackend();
  const store = await new SottoStore(backend).open();
  await store.commit(new Tx().putRaw(`goutbox:${'0'.repeat(16)}`, new TextEncoder().encode('{"seq":1}')), { sync: true });
  await assert.rejects(store.listGroupOutbox(), { name: 'StoreCorruptError' });
  await store.commit(new Tx().putRaw(`group:${GROUP}`, new TextEncoder().encode('{"id":"x","name":"n","token":"t","joinedAt":-1,"active":true}')), { sync: true });
  await assert.rejects(store.listGroups(), { name: 'StoreCorruptError' });
  await store.close();
});
