/**
 * The part of a file store that does not care where chunks live
 * (docs/FILES.md, "Kept encrypted", "Resumable"): it seals a file once under
 * a fresh key while computing its manifest, id and digest; keeps per file a
 * record (descriptor, audience, state, the messages that reference it), the
 * manifest and a bitmap of the chunks written; serves holders
 * ({@link FileHoldings}) and fetches ({@link FetchTarget}); checks a whole
 * file before calling it complete; and deletes a file when the last message
 * that references it goes.
 *
 * Write, then record: a chunk's bit reaches the store only after its bytes
 * were written and flushed, and bits are recorded once per window
 * (FILE_WINDOW_CHUNKS chunks) in one commit, so a crash loses at most the
 * chunks of one window per file, which are fetched again.
 */
import { equalBytes, fromHex, toHex, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { AuthenticationError } from '../../crypto/errors.ts';
import { FILE_HASH_BYTES, FILE_KEY_BYTES } from '../../crypto/constants.ts';
import { chunkCount, chunkMatches, chunkPlainBytes, chunkSealedBytes, checkFileSize, fileIdOf, openChunk, sealChunk } from '../../crypto/file-cipher.ts';
import { FILE_CHUNK_BYTES, FILE_INLINE_MAX_BYTES, FILE_MAX_BYTES, FILE_WINDOW_CHUNKS, FILES_DEFAULT_QUOTA_BYTES } from '../constants.ts';
import { toBase64, fromBase64 } from '../encoding/base64.ts';
import { FileDigestError, FileDiskFullError, FileNotCompleteError, FileQuotaError, FileTooLargeError, UnknownFileError } from '../errors.ts';
import type { FileRecord } from '../store/file-records.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import { allChunks, clearChunk, emptyBitmap, fullBitmap, hasChunk, heldBytes, missingChunks, setChunk } from './chunk-bitmap.ts';
import type { ChunkSpace } from './chunk-space.ts';
import { checkFileName, mediaTypeOf } from './file-name.ts';
import type { FetchTarget, FileAudience, FileDescriptor, FileHoldings, FileIdHex, FileState } from './types.ts';

/** What a file store is made of. */
export interface SealedFilesInit {
  readonly store: SottoStore;
  readonly ctx: CryptoContext;
  readonly chunks: ChunkSpace;
  /** Bytes of received files kept at most (`sotto config set files-quota SIZE`); FILES_DEFAULT_QUOTA_BYTES by default. */
  readonly quotaBytes?: number;
  /** Whether `peerId` is a current member of group `groupId` (who may fetch a group's files); none by default. */
  readonly isGroupMember?: (groupId: string, peerId: string) => Promise<boolean>;
}

/** Reads plaintext chunk `index` of a file being imported: exactly `length` bytes. */
export type ChunkReader = (index: number, length: number) => Promise<Bytes>;

/** A file being written or served: its record and which chunks are written (recorded or not yet). */
interface OpenFile {
  record: FileRecord;
  readonly chunks: number;
  readonly bitmap: Uint8Array;
  /** Chunks written whose bits are not recorded yet. */
  unrecorded: number[];
  /** The last recording of bits, to chain the next after. */
  recording: Promise<void>;
  /** Set when the file is deleted: a write still under way then deletes what it wrote and records nothing. */
  deleted?: boolean;
}

/** Chunk `index` of a file held does not open under its key (or its bytes are not all there). */
class UnreadableChunkError extends Error {
  constructor(readonly index: number) {
    super(`chunk ${index} does not open`);
  }
}

/** A write error that means the disk (or the user's disk quota) is full. */
function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || (err as { name?: unknown } | null)?.name === 'QuotaExceededError';
}

/** The descriptor fields a record keeps, as a descriptor (no inline chunk). */
export function descriptorOf(record: FileRecord): FileDescriptor {
  return { name: record.name, type: record.type, size: record.size, sha256: fromHex(record.sha256), fileId: fromHex(record.id), key: fromBase64(record.key), inline: new Uint8Array(0) };
}

