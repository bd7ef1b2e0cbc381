/**
 * The frames of `/sotto/file/1.0.0` (docs/PROTOCOL.md §25, "Transfer"):
 * requests a fetcher writes (MANIFEST, CHUNKS, HAVE) and the answers a
 * holder writes (HASHES, CHUNK, MISSING, BITMAP, REFUSED). Every frame is
 * `u8 version || u8 type || body`. The decoders take untrusted bytes and
 * check every length and range before they return anything; they throw
 * DecodeError (or VersionTooOld/New) and nothing else.
 */
import { Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { FILE_CHUNK_TAG_BYTES, FILE_HASH_BYTES } from '../../crypto/constants.ts';
import { readVersion } from '../../crypto/version.ts';
import { FILE_CHUNK_BYTES, FILE_MANIFEST_PAGE_HASHES, FILE_MAX_BYTES, FILE_WINDOW_CHUNKS, FRAME_VERSION } from '../constants.ts';

const MANIFEST = 0x01;
const CHUNKS = 0x02;
const HAVE = 0x03;
const HASHES = 0x11;
const CHUNK = 0x12;
const MISSING = 0x13;
const BITMAP = 0x14;
const REFUSED = 0x15;

/** Most chunks a file has (FILE_MAX_BYTES / FILE_CHUNK_BYTES). */
export const FILE_MAX_CHUNKS = FILE_MAX_BYTES / FILE_CHUNK_BYTES;

/** Why a holder refused, in the order of their wire codes (1..4). */
export const REFUSAL_REASONS = ['unknown file', 'not allowed', 'busy', 'bad request'] as const;
/** Why a holder refused a request (REFUSED, PROTOCOL §25). */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A request from a fetcher to a holder. `fileId` is F (32 bytes). */
export type FileRequest =
  | { readonly type: 'manifest'; readonly fileId: Bytes; readonly first: number; readonly count: number }
  | { readonly type: 'chunks'; readonly fileId: Bytes; readonly indexes: readonly number[] }
  | { readonly type: 'have'; readonly fileId: Bytes };

/** An answer from a holder. `hashes` is count × 32 bytes; `bitmap` is ceil(chunks / 8) bytes. */
export type FileAnswer =
  | { readonly type: 'hashes'; readonly first: number; readonly hashes: Bytes }
  | { readonly type: 'chunk'; readonly index: number; readonly sealed: Bytes }
  | { readonly type: 'missing'; readonly index: number }
  | { readonly type: 'bitmap'; readonly chunks: number; readonly bitmap: Bytes }
  | { readonly type: 'refused'; readonly reason: RefusalReason };

const WHAT_REQUEST = 'file request';
const WHAT_ANSWER = 'file answer';

function head(type: number, bodyBytes: number): Writer {
  return new Writer(2 + bodyBytes).u8(FRAME_VERSION).u8(type);
}

function checkFileId(fileId: Bytes): void {
  if (fileId.length !== FILE_HASH_BYTES) throw new RangeError(`a file id is ${FILE_HASH_BYTES} bytes, not ${fileId.length}`);
}

function checkIndex(index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= FILE_MAX_CHUNKS) throw new RangeError(`${what} ${index} is not a chunk index (0..${FILE_MAX_CHUNKS - 1})`);
}

/** MANIFEST: hashes `first … first + count − 1` (count 1..FILE_MANIFEST_PAGE_HASHES). Throws RangeError on bad arguments. */
export function encodeManifestRequest(fileId: Bytes, first: number, count: number): Bytes {
  checkFileId(fileId);
  checkIndex(first, 'first');
  if (!Number.isInteger(count) || count < 1 || count > FILE_MANIFEST_PAGE_HASHES) throw new RangeError(`a manifest page is 1..${FILE_MANIFEST_PAGE_HASHES} hashes, not ${count}`);
  return head(MANIFEST, 38).fixed(fileId, FILE_HASH_BYTES).u32(first).u16(count).finish();
}

/** CHUNKS: 1..FILE_WINDOW_CHUNKS distinct indexes. Throws RangeError on bad arguments. */
export function encodeChunksRequest(fileId: Bytes, indexes: readonly number[]): Bytes {
  checkFileId(fileId);
  if (indexes.length < 1 || indexes.length > FILE_WINDOW_CHUNKS) throw new RangeError(`a CHUNKS request asks 1..${FILE_WINDOW_CHUNKS} chunks, not ${indexes.length}`);
  if (new Set(indexes).size !== indexes.length) throw new RangeError('a CHUNKS request asks each chunk once');
  const w = head(CHUNKS, 34 + 4 * indexes.length).fixed(fileId, FILE_HASH_BYTES).u16(indexes.length);
  for (const index of indexes) {
    checkIndex(index, 'index');
    w.u32(index);
  }
  return w.finish();
}

