/**
 * Migration of a store from schema 1 to schema 2 (docs/PROTOCOL.md §16,
 * "Migration"): every record reads back the same, no identifier stays in an
 * encrypted home's keys, batches are bounded, and a migration cut short at
 * any batch (a failed write, or kill -9 of a real process on classic-level)
 * leaves a store that the next open finishes.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { STORE_MIGRATION_BATCH_BYTES, STORE_MIGRATION_BATCH_RECORDS } from '../../src/node/constants.ts';
import { atRestCodecs } from '../../src/node/store/at-rest.ts';
import { levelBackend, memoryBackend, plainValues, type KvBackend, type KvOperation, type ValueCodec } from '../../src/node/store/backend.ts';
import { plainNames, type KeyNames } from '../../src/node/store/keys.ts';
import { migrateFromSchema1 } from '../../src/node/store/migrate.ts';
import { SottoStore, STORE_SCHEMA_VERSION } from '../../src/node/store/store.ts';
import { testContext } from '../helpers/context.ts';
import { MIGRATION_DATA_KEY_LABEL, writeSchema1Store, type Schema1Content } from '../helpers/schema1.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** More records than one batch takes, so that every pass needs several. */
const SIZE = { messages: 300, mail: STORE_MIGRATION_BATCH_RECORDS + 100 };
/** A small store and small batches, to cut a migration short at each of its many batches. */
const SMALL = { messages: 20, mail: 40 };
const SMALL_BATCH = 8;
/** Writes of one held item in a migration batch (the item and its two index entries, old and new). */
const WRITES_PER_ITEM = 6;

class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

type Codecs = { values: ValueCodec; names: KeyNames };

function encryptedCodecs(): Codecs {
  return atRestCodecs(testContext('migration'), testContext(MIGRATION_DATA_KEY_LABEL).randomBytes(32));
}

const VARIANTS: [string, () => Codecs][] = [
  ['encrypted home', encryptedCodecs],
  ['home kept in clear', () => ({ values: plainValues, names: plainNames })],
];

/** Every batch written, and a failure injected at batch `failAt` (1-based; none when undefined). */
function recording(backend: KvBackend, failAt?: number): KvBackend & { readonly batches: (readonly KvOperation[])[] } {
  const batches: (readonly KvOperation[])[] = [];
  return {
    ...backend,
    batches,
    batch: async (ops, options) => {
      if (batches.length + 1 === failAt) throw new InjectedFault('injected write failure');
      batches.push(ops);
      return backend.batch(ops, options);
    },
  };
}

async function dump(backend: KvBackend): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const [key, value] of backend.entries({ gte: '', lt: '\uffff' })) out.set(key, Buffer.from(value).toString('hex'));
  return out;
}

