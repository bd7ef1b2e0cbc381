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
import { chunkCount, chunkPlainBytes, fileIdOf, sealChunk } from '../../src/crypto/file-cipher.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import type { FileDescriptor } from '../../src/node/files/types.ts';
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
/** File stores, then level stores, to close before their folders go. */
const fileStores: SealedFiles[] = [];
const stores: SottoStore[] = [];

/** Keeps `files` to close at the end. */
function kept<S extends SealedFiles>(files: S): S {
  fileStores.push(files);
  return files;
}

/** A temporary folder, deleted by {@link removeTempDirs}. */
export async function tempDir(prefix = 'sotto-files-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Closes every file store and store made here, then deletes every temporary folder. */
export async function removeTempDirs(): Promise<void> {
  for (const files of fileStores.splice(0)) await files.close();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A home's file store: `files/` on disk, records in classic-level, kept in clear. */
export const diskFileStore: FileStoreMaker<FileStore> = async (ctx, options = {}) => {
  const home = await tempDir();
  const db = new ClassicLevel<string, Uint8Array>(join(home, 'db'), { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const store = await new SottoStore(levelBackend(db as never)).open();
  stores.push(store);
  const dir = join(home, 'files');
  const make = async (o: StoreOptions) => kept(await FileStore.open({ store, ctx, dir, ...o }));
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
  stores.push(store);
  const make = async (o: StoreOptions) => kept(new LevelFileStore({ store, ctx, ...o }));
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

/** A file sealed chunk by chunk from a pattern, never whole in memory: its descriptor and its sealed chunks. */
export interface SealedPattern {
  readonly descriptor: FileDescriptor;
  /** Plaintext chunk `index`. */
  plain(index: number): Uint8Array;
  /** Sealed chunk `index`. */
  sealed(index: number): Uint8Array;
}

/** A deterministic file of `size` bytes (per `seed`) sealed under a key made from `seed`, one chunk in memory at a time. */
export function sealedPattern(primitives: Primitives, size: number, seed: number): SealedPattern {
  const key = primitives.sha256(new TextEncoder().encode(`file key ${seed}`));
  const n = chunkCount(size);
  const plain = (i: number) => patternBytes(chunkPlainBytes(size, i), seed * 1_000_003 + i);
  const sealed = (i: number) => sealChunk(primitives, key, size, i, plain(i));
  const manifest = new Uint8Array(n * 32);
  const hasher = primitives.sha256Hasher();
  for (let i = 0; i < n; i++) {
    const p = plain(i);
    hasher.update(p);
    manifest.set(primitives.sha256(sealChunk(primitives, key, size, i, p)), i * 32);
  }
  const descriptor: FileDescriptor = { name: `pattern-${seed}.bin`, type: '', size, sha256: hasher.digest(), fileId: fileIdOf(primitives, size, manifest), key, inline: new Uint8Array(0) };
  return { descriptor, plain, sealed };
}

/** 0..n-1 in a fixed scattered order (a stride coprime with n), as chunks arrive from several holders. */
export function scatteredOrder(n: number): number[] {
  let stride = Math.max(1, Math.floor(n / 3) + 1);
  while (gcd(stride, n) !== 1) stride++;
  return Array.from({ length: n }, (_, i) => (i * stride) % n);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