/** HAVE: which chunks of F the holder has. */
export function encodeHaveRequest(fileId: Bytes): Bytes {
  checkFileId(fileId);
  return head(HAVE, 32).fixed(fileId, FILE_HASH_BYTES).finish();
}

/** HASHES: `hashes` (1..FILE_MANIFEST_PAGE_HASHES × 32 bytes) starting at chunk `first`. */
export function encodeHashes(first: number, hashes: Bytes): Bytes {
  checkIndex(first, 'first');
  const count = hashes.length / FILE_HASH_BYTES;
  if (!Number.isInteger(count) || count < 1 || count > FILE_MANIFEST_PAGE_HASHES) throw new RangeError(`HASHES carries 1..${FILE_MANIFEST_PAGE_HASHES} whole hashes, not ${hashes.length} bytes`);
  return head(HASHES, 6 + hashes.length).u32(first).u16(count).fixed(hashes, hashes.length).finish();
}

/** CHUNK: sealed chunk `index` (at most FILE_CHUNK_BYTES + 16 bytes). */
export function encodeChunk(index: number, sealed: Bytes): Bytes {
  checkIndex(index, 'index');
  if (sealed.length < FILE_CHUNK_TAG_BYTES || sealed.length > FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES) throw new RangeError(`a sealed chunk is ${FILE_CHUNK_TAG_BYTES}..${FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES} bytes, not ${sealed.length}`);
  return head(CHUNK, 4 + sealed.length).u32(index).fixed(sealed, sealed.length).finish();
}

/** MISSING: chunk `index` is not held. */
export function encodeMissing(index: number): Bytes {
  checkIndex(index, 'index');
  return head(MISSING, 4).u32(index).finish();
}

/** BITMAP: which of `chunks` chunks are held (`bitmap` is ceil(chunks / 8) bytes, unused bits zero). */
export function encodeBitmap(chunks: number, bitmap: Bytes): Bytes {
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > FILE_MAX_CHUNKS) throw new RangeError(`a file has 1..${FILE_MAX_CHUNKS} chunks, not ${chunks}`);
  checkBitmap(chunks, bitmap, (reason) => new RangeError(reason));
  return head(BITMAP, 4 + bitmap.length).u32(chunks).fixed(bitmap, bitmap.length).finish();
}

/** REFUSED: the holder ends the stream. */
export function encodeRefused(reason: RefusalReason): Bytes {
  const code = REFUSAL_REASONS.indexOf(reason) + 1;
  if (code === 0) throw new RangeError(`unknown refusal reason ${String(reason)}`);
  return Uint8Array.of(FRAME_VERSION, REFUSED, code);
}

