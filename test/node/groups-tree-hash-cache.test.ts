/**
 * The tree-hash cache that patches/ts-mls+2.0.0-rc.10.patch backports into
 * ts-mls (docs/GROUPS.md, "Patched ts-mls"): each state carries the hashes of
 * its ratchet tree's subtrees, and a commit recomputes only those on the paths
 * it changed. A cache must never answer with a stale hash: after every kind
 * of operation (a tree that grows, a member's update, a removal in the middle
 * and at the right edge that shrinks the tree, an add into a blank leaf that
 * leaves unmerged leaves on its path, a state read back from storage without
 * its cache), every cached hash equals a fresh computation without the cache,
 * and the root equals the tree hash every member agreed on in the epoch.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientState, RatchetTree } from 'ts-mls';
import { toHex } from '../../src/crypto/bytes.ts';
import { addMembers, createGroup, decodeGroupState, encodeGroupState, joinGroup, removeMember, selfUpdate } from '../../src/node/groups/index.ts';
import { mlsContext } from '../../src/node/groups/context.ts';
import { deliver, keyPackageOf, makeMembers, secretsOf, type Member } from '../helpers/groups.ts';
import { tsMlsInternal, tsMlsPackageFile } from '../helpers/ts-mls.ts';

type Hash = ReturnType<typeof mlsContext>['cipherSuite']['hash'];
const { treeHash, treeHashRoot } = await tsMlsInternal<{
  treeHash(tree: RatchetTree, node: number, h: Hash): Promise<Uint8Array>;
  treeHashRoot(tree: RatchetTree, h: Hash): Promise<Uint8Array>;
}>('treeHash');

/** What the patch adds to a ts-mls state: the hash of each node's subtree, by node index, where known. */
function cacheOf(mls: ClientState): (Uint8Array | undefined)[] | undefined {
  return (mls as ClientState & { treeHashCache?: (Uint8Array | undefined)[] }).treeHashCache;
}

/** Asserts every cached subtree hash of each member's state is what an uncached computation gives; returns how many were cached. */
async function assertFresh(members: readonly Member[], step: string): Promise<number> {
  let cached = 0;
  for (const m of members) {
    const mls = m.state!.mls;
    const hash = mlsContext(m.env.ctx, m.state!.suite).cipherSuite.hash;
    const tree = mls.ratchetTree;
    assert.equal(toHex(await treeHashRoot(tree, hash)), toHex(mls.groupContext.treeHash), `${step}: ${m.name}'s tree hashes to the epoch's tree hash`);
    const cache = cacheOf(mls) ?? [];
    assert.ok(cache.length <= tree.length, `${step}: ${m.name}'s cache holds no node beyond its tree`);
    for (const [node, value] of cache.entries()) {
      if (value === undefined) continue;
      cached++;
      assert.equal(toHex(value), toHex(await treeHash(tree, node, hash)), `${step}: ${m.name}'s cached hash of node ${node}`);
    }
  }
  return cached;
}

/** `by` makes an operation, every other member in `members` processes it. */
async function commitBy(by: Member, members: readonly Member[], made: { state: Member['state']; operation: Uint8Array }): Promise<void> {
  by.state = made.state;
  await deliver(made.operation, members.filter((m) => m !== by));
}

async function add(admin: Member, members: Member[], newcomers: readonly Member[]): Promise<void> {
  const records = await Promise.all(newcomers.map(keyPackageOf));
  const added = await addMembers(admin.env, admin.state!, records);
  await commitBy(admin, members, added);
  for (const [i, m] of newcomers.entries()) m.state = await joinGroup(m.env, m.identity, secretsOf(m, records[i]!), added.welcome!);
  members.push(...newcomers);
}

async function remove(admin: Member, members: Member[], who: Member): Promise<void> {
  const removal = await removeMember(admin.env, admin.state!, who.identity.public.signingKey);
  members.splice(members.indexOf(who), 1);
  await commitBy(admin, members, removal);
}

describe('ts-mls tree-hash cache (patches/ts-mls+2.0.0-rc.10.patch)', () => {
  it('the installed ts-mls carries the patch in patches/', () => {
    const patch = readFileSync(new URL('../../patches/ts-mls+2.0.0-rc.10.patch', import.meta.url));
    const marker = readFileSync(tsMlsPackageFile('.sotto-patch'), 'utf8').trim();
    assert.equal(marker, createHash('sha256').update(patch).digest('hex'), 'node_modules/ts-mls was patched by scripts/patch-ts-mls.mjs with this patch');
  });

  it('after every kind of commit, each cached subtree hash equals an uncached computation and the root is the epoch tree hash', async () => {
    const people = await makeMembers(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    const [alice, bob, carol, dave, erin, frank] = people as [Member, Member, Member, Member, Member, Member];
    alice.state = await createGroup(alice.env, alice.identity);
    const members: Member[] = [alice];
    await add(alice, members, [bob, carol, dave]);
    assert.ok((await assertFresh(members, 'grown to four leaves')) > 0, 'joined and committed states carry a cache');
    await commitBy(bob, members, await selfUpdate(bob.env, bob.state!));
    await assertFresh(members, "bob's update");
    await add(alice, members, [erin]);
    await assertFresh(members, 'grown to eight leaves');
    await remove(alice, members, carol);
    await assertFresh(members, "carol's removal from the middle");
    await add(alice, members, [frank]);
    assert.equal(members.length, 5);
    await assertFresh(members, "frank added into carol's blank leaf");
    await commitBy(dave, members, await selfUpdate(dave.env, dave.state!));
    assert.ok((await assertFresh(members, "dave's update over frank's unmerged leaf")) > 0);
    await remove(alice, members, erin);
    assert.equal(alice.state!.mls.ratchetTree.length, 7, 'the tree shrank to four leaves');
    await assertFresh(members, "erin's removal at the right edge");
    bob.state = decodeGroupState(encodeGroupState(bob.state!));
    assert.equal(cacheOf(bob.state.mls), undefined, 'a state read from storage has no cache');
    await commitBy(frank, members, await selfUpdate(frank.env, frank.state!));
    assert.ok((await assertFresh(members, "frank's update, bob's state read from storage")) > 0);
    assert.ok((cacheOf(bob.state.mls) ?? []).some((h) => h !== undefined), 'bob has a cache again after processing a commit');
  });
});
