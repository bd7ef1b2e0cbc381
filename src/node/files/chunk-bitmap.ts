/**
 * Which chunks of a file are held, as the bitmap of docs/PROTOCOL.md §25
 * (BITMAP frame, and the `fbits:` record of §16): chunk i is held when bit
 * `i mod 8` of byte `floor(i/8)` is set; unused bits are zero.
 */
import { FILE_CHUNK_BYTES } from '../constants.ts';

/** An empty bitmap for `chunks` chunks. */
export function emptyBitmap(chunks: number): Uint8Array {
  return new Uint8Array(Math.ceil(chunks / 8));
}

/** A bitmap of `chunks` chunks, all held. */
export function fullBitmap(chunks: number): Uint8Array {
  const bitmap = emptyBitmap(chunks);
  for (let i = 0; i < chunks; i++) setChunk(bitmap, i);
  return bitmap;
}

/** Whether chunk `index` is held. */
export function hasChunk(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/** Marks chunk `index` held. */
export function setChunk(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3]! |= 1 << (index & 7);
}

/** Marks chunk `index` not held. */
export function clearChunk(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3]! &= ~(1 << (index & 7));
}

/** Indexes of the chunks not held, ascending. */
export function missingChunks(bitmap: Uint8Array, chunks: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < chunks; i++) if (!hasChunk(bitmap, i)) out.push(i);
  return out;
}

/** Plaintext bytes held of a file of `size` bytes in `chunks` chunks. */
export function heldBytes(bitmap: Uint8Array, chunks: number, size: number): number {
  let held = 0;
  for (let i = 0; i < chunks; i++) if (hasChunk(bitmap, i)) held += i === chunks - 1 ? size - i * FILE_CHUNK_BYTES : FILE_CHUNK_BYTES;
  return held;
}

/** Whether every one of `chunks` chunks is held. */
export function allChunks(bitmap: Uint8Array, chunks: number): boolean {
  for (let i = 0; i < chunks; i++) if (!hasChunk(bitmap, i)) return false;
  return true;
}
