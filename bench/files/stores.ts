/**
 * The stores the files benchmark can run on (`--store NAME`), each a
 * holder's side (a sealed file it serves as FileHoldings) and a fetcher's
 * side (a FetchTarget per fetch). Both cases of the benchmark, /sotto/file
 * and the bare stream, read through the same holdings and write through the
 * same target, so only the transfer differs. To measure another store
 * (the home's file store), add it here.
 */
import type { Bytes } from '../../src/crypto/bytes.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import type { FetchTarget, FileHoldings } from '../../src/node/files/types.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { diskStore } from './disk-store.ts';
import { homeTarget } from './home-store.ts';

/** A holder's sealed file. */
export interface BenchHolding {
  readonly fileId: string;
  readonly size: number;
  /** Serves the file to the peers `allow` admitted. */
  readonly holdings: FileHoldings;
  allow(peerId: string): void;
  close(): Promise<void>;
}

/** A fetcher's incoming file. */
export interface BenchTarget extends FetchTarget {
  /** Sealed chunk `index` as written (to check a quick run). */
  readBack(index: number): Promise<Bytes>;
  /** Closes and deletes it. */
  discard(): Promise<void>;
}

/** A store of the benchmark. */
export interface BenchStore {
  /** Seals `size` bytes (`pattern` repeated, its content does not matter once sealed) under `key` into `dir`. */
  hold(dir: string, primitives: Primitives, size: number, key: Bytes, pattern: Bytes): Promise<BenchHolding>;
  /** An incoming file in `dir`: new and empty, or (a store that keeps it) resumed. */
  target(dir: string, fileId: string, size: number, ctx: CryptoContext): Promise<BenchTarget>;
}

/** The stores by name; the first is the default. */
export const BENCH_STORES: Readonly<Record<string, BenchStore>> = {
  disk: diskStore,
  /** The fetcher writes into the home's FileStore (flushed and recorded per window), as a running node does. */
  home: { hold: diskStore.hold, target: (dir, fileId, size, ctx) => homeTarget(dir, ctx, fileId, size) },
};
