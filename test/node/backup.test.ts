/**
 * Backup archives: a home restored from one is the same home (every record
 * kind, across plain and encrypted stores) and keeps talking to its contacts
 * with the exported sessions; damaged, truncated, foreign, too-new archives
 * and wrong passphrases are refused with typed errors before anything is
 * returned to write.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openArchive, sealArchive, BACKUP_COST, type BackupCost } from '../../src/node/backup/archive.ts';
import { decodeBackupBody, encodeBackupBody, type BackupSnapshot } from '../../src/node/backup/body.ts';
import * as constants from '../../src/node/backup/constants.ts';
import { exportArchive, readArchive, readSnapshot, restoreSnapshot } from '../../src/node/backup/snapshot.ts';
import { memoryBackend, type KvBackend } from '../../src/node/store/backend.ts';
import { unlockStore } from '../../src/node/store/level.ts';
import { SottoStore, Tx } from '../../src/node/store/store.ts';
import { encodeJson } from '../../src/node/store/records.ts';
import { Writer } from '../../src/crypto/bytes.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { pair } from '../helpers/parties.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

const PASS = 'archive passphrase 1';
/** The cheapest Argon2id the format accepts: these tests check the format, not the cost. */
const CHEAP: BackupCost = { t: 1, m: 8, p: 1 };
const PEER_B = '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2';
const PEER_C = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo';
const HASH = 'ab'.repeat(32);
const ask = (passphrase: string) => async () => passphrase;

async function dump(backend: KvBackend): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const [key, value] of backend.entries({ gte: '', lt: '\uffff' })) out.set(key, Buffer.from(value).toString('hex'));
  return out;
}

/** A store with one record of every kind the store knows (plus mail held for others). */
async function fullStore(store: SottoStore) {
  const { alice, bob } = await pair();
  await bob.receive(alice.send('hi'));
  await store.commit(
    new Tx()
      .putIdentity(alice.identity)
      .putPrekeys(alice.prekeys)
      .putProfile({ name: 'alice' })
      .putSeq(5)
      .putContact({ name: 'Bob: the builder', peerId: PEER_B, addedAt: 1, verified: false, added: true, keyChangedAt: 3 })
      .putContact({ name: PEER_C, peerId: PEER_C, addedAt: 2, verified: false, added: false })
      .putSession(PEER_B, alice.record!)
      .putMessage({ id: '01'.repeat(16), peerId: PEER_B, direction: 'out', text: 'a very private text', timestamp: 5, status: 'stored', seq: 1, custody: { mailboxes: 2, until: 99 } })
      .putMessage({ id: '02'.repeat(16), peerId: PEER_C, direction: 'in', text: 'who is this', timestamp: 6, status: 'received', seq: 2 })
      .putMessage({ id: '03'.repeat(16), peerId: PEER_B, direction: 'out', text: 'queued one', timestamp: 7, status: 'queued', seq: 3 })
      .putOutbox({ seq: 4, peerId: PEER_B, kind: 'text', messageId: '03'.repeat(16), payload: 'AAEC', envelope: null, attempts: 2, nextAttemptAt: 10, createdAt: 7, lastError: 'offline', custody: [{ mailbox: PEER_C, expiresAt: 50 }] })
      .putSeen(PEER_C, HASH, { at: 6, messageId: '02'.repeat(16) })
      .putMail('mailboxkey', 'item1', { storedAt: 1, expiresAt: 2, item: new Uint8Array([1, 2, 3]) }),
    { sync: true },
  );
  return alice;
}

const withoutCreatedAt = ({ createdAt: _, ...rest }: BackupSnapshot) => rest;

