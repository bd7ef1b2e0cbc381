/**
 * Migration of a store from schema 1 to schema 2 (docs/PROTOCOL.md §16,
 * "Migration"), run by SottoStore.open.
 *
 * Schema 2 puts the identifiers of index records into their values (message
 * ids, envelope hashes, mailbox keys, item ids) and, in an encrypted home,
 * hashes them in the keys too (keys.ts). The migration rewrites those
 * records in batches of at most STORE_MIGRATION_BATCH_RECORDS records and
 * STORE_MIGRATION_BATCH_BYTES bytes, each one atomic write that deletes the
 * old records and puts their new form. The first write sets the schema to 2
 * with a `meta:migration` mark (so an older Sotto refuses the store instead
 * of misreading it); the last removes the mark. Every record tells by its
 * value which schema wrote it, so a migration cut short anywhere (kill -9,
 * a failed write) is finished by the next open, and redoing a batch changes
 * nothing. A record that cannot be read is left as it is: the migration
 * does not make it worse, and it stays a StoreCorruptError when read.
 */
import { STORE_MAX_MAIL_NAME_BYTES, STORE_MIGRATION_BATCH_BYTES, STORE_MIGRATION_BATCH_RECORDS } from '../constants.ts';
import type { KvBackend, KvOperation, ValueCodec } from './backend.ts';
import { decodeHeldMailV1, encodeHeldMail, heldMailVersion } from './held-mail.ts';
import { KEY, prefixRange, splitKey, type KeyNames } from './keys.ts';
import { encodeJson, encodeMailRef, encodeMessageIndex, encodeSeen } from './records.ts';

/** The storage schema a migration starts from. */
export const MIGRATION_FROM = 1;

/** Where a migration writes, and how much one batch may hold. */
export interface MigrationTarget {
  readonly backend: KvBackend;
  readonly values: ValueCodec;
  readonly names: KeyNames;
  /** The schema written by the first batch (the store's current one). */
  readonly schema: number;
  /** Batch bounds (tests use small ones); default STORE_MIGRATION_BATCH_RECORDS and STORE_MIGRATION_BATCH_BYTES. */
  readonly batchRecords?: number;
  readonly batchBytes?: number;
}

