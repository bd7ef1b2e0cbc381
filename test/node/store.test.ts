/**
 * One contract for the store, run against every backend: in memory,
 * classic-level on disk, and memory-level (an abstract-level database like
 * browser-level, which needs a browser's IndexedDB). Round trips, atomic
 * transactions, group commit, schema checks, corrupt records.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { encodeSessionRecord } from '../../src/crypto/session-codec.ts';
import { levelBackend, memoryBackend, type KvBackend } from '../../src/node/store/backend.ts';
import { openLevelStore } from '../../src/node/store/level.ts';
import { SottoStore, Tx, STORE_SCHEMA_VERSION } from '../../src/node/store/store.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { pair } from '../helpers/parties.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-store-'));
  dirs.push(dir);
  return dir;
}

const BACKENDS: [string, () => Promise<KvBackend>][] = [
  ['memory', async () => memoryBackend()],
  [
    'classic-level',
    async () => {
      const db = new ClassicLevel<string, Uint8Array>(join(await tempDir(), 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' });
      await db.open();
      return levelBackend(db as never);
    },
  ],
  [
    'memory-level (abstract-level, as browser-level)',
    async () => {
      const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' });
      await db.open();
      return levelBackend(db as never);
    },
  ],
];

function message(peerId: string, seq: number, text: string): MessageRecord {
  return { id: seq.toString(16).padStart(32, '0'), peerId, direction: 'out', text, timestamp: 1_700_000_000_000 + seq, status: 'queued', seq };
}

for (const [name, make] of BACKENDS) {
  describe(`store contract: ${name}`, () => {
    test('held mail: listed in deposit order, read many at once, gone with its index entries', async () => {
      const store = await new SottoStore(await make()).open();
      const box = 'cd'.repeat(32);
      const ids = ['ff', '01', '80'].map((b) => b.repeat(32));
      const tx = new Tx();
      ids.forEach((id, i) => tx.putMail(box, id, { storedAt: 10 + i, expiresAt: 100, item: Uint8Array.of(i + 1) }));
      await store.commit(tx, { sync: true });
      assert.deepEqual((await store.listMail(box, 10)).map((m) => m.id), ids, 'deposit order, not id order');
      const many = await store.getMailMany(box, [ids[2]!, 'ee'.repeat(32), ids[0]!]);
      assert.deepEqual(many.map((m) => m?.item[0]), [3, undefined, 1]);
      assert.deepEqual(await store.getMailMany(box, []), []);
      await store.commit(new Tx().deleteMail(box, ids[1]!, { storedAt: 11, expiresAt: 100 }), { sync: true });
      assert.deepEqual((await store.listMail(box, 10)).map((m) => m.id), [ids[0], ids[2]]);
      assert.equal((await store.mailOrderIds()).size, 2);
    });

    test('records round-trip: identity, prekeys, contacts, sessions, messages, outbox, seen', async () => {
      const store = await new SottoStore(await make()).open();
      const { alice } = await pair();
      const tx = new Tx()
        .putIdentity(alice.identity)
        .putPrekeys(alice.prekeys)
        .putProfile({ name: 'Alice' })
        .putContact({ name: 'bob', peerId: 'peer-b', addedAt: 1, verified: false, added: true })
        .putSession('peer-b', alice.record!)
        .putMessage(message('peer-b', 7, 'hello'))
        .putOutbox({ seq: 7, peerId: 'peer-b', kind: 'text', messageId: message('peer-b', 7, '').id, payload: null, envelope: 'AAEC', attempts: 0, nextAttemptAt: 5, createdAt: 5, lastError: null, custody: [] })
        .putSeen('peer-b', 'ab'.repeat(32), { at: 9, messageId: null })
        .putSeq(8);
      await store.commit(tx, { sync: true });
      assert.deepEqual(await store.getIdentity(alice.ctx), alice.identity);
      assert.deepEqual(await store.getPrekeys(), alice.prekeys);
      assert.deepEqual(await store.getProfile(), { name: 'Alice' });
      assert.equal((await store.getContactByPeer('peer-b'))!.name, 'bob');
      assert.deepEqual(encodeSessionRecord((await store.getSession('peer-b'))!), encodeSessionRecord(alice.record!));
      assert.deepEqual(await store.listMessages('peer-b'), [message('peer-b', 7, 'hello')]);
      assert.deepEqual(await store.getMessage('peer-b', message('peer-b', 7, '').id), message('peer-b', 7, 'hello'));
      assert.equal((await store.listOutbox())[0]!.envelope, 'AAEC');
      assert.deepEqual(await store.getSeen('peer-b', 'ab'.repeat(32)), { at: 9, messageId: null });
      assert.equal(await store.getSeq(), 8);
      assert.equal(await store.getSession('peer-c'), undefined);
      await store.close();
    });

    test('messages list oldest first and per contact; outbox in order', async () => {
      const store = await new SottoStore(await make()).open();
      const tx = new Tx();
      for (const seq of [12, 3, 100, 45]) tx.putMessage(message('p1', seq, `m${seq}`));
      tx.putMessage(message('p10', 1, 'other contact'));
      for (const seq of [9, 2]) tx.putOutbox({ seq, peerId: 'p1', kind: 'receipt', messageId: null, payload: 'AA==', envelope: null, attempts: 0, nextAttemptAt: 0, createdAt: 0, lastError: null, custody: [] });
      await store.commit(tx, { sync: false });
      assert.deepEqual((await store.listMessages('p1')).map((m) => m.text), ['m3', 'm12', 'm45', 'm100']);
      assert.deepEqual((await store.listMessages('p10')).map((m) => m.text), ['other contact']);
      assert.deepEqual((await store.listOutbox()).map((e) => e.seq), [2, 9]);
      await store.commit(new Tx().deleteOutbox(2), { sync: false });
      assert.deepEqual((await store.listOutbox()).map((e) => e.seq), [9]);
      await store.close();
    });

    test('commits queued together are written in order, and each resolves once written', async () => {
      const store = await new SottoStore(await make()).open();
      const commits = Array.from({ length: 50 }, (_, i) => store.commit(new Tx().putSeq(i + 1), { sync: i % 10 === 0 }));
      await Promise.all(commits);
      assert.equal(await store.getSeq(), 50, 'the last commit wins');
      await store.close();
    });

    test('a corrupt record is a typed error', async () => {
      const backend = await make();
      const store = await new SottoStore(backend).open();
      await backend.batch([{ type: 'put', key: 'contact:eve', value: new TextEncoder().encode('{"name": 3}') }], { sync: false });
      await backend.batch([{ type: 'put', key: 'session:p', value: Uint8Array.of(9, 9, 9) }], { sync: false });
      await assert.rejects(store.getContact('eve'), { name: 'StoreCorruptError' });
      await assert.rejects(store.getSession('p'), { name: 'StoreCorruptError' });
      await store.close();
    });

    test('a store of another schema version is refused', async () => {
      const backend = await make();
      await backend.batch([{ type: 'put', key: 'meta:schema', value: new TextEncoder().encode(JSON.stringify({ version: STORE_SCHEMA_VERSION + 1 })) }], { sync: false });
      await assert.rejects(new SottoStore(backend).open(), { name: 'SchemaVersionError' });
    });

    test('every value passes through the value codec (the hook for encryption at rest)', async () => {
      const backend = await make();
      const flip = (v: Uint8Array): Uint8Array => v.map((b) => b ^ 0xff);
      const store = await new SottoStore(backend, { encode: (_k, v) => flip(v), decode: (_k, v) => flip(v) }).open();
      await store.commit(new Tx().putProfile({ name: 'hidden' }), { sync: false });
      assert.deepEqual(await store.getProfile(), { name: 'hidden' });
      const raw = await backend.get('meta:profile');
      assert.ok(raw && !new TextDecoder().decode(raw).includes('hidden'), 'stored bytes are the codec\'s output');
      await store.close();
    });
  });
}

test('a level store can be held by one process at a time', async () => {
  const location = join(await tempDir(), 'db');
  const first = await openLevelStore(location);
  await assert.rejects(openLevelStore(location), { name: 'DatabaseLockedError' });
  await first.close();
  const again = await openLevelStore(location);
  await again.close();
});

test('close writes the commits queued before it, then refuses later ones with StoreClosedError', async () => {
  const backend = memoryBackend();
  const store = await new SottoStore(backend).open();
  const queued = store.commit(new Tx().putSeq(7), { sync: true });
  const closing = store.close();
  await assert.rejects(store.commit(new Tx().putSeq(8), { sync: true }), { name: 'StoreClosedError' });
  await queued;
  await closing;
  const reopened = await new SottoStore(backend).open();
  assert.equal(await reopened.getSeq(), 7);
});

test('a failed write fails that commit and every later one', async () => {
  const backend = memoryBackend();
  const store = await new SottoStore(backend).open();
  backend.batch = async () => {
    throw new Error('disk full');
  };
  await assert.rejects(store.commit(new Tx().putSeq(2), { sync: true }), /disk full/);
  await assert.rejects(store.commit(new Tx().putSeq(3), { sync: true }), /disk full/);
});