describe('backup: round trip', () => {
  test('every record kind comes back byte for byte; mail held for others does not', async () => {
    const ctx = testContext('backup-plain');
    const source = memoryBackend();
    const store = await new SottoStore(source).open();
    await fullStore(store);
    const { archive } = await exportArchive(store, ctx, ask(PASS), CHEAP);

    const target = memoryBackend();
    const restored = await new SottoStore(target).open();
    const snapshot = await readArchive(ctx, archive, ask(PASS));
    await restoreSnapshot(restored, ctx, snapshot);

    const before = await dump(source);
    const after = await dump(target);
    const held = [...before.keys()].filter((k) => k.startsWith('mbox'));
    assert.equal(held.length, 3, 'the source holds mail for others (the item, its expiry and its deposit-order entries)');
    for (const key of held) before.delete(key);
    assert.deepEqual(after, before);
  });

  test('an encrypted home restores into another encrypted home (peer ids and names are hashed in both)', async () => {
    const ctx = testContext('backup-encrypted');
    const store = await unlockStore(memoryBackend(), ctx, { create: 'encrypted', passphrase: ask('home one passphrase') });
    const alice = await fullStore(store);
    const { archive, snapshot } = await exportArchive(store, ctx, ask(PASS), CHEAP);
    assert.equal(snapshot.messages.length, 3);
    assert.equal(snapshot.seen.length, 1);

    const targetBackend = memoryBackend();
    const target = await unlockStore(targetBackend, ctx, { create: 'encrypted', passphrase: ask('home two passphrase') });
    const peerId = await restoreSnapshot(target, ctx, await readArchive(ctx, archive, ask(PASS)));
    assert.match(peerId, /^12D3KooW/);
    assert.deepEqual(withoutCreatedAt(await readSnapshot(target, ctx)), withoutCreatedAt(snapshot));
    assert.deepEqual(await target.getIdentity(ctx), alice.identity);
    assert.equal((await target.getContactByPeer(PEER_B))!.name, 'Bob: the builder');
    const raw = JSON.stringify([...(await dump(targetBackend)).entries()]);
    for (const secret of ['a very private text', 'Bob: the builder', PEER_B]) assert.ok(!raw.includes(secret) && !raw.includes(Buffer.from(secret).toString('hex')));
  });

  test('the restored home decrypts the next message of a contact whose session was exported, and answers', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const alice = await new Home('alice', hub, clock, scheduler).init();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await alice.messenger.addContact('bob', bob.peerId);
    await bob.messenger.addContact('alice', alice.peerId);
    for (const [from, to, text] of [[alice, 'bob', 'one'], [bob, 'alice', 'two'], [alice, 'bob', 'three']] as const) {
      assert.equal((await from.messenger.send(to, text, { waitMs: 5_000 })).status, 'delivered');
      await settle();
    }
    await alice.stop();
    const ctx = testContext('backup-export', { clock });
    const { archive } = await exportArchive(alice.store, ctx, ask(PASS), CHEAP);

    const copy = new Home('alice-restored', hub, clock, scheduler);
    await copy.store.open();
    assert.equal(await restoreSnapshot(copy.store, ctx, await readArchive(ctx, archive, ask(PASS))), alice.peerId);
    await copy.start();
    assert.equal(copy.peerId, alice.peerId);
    assert.deepEqual((await copy.messenger.history('bob')).map((m) => m.text), ['one', 'two', 'three']);

    assert.equal((await bob.messenger.send('alice', 'after the move', { waitMs: 5_000 })).status, 'delivered');
    await settle();
    assert.deepEqual(copy.received.map((m) => m.text), ['after the move']);
    assert.equal((await copy.messenger.send('bob', 'still me', { waitMs: 5_000 })).status, 'delivered');
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['one', 'three', 'still me']);
    await copy.stop();
    await bob.stop();
  });

  test('a home that has an identity is never overwritten', async () => {
    const ctx = testContext('backup-occupied');
    const store = await new SottoStore(memoryBackend()).open();
    await fullStore(store);
    const snapshot = await readArchive(ctx, (await exportArchive(store, ctx, ask(PASS), CHEAP)).archive, ask(PASS));
    await assert.rejects(restoreSnapshot(store, ctx, snapshot), { name: 'AlreadyInitialisedError' });
  });

  test('the default cost is the keyring\'s Argon2id (t = 2, m = 19 MiB, p = 1)', async () => {
    assert.deepEqual(BACKUP_COST, { t: 2, m: 19_456, p: 1 });
    const ctx = testContext('backup-cost');
    const archive = await sealArchive(ctx, new Uint8Array([1, 2, 3]), PASS);
    assert.deepEqual(await openArchive(ctx, archive, ask(PASS)), new Uint8Array([1, 2, 3]));
  });
});

