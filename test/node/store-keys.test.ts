/**
 * The home at rest (issue 12): the record keys of an encrypted home name no
 * one. Homes that exchanged messages directly and through mailboxes share no
 * message id, envelope hash, peer id, mailbox key or item id in the keys of
 * their databases, so two seized homes do not show who talks to whom. A home
 * kept in clear (--no-passphrase) keeps them readable, by choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/crypto/bytes.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { atRestCodecs } from '../../src/node/store/at-rest.ts';
import { KEY_KINDS, keyNames, plainNames } from '../../src/node/store/keys.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

/** Shortest piece of an identifier looked for in keys (64 bits of hex: never there by chance). */
const WINDOW = 16;

async function rawKeys(home: Home): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key] of home.backend.entries({ gte: '', lt: '\uffff' })) keys.push(key);
  return keys;
}

/** Every identifier a home's records name: its peer id, its contacts', message ids, envelope hashes, mailbox keys and held item ids. */
async function identifiers(home: Home, others: readonly Home[]): Promise<Set<string>> {
  const ctx = testContext('identifiers');
  const ids = new Set<string>([home.peerId]);
  for (const other of others) {
    ids.add(other.peerId);
    const mailboxKey = toHex(mailboxKeyOf(ctx.primitives, other.peerId));
    ids.add(mailboxKey);
    for (const { id } of await home.store.listMail(mailboxKey, Number.MAX_SAFE_INTEGER)) ids.add(id);
    for (const id of await home.store.listMessageIds(other.peerId)) ids.add(id);
    for (const { hash } of await home.store.listSeen(other.peerId)) ids.add(hash);
  }
  return ids;
}

/** Asserts that no key of any home contains any piece of WINDOW characters of any identifier. */
async function assertKeysNameNoOne(homes: readonly Home[], ids: ReadonlySet<string>): Promise<void> {
  for (const home of homes) {
    const keys = (await rawKeys(home)).join('\n');
    for (const id of ids) {
      for (let i = 0; i + WINDOW <= id.length; i++) assert.ok(!keys.includes(id.slice(i, i + WINDOW)), `a key of ${home.name} contains part of ${id}`);
    }
  }
}

async function homes(encrypted: boolean) {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const atRest = (label: string) => (encrypted ? { atRest: atRestCodecs(testContext(`at-rest:${label}`), testContext(`data key:${label}`).randomBytes(32)) } : {});
  const boxes: Home[] = [];
  for (let i = 0; i < MAILBOX_REPLICAS; i++) boxes.push(await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true, ...atRest(`box-${i}`) }).init());
  const alice = await new Home('alice', hub, clock, scheduler, atRest('alice')).init();
  const bob = await new Home('bob', hub, clock, scheduler, atRest('bob')).init();
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  return { boxes, alice, bob };
}

test('two encrypted homes that exchanged messages, directly and through mailboxes, share no identifier in their keys', async () => {
  const { boxes, alice, bob } = await homes(true);
  assert.equal((await alice.messenger.send('bob', 'hello bob', { waitMs: 5_000 })).status, 'delivered');
  assert.equal((await bob.messenger.send('alice', 'hello alice', { waitMs: 5_000 })).status, 'delivered');
  await bob.stop();
  for (let i = 0; i < 3; i++) assert.equal((await alice.messenger.send('bob', `while you were away ${i}`, { waitMs: 5_000 })).status, 'stored');
  const all = [alice, bob, ...boxes];
  const everyone = async (): Promise<Set<string>> => {
    const ids = new Set<string>();
    for (const home of all) for (const id of await identifiers(home, all.filter((h) => h !== home))) ids.add(id);
    return ids;
  };

  // While the mailboxes hold mail for bob: items, mailbox keys, expiry and deposit-order entries.
  const held = await everyone();
  assert.ok(boxes.every((b) => b.mailbox!.usage().items === 3), 'every mailbox holds the three items');
  assert.ok(held.size >= 2 + MAILBOX_REPLICAS + 2 + 3 + 5, 'peer ids, mailbox keys, held items, message ids and envelope hashes were collected');
  await assertKeysNameNoOne(all, held);

  // After bob fetched his mail: seen marks and message ids of mail-borne messages too.
  await bob.start();
  assert.equal(await bob.messenger.fetchMail(), 3);
  assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), ['hello bob', 'hello alice', 'while you were away 0', 'while you were away 1', 'while you were away 2']);
  const fetched = await everyone();
  for (const id of held) fetched.add(id);
  await assertKeysNameNoOne(all, fetched);
});

test('a home kept in clear (--no-passphrase) keeps identifiers readable in its keys', async () => {
  const { alice, bob } = await homes(false);
  assert.equal((await alice.messenger.send('bob', 'in clear', { waitMs: 5_000 })).status, 'delivered');
  const [message] = await bob.messenger.history('alice');
  const keys = await rawKeys(bob);
  assert.ok(keys.includes(`msgid:${alice.peerId}:${message!.id}`));
  const [seen] = await bob.store.listSeen(alice.peerId);
  assert.ok(keys.includes(`seen:${alice.peerId}:${seen!.hash}`));
});

test('every record kind says what each key component is; a key of an unknown kind is refused', () => {
  const hashed = keyNames((c) => `<${c}>`);
  assert.equal(hashed.physical('msgid:peer:id'), 'msgid:<peer>:<id>');
  assert.equal(hashed.physical('mboxexp:0000000000000042:box:item'), 'mboxexp:0000000000000042:<box>:<item>');
  assert.equal(hashed.physical('mboxord:box:0000000000000007:item'), 'mboxord:<box>:0000000000000007:<item>');
  assert.equal(hashed.physical('msg:peer:0000000000000001'), 'msg:<peer>:0000000000000001');
  assert.equal(hashed.physical('contact:a:name:with:colons'), 'contact:<a:name:with:colons>', 'the last component takes the rest');
  assert.equal(hashed.physical('msg:peer:'), 'msg:<peer>:', 'a prefix keeps its empty end');
  assert.equal(hashed.physical('meta:schema'), 'meta:schema');
  for (const kind of Object.keys(KEY_KINDS)) assert.doesNotThrow(() => hashed.physical(`${kind}:x`));
  assert.throws(() => hashed.physical('nosuchkind:peer:1'), TypeError);
  assert.throws(() => plainNames.physical('nosuchkind:peer:1'), TypeError, 'in a home kept in clear too');
  assert.throws(() => plainNames.physical('__proto__:x'), TypeError);
});
