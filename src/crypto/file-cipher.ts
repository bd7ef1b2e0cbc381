/**
 * Sealed chunks of a file (docs/PROTOCOL.md §25, "Sealed chunks"): a file is
 * cut into FILE_CHUNK_BYTES chunks, each sealed with XChaCha20-Poly1305 under
 * the file's own key, its index as the nonce and the file's size, the index
 * and a last-chunk flag as associated data; a chunk's address is the SHA-256
 * of its sealed bytes, the manifest lists them, and the file id hashes the
 * size, the chunk size and the manifest. Pure: no I/O, the key comes from the
 * caller.
 */
import { Writer, equalBytes, type Bytes } from './bytes.ts';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES, FILE_FORMAT_VERSION, FILE_HASH_BYTES, FILE_KEY_BYTES, FILE_MAX_BYTES } from './constants.ts';
import { AuthenticationError } from './errors.ts';
import type { Primitives } from './primitives/types.ts';

/** Bytes of an XChaCha20 nonce. */
const NONCE_BYTES = 24;
/** Zero bytes before the index in a nonce. */
const NONCE_PREFIX_BYTES = NONCE_BYTES - 8;

/** Throws RangeError unless `size` is a whole number of bytes from 0 to FILE_MAX_BYTES. */
export function checkFileSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > FILE_MAX_BYTES) throw new RangeError(`a file is 0..${FILE_MAX_BYTES} bytes, not ${size}`);
}

/** Number of chunks of a file of `size` bytes: at least one (an empty file has one empty chunk). */
export function chunkCount(size: number): number {
  checkFileSize(size);
  return Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));
}

/** Plaintext bytes of chunk `index` of a file of `size` bytes. Throws RangeError for an index out of range. */
export function chunkPlainBytes(size: number, index: number): number {
  const n = chunkCount(size);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`chunk ${index} of ${n}`);
  return Math.min(FILE_CHUNK_BYTES, size - index * FILE_CHUNK_BYTES);
}

/** Sealed bytes of chunk `index` of a file of `size` bytes. */
export function chunkSealedBytes(size: number, index: number): number {
  return chunkPlainBytes(size, index) + FILE_CHUNK_TAG_BYTES;
}

/** The nonce of chunk `index`: 16 zero bytes || u64 index. */
export function chunkNonce(index: number): Bytes {
  const nonce = new Uint8Array(NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(NONCE_PREFIX_BYTES, BigInt(index));
  return nonce;
}

/** The associated data of chunk `index`: u8 1 || u64 size || u32 C || u64 index || u8 last. */
export function chunkAssociatedData(size: number, index: number): Bytes {
  const last = index === chunkCount(size) - 1 ? 1 : 0;
  return new Writer(22).u8(FILE_FORMAT_VERSION).u64(size).u32(FILE_CHUNK_BYTES).u64(index).u8(last).finish();
}

function checkKey(key: Bytes): void {
  if (key.length !== FILE_KEY_BYTES) throw new RangeError(`a file key is ${FILE_KEY_BYTES} bytes`);
}

/** Seals chunk `index` of a file of `size` bytes. Throws RangeError when `plaintext` is not that chunk's length. */
export function sealChunk(primitives: Primitives, key: Bytes, size: number, index: number, plaintext: Bytes): Bytes {
  checkKey(key);
  const expected = chunkPlainBytes(size, index);
  if (plaintext.length !== expected) throw new RangeError(`chunk ${index} is ${expected} bytes, not ${plaintext.length}`);
  return primitives.aeadSeal(key, chunkNonce(index), plaintext, chunkAssociatedData(size, index));
}

/**
 * Opens sealed chunk `index` of a file of `size` bytes. Throws
 * AuthenticationError when its length is wrong or it does not open (a chunk
 * of another file, index or size, or altered).
 */
export function openChunk(primitives: Primitives, key: Bytes, size: number, index: number, sealed: Bytes): Bytes {
  checkKey(key);
  if (sealed.length !== chunkSealedBytes(size, index)) throw new AuthenticationError(`file chunk ${index}: ${sealed.length} bytes`);
  const plaintext = primitives.aeadOpen(key, chunkNonce(index), sealed, chunkAssociatedData(size, index));
  if (!plaintext) throw new AuthenticationError(`file chunk ${index} does not open`);
  return plaintext;
}

/** The address of a sealed chunk: its SHA-256. */
export function chunkHash(primitives: Primitives, sealed: Bytes): Bytes {
  return primitives.sha256(sealed);
}

/** The file id of a file of `size` bytes with `manifest` (the chunk hashes in order). Throws RangeError for a manifest of the wrong length. */
export function fileIdOf(primitives: Primitives, size: number, manifest: Bytes): Bytes {
  const n = chunkCount(size);
  if (manifest.length !== n * FILE_HASH_BYTES) throw new RangeError(`a manifest of ${n} chunks is ${n * FILE_HASH_BYTES} bytes, not ${manifest.length}`);
  return primitives.sha256(new Writer(13 + manifest.length).u8(FILE_FORMAT_VERSION).u64(size).u32(FILE_CHUNK_BYTES).fixed(manifest, manifest.length).finish());
}

/** Whether `sealed` is chunk `index` of `manifest` (by hash). */
export function chunkMatches(primitives: Primitives, manifest: Bytes, index: number, sealed: Bytes): boolean {
  const at = index * FILE_HASH_BYTES;
  if (!Number.isInteger(index) || index < 0 || at + FILE_HASH_BYTES > manifest.length) return false;
  return equalBytes(primitives.sha256(sealed), manifest.subarray(at, at + FILE_HASH_BYTES));
}