/** Decodes a request a holder received. Throws DecodeError (or VersionTooOld/New) for anything not exactly a §25 request. */
export function decodeFileRequest(bytes: Bytes): FileRequest {
  const r = new Reader(bytes, WHAT_REQUEST);
  readVersion(r, WHAT_REQUEST, FRAME_VERSION);
  const type = r.u8('type');
  if (type !== MANIFEST && type !== CHUNKS && type !== HAVE) throw new DecodeError(WHAT_REQUEST, `unknown type ${type}`);
  const fileId = r.fixed(FILE_HASH_BYTES, 'file id');
  if (type === HAVE) {
    r.end();
    return { type: 'have', fileId };
  }
  if (type === MANIFEST) {
    const first = r.u32('first');
    const count = r.u16('count');
    r.end();
    if (first >= FILE_MAX_CHUNKS) throw new DecodeError(WHAT_REQUEST, `first ${first} is past the largest file`);
    if (count < 1 || count > FILE_MANIFEST_PAGE_HASHES) throw new DecodeError(WHAT_REQUEST, `manifest count ${count} is not 1..${FILE_MANIFEST_PAGE_HASHES}`);
    return { type: 'manifest', fileId, first, count };
  }
  const count = r.u16('count');
  if (count < 1 || count > FILE_WINDOW_CHUNKS) throw new DecodeError(WHAT_REQUEST, `chunk count ${count} is not 1..${FILE_WINDOW_CHUNKS}`);
  if (r.remaining !== 4 * count) throw new DecodeError(WHAT_REQUEST, `${count} indexes need ${4 * count} bytes, not ${r.remaining}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const index = r.u32('index');
    if (index >= FILE_MAX_CHUNKS) throw new DecodeError(WHAT_REQUEST, `index ${index} is past the largest file`);
    if (indexes.includes(index)) throw new DecodeError(WHAT_REQUEST, `index ${index} asked twice`);
    indexes.push(index);
  }
  r.end();
  return { type: 'chunks', fileId, indexes };
}

/** Decodes an answer a fetcher received. Throws DecodeError (or VersionTooOld/New) for anything not exactly a §25 answer. */
export function decodeFileAnswer(bytes: Bytes): FileAnswer {
  const r = new Reader(bytes, WHAT_ANSWER);
  readVersion(r, WHAT_ANSWER, FRAME_VERSION);
  const type = r.u8('type');
  switch (type) {
    case HASHES: {
      const first = r.u32('first');
      const count = r.u16('count');
      if (first >= FILE_MAX_CHUNKS) throw new DecodeError(WHAT_ANSWER, `first ${first} is past the largest file`);
      if (count < 1 || count > FILE_MANIFEST_PAGE_HASHES) throw new DecodeError(WHAT_ANSWER, `hash count ${count} is not 1..${FILE_MANIFEST_PAGE_HASHES}`);
      if (r.remaining !== count * FILE_HASH_BYTES) throw new DecodeError(WHAT_ANSWER, `${count} hashes need ${count * FILE_HASH_BYTES} bytes, not ${r.remaining}`);
      return { type: 'hashes', first, hashes: r.rest() };
    }
    case CHUNK: {
      const index = r.u32('index');
      if (index >= FILE_MAX_CHUNKS) throw new DecodeError(WHAT_ANSWER, `index ${index} is past the largest file`);
      if (r.remaining < FILE_CHUNK_TAG_BYTES || r.remaining > FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES) throw new DecodeError(WHAT_ANSWER, `a sealed chunk of ${r.remaining} bytes`);
      // A view, not a copy: a chunk is the one large frame, and the frame is the caller's own.
      return { type: 'chunk', index, sealed: bytes.subarray(bytes.length - r.remaining) };
    }
    case MISSING: {
      const index = r.u32('index');
      r.end();
      if (index >= FILE_MAX_CHUNKS) throw new DecodeError(WHAT_ANSWER, `index ${index} is past the largest file`);
      return { type: 'missing', index };
    }
    case BITMAP: {
      const chunks = r.u32('chunks');
      if (chunks < 1 || chunks > FILE_MAX_CHUNKS) throw new DecodeError(WHAT_ANSWER, `a file of ${chunks} chunks`);
      const bitmap = r.rest();
      checkBitmap(chunks, bitmap, (reason) => new DecodeError(WHAT_ANSWER, reason));
      return { type: 'bitmap', chunks, bitmap };
    }
    case REFUSED: {
      const code = r.u8('reason');
      r.end();
      const reason = REFUSAL_REASONS[code - 1];
      if (reason === undefined) throw new DecodeError(WHAT_ANSWER, `unknown refusal reason ${code}`);
      return { type: 'refused', reason };
    }
    default:
      throw new DecodeError(WHAT_ANSWER, `unknown type ${type}`);
  }
}

/** Bytes of the bitmap of a file of `chunks` chunks. */
export function bitmapBytes(chunks: number): number {
  return Math.ceil(chunks / 8);
}

/** Whether chunk `index` is set in `bitmap`. */
export function bitmapHas(bitmap: Bytes, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/** A bitmap of `chunks` chunks with the given indexes set. */
export function bitmapOf(chunks: number, indexes: Iterable<number>): Bytes {
  const out = new Uint8Array(bitmapBytes(chunks));
  for (const i of indexes) {
    checkIndex(i, 'index');
    if (i >= chunks) throw new RangeError(`index ${i} of ${chunks} chunks`);
    out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

function checkBitmap(chunks: number, bitmap: Bytes, fail: (reason: string) => Error): void {
  if (bitmap.length !== bitmapBytes(chunks)) throw fail(`a bitmap of ${chunks} chunks is ${bitmapBytes(chunks)} bytes, not ${bitmap.length}`);
  const used = chunks & 7;
  if (used !== 0 && (bitmap[bitmap.length - 1]! >> used) !== 0) throw fail('unused bits of a bitmap are set');
}
