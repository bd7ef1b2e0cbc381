/**
 * File stores for the contract tests (test/node/file-store.test.ts): a
 * home's (chunks on disk, records in classic-level) and a page's (chunks and
 * records in memory-level, as browser-level, encrypted at rest), each with a
 * way to reopen it over the same records as a restarted process would, and
 * to count what it keeps of chunks.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { FileStore } from '../../src/node/files/file-store.ts';
import { LevelFileStore } from '../../src/node/files/level-file-store.ts';
import type { SealedFiles, SealedFilesInit } from '../../src/node/files/sealed-files.ts';
import { atRestCodecs } from '../../src/node/store/at-rest.ts';
import { levelBackend, type KvBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import type { FileSystem } from '../../src/node/files/disk-chunks.ts';

/** Options of a file store under test. */
export type StoreOptions = Omit<SealedFilesInit, 'store' | 'chunks' | 'ctx'> & { readonly fs?: FileSystem };

/** One file store under test. */
export interface FileStoreUnderTest<S extends SealedFiles = SealedFiles> {
  readonly files: S;
  readonly store: SottoStore;
  /** A new file store over the same records and chunks (the old one is dropped as a killed process would drop it). */
  reopen(options?: StoreOptions): Promise<S>;
  /** How many chunk files (disk) or chunk records (page) are kept. */
  chunkArtefacts(): Promise<number>;
}

/** Makes a file store of one kind; `ctx` seals. */
export type FileStoreMaker<S extends SealedFiles = SealedFiles> = (ctx: CryptoContext, options?: StoreOptions) => Promise<FileStoreUnderTest<S>>;

const dirs: string[] = [];

/** A temporary folder, deleted by {@link removeTempDirs}. */
export async function tempDir(prefix = 'sotto-files-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Deletes every temporary folder made here. */
export async function removeTempDirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A home's file store: `files/` on disk, records in classic-level, kept in clear. */
export const diskFileStore: FileStoreMaker<FileStore> = async (ctx, options = {}) => {
  const home = await tempDir();
  const db = new ClassicLevel<string, Uint8Array>(join(home, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const store = await new SottoStore(levelBackend(db as never)).open();
  const dir = join(home, 'files');
  const make = (o: StoreOptions) => FileStore.open({ store, ctx, dir, ...o });
  return {
    files: await make(options),
    store,
    reopen: (o = options) => make(o),
    chunkArtefacts: async () => (await readdir(dir)).filter((f) => f.endsWith('.chunks')).length,
  };
};

/** A page's file store: records and chunks in memory-level (as browser-level), encrypted at rest. */
export const levelFileStore: FileStoreMaker<LevelFileStore> = async (ctx, options = {}) => {
  const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const backend: KvBackend = levelBackend(db as never);
  const { values, names } = atRestCodecs(ctx, ctx.randomBytes(32));
  const store = await new SottoStore(backend, values, names).open();
  const make = async (o: StoreOptions) => new LevelFileStore({ store, ctx, ...o });
  return {
    files: await make(options),
    store,
    reopen: (o = options) => make(o),
    chunkArtefacts: async () => {
      let n = 0;
      for await (const _key of db.keys({ gte: 'fchunk:', lt: 'fchunk;' })) n++;
      return n;
    },
  };
};

/** `length` bytes of a pattern that differs per `seed` and per position (no two chunks alike). */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