describe('backup: refused archives', () => {
  const ctx = testContext('backup-refused');
  const body = new Uint8Array([9, 8, 7, 6]);
  const sealed = sealArchive(ctx, body, PASS, CHEAP);
  const HEADER = constants.BACKUP_HEADER_BYTES;
  const SALT_AT = 8 + 1 + 1 + 4 + 4 + 1;
  const edit = (bytes: Uint8Array, at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };

  // Each case: how to damage a sound archive, and the error expected.
  const cases: [string, (a: Uint8Array) => Uint8Array, string][] = [
    ['empty file', () => new Uint8Array(0), 'NotABackupError'],
    ['another file', () => new TextEncoder().encode('PK\u0003\u0004 a zip file'), 'NotABackupError'],
    ['only part of the magic', (a) => a.slice(0, 4), 'BackupCorruptError'],
    ['version too new', (a) => edit(a, 8, 2), 'VersionTooNewError'],
    ['version 0', (a) => edit(a, 8, 0), 'VersionTooOldError'],
    ['unknown key derivation', (a) => edit(a, 9, 7), 'BackupCorruptError'],
    ['Argon2id passes out of range', (a) => edit(a, 10, 1), 'BackupCorruptError'],
    ['Argon2id lanes other than 1', (a) => edit(a, 18, 2), 'BackupCorruptError'],
    ['truncated header', (a) => a.slice(0, HEADER - 1), 'BackupCorruptError'],
    ['no tag', (a) => a.slice(0, HEADER + 3), 'BackupCorruptError'],
    ['truncated body', (a) => a.slice(0, a.length - 1), 'BackupCorruptError'],
    ['flipped ciphertext byte', (a) => edit(a, HEADER, a[HEADER]! ^ 1), 'BackupCorruptError'],
    ['flipped nonce byte (in the AD and the nonce)', (a) => edit(a, HEADER - 1, a[HEADER - 1]! ^ 1), 'BackupCorruptError'],
    ['flipped salt byte (reads as a wrong passphrase)', (a) => edit(a, SALT_AT, a[SALT_AT]! ^ 1), 'WrongBackupPassphraseError'],
    ['appended bytes', (a) => new Uint8Array([...a, 0]), 'BackupCorruptError'],
  ];
  for (const [name, damage, expected] of cases) {
    test(`${name}: ${expected}`, async () => {
      await assert.rejects(openArchive(ctx, damage(await sealed), ask(PASS)), { name: expected });
    });
  }

  test('a wrong passphrase is told apart from a damaged file', async () => {
    await assert.rejects(openArchive(ctx, await sealed, ask('not the passphrase')), { name: 'WrongBackupPassphraseError' });
    assert.deepEqual(await openArchive(ctx, await sealed, ask(PASS)), body);
  });

  test('a header that does not check out is refused before the passphrase is asked for', async () => {
    let asked = false;
    const passphrase = async () => {
      asked = true;
      return PASS;
    };
    await assert.rejects(openArchive(ctx, edit(await sealed, 8, 2), passphrase), { name: 'VersionTooNewError' });
    assert.equal(asked, false);
  });

  test('an archive over the size limit is refused unread', async () => {
    await assert.rejects(openArchive(ctx, new Uint8Array(constants.MAX_BACKUP_BYTES + 1), ask(PASS)), { name: 'BackupTooLargeError' });
  });
});