const byId = <T extends { id: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** Asserts that `store` reads back exactly what the schema-1 fixture held, in schema 2. */
async function assertMigrated(store: SottoStore, backend: KvBackend, content: Schema1Content, encrypted: boolean): Promise<void> {
  assert.equal(await store.schemaState(), 'current');
  for (const peerId of content.peers) {
    const messages = content.messages.filter((m) => m.peerId === peerId);
    assert.deepEqual(await store.listMessages(peerId), messages);
    assert.deepEqual((await store.listMessageIds(peerId)).sort(), messages.map((m) => m.id).sort());
    for (const m of messages.slice(0, 20)) assert.deepEqual(await store.getMessage(peerId, m.id), m);
    const seen = content.seen.filter((s) => s.peerId === peerId).map(({ hash, record }) => ({ hash, record }));
    assert.deepEqual((await store.listSeen(peerId)).sort((a, b) => (a.hash < b.hash ? -1 : 1)), [...seen].sort((a, b) => (a.hash < b.hash ? -1 : 1)));
    assert.deepEqual(await store.getSeen(peerId, seen[0]!.hash), seen[0]!.record);
  }
  for (const mailboxKey of new Set(content.mail.map((m) => m.mailboxKey))) {
    const held = content.mail.filter((m) => m.mailboxKey === mailboxKey);
    assert.deepEqual(await store.listMail(mailboxKey, Number.MAX_SAFE_INTEGER), held.map(({ id, held }) => ({ id, held })), 'deposit order');
  }
  const scanned = [];
  for await (const item of store.scanMail()) scanned.push(item);
  assert.deepEqual(byId(scanned), byId(content.mail.map(({ mailboxKey, id, held }) => ({ mailboxKey, id, bytes: held.item.length, storedAt: held.storedAt, expiresAt: held.expiresAt, stranger: false }))), 'schema-1 mail was deposited before passes: not stranger mail');
  assert.deepEqual(await store.mailOrderIds(), new Set(content.mail.map((m) => `${m.mailboxKey}:${m.id}`)), 'the item without a deposit-order entry got one');
  const expired = await store.listExpiredMail(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  assert.deepEqual(byId(expired), byId(content.mail.map(({ mailboxKey, id, held }) => ({ mailboxKey, id, expiresAt: held.expiresAt }))), 'every item expires once; the orphan expiry entry is gone');
  const keys = [...(await dump(backend)).keys()];
  assert.ok(!keys.includes('meta:migration'));
  if (encrypted) {
    const all = keys.join('\n');
    const ids = [...content.peers, ...content.messages.map((m) => m.id), ...content.seen.map((s) => s.hash), ...content.mail.flatMap((m) => [m.mailboxKey, m.id])];
    for (const id of ids) assert.ok(!all.includes(id), `no key contains ${id}`);
  }
}

for (const [variant, codecs] of VARIANTS) {
  describe(`migration from schema 1: ${variant}`, () => {
    test('every record reads back the same, in bounded batches', async () => {
      const { values, names } = codecs();
      const backend = recording(memoryBackend());
      const content = await writeSchema1Store(backend, values, names, SIZE);
      backend.batches.length = 0;
      const store = await new SottoStore(backend, values, names).open();
      await assertMigrated(store, backend, content, variant.startsWith('encrypted'));
      assert.ok(backend.batches.length > 4, 'the migration took several batches');
      for (const ops of backend.batches) {
        assert.ok(ops.length <= STORE_MIGRATION_BATCH_RECORDS * WRITES_PER_ITEM, `a batch of ${ops.length} writes`);
        const bytes = ops.reduce((n, op) => n + (op.type === 'put' ? op.value.length : 0), 0);
        assert.ok(bytes <= STORE_MIGRATION_BATCH_BYTES, `a batch of ${bytes} bytes`);
      }
      // Opening again changes nothing.
      const before = await dump(backend);
      await new SottoStore(backend, values, names).open();
      assert.deepEqual(await dump(backend), before);
    });

    test('a write failing at any batch leaves a store the next open finishes', async () => {
      const { values, names } = codecs();
      const migrate = (backend: KvBackend) => migrateFromSchema1({ backend, values, names, schema: STORE_SCHEMA_VERSION, batchRecords: SMALL_BATCH });
      const probe = memoryBackend();
      await writeSchema1Store(probe, values, names, SMALL);
      const counted = recording(probe);
      await migrate(counted);
      assert.ok(counted.batches.length > 12, `${counted.batches.length} batches`);
      for (let failAt = 1; failAt <= counted.batches.length; failAt++) {
        const inner = memoryBackend();
        const content = await writeSchema1Store(inner, values, names, SMALL);
        const before = await dump(inner);
        await assert.rejects(migrate(recording(inner, failAt)), { name: 'InjectedFault' });
        if (failAt === 1) assert.deepEqual(await dump(inner), before, 'a failed first batch changes nothing');
        else assert.equal(await new SottoStore(inner, values, names).schemaState(), 'migrate', 'marked as under way (and schema 2, which an older Sotto refuses)');
        const store = await new SottoStore(inner, values, names).open();
        await assertMigrated(store, inner, content, variant.startsWith('encrypted'));
      }
    });
  });
}

test('a store of a schema after the current one is refused before any migration', async () => {
  const backend = memoryBackend();
  await backend.batch([{ type: 'put', key: 'meta:schema', value: new TextEncoder().encode(JSON.stringify({ version: STORE_SCHEMA_VERSION + 1 })) }], { sync: true });
  const before = await dump(backend);
  await assert.rejects(new SottoStore(backend).open(), { name: 'SchemaVersionError' });
  assert.deepEqual(await dump(backend), before);
});

test('kill -9 during a migration on disk (classic-level): the next open finishes it', { timeout: 60_000 }, async () => {
  const location = join(await mkdtemp(join(tmpdir(), 'sotto-migration-')), 'db');
  dirs.push(location);
  const { values, names } = encryptedCodecs();
  const db = new ClassicLevel<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const content = await writeSchema1Store(levelBackend(db as never), values, names, SIZE);
  await db.close();

  // The child migrates and kills itself with SIGKILL right after its 4th batch is written (mid-way through the seen marks).
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../helpers/migration-child.ts', import.meta.url)), location, '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  assert.equal(signal, 'SIGKILL', `the child was killed mid-migration (exit ${code}: ${stderr})`);

  const reopened = new ClassicLevel<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await reopened.open();
  const backend = levelBackend(reopened as never);
  assert.equal(await new SottoStore(backend, values, names).schemaState(), 'migrate');
  const store = await new SottoStore(backend, values, names).open();
  await assertMigrated(store, backend, content, true);
  await store.close();
});

test('a record that does not decode is left as it is by the migration, and stays a StoreCorruptError', async () => {
  const { values, names } = encryptedCodecs();
  const backend = memoryBackend();
  const content = await writeSchema1Store(backend, values, names, { messages: 3, mail: 3 });
  const keys = [...(await dump(backend)).keys()];
  const msgid = keys.find((k) => k.startsWith('msgid:'))!;
  const mbox = keys.find((k) => k.startsWith('mbox:'))!;
  await backend.batch(
    [
      { type: 'put', key: msgid, value: Uint8Array.of(1, 2, 3) },
      { type: 'put', key: mbox, value: await values.encode(mbox, Uint8Array.of(9, 9)) },
    ],
    { sync: true },
  );
  const corrupt = await dump(backend);
  const store = await new SottoStore(backend, values, names).open();
  const after = await dump(backend);
  assert.equal(after.get(msgid), corrupt.get(msgid));
  assert.equal(after.get(mbox), corrupt.get(mbox));
  await assert.rejects(Promise.all(content.peers.map((peerId) => store.listMessageIds(peerId))), { name: 'StoreCorruptError' });
  await assert.rejects(
    (async () => {
      for await (const _ of store.scanMail());
    })(),
    { name: 'StoreCorruptError' },
  );
  assert.equal(await store.schemaState(), 'current');
});