/** A file store over a chunk space: records, bitmaps, targets, holdings, verification. */
export class SealedFiles implements FileHoldings {
  protected readonly store: SottoStore;
  protected readonly ctx: CryptoContext;
  protected readonly chunks: ChunkSpace;
  private readonly quotaBytes: number;
  private readonly isGroupMember: (groupId: string, peerId: string) => Promise<boolean>;
  private readonly files = new Map<FileIdHex, Promise<OpenFile | undefined>>();
  private readonly locks = new Map<FileIdHex, Promise<unknown>>();

  constructor(init: SealedFilesInit) {
    this.store = init.store;
    this.ctx = init.ctx;
    this.chunks = init.chunks;
    this.quotaBytes = init.quotaBytes ?? FILES_DEFAULT_QUOTA_BYTES;
    this.isGroupMember = init.isGroupMember ?? (async () => false);
  }

  /** Runs `fn` after every earlier locked call for the same file (record read-modify-writes never interleave). */
  private locked<T>(id: FileIdHex, fn: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  /** The open state of a file, loaded once from its records; undefined when no file `id` is held. */
  private open(id: FileIdHex): Promise<OpenFile | undefined> {
    let file = this.files.get(id);
    if (!file) {
      file = (async () => {
        const record = await this.store.getFile(id);
        if (!record) return undefined;
        const chunks = chunkCount(record.size);
        const stored = await this.store.getFileBitmap(id);
        const bitmap = emptyBitmap(chunks);
        if (stored) bitmap.set(stored.subarray(0, bitmap.length));
        // Chunks written after the last flush: kept when their bytes match the manifest (a kill -9 loses none; a power loss may).
        const unrecorded = record.state === 'incomplete' ? await this.checkWritten(id, record.size, chunks, bitmap) : [];
        return { record, chunks, bitmap, unrecorded, recording: Promise.resolve() };
      })();
      const loading = file;
      this.files.set(id, loading);
      // A file not held (or not readable) is not cached: a later record is loaded afresh.
      const forget = () => this.files.get(id) === loading && this.files.delete(id);
      loading.then((f) => f ?? forget(), forget);
    }
    return file;
  }

  /** Sets in `bitmap` the chunks of the fbitw: record whose bytes are there and match the manifest; returns them. */
  private async checkWritten(id: FileIdHex, size: number, chunks: number, bitmap: Uint8Array): Promise<number[]> {
    const written = await this.store.getFileWritten(id);
    const manifest = written ? await this.store.getFileManifest(id) : undefined;
    if (!written || !manifest) return [];
    const kept: number[] = [];
    for (let i = 0; i < chunks; i++) {
      if (!hasChunk(written, i) || hasChunk(bitmap, i)) continue;
      const sealed = await this.chunks.read(id, i, chunkSealedBytes(size, i));
      if (sealed && chunkMatches(this.ctx.primitives, manifest, i, sealed)) {
        setChunk(bitmap, i);
        kept.push(i);
      }
    }
    return kept;
  }

  private async require(id: FileIdHex): Promise<OpenFile> {
    const file = await this.open(id);
    if (!file) throw new UnknownFileError(id);
    return file;
  }

  private async putRecord(file: OpenFile, record: FileRecord): Promise<void> {
    await this.store.commit(new Tx().putFile(record), { sync: true });
    file.record = record;
  }

  /** Records that the contact of sent file `id` holds every chunk (FileRecord.delivered). */
  markDelivered(id: FileIdHex): Promise<void> {
    return this.locked(id, async () => {
      const file = await this.open(id);
      if (file && file.record.delivered !== true) await this.putRecord(file, { ...file.record, delivered: true });
    });
  }

  /** The record of file `id`, if it is held. */
  async record(id: FileIdHex): Promise<FileRecord | undefined> {
    return (await this.open(id))?.record;
  }

  // Sending: import.

  /**
   * Seals a file of `size` bytes read chunk by chunk through `read` (one
   * chunk in memory at a time) under a fresh key, keeps the sealed copy, and
   * returns its descriptor. `check`, called after the last chunk, throws when
   * the source changed. Throws FileNameError, FileTooLargeError,
   * FileDiskFullError and what `read`/`check` throw; nothing is left behind
   * then.
   */
  protected async importChunks(name: string, size: number, read: ChunkReader, audience: FileAudience, check: () => Promise<void> = async () => {}): Promise<FileDescriptor> {
    checkFileName(name);
    if (!Number.isSafeInteger(size) || size > FILE_MAX_BYTES) throw new FileTooLargeError(size, FILE_MAX_BYTES);
    checkFileSize(size);
    const { primitives } = this.ctx;
    const key = this.ctx.randomBytes(FILE_KEY_BYTES);
    const temporary = `import-${toHex(this.ctx.randomBytes(16))}`;
    const n = chunkCount(size);
    const manifest = new Uint8Array(n * FILE_HASH_BYTES);
    const hasher = primitives.sha256Hasher();
    let inline: Bytes = new Uint8Array(0);
    try {
      for (let i = 0; i < n; i++) {
        const plain = await read(i, chunkPlainBytes(size, i));
        hasher.update(plain);
        const sealed = sealChunk(primitives, key, size, i, plain);
        manifest.set(primitives.sha256(sealed), i * FILE_HASH_BYTES);
        await this.chunks.write(temporary, i, sealed);
        if (size <= FILE_INLINE_MAX_BYTES) inline = sealed;
      }
      await check();
      const fileId = fileIdOf(primitives, size, manifest);
      const id = toHex(fileId);
      await this.chunks.flush(temporary);
      await this.chunks.rename(temporary, id, n);
      const sha256 = hasher.digest();
      const record: FileRecord = { id, name, type: mediaTypeOf(name), size, sha256: toHex(sha256), key: toBase64(key), audience, origin: 'sent', state: 'complete', messages: [] };
      await this.store.commit(new Tx().putFile(record).putFileManifest(id, manifest).putFileBitmap(id, fullBitmap(n)), { sync: true });
      return { name, type: record.type, size, sha256, fileId, key, inline };
    } catch (err) {
      await this.chunks.remove(temporary, n).catch(() => undefined);
      if (isDiskFull(err)) throw new FileDiskFullError(name, 'import');
      throw err;
    }
  }

  /** Seals `bytes` as a file called `name` (a page's attachment). See importChunks. */
  importBytes(name: string, bytes: Bytes, audience: FileAudience): Promise<FileDescriptor> {
    return this.importChunks(name, bytes.length, async (index, length) => bytes.subarray(index * FILE_CHUNK_BYTES, index * FILE_CHUNK_BYTES + length), audience);
  }

  /** Records that message `messageId` references file `id` (a sent file, once its message exists). Throws UnknownFileError. */
  attach(id: FileIdHex, messageId: string): Promise<void> {
    return this.locked(id, async () => {
      const file = await this.require(id);
      if (!file.record.messages.includes(messageId)) await this.putRecord(file, { ...file.record, messages: [...file.record.messages, messageId] });
    });
  }

  // Receiving: targets.

  /**
   * The fetch target of a file described in message `messageId`: creates its
   * record (state pending) the first time, reserving its size against the
   * quota, or adds the message to an existing one. Throws FileQuotaError
   * (nothing is recorded). An inline chunk is not written here: the caller
   * checks it and writes it as chunk 0 with the manifest SHA-256(chunk).
   */
  target(descriptor: FileDescriptor, audience: FileAudience, messageId: string): Promise<FetchTarget> {
    const id = toHex(descriptor.fileId);
    return this.locked(id, async () => {
      const file = await this.open(id);
      if (file) {
        if (!file.record.messages.includes(messageId)) await this.putRecord(file, { ...file.record, messages: [...file.record.messages, messageId] });
        return this.fetchTarget(id, file.record.size);
      }
      checkFileName(descriptor.name);
      checkFileSize(descriptor.size);
      for (const [what, bytes, length] of [['file id', descriptor.fileId, FILE_HASH_BYTES], ['digest', descriptor.sha256, FILE_HASH_BYTES], ['key', descriptor.key, FILE_KEY_BYTES]] as const) {
        if (bytes.length !== length) throw new RangeError(`a file's ${what} is ${length} bytes, not ${bytes.length}`);
      }
      const { usedBytes } = await this.usage();
      if (usedBytes + descriptor.size > this.quotaBytes) throw new FileQuotaError(this.quotaBytes, usedBytes, descriptor.size);
      const record: FileRecord = {
        id,
        name: descriptor.name,
        type: descriptor.type,
        size: descriptor.size,
        sha256: toHex(descriptor.sha256),
        key: toBase64(descriptor.key),
        audience,
        origin: 'received',
        state: 'incomplete',
        messages: [messageId],
      };
      this.files.delete(id);
      await this.store.commit(new Tx().putFile(record), { sync: true });
      return this.fetchTarget(id, descriptor.size);
    });
  }

  /**
   * Keeps the file carried inside message `messageId` (a descriptor whose
   * `inline` is its one sealed chunk, docs/PROTOCOL.md §25) and checks it:
   * the chunk must make the file id, open, and give D. Returns the file's
   * state: `complete`, or `failed` when the chunk opens to another digest
   * or does not open. Throws RangeError for a descriptor without an inline
   * chunk or whose chunk does not make its file id (the message is to be
   * refused; nothing is recorded), and what target() throws.
   */
  async storeInline(descriptor: FileDescriptor, audience: FileAudience, messageId: string): Promise<FileState> {
    if (descriptor.inline.length === 0 || chunkCount(descriptor.size) !== 1) throw new RangeError('the descriptor carries no inline chunk');
    const manifest = this.ctx.primitives.sha256(descriptor.inline);
    if (!equalBytes(fileIdOf(this.ctx.primitives, descriptor.size, manifest), descriptor.fileId)) throw new RangeError('the inline chunk does not make the file id');
    const target = await this.target(descriptor, audience, messageId);
    if (!(await target.manifest())) await target.putManifest(manifest);
    if ((await target.missing()).length > 0) await target.writeChunk(0, descriptor.inline);
    return this.verify(target.fileId);
  }

  private fetchTarget(id: FileIdHex, size: number): FetchTarget {
    return {
      fileId: id,
      size,
      manifest: () => this.manifest(id),
      putManifest: async (manifest) => {
        if (toHex(fileIdOf(this.ctx.primitives, size, manifest)) !== id) throw new RangeError(`the manifest is not that of file ${id}`);
        await this.store.commit(new Tx().putFileManifest(id, manifest), { sync: false });
      },
      missing: async () => {
        const file = await this.require(id);
        return missingChunks(file.bitmap, file.chunks);
      },
      writeChunk: (index, sealed) => this.writeChunk(id, index, sealed),
    };
  }

  /** Writes sealed chunk `index` of `id`, then marks it; the marks are recorded once a window of them is written. */
  private async writeChunk(id: FileIdHex, index: number, sealed: Bytes): Promise<void> {
    const file = await this.require(id);
    if (file.record.state !== 'incomplete') return;
    if (sealed.length !== chunkSealedBytes(file.record.size, index)) throw new RangeError(`chunk ${index} is ${chunkSealedBytes(file.record.size, index)} bytes, not ${sealed.length}`);
    if (hasChunk(file.bitmap, index)) return;
    try {
      await this.chunks.write(id, index, sealed);
    } catch (err) {
      if (isDiskFull(err)) throw new FileDiskFullError(id);
      throw err;
    }
    if (file.deleted) {
      await this.chunks.remove(id, file.chunks);
      throw new UnknownFileError(id);
    }
    if (hasChunk(file.bitmap, index)) return;
    setChunk(file.bitmap, index);
    file.unrecorded.push(index);
    if (file.unrecorded.length >= FILE_WINDOW_CHUNKS || allChunks(file.bitmap, file.chunks)) await this.recordChunks(id, file);
    else await this.noteWritten(id, file);
  }

  /** Records (unsynced, after any earlier recording) which chunks are written and not flushed yet: a process killed now loses none of them. */
  private noteWritten(id: FileIdHex, file: OpenFile): Promise<void> {
    const next = file.recording.then(async () => {
      if (file.unrecorded.length === 0 || file.deleted) return;
      const written = emptyBitmap(file.chunks);
      for (const i of file.unrecorded) setChunk(written, i);
      await this.store.commit(new Tx().putFileWritten(id, written), { sync: false });
    });
    file.recording = next.catch(() => undefined);
    return next;
  }

  /**
   * Flushes the chunks written so far, then records their bits in one
   * commit (after any earlier recording). When the flush fails (a disk that
   * fills up only at fdatasync), those chunks are marked missing again, to be
   * fetched again, and FileDiskFullError is thrown.
   */
  private recordChunks(id: FileIdHex, file: OpenFile): Promise<void> {
    const next = file.recording.then(async () => {
      if (file.unrecorded.length === 0 || file.deleted) return;
      const bitmap = file.bitmap.slice();
      const indexes = file.unrecorded.splice(0);
      try {
        await this.chunks.flush(id);
      } catch (err) {
        for (const i of indexes) clearChunk(file.bitmap, i);
        throw isDiskFull(err) ? new FileDiskFullError(id) : err;
      }
      await this.store.commit(new Tx().putFileBitmap(id, bitmap).deleteFileWritten(id), { sync: false });
    });
    file.recording = next.catch(() => undefined);
    return next;
  }

  /** Marks a received file that is not complete `failed` for `reason` (no holder can give it); its chunks go. Returns its state. */
  fail(id: FileIdHex, reason: string): Promise<FileState> {
    return this.locked(id, async () => {
      const file = await this.require(id);
      if (file.record.state !== 'incomplete') return (await this.state(id))!;
      await this.putRecord(file, { ...file.record, state: 'failed', reason });
      await this.chunks.remove(id, file.chunks);
      return { state: 'failed', reason };
    });
  }

  /** Every file held (sent and received), with its record. */
  list(): Promise<FileRecord[]> {
    return this.store.listFiles();
  }

  /** Received files not complete yet (to fetch again at start), with their records. */
  async incomplete(): Promise<FileRecord[]> {
    return (await this.store.listFiles()).filter((f) => f.origin === 'received' && f.state === 'incomplete');
  }

  /** Bytes of received files (the size of each, whole or not) and the quota they count against. */
  async usage(): Promise<{ usedBytes: number; quotaBytes: number }> {
    let usedBytes = 0;
    for (const f of await this.store.listFiles()) if (f.origin === 'received') usedBytes += f.size;
    return { usedBytes, quotaBytes: this.quotaBytes };
  }

  // State, verification, reading.

  /** The state of file `id` as a history shows it, or undefined when it is not held. */
  async state(id: FileIdHex): Promise<FileState | undefined> {
    const file = await this.open(id);
    if (!file) return undefined;
    const { record } = file;
    if (record.state === 'complete') return { state: 'complete' };
    if (record.state === 'failed') return { state: 'failed', reason: record.reason ?? 'failed' };
    if (file.bitmap.every((b) => b === 0)) return { state: 'pending' };
    return { state: 'partial', received: heldBytes(file.bitmap, file.chunks, record.size) };
  }

  /**
   * Checks a file whose chunks are all written: opens every chunk in order
   * (one in memory at a time) and compares the plaintext's SHA-256 with D.
   * The file becomes `complete`, or `failed` ("digest does not match", or a
   * chunk that does not open); a file with chunks still missing stays as it
   * is. Returns the state. Throws UnknownFileError.
   */
  verify(id: FileIdHex): Promise<FileState> {
    return this.locked(id, async () => {
      const file = await this.require(id);
      if (file.record.state === 'incomplete' && allChunks(file.bitmap, file.chunks)) {
        await this.recordChunks(id, file);
        try {
          for await (const _chunk of this.openChunks(file)) {
            // Only the digest is wanted.
          }
          await this.putRecord(file, { ...file.record, state: 'complete' });
        } catch (err) {
          if (!(err instanceof FileDigestError || err instanceof UnreadableChunkError)) throw err;
          await this.putRecord(file, { ...file.record, state: 'failed', reason: err instanceof FileDigestError ? 'digest does not match' : err.message });
        }
      }
      return (await this.state(id))!;
    });
  }

  /**
   * The plaintext of `file`, chunk by chunk in order; after the last chunk,
   * FileDigestError unless its SHA-256 is D. Throws UnreadableChunkError for
   * a chunk that does not open or is missing.
   */
  private async *openChunks(file: OpenFile): AsyncGenerator<Bytes> {
    const { record } = file;
    const key = fromBase64(record.key);
    const hasher = this.ctx.primitives.sha256Hasher();
    for (let i = 0; i < file.chunks; i++) {
      const sealed = (await this.chunks.read(record.id, i, chunkSealedBytes(record.size, i))) ?? new Uint8Array(0);
      let plain: Bytes;
      try {
        plain = openChunk(this.ctx.primitives, key, record.size, i, sealed);
      } catch (err) {
        if (err instanceof AuthenticationError) throw new UnreadableChunkError(i);
        throw err;
      }
      hasher.update(plain);
      yield plain;
    }
    if (!equalBytes(hasher.digest(), fromHex(record.sha256))) throw new FileDigestError(record.id);
  }

  /**
   * The plaintext of complete file `id`, chunk by chunk (FILE_CHUNK_BYTES at
   * most in memory). Throws UnknownFileError, FileNotCompleteError, and
   * FileDigestError after the last chunk when the chunks changed since they
   * were verified (the file is then failed).
   */
  async *plaintext(id: FileIdHex): AsyncGenerator<Bytes> {
    const file = await this.require(id);
    if (file.record.state !== 'complete') throw new FileNotCompleteError(id, file.record.state === 'failed' ? 'failed' : (await this.state(id))!.state);
    try {
      yield* this.openChunks(file);
    } catch (err) {
      if (err instanceof FileDigestError || err instanceof UnreadableChunkError) {
        await this.locked(id, () => this.putRecord(file, { ...file.record, state: 'failed', reason: 'digest does not match' }));
        throw new FileDigestError(id);
      }
      throw err;
    }
  }

  // Holdings (what the transfer server serves).

  async manifest(id: FileIdHex): Promise<Bytes | undefined> {
    const file = await this.open(id);
    return file && file.record.state !== 'failed' ? this.store.getFileManifest(id) : undefined;
  }

  async held(id: FileIdHex): Promise<{ readonly chunks: number; readonly bitmap: Bytes } | undefined> {
    const file = await this.open(id);
    if (!file || file.record.state === 'failed' || file.bitmap.every((b) => b === 0)) return undefined;
    return { chunks: file.chunks, bitmap: file.bitmap.slice() };
  }

  async readChunk(id: FileIdHex, index: number): Promise<Bytes | undefined> {
    const file = await this.open(id);
    if (!file || file.record.state === 'failed' || !Number.isInteger(index) || index < 0 || index >= file.chunks || !hasChunk(file.bitmap, index)) return undefined;
    return this.chunks.read(id, index, chunkSealedBytes(file.record.size, index));
  }

  async mayFetch(id: FileIdHex, peerId: string): Promise<boolean> {
    const audience = (await this.open(id))?.record.audience;
    if (!audience) return false;
    return audience.kind === 'contact' ? audience.peerId === peerId : this.isGroupMember(audience.groupId, peerId);
  }

  // Deleting.

  /** Deletes file `id`: its records, then its chunks. Nothing when it is not held. */
  delete(id: FileIdHex): Promise<void> {
    return this.locked(id, () => this.remove(id));
  }

  private async remove(id: FileIdHex): Promise<void> {
    const file = await this.open(id);
    if (!file) return;
    file.deleted = true;
    await file.recording.catch(() => undefined);
    this.files.delete(id);
    await this.store.commit(new Tx().deleteFile(id), { sync: true });
    await this.chunks.remove(id, file.chunks);
  }

  /** Message `messageId` no longer references file `id`: the file is deleted with the last such message. */
  release(id: FileIdHex, messageId: string): Promise<void> {
    return this.locked(id, async () => {
      const file = await this.open(id);
      if (!file) return;
      const messages = file.record.messages.filter((m) => m !== messageId);
      if (messages.length === 0) await this.remove(id);
      else if (messages.length !== file.record.messages.length) await this.putRecord(file, { ...file.record, messages });
    });
  }

  /** Records the chunks written and not yet recorded, then releases open files (the store stays open: its owner closes it). */
  async close(): Promise<void> {
    for (const pending of [...this.files.values()]) {
      const file = await pending.catch(() => undefined);
      if (file) await this.recordChunks(file.record.id, file).catch(() => undefined);
    }
    this.files.clear();
    await this.chunks.close();
  }
}
