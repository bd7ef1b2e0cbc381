/**
 * The key-value backend under Sotto's store: string keys, byte values,
 * atomic batches, ordered range reads. Two implementations: any
 * abstract-level database (classic-level in Node, browser-level in browsers,
 * memory-level in tests) and a plain in-memory map.
 *
 * Every value passes through a {@link ValueCodec} on its way in and out, so
 * that encryption at rest can wrap every stored value without the record
 * stores knowing.
 */
import type { AbstractLevel } from 'abstract-level';

/** One write in an atomic batch. */
export type KvOperation = { readonly type: 'put'; readonly key: string; readonly value: Uint8Array } | { readonly type: 'del'; readonly key: string };

/** An ordered range of keys: gte <= key < lt. */
export interface KvRange {
  readonly gte: string;
  readonly lt: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** Transforms every stored value (identity by default; at-rest encryption later). */
export interface ValueCodec {
  encode(key: string, value: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decode(key: string, stored: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Stores values as they are. */
export const plainValues: ValueCodec = { encode: (_key, value) => value, decode: (_key, stored) => stored };

/** What the store needs from a database. */
export interface KvBackend {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Several values in one read, in the order of `keys` (undefined where there is none). */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** Applies all operations or none; `sync` waits until they are on disk. */
  batch(operations: readonly KvOperation[], options: { sync: boolean }): Promise<void>;
  /** Entries in key order (or reverse) within the range. */
  entries(range: KvRange): AsyncIterable<[string, Uint8Array]>;
  close(): Promise<void>;
}

/** A backend over an abstract-level database with string keys and byte values. */
export function levelBackend(db: AbstractLevel<string | Uint8Array, string, Uint8Array>): KvBackend {
  return {
    get: async (key) => (await db.get(key)) ?? undefined,
    getMany: async (keys) => (keys.length === 0 ? [] : (await db.getMany([...keys])).map((v) => v ?? undefined)),
    batch: async (operations, { sync }) => {
      if (operations.length === 0) return;
      await db.batch(operations.map((op) => (op.type === 'put' ? { type: 'put' as const, key: op.key, value: op.value } : { type: 'del' as const, key: op.key })), { sync } as object);
    },
    entries: (range) => db.iterator({ gte: range.gte, lt: range.lt, limit: range.limit ?? -1, reverse: range.reverse ?? false }),
    close: () => db.close(),
  };
}

/** A backend in memory (tests, and a node that keeps nothing). */
export function memoryBackend(): KvBackend {
  const map = new Map<string, Uint8Array>();
  return {
    get: async (key) => map.get(key),
    getMany: async (keys) => keys.map((key) => map.get(key)),
    batch: async (operations) => {
      for (const op of operations) {
        if (op.type === 'put') map.set(op.key, new Uint8Array(op.value));
        else map.delete(op.key);
      }
    },
    entries: async function* (range) {
      const keys = [...map.keys()].filter((k) => k >= range.gte && k < range.lt).sort();
      if (range.reverse) keys.reverse();
      let n = 0;
      for (const key of keys) {
        if (range.limit !== undefined && range.limit >= 0 && n++ >= range.limit) return;
        const value = map.get(key);
        if (value) yield [key, new Uint8Array(value)];
      }
    },
    close: async () => {},
  };
}