describe('backup: refused bodies (authentic, but not a sound home)', () => {
  const ctx = testContext('backup-bodies');
  const good = (async () => {
    const store = await new SottoStore(memoryBackend()).open();
    await fullStore(store);
    return readSnapshot(store, ctx);
  })();
  const body = (records: [string, Uint8Array][], count = records.length, createdAt = 1) => {
    const w = new Writer().u64(createdAt).u32(count);
    for (const [k, v] of records) w.varBytes(new TextEncoder().encode(k)).varBytes(v);
    return w.finish();
  };
  const json = (o: object) => encodeJson(o);
  /** The records of the good snapshot, to edit. */
  const recordsOf = async (): Promise<[string, Uint8Array][]> => {
    const bytes = encodeBackupBody(await good);
    const out: [string, Uint8Array][] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let at = 12;
    while (at < bytes.length) {
      const kl = view.getUint32(at);
      const key = new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + kl));
      at += 4 + kl;
      const vl = view.getUint32(at);
      out.push([key, bytes.slice(at + 4, at + 4 + vl)]);
      at += 4 + vl;
    }
    return out;
  };

  test('the good body decodes to the snapshot it came from', async () => {
    assert.deepEqual(await decodeBackupBody(ctx, body(await recordsOf(), undefined, (await good).createdAt)), await good);
  });

  const cases: [string, (r: [string, Uint8Array][]) => Uint8Array][] = [
    ['no identity', (r) => body(r.filter(([k]) => k !== 'meta:identity'))],
    ['no prekeys', (r) => body(r.filter(([k]) => k !== 'meta:prekeys'))],
    ['no counter', (r) => body(r.filter(([k]) => k !== 'meta:seq'))],
    ['a record twice', (r) => body([...r, r[4]!])],
    ['an unknown kind', (r) => body([...r, ['invite:x', json({})]])],
    ['an unknown meta record', (r) => body([...r, ['meta:keyring', json({ version: 1, kdf: 'none' })]])],
    ['an index record', (r) => body([...r, [`peer:${PEER_B}`, new TextEncoder().encode('bob')]])],
    ['mail held for others', (r) => body([...r, ['mbox:k:i', new Uint8Array([1])]])],
    ['a corrupt identity', (r) => body(r.map(([k, v]) => [k, k === 'meta:identity' ? v.slice(0, 10) : v]))],
    ['a corrupt session', (r) => body(r.map(([k, v]) => [k, k.startsWith('session:') ? v.slice(1) : v]))],
    ['a contact under another name', (r) => body(r.map(([k, v]) => [k.startsWith('contact:B') ? 'contact:Carol' : k, v]))],
    ['an invalid contact name', (r) => body([...r.filter(([k]) => !k.startsWith('contact:B')), ['contact:\u0007', json({ name: '\u0007', peerId: PEER_B, addedAt: 1, verified: false, added: true })]])],
    ['two contacts with one peer id', (r) => body([...r, ['contact:Dup', json({ name: 'Dup', peerId: PEER_B, addedAt: 1, verified: false, added: true })]])],
    ['a session for a non-peer-id', (r) => body(r.map(([k, v]) => [k.startsWith('session:') ? 'session:bob' : k, v]))],
    ['a message under another sequence number', (r) => body(r.map(([k, v]) => [k.startsWith('msg:') && k.endsWith('1') ? k.replace(/1$/, '4') : k, v]))],
    ['a message at the counter', (r) => body(r.map(([k, v]) => [k, k === 'meta:seq' ? json({ next: 3 }) : v]))],
    ['a seen mark without a hash', (r) => body(r.map(([k, v]) => [k.startsWith('seen:') ? `seen:${PEER_C}:nothex` : k, v]))],
    ['a count larger than the records', (r) => body(r, r.length + 1)],
    ['a count beyond any body', (r) => body(r, 0xffff_ffff)],
    ['trailing bytes', (r) => new Uint8Array([...body(r), 0])],
    ['a key that is not UTF-8', (r) => {
      const w = new Writer().u64(1).u32(r.length + 1).varBytes(new Uint8Array([0xff, 0xfe])).varBytes(new Uint8Array(0));
      for (const [k, v] of r) w.varBytes(new TextEncoder().encode(k)).varBytes(v);
      return w.finish();
    }],
    ['an empty body', () => new Uint8Array(0)],
  ];
  for (const [name, build] of cases) {
    test(`${name}: BackupCorruptError`, async () => {
      const bytes = build(await recordsOf());
      await assert.rejects(decodeBackupBody(ctx, bytes), (err: Error) => {
        assert.equal(err.name, 'BackupCorruptError');
        // Errors name a record's kind at most: never a contact name, peer id or text.
        for (const secret of ['Bob', PEER_B, PEER_C, 'a very private text']) assert.ok(!err.message.includes(secret), err.message);
        return true;
      });
      // The same body, sealed and read through the whole pipeline, is refused the same way.
      await assert.rejects(readArchive(ctx, await sealArchive(ctx, bytes, PASS, CHEAP), ask(PASS)), { name: 'BackupCorruptError' });
    });
  }
});

describe('backup: the spec quotes the code', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/PROTOCOL.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.search(/^## \d+\. Backup archive$/m));

  test('PROTOCOL.md has a "Backup archive" section with every label and limit', () => {
    assert.match(doc, /^## \d+\. Backup archive$/m);
    for (const label of [constants.BACKUP_MAGIC, constants.LABEL_BACKUP, constants.LABEL_BACKUP_KEY, constants.LABEL_BACKUP_CHECK]) assert.ok(section.includes(`"${label}"`), label);
    const numbers = section.replaceAll(/(\d) (\d)/g, '$1$2').replaceAll(',', '');
    for (const name of ['MAX_BACKUP_BYTES', 'MAX_BACKUP_RECORDS', 'MAX_BACKUP_KEY_BYTES', 'MAX_BACKUP_VALUE_BYTES', 'MAX_BACKUP_ARGON2_T', 'MAX_BACKUP_ARGON2_M_KIB', 'BACKUP_HEADER_BYTES'] as const) {
      assert.ok(new RegExp(`\\b${constants[name]}\\b`).test(numbers), `${name} = ${constants[name]} is quoted`);
      assert.ok(section.includes(name), `${name} is named`);
    }
  });
});
