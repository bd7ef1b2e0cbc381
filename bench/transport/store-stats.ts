/**
 * Write statistics of a SottoStore, for the transport benchmark's analysis:
 * how many transactions were committed, how many batches reached the
 * database (each synced one costs an fsync), and how many transactions each
 * batch carried (group commit).
 *
 * This is white-box: it wraps `batch` on the store's private `backend`
 * field. If the store's shape changes, {@link watchStoreWrites} returns
 * undefined and the benchmark reports the numbers as unavailable instead of
 * failing.
 */
import type { KvBackend } from '../../src/node/store/backend.ts';
import type { SottoStore } from '../../src/node/store/store.ts';
import { median } from '../stats.ts';

/** Totals since the last reset. */
export interface StoreWriteStats {
  /** Transactions handed to commit(), and how many of them asked for sync. */
  readonly commits: number;
  readonly syncCommits: number;
  /** Batches written to the database, and how many of them were synced. */
  readonly batches: number;
  readonly syncBatches: number;
  /** Transactions per batch: mean and largest. */
  readonly meanGroup: number;
  readonly maxGroup: number;
  /** Time spent inside the database's batch() (synced batches / all batches), ms. */
  readonly syncBatchMs: number;
  readonly batchMs: number;
  /** Median time of one synced batch, ms (0 when there was none). */
  readonly syncBatchP50Ms: number;
}

/** A live view of a store's writes. */
export interface StoreWatch {
  stats(): StoreWriteStats;
  reset(): void;
}

interface BatchRecord {
  group: number;
  sync: boolean;
  ms: number;
}

/** Starts counting the writes of `store`; undefined when its backend cannot be reached. */
export function watchStoreWrites(store: SottoStore): StoreWatch | undefined {
  const inner = store as unknown as { backend?: KvBackend; commit?: SottoStore['commit'] };
  const backend = inner.backend;
  if (!backend || typeof backend.batch !== 'function' || typeof inner.commit !== 'function') return undefined;

  let commits = 0;
  let syncCommits = 0;
  let batches: BatchRecord[] = [];
  // The batch in flight. A commit resolves right after its batch returns and
  // before the store starts the next one, so the commit's continuation sees
  // the batch that carried it.
  let current: BatchRecord | undefined;

  const batch = backend.batch.bind(backend);
  backend.batch = async (operations, options) => {
    const record: BatchRecord = { group: 0, sync: options.sync, ms: 0 };
    batches.push(record);
    current = record;
    const start = performance.now();
    try {
      await batch(operations, options);
    } finally {
      record.ms = performance.now() - start;
    }
  };
  const commit = store.commit.bind(store);
  store.commit = (tx, options) => {
    commits++;
    if (options.sync) syncCommits++;
    return commit(tx, options).then(() => {
      if (current) current.group++;
    });
  };

  return {
    stats: () => {
      const groups = batches.map((b) => b.group);
      const synced = batches.filter((b) => b.sync);
      return {
        commits,
        syncCommits,
        batches: batches.length,
        syncBatches: synced.length,
        meanGroup: batches.length === 0 ? 0 : groups.reduce((a, b) => a + b, 0) / batches.length,
        maxGroup: Math.max(0, ...groups),
        syncBatchMs: synced.reduce((a, b) => a + b.ms, 0),
        batchMs: batches.reduce((a, b) => a + b.ms, 0),
        syncBatchP50Ms: synced.length === 0 ? 0 : median(synced.map((b) => b.ms)),
      };
    },
    reset: () => {
      commits = 0;
      syncCommits = 0;
      batches = [];
      current = undefined;
    },
  };
}