/** What to do with one stored record: nothing (already migrated, or unreadable), or these writes. */
type Step = readonly Write[] | undefined;
type Write = { readonly key: string; readonly value: Uint8Array | null };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The JSON object of a decrypted value, or undefined when it is not one. */
function json(value: Uint8Array): Record<string, unknown> | undefined {
  try {
    const o: unknown = JSON.parse(decoder.decode(value));
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a mailbox key or item id fits a version-2 held item (1..STORE_MAX_MAIL_NAME_BYTES bytes). */
function fitsHeldMail(name: string): boolean {
  const bytes = new TextEncoder().encode(name).length;
  return bytes >= 1 && bytes <= STORE_MAX_MAIL_NAME_BYTES;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Rewrites a schema-1 store in place (see the file comment). Resolves once
 * the store is in schema 2; rejects with the backend's error when a write
 * fails (the store is then left between batches, and the next open resumes).
 */
export async function migrateFromSchema1(target: MigrationTarget): Promise<void> {
  const { backend, values, names } = target;
  const decode = async (key: string, stored: Uint8Array): Promise<Uint8Array | undefined> => {
    try {
      return await values.decode(key, stored);
    } catch {
      return undefined;
    }
  };
  const put = async (key: string, value: Uint8Array): Promise<Write> => ({ key, value: await values.encode(key, value) });

  if ((await backend.get(names.physical(KEY.migration))) === undefined) {
    await backend.batch(
      [
        { type: 'put', key: names.physical(KEY.schema), value: await values.encode(names.physical(KEY.schema), encodeJson({ version: target.schema })) },
        { type: 'put', key: names.physical(KEY.migration), value: await values.encode(names.physical(KEY.migration), encodeJson({ from: MIGRATION_FROM })) },
      ],
      { sync: true },
    );
  }

  // msgid:<peer>:<id> {"seq"} → msgid:<peer>:<hashed id> {"seq","id"}
  await rewrite(target, 'msgid:', async (key, stored) => {
    const value = await decode(key, stored);
    const o = value && json(value);
    if (!o || 'id' in o || !isCount(o['seq'])) return undefined;
    const [peer, id] = splitKey(key.slice('msgid:'.length), 2) as [string, string];
    const next = `msgid:${peer}:${names.component(id)}`;
    return [{ key, value: null }, await put(next, encodeMessageIndex({ seq: o['seq'], id }))];
  });

  // seen:<peer>:<hash> {"at","messageId"} → seen:<peer>:<hashed hash> {"at","messageId","hash"}
  await rewrite(target, 'seen:', async (key, stored) => {
    const value = await decode(key, stored);
    const o = value && json(value);
    if (!o || 'hash' in o || !isCount(o['at']) || !(o['messageId'] === null || typeof o['messageId'] === 'string')) return undefined;
    const [peer, hash] = splitKey(key.slice('seen:'.length), 2) as [string, string];
    const next = `seen:${peer}:${names.component(hash)}`;
    return [{ key, value: null }, await put(next, encodeSeen(hash, { at: o['at'], messageId: o['messageId'] }))];
  });

  // mbox:<key>:<id> (held mail v1) → held mail v2 under hashed names, with its
  // two index entries rebuilt from the item's own times.
  await rewrite(target, 'mbox:', async (key, stored) => {
    const value = await decode(key, stored);
    if (!value || heldMailVersion(value) !== 1) return undefined;
    let held;
    try {
      held = decodeHeldMailV1(key, value);
    } catch {
      return undefined;
    }
    const [mailboxKey, id] = splitKey(key.slice('mbox:'.length), 2) as [string, string];
    if (!fitsHeldMail(mailboxKey) || !fitsHeldMail(id)) return undefined;
    const ref = encodeMailRef({ mailboxKey, id });
    return [
      { key, value: null },
      { key: KEY.mailExpiry(held.expiresAt, mailboxKey, id), value: null },
      { key: KEY.mailOrder(mailboxKey, held.storedAt, id), value: null },
      await put(names.physical(KEY.mail(mailboxKey, id)), encodeHeldMail({ ...held, mailboxKey, id })),
      await put(names.physical(KEY.mailExpiry(held.expiresAt, mailboxKey, id)), ref),
      await put(names.physical(KEY.mailOrder(mailboxKey, held.storedAt, id)), ref),
    ];
  });

  // Schema-1 index entries left without their item (empty values): dropped.
  for (const kind of ['mboxexp:', 'mboxord:']) {
    await rewrite(target, kind, async (key, stored) => ((await decode(key, stored))?.length === 0 ? [{ key, value: null }] : undefined));
  }

  await backend.batch([{ type: 'del', key: names.physical(KEY.migration) }], { sync: true });
}

/** Applies `step` to every record under the physical prefix `prefix`, in bounded atomic batches. */
async function rewrite(target: MigrationTarget, prefix: string, step: (key: string, stored: Uint8Array) => Promise<Step>): Promise<void> {
  const maxRecords = target.batchRecords ?? STORE_MIGRATION_BATCH_RECORDS;
  const maxBytes = target.batchBytes ?? STORE_MIGRATION_BATCH_BYTES;
  const range = prefixRange(prefix);
  let from = range.gte;
  for (;;) {
    // Later writes of a key replace earlier ones (in a home kept in clear a record keeps its key).
    const writes = new Map<string, Uint8Array | null>();
    let records = 0;
    let bytes = 0;
    let last: string | undefined;
    for await (const [key, stored] of target.backend.entries({ gte: from, lt: range.lt })) {
      last = key;
      const planned = await step(key, stored);
      if (!planned) continue;
      for (const { key: k, value } of planned) {
        writes.delete(k);
        writes.set(k, value);
        bytes += value?.length ?? 0;
      }
      if (++records >= maxRecords || bytes >= maxBytes) break;
    }
    if (writes.size > 0) {
      const ops: KvOperation[] = [...writes].map(([key, value]) => (value ? { type: 'put', key, value } : { type: 'del', key }));
      await target.backend.batch(ops, { sync: false });
    }
    if (last === undefined || (records < maxRecords && bytes < maxBytes)) return;
    from = `${last}\u0000`;
  }
}
